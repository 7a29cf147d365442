package ram

import (
	"time"

	"github.com/localyun/localyun"
)

// The wire shapes of the RAM answers (JSON and XML), in the SDK model's
// spelling. Lists are never null: an empty list is [].

const timeLayout = "2006-01-02T15:04:05Z"

func date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(timeLayout)
}

// items maps ts to their wire items; never nil.
func items[T, I any](ts []T, item func(T) I) []I {
	out := make([]I, len(ts))
	for i, t := range ts {
		out[i] = item(t)
	}
	return out
}

type roleItem struct {
	RoleID                   string `json:"RoleId" xml:"RoleId"`
	RoleName                 string `json:"RoleName" xml:"RoleName"`
	Arn                      string `json:"Arn" xml:"Arn"`
	Description              string `json:"Description" xml:"Description"`
	AssumeRolePolicyDocument string `json:"AssumeRolePolicyDocument,omitempty" xml:"AssumeRolePolicyDocument,omitempty"`
	MaxSessionDuration       int64  `json:"MaxSessionDuration" xml:"MaxSessionDuration"`
	CreateDate               string `json:"CreateDate" xml:"CreateDate"`
	UpdateDate               string `json:"UpdateDate,omitempty" xml:"UpdateDate,omitempty"`
}

type roleResponse struct {
	Role roleItem `json:"Role" xml:"Role"`
}

type listRolesResponse struct {
	IsTruncated bool   `json:"IsTruncated" xml:"IsTruncated"`
	Marker      string `json:"Marker,omitempty" xml:"Marker,omitempty"`
	Roles       struct {
		Role []roleItem `json:"Role" xml:"Role"`
	} `json:"Roles" xml:"Roles"`
}

func newRoleItem(r localyun.Role, withDoc, withUpdate bool) roleItem {
	it := roleItem{RoleID: r.ID, RoleName: r.Name, Arn: r.ARN(), Description: r.Description,
		MaxSessionDuration: r.MaxSessionDuration, CreateDate: r.CreatedAt.UTC().Format(timeLayout)}
	if withDoc {
		it.AssumeRolePolicyDocument = r.AssumeRolePolicyDocument
	}
	if withUpdate {
		it.UpdateDate = r.UpdatedAt.UTC().Format(timeLayout)
	}
	return it
}

type userItem struct {
	UserID        string `json:"UserId,omitempty" xml:"UserId,omitempty"`
	UserName      string `json:"UserName" xml:"UserName"`
	DisplayName   string `json:"DisplayName" xml:"DisplayName"`
	Email         string `json:"Email,omitempty" xml:"Email,omitempty"`
	MobilePhone   string `json:"MobilePhone,omitempty" xml:"MobilePhone,omitempty"`
	Comments      string `json:"Comments,omitempty" xml:"Comments,omitempty"`
	CreateDate    string `json:"CreateDate,omitempty" xml:"CreateDate,omitempty"`
	UpdateDate    string `json:"UpdateDate,omitempty" xml:"UpdateDate,omitempty"`
	LastLoginDate string `json:"LastLoginDate,omitempty" xml:"LastLoginDate,omitempty"`
	JoinDate      string `json:"JoinDate,omitempty" xml:"JoinDate,omitempty"`
	AttachDate    string `json:"AttachDate,omitempty" xml:"AttachDate,omitempty"`
}

func newUserItem(u localyun.User) userItem {
	return userItem{UserID: u.ID, UserName: u.Name, DisplayName: u.DisplayName, Email: u.Email, MobilePhone: u.MobilePhone,
		Comments: u.Comments, CreateDate: date(u.CreatedAt), UpdateDate: date(u.UpdatedAt)}
}

type userResponse struct {
	User userItem `json:"User" xml:"User"`
}

type usersList struct {
	User []userItem `json:"User" xml:"User"`
}

type listUsersResponse struct {
	IsTruncated bool      `json:"IsTruncated" xml:"IsTruncated"`
	Marker      string    `json:"Marker,omitempty" xml:"Marker,omitempty"`
	Users       usersList `json:"Users" xml:"Users"`
}

type accessKeyItem struct {
	AccessKeyID     string `json:"AccessKeyId" xml:"AccessKeyId"`
	AccessKeySecret string `json:"AccessKeySecret,omitempty" xml:"AccessKeySecret,omitempty"`
	Status          string `json:"Status" xml:"Status"`
	CreateDate      string `json:"CreateDate" xml:"CreateDate"`
}

type createAccessKeyResponse struct {
	AccessKey accessKeyItem `json:"AccessKey" xml:"AccessKey"`
}

type listAccessKeysResponse struct {
	AccessKeys struct {
		AccessKey []accessKeyItem `json:"AccessKey" xml:"AccessKey"`
	} `json:"AccessKeys" xml:"AccessKeys"`
}

type lastUsedResponse struct {
	AccessKeyLastUsed struct {
		LastUsedDate string `json:"LastUsedDate" xml:"LastUsedDate"`
	} `json:"AccessKeyLastUsed" xml:"AccessKeyLastUsed"`
}

type groupItem struct {
	GroupID    string `json:"GroupId,omitempty" xml:"GroupId,omitempty"`
	GroupName  string `json:"GroupName" xml:"GroupName"`
	Comments   string `json:"Comments" xml:"Comments"`
	CreateDate string `json:"CreateDate,omitempty" xml:"CreateDate,omitempty"`
	UpdateDate string `json:"UpdateDate,omitempty" xml:"UpdateDate,omitempty"`
	JoinDate   string `json:"JoinDate,omitempty" xml:"JoinDate,omitempty"`
	AttachDate string `json:"AttachDate,omitempty" xml:"AttachDate,omitempty"`
}

func newGroupItem(g localyun.Group) groupItem {
	return groupItem{GroupID: g.ID, GroupName: g.Name, Comments: g.Comments, CreateDate: date(g.CreatedAt), UpdateDate: date(g.UpdatedAt)}
}

type groupResponse struct {
	Group groupItem `json:"Group" xml:"Group"`
}

type groupsList struct {
	Group []groupItem `json:"Group" xml:"Group"`
}

type listGroupsResponse struct {
	IsTruncated bool       `json:"IsTruncated" xml:"IsTruncated"`
	Marker      string     `json:"Marker,omitempty" xml:"Marker,omitempty"`
	Groups      groupsList `json:"Groups" xml:"Groups"`
}

type groupsForUserResponse struct {
	Groups groupsList `json:"Groups" xml:"Groups"`
}
