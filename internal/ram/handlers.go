package ram

import (
	"context"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/auth"
	"github.com/localyun/localyun/internal/protocol"
)

// Product is RAM 2015-05-01 as the wire and RAM know it.
var Product = protocol.Product{Name: "Ram", Version: "2015-05-01", Service: "ram", DenyCode: "NoPermission",
	DenyMessage: "You are not authorized to do this action. You should be authorized by RAM."}

// Register adds the RAM actions to m.
func Register(m *protocol.Mux, s *Service) {
	h := handlers{s}
	for action, fn := range map[string]protocol.Handler{
		"CreateRole": h.createRole,
		"GetRole":    h.getRole,
		"ListRoles":  h.listRoles,
		"UpdateRole": h.updateRole,
		"DeleteRole": h.deleteRole,
		// Users, access keys, groups and policies (issue #4).
		"CreateUser":              h.createUser,
		"GetUser":                 h.getUser,
		"ListUsers":               h.listUsers,
		"UpdateUser":              h.updateUser,
		"DeleteUser":              h.deleteUser,
		"CreateAccessKey":         h.createAccessKey,
		"ListAccessKeys":          h.listAccessKeys,
		"UpdateAccessKey":         h.updateAccessKey,
		"DeleteAccessKey":         h.deleteAccessKey,
		"GetAccessKeyLastUsed":    h.getAccessKeyLastUsed,
		"CreateGroup":             h.createGroup,
		"GetGroup":                h.getGroup,
		"ListGroups":              h.listGroups,
		"UpdateGroup":             h.updateGroup,
		"DeleteGroup":             h.deleteGroup,
		"AddUserToGroup":          h.addUserToGroup,
		"RemoveUserFromGroup":     h.removeUserFromGroup,
		"ListGroupsForUser":       h.listGroupsForUser,
		"ListUsersForGroup":       h.listUsersForGroup,
		"CreatePolicy":            h.createPolicy,
		"GetPolicy":               h.getPolicy,
		"ListPolicies":            h.listPolicies,
		"DeletePolicy":            h.deletePolicy,
		"CreatePolicyVersion":     h.createPolicyVersion,
		"GetPolicyVersion":        h.getPolicyVersion,
		"ListPolicyVersions":      h.listPolicyVersions,
		"SetDefaultPolicyVersion": h.setDefaultPolicyVersion,
		"DeletePolicyVersion":     h.deletePolicyVersion,
		"AttachPolicyToUser":      h.attach(localyun.AttachUser),
		"AttachPolicyToGroup":     h.attach(localyun.AttachGroup),
		"AttachPolicyToRole":      h.attach(localyun.AttachRole),
		"DetachPolicyFromUser":    h.detach(localyun.AttachUser),
		"DetachPolicyFromGroup":   h.detach(localyun.AttachGroup),
		"DetachPolicyFromRole":    h.detach(localyun.AttachRole),
		"ListPoliciesForUser":     h.listPoliciesFor(localyun.AttachUser),
		"ListPoliciesForGroup":    h.listPoliciesFor(localyun.AttachGroup),
		"ListPoliciesForRole":     h.listPoliciesFor(localyun.AttachRole),
		"ListEntitiesForPolicy":   h.listEntitiesForPolicy,
	} {
		auth.Legacy(m, Product, action, fn)
	}
}

type handlers struct{ s *Service }

const timeLayout = "2006-01-02T15:04:05Z"

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

var roleNameRE = regexp.MustCompile(`^[a-zA-Z0-9.\-]+$`)

// roleName reads and validates the RoleName parameter.
func roleName(r *protocol.Request) (string, error) {
	name := r.Get("RoleName")
	switch {
	case name == "":
		return "", errMissing("RoleName")
	case len(name) > 64:
		return "", errLength("RoleName")
	case !roleNameRE.MatchString(name):
		return "", errRoleNameChars
	}
	return name, nil
}

func policyDocument(doc, param string) error {
	if len(doc) > 2048 {
		return errLength(param)
	}
	if err := ValidateTrustPolicy(doc); err != nil {
		return errMalformedPolicy(err.Error())
	}
	return nil
}

func description(r *protocol.Request, param string) (string, error) {
	d := r.Get(param)
	if utf8.RuneCountInString(d) > 1024 {
		return "", errLength(param)
	}
	if !utf8.ValidString(d) {
		return "", errInvalid(param)
	}
	return d, nil
}

func maxSession(r *protocol.Request, param string) (int64, bool, error) {
	n, ok, err := r.Int(param)
	if err != nil || ok && (n < MinMaxSessionDuration || n > MaxMaxSessionDuration) {
		return 0, false, errInvalid(param)
	}
	return n, ok, nil
}

// createRole serves CreateRole (2015-05-01).
func (h handlers) createRole(ctx context.Context, r *protocol.Request) (any, error) {
	name, err := roleName(r)
	if err != nil {
		return nil, err
	}
	doc := r.Get("AssumeRolePolicyDocument")
	if strings.TrimSpace(doc) == "" {
		return nil, errMissing("AssumeRolePolicyDocument")
	}
	if err := policyDocument(doc, "AssumeRolePolicyDocument"); err != nil {
		return nil, err
	}
	desc, err := description(r, "Description")
	if err != nil {
		return nil, err
	}
	msd, ok, err := maxSession(r, "MaxSessionDuration")
	if err != nil {
		return nil, err
	}
	if !ok {
		msd = DefaultMaxSessionDuration
	}
	role, err := h.s.CreateRole(ctx, localyun.Role{Name: name, Description: desc, AssumeRolePolicyDocument: doc, MaxSessionDuration: msd})
	if err != nil {
		return nil, err
	}
	return roleResponse{Role: newRoleItem(role, true, false)}, nil
}

// getRole serves GetRole (2015-05-01).
func (h handlers) getRole(ctx context.Context, r *protocol.Request) (any, error) {
	name, err := roleName(r)
	if err != nil {
		return nil, err
	}
	role, err := h.s.GetRole(ctx, name)
	if err != nil {
		return nil, err
	}
	return roleResponse{Role: newRoleItem(role, true, true)}, nil
}

// listRoles serves ListRoles (2015-05-01): Marker/MaxItems paging. Items
// carry no AssumeRolePolicyDocument, as in the SDK model.
func (h handlers) listRoles(ctx context.Context, r *protocol.Request) (any, error) {
	max := 100
	if n, ok, err := r.Int("MaxItems"); err != nil || ok && (n < 1 || n > 1000) {
		return nil, errInvalidMaxItem
	} else if ok {
		max = int(n)
	}
	roles, next, err := h.s.ListRoles(ctx, r.Get("Marker"), max)
	if err != nil {
		return nil, err
	}
	out := listRolesResponse{IsTruncated: next != "", Marker: next}
	out.Roles.Role = make([]roleItem, len(roles))
	for i, role := range roles {
		out.Roles.Role[i] = newRoleItem(role, false, true)
	}
	return out, nil
}

// updateRole serves UpdateRole (2015-05-01).
func (h handlers) updateRole(ctx context.Context, r *protocol.Request) (any, error) {
	name, err := roleName(r)
	if err != nil {
		return nil, err
	}
	var upd localyun.RoleUpdate
	if r.Has("NewAssumeRolePolicyDocument") {
		doc := r.Get("NewAssumeRolePolicyDocument")
		if err := policyDocument(doc, "NewAssumeRolePolicyDocument"); err != nil {
			return nil, err
		}
		upd.AssumeRolePolicyDocument = &doc
	}
	if r.Has("NewDescription") {
		d, err := description(r, "NewDescription")
		if err != nil {
			return nil, err
		}
		upd.Description = &d
	}
	if msd, ok, err := maxSession(r, "NewMaxSessionDuration"); err != nil {
		return nil, err
	} else if ok {
		upd.MaxSessionDuration = &msd
	}
	role, err := h.s.UpdateRole(ctx, name, upd)
	if err != nil {
		return nil, err
	}
	return roleResponse{Role: newRoleItem(role, true, true)}, nil
}

// deleteRole serves DeleteRole (2015-05-01).
func (h handlers) deleteRole(ctx context.Context, r *protocol.Request) (any, error) {
	name, err := roleName(r)
	if err != nil {
		return nil, err
	}
	return nil, h.s.DeleteRole(ctx, name)
}
