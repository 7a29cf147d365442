package ram

import (
	"context"
	"errors"
	"strings"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/auth"
	"github.com/localyun/localyun/internal/protocol"
)

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

type versionItem struct {
	VersionID        string `json:"VersionId" xml:"VersionId"`
	IsDefaultVersion bool   `json:"IsDefaultVersion" xml:"IsDefaultVersion"`
	PolicyDocument   string `json:"PolicyDocument" xml:"PolicyDocument"`
	CreateDate       string `json:"CreateDate" xml:"CreateDate"`
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
		Role []roleEntity `json:"Role" xml:"Role"`
	} `json:"Roles" xml:"Roles"`
}

type roleEntity struct {
	RoleID      string `json:"RoleId" xml:"RoleId"`
	RoleName    string `json:"RoleName" xml:"RoleName"`
	Arn         string `json:"Arn" xml:"Arn"`
	Description string `json:"Description" xml:"Description"`
	AttachDate  string `json:"AttachDate" xml:"AttachDate"`
}

func policyName(r *protocol.Request) (string, error) {
	return name(r, "PolicyName", 128, policyNameRE)
}

// policyType reads a required PolicyType: System or Custom.
func policyType(r *protocol.Request) (string, error) {
	switch t := r.Get("PolicyType"); t {
	case "":
		return "", errMissing("PolicyType")
	case localyun.PolicyTypeSystem, localyun.PolicyTypeCustom:
		return t, nil
	}
	return "", errInvalid("PolicyType")
}

// policyDoc reads and validates a permission policy document.
func policyDoc(r *protocol.Request) (string, error) {
	doc := r.Get("PolicyDocument")
	if strings.TrimSpace(doc) == "" {
		return "", errMissing("PolicyDocument")
	}
	if len(doc) > auth.MaxDocumentBytes {
		return "", errLength("PolicyDocument")
	}
	if _, err := auth.Parse(doc); err != nil {
		return "", errMalformedPolicy(err.Error())
	}
	return doc, nil
}

func policyError(err error) error {
	switch {
	case errors.Is(err, localyun.ErrNotFound):
		return errPolicyNotExist
	case errors.Is(err, localyun.ErrAlreadyExists):
		return errPolicyExists
	case errors.Is(err, localyun.ErrLimitExceeded):
		return errVersionLimit
	}
	switch w := conflictWith(err); w {
	case "User", "Group", "Role":
		return errPolicyInUse(w)
	case "Version":
		return errPolicyVersions
	case "Default":
		return errVersionDefault
	}
	return err
}

// resolvedPolicy is a policy of either type with its default document.
type resolvedPolicy struct {
	localyun.Policy
	Document string
}

// findPolicy resolves a policy by type and name (canonical name returned).
func (h handlers) findPolicy(ctx context.Context, typ, n string) (resolvedPolicy, error) {
	if typ == localyun.PolicyTypeSystem {
		sp, ok := auth.FindSystemPolicy(n)
		if !ok {
			return resolvedPolicy{}, errPolicyNotExist
		}
		return resolvedPolicy{Policy: localyun.Policy{Name: sp.Name, Type: typ, Description: sp.Description, DefaultVersion: "v1",
			CreatedAt: auth.SystemPolicyDate, UpdatedAt: auth.SystemPolicyDate}, Document: sp.Document}, nil
	}
	p, err := h.s.store.FindPolicy(ctx, accountOf(ctx), n)
	if err != nil {
		return resolvedPolicy{}, policyError(err)
	}
	v, err := h.s.store.FindPolicyVersion(ctx, accountOf(ctx), p.Name, p.DefaultVersion)
	if err != nil {
		return resolvedPolicy{}, policyError(err)
	}
	return resolvedPolicy{Policy: p, Document: v.Document}, nil
}

func newPolicyItem(p localyun.Policy) policyItem {
	return policyItem{PolicyName: p.Name, PolicyType: p.Type, Description: p.Description, DefaultVersion: p.DefaultVersion,
		CreateDate: date(p.CreatedAt), UpdateDate: date(p.UpdatedAt)}
}

// createPolicy serves CreatePolicy (2015-05-01).
func (h handlers) createPolicy(ctx context.Context, r *protocol.Request) (any, error) {
	n, err := policyName(r)
	if err != nil {
		return nil, err
	}
	doc, err := policyDoc(r)
	if err != nil {
		return nil, err
	}
	desc, err := text(r, "Description", 1024)
	if err != nil {
		return nil, err
	}
	now := h.s.now()
	p := localyun.Policy{AccountID: accountOf(ctx), Name: n, Type: localyun.PolicyTypeCustom, Description: desc,
		DefaultVersion: "v1", CreatedAt: now, UpdatedAt: now}
	if err := h.s.store.CreatePolicy(ctx, p, localyun.PolicyVersion{Document: doc, CreatedAt: now}); err != nil {
		return nil, policyError(err)
	}
	it := newPolicyItem(p)
	it.UpdateDate = ""
	return policyResponse{Policy: it}, nil
}

// getPolicy serves GetPolicy (2015-05-01), System or Custom.
func (h handlers) getPolicy(ctx context.Context, r *protocol.Request) (any, error) {
	n, err := policyName(r)
	if err != nil {
		return nil, err
	}
	typ, err := policyType(r)
	if err != nil {
		return nil, err
	}
	p, err := h.findPolicy(ctx, typ, n)
	if err != nil {
		return nil, err
	}
	it := newPolicyItem(p.Policy)
	it.PolicyDocument = p.Document
	count := p.AttachmentCount
	if typ == localyun.PolicyTypeSystem {
		as, err := h.s.store.FindAttachments(ctx, localyun.AttachmentFilter{AccountID: accountOf(ctx), PolicyType: typ, PolicyName: p.Name})
		if err != nil {
			return nil, err
		}
		count = len(as)
	}
	it.AttachmentCount = &count
	return getPolicyResponse{Policy: it, DefaultPolicyVersion: versionItem{VersionID: p.DefaultVersion, IsDefaultVersion: true,
		PolicyDocument: p.Document, CreateDate: date(p.UpdatedAt)}}, nil
}

// listPolicies serves ListPolicies (2015-05-01): system policies then the
// account's custom policies, each in name order, optionally one type.
func (h handlers) listPolicies(ctx context.Context, r *protocol.Request) (any, error) {
	max, err := maxItems(r)
	if err != nil {
		return nil, err
	}
	marker, err := decodeMarker(r.Get("Marker"))
	if err != nil {
		return nil, err
	}
	typ := r.Get("PolicyType")
	if typ != "" && typ != localyun.PolicyTypeSystem && typ != localyun.PolicyTypeCustom {
		return nil, errInvalid("PolicyType")
	}
	var all []policyItem
	if typ != localyun.PolicyTypeCustom {
		for _, sp := range auth.SystemPolicies() {
			all = append(all, policyItem{PolicyName: sp.Name, PolicyType: localyun.PolicyTypeSystem, Description: sp.Description,
				DefaultVersion: "v1", CreateDate: date(auth.SystemPolicyDate), UpdateDate: date(auth.SystemPolicyDate)})
		}
	}
	if typ != localyun.PolicyTypeSystem {
		custom, err := h.s.store.FindPolicies(ctx, localyun.PolicyFilter{AccountID: accountOf(ctx)})
		if err != nil {
			return nil, err
		}
		for _, p := range custom {
			it := newPolicyItem(p)
			n := p.AttachmentCount
			it.AttachmentCount = &n
			all = append(all, it)
		}
	}
	start := 0
	if marker != "" {
		start = -1
		for i, it := range all {
			if it.PolicyType+"/"+strings.ToLower(it.PolicyName) == marker {
				start = i + 1
			}
		}
		if start < 0 {
			return nil, errInvalidMarker
		}
	}
	out := listPoliciesResponse{Policies: policiesList{Policy: []policyItem{}}}
	page := all[start:]
	if len(page) > max {
		page = page[:max]
		last := page[max-1]
		out.IsTruncated, out.Marker = true, encodeMarker(last.PolicyType+"/"+strings.ToLower(last.PolicyName))
	}
	out.Policies.Policy = append(out.Policies.Policy, page...)
	return out, nil
}

// deletePolicy serves DeletePolicy (2015-05-01), custom policies only.
func (h handlers) deletePolicy(ctx context.Context, r *protocol.Request) (any, error) {
	n, err := policyName(r)
	if err != nil {
		return nil, err
	}
	return nil, policyError(h.s.store.DeletePolicy(ctx, accountOf(ctx), n))
}

func newVersionItem(v localyun.PolicyVersion) versionItem {
	return versionItem{VersionID: v.VersionID, IsDefaultVersion: v.IsDefault, PolicyDocument: v.Document, CreateDate: date(v.CreatedAt)}
}

// createPolicyVersion serves CreatePolicyVersion (2015-05-01).
func (h handlers) createPolicyVersion(ctx context.Context, r *protocol.Request) (any, error) {
	n, err := policyName(r)
	if err != nil {
		return nil, err
	}
	doc, err := policyDoc(r)
	if err != nil {
		return nil, err
	}
	def, _, err := r.Bool("SetAsDefault")
	if err != nil {
		return nil, errInvalid("SetAsDefault")
	}
	rotate := false
	switch r.Get("RotateStrategy") {
	case "", "None":
	case "DeleteOldestNonDefaultVersionWhenLimitExceeded":
		rotate = true
	default:
		return nil, errInvalid("RotateStrategy")
	}
	v, err := h.s.store.CreatePolicyVersion(ctx, accountOf(ctx), n, localyun.PolicyVersion{Document: doc, IsDefault: def,
		CreatedAt: h.s.now()}, MaxPolicyVersions, rotate)
	if err != nil {
		return nil, policyError(err)
	}
	return versionResponse{PolicyVersion: newVersionItem(v)}, nil
}

func versionID(r *protocol.Request) (string, error) {
	id := r.Get("VersionId")
	if id == "" {
		return "", errMissing("VersionId")
	}
	if !versionIDRE.MatchString(id) {
		return "", errInvalid("VersionId")
	}
	return id, nil
}

func versionError(err error) error {
	if errors.Is(err, localyun.ErrNotFound) {
		return errVersionNotExist
	}
	return policyError(err)
}

// getPolicyVersion serves GetPolicyVersion (2015-05-01).
func (h handlers) getPolicyVersion(ctx context.Context, r *protocol.Request) (any, error) {
	n, err := policyName(r)
	if err != nil {
		return nil, err
	}
	typ, err := policyType(r)
	if err != nil {
		return nil, err
	}
	id, err := versionID(r)
	if err != nil {
		return nil, err
	}
	if typ == localyun.PolicyTypeSystem {
		p, err := h.findPolicy(ctx, typ, n)
		if err != nil {
			return nil, err
		}
		if id != "v1" {
			return nil, errVersionNotExist
		}
		return versionResponse{PolicyVersion: versionItem{VersionID: "v1", IsDefaultVersion: true, PolicyDocument: p.Document,
			CreateDate: date(auth.SystemPolicyDate)}}, nil
	}
	if _, err := h.s.store.FindPolicy(ctx, accountOf(ctx), n); err != nil {
		return nil, policyError(err)
	}
	v, err := h.s.store.FindPolicyVersion(ctx, accountOf(ctx), n, id)
	if err != nil {
		return nil, versionError(err)
	}
	return versionResponse{PolicyVersion: newVersionItem(v)}, nil
}

// listPolicyVersions serves ListPolicyVersions (2015-05-01).
func (h handlers) listPolicyVersions(ctx context.Context, r *protocol.Request) (any, error) {
	n, err := policyName(r)
	if err != nil {
		return nil, err
	}
	typ, err := policyType(r)
	if err != nil {
		return nil, err
	}
	var out listVersionsResponse
	out.PolicyVersions.PolicyVersion = []versionItem{}
	if typ == localyun.PolicyTypeSystem {
		p, err := h.findPolicy(ctx, typ, n)
		if err != nil {
			return nil, err
		}
		out.PolicyVersions.PolicyVersion = append(out.PolicyVersions.PolicyVersion, versionItem{VersionID: "v1", IsDefaultVersion: true,
			PolicyDocument: p.Document, CreateDate: date(auth.SystemPolicyDate)})
		return out, nil
	}
	if _, err := h.s.store.FindPolicy(ctx, accountOf(ctx), n); err != nil {
		return nil, policyError(err)
	}
	vs, err := h.s.store.FindPolicyVersions(ctx, accountOf(ctx), n)
	if err != nil {
		return nil, err
	}
	for _, v := range vs {
		out.PolicyVersions.PolicyVersion = append(out.PolicyVersions.PolicyVersion, newVersionItem(v))
	}
	return out, nil
}

// setDefaultPolicyVersion serves SetDefaultPolicyVersion (2015-05-01).
func (h handlers) setDefaultPolicyVersion(ctx context.Context, r *protocol.Request) (any, error) {
	n, err := policyName(r)
	if err != nil {
		return nil, err
	}
	id, err := versionID(r)
	if err != nil {
		return nil, err
	}
	if _, err := h.s.store.FindPolicy(ctx, accountOf(ctx), n); err != nil {
		return nil, policyError(err)
	}
	return nil, versionError(h.s.store.SetDefaultPolicyVersion(ctx, accountOf(ctx), n, id, h.s.now()))
}

// deletePolicyVersion serves DeletePolicyVersion (2015-05-01).
func (h handlers) deletePolicyVersion(ctx context.Context, r *protocol.Request) (any, error) {
	n, err := policyName(r)
	if err != nil {
		return nil, err
	}
	id, err := versionID(r)
	if err != nil {
		return nil, err
	}
	if _, err := h.s.store.FindPolicy(ctx, accountOf(ctx), n); err != nil {
		return nil, policyError(err)
	}
	return nil, versionError(h.s.store.DeletePolicyVersion(ctx, accountOf(ctx), n, id))
}

// principalOf resolves the user, group or role a policy call names, with
// its canonical name.
func (h handlers) principalOf(ctx context.Context, r *protocol.Request, kind string) (string, error) {
	switch kind {
	case localyun.AttachUser:
		n, err := userName(r, "UserName")
		if err != nil {
			return "", err
		}
		u, err := h.s.store.FindUserByName(ctx, accountOf(ctx), n)
		if err != nil {
			return "", userError(err)
		}
		return u.Name, nil
	case localyun.AttachGroup:
		n, err := groupName(r, "GroupName")
		if err != nil {
			return "", err
		}
		g, err := h.s.store.FindGroupByName(ctx, accountOf(ctx), n)
		if err != nil {
			return "", groupError(err)
		}
		return g.Name, nil
	}
	n, err := roleName(r)
	if err != nil {
		return "", err
	}
	role, err := h.s.store.FindRoleByName(ctx, accountOf(ctx), n)
	if err != nil {
		return "", roleError(err)
	}
	return role.Name, nil
}

// attachment reads the parameters of Attach/DetachPolicyTo*/From*.
func (h handlers) attachment(ctx context.Context, r *protocol.Request, kind string) (localyun.Attachment, error) {
	n, err := policyName(r)
	if err != nil {
		return localyun.Attachment{}, err
	}
	typ, err := policyType(r)
	if err != nil {
		return localyun.Attachment{}, err
	}
	p, err := h.findPolicy(ctx, typ, n)
	if err != nil {
		return localyun.Attachment{}, err
	}
	who, err := h.principalOf(ctx, r, kind)
	if err != nil {
		return localyun.Attachment{}, err
	}
	return localyun.Attachment{AccountID: accountOf(ctx), PolicyType: typ, PolicyName: p.Name, PrincipalType: kind,
		PrincipalName: who, AttachedAt: h.s.now()}, nil
}

func (h handlers) attach(kind string) protocol.Handler {
	return func(ctx context.Context, r *protocol.Request) (any, error) {
		a, err := h.attachment(ctx, r, kind)
		if err != nil {
			return nil, err
		}
		if err := h.s.store.AttachPolicy(ctx, a); errors.Is(err, localyun.ErrAlreadyExists) {
			return nil, errAttached(kind)
		} else if err != nil {
			return nil, err
		}
		return nil, nil
	}
}

func (h handlers) detach(kind string) protocol.Handler {
	return func(ctx context.Context, r *protocol.Request) (any, error) {
		a, err := h.attachment(ctx, r, kind)
		if err != nil {
			return nil, err
		}
		if err := h.s.store.DetachPolicy(ctx, a); errors.Is(err, localyun.ErrNotFound) {
			return nil, errNotAttached(kind)
		} else if err != nil {
			return nil, err
		}
		return nil, nil
	}
}

func (h handlers) listPoliciesFor(kind string) protocol.Handler {
	return func(ctx context.Context, r *protocol.Request) (any, error) {
		who, err := h.principalOf(ctx, r, kind)
		if err != nil {
			return nil, err
		}
		as, err := h.s.store.FindAttachments(ctx, localyun.AttachmentFilter{AccountID: accountOf(ctx), PrincipalType: kind, PrincipalName: who})
		if err != nil {
			return nil, err
		}
		out := policiesForResponse{Policies: policiesList{Policy: []policyItem{}}}
		for _, a := range as {
			p, err := h.findPolicy(ctx, a.PolicyType, a.PolicyName)
			if err != nil {
				continue // deleted meanwhile
			}
			out.Policies.Policy = append(out.Policies.Policy, policyItem{PolicyName: p.Name, PolicyType: p.Type,
				Description: p.Description, DefaultVersion: p.DefaultVersion, AttachDate: date(a.AttachedAt)})
		}
		return out, nil
	}
}

// listEntitiesForPolicy serves ListEntitiesForPolicy (2015-05-01).
func (h handlers) listEntitiesForPolicy(ctx context.Context, r *protocol.Request) (any, error) {
	n, err := policyName(r)
	if err != nil {
		return nil, err
	}
	typ, err := policyType(r)
	if err != nil {
		return nil, err
	}
	p, err := h.findPolicy(ctx, typ, n)
	if err != nil {
		return nil, err
	}
	as, err := h.s.store.FindAttachments(ctx, localyun.AttachmentFilter{AccountID: accountOf(ctx), PolicyType: typ, PolicyName: p.Name})
	if err != nil {
		return nil, err
	}
	out := entitiesResponse{Groups: groupsList{Group: []groupItem{}}, Users: usersList{User: []userItem{}}}
	out.Roles.Role = []roleEntity{}
	acct := accountOf(ctx)
	for _, a := range as {
		switch a.PrincipalType {
		case localyun.AttachUser:
			if u, err := h.s.store.FindUserByName(ctx, acct, a.PrincipalName); err == nil {
				out.Users.User = append(out.Users.User, userItem{UserID: u.ID, UserName: u.Name, DisplayName: u.DisplayName, AttachDate: date(a.AttachedAt)})
			}
		case localyun.AttachGroup:
			if g, err := h.s.store.FindGroupByName(ctx, acct, a.PrincipalName); err == nil {
				out.Groups.Group = append(out.Groups.Group, groupItem{GroupName: g.Name, Comments: g.Comments, AttachDate: date(a.AttachedAt)})
			}
		case localyun.AttachRole:
			if role, err := h.s.store.FindRoleByName(ctx, acct, a.PrincipalName); err == nil {
				out.Roles.Role = append(out.Roles.Role, roleEntity{RoleID: role.ID, RoleName: role.Name, Arn: role.ARN(),
					Description: role.Description, AttachDate: date(a.AttachedAt)})
			}
		}
	}
	return out, nil
}
