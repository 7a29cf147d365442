package ram

import "github.com/localyun/localyun"

type policyItem struct {
	PolicyName      string `json:"PolicyName" xml:"PolicyName"`
	PolicyType      string `json:"PolicyType" xml:"PolicyType"`
	Description     string `json:"Description" xml:"Description"`
	DefaultVersion  string `json:"DefaultVersion" xml:"DefaultVersion"`
	PolicyDocument  string `json:"PolicyDocument,omitempty" xml:"PolicyDocument,omitempty"`
	CreateDate      string `json:"CreateDate,omitempty" xml:"CreateDate,omitempty"`
	UpdateDate      string `json:"UpdateDate,omitempty" xml:"UpdateDate,omitempty"`
	AttachDate      string `json:"AttachDate,omitempty" xml:"AttachDate,omitempty"`
	AttachmentCount *int   `json:"AttachmentCount,omitempty" xml:"AttachmentCount,omitempty"`
}

func newPolicyItem(p localyun.Policy) policyItem {
	return policyItem{PolicyName: p.Name, PolicyType: p.Type, Description: p.Description, DefaultVersion: p.DefaultVersion,
		CreateDate: date(p.CreatedAt), UpdateDate: date(p.UpdatedAt)}
}

// newListedPolicyItem is a policy of ListPolicies: custom policies carry
// their AttachmentCount.
func newListedPolicyItem(p localyun.Policy) policyItem {
	it := newPolicyItem(p)
	if p.Type == localyun.PolicyTypeCustom {
		n := p.AttachmentCount
		it.AttachmentCount = &n
	}
	return it
}

type versionItem struct {
	VersionID        string `json:"VersionId" xml:"VersionId"`
	IsDefaultVersion bool   `json:"IsDefaultVersion" xml:"IsDefaultVersion"`
	PolicyDocument   string `json:"PolicyDocument" xml:"PolicyDocument"`
	CreateDate       string `json:"CreateDate" xml:"CreateDate"`
}

func newVersionItem(v localyun.PolicyVersion) versionItem {
	return versionItem{VersionID: v.VersionID, IsDefaultVersion: v.IsDefault, PolicyDocument: v.Document, CreateDate: date(v.CreatedAt)}
}

type policyResponse struct {
	Policy policyItem `json:"Policy" xml:"Policy"`
}

type getPolicyResponse struct {
	Policy               policyItem  `json:"Policy" xml:"Policy"`
	DefaultPolicyVersion versionItem `json:"DefaultPolicyVersion" xml:"DefaultPolicyVersion"`
}

type policiesList struct {
	Policy []policyItem `json:"Policy" xml:"Policy"`
}

type listPoliciesResponse struct {
	IsTruncated bool         `json:"IsTruncated" xml:"IsTruncated"`
	Marker      string       `json:"Marker,omitempty" xml:"Marker,omitempty"`
	Policies    policiesList `json:"Policies" xml:"Policies"`
}

type policiesForResponse struct {
	Policies policiesList `json:"Policies" xml:"Policies"`
}

type versionResponse struct {
	PolicyVersion versionItem `json:"PolicyVersion" xml:"PolicyVersion"`
}

type listVersionsResponse struct {
	PolicyVersions struct {
		PolicyVersion []versionItem `json:"PolicyVersion" xml:"PolicyVersion"`
	} `json:"PolicyVersions" xml:"PolicyVersions"`
}

type entitiesResponse struct {
	Groups groupsList `json:"Groups" xml:"Groups"`
	Users  usersList  `json:"Users" xml:"Users"`
	Roles  struct {
		Role []roleEntityItem `json:"Role" xml:"Role"`
	} `json:"Roles" xml:"Roles"`
}

type roleEntityItem struct {
	RoleID      string `json:"RoleId" xml:"RoleId"`
	RoleName    string `json:"RoleName" xml:"RoleName"`
	Arn         string `json:"Arn" xml:"Arn"`
	Description string `json:"Description" xml:"Description"`
	AttachDate  string `json:"AttachDate" xml:"AttachDate"`
}
