package ram

import (
	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/protocol"
)

// policyInput names one policy of a type: GetPolicy, ListPolicyVersions,
// ListEntitiesForPolicy (PolicyType required) and DeletePolicy (custom).
type policyInput struct{ Type, Name string }

func (in policyInput) entities() []Entity { return []Entity{policyRef(in.Type, in.Name)} }

func parsePolicy(r *protocol.Request) (policyInput, error) {
	n, err := policyName(r)
	if err != nil {
		return policyInput{}, err
	}
	typ, err := policyType(r)
	return policyInput{typ, n}, err
}

func parseCustomPolicy(r *protocol.Request) (policyInput, error) {
	n, err := policyName(r)
	return policyInput{localyun.PolicyTypeCustom, n}, err
}

// createPolicyInput is CreatePolicy's.
type createPolicyInput struct{ Name, Document, Description string }

func (in createPolicyInput) entities() []Entity {
	return []Entity{policyRef(localyun.PolicyTypeCustom, in.Name)}
}

func parseCreatePolicy(r *protocol.Request) (createPolicyInput, error) {
	var in createPolicyInput
	var err error
	if in.Name, err = policyName(r); err != nil {
		return in, err
	}
	if in.Document, err = policyDocument(r); err != nil {
		return in, err
	}
	in.Description, err = text(r, "Description", 1024)
	return in, err
}

// listPoliciesInput is ListPolicies': every policy, optionally of one type.
type listPoliciesInput struct {
	Type string // "" for both
	page
}

func (in listPoliciesInput) entities() []Entity { return []Entity{{Kind: EntityPolicy, Name: "*"}} }

func parseListPolicies(r *protocol.Request) (listPoliciesInput, error) {
	var in listPoliciesInput
	var err error
	if in.page, err = parsePage(r); err != nil {
		return in, err
	}
	in.Type = r.Get("PolicyType")
	if in.Type != "" && in.Type != localyun.PolicyTypeSystem && in.Type != localyun.PolicyTypeCustom {
		return in, errInvalid("PolicyType")
	}
	return in, nil
}

// createVersionInput is CreatePolicyVersion's.
type createVersionInput struct {
	Name, Document string
	SetAsDefault   bool
	// Rotate is RotateStrategy DeleteOldestNonDefaultVersionWhenLimitExceeded.
	Rotate bool
}

func (in createVersionInput) entities() []Entity {
	return []Entity{policyRef(localyun.PolicyTypeCustom, in.Name)}
}

func parseCreateVersion(r *protocol.Request) (createVersionInput, error) {
	var in createVersionInput
	var err error
	if in.Name, err = policyName(r); err != nil {
		return in, err
	}
	if in.Document, err = policyDocument(r); err != nil {
		return in, err
	}
	if in.SetAsDefault, _, err = r.Bool("SetAsDefault"); err != nil {
		return in, errInvalid("SetAsDefault")
	}
	switch r.Get("RotateStrategy") {
	case "", "None":
	case "DeleteOldestNonDefaultVersionWhenLimitExceeded":
		in.Rotate = true
	default:
		return in, errInvalid("RotateStrategy")
	}
	return in, nil
}

// versionInput names one version of a policy: GetPolicyVersion (PolicyType
// required), SetDefaultPolicyVersion and DeletePolicyVersion (custom).
type versionInput struct {
	policyInput
	VersionID string
}

func parseVersion(r *protocol.Request) (versionInput, error) {
	p, err := parsePolicy(r)
	if err != nil {
		return versionInput{}, err
	}
	id, err := versionID(r)
	return versionInput{p, id}, err
}

func parseCustomVersion(r *protocol.Request) (versionInput, error) {
	p, err := parseCustomPolicy(r)
	if err != nil {
		return versionInput{}, err
	}
	id, err := versionID(r)
	return versionInput{p, id}, err
}

// attachmentInput is Attach/DetachPolicyTo*/From*'s: a policy and the
// user, group or role (Kind) it is attached to.
type attachmentInput struct {
	Kind                   string // localyun.AttachUser, AttachGroup or AttachRole
	PolicyType, PolicyName string
	Principal              string
}

func (in attachmentInput) entities() []Entity {
	return []Entity{policyRef(in.PolicyType, in.PolicyName), principalRef(in.Kind, in.Principal)}
}

// principalParams read the name of an attachment's principal.
var principalParams = map[string]func(r *protocol.Request) (string, error){
	localyun.AttachUser:  func(r *protocol.Request) (string, error) { return userName(r, "UserName") },
	localyun.AttachGroup: func(r *protocol.Request) (string, error) { return groupName(r, "GroupName") },
	localyun.AttachRole:  roleName,
}

func parseAttachment(kind string) func(r *protocol.Request) (attachmentInput, error) {
	return func(r *protocol.Request) (attachmentInput, error) {
		in := attachmentInput{Kind: kind}
		p, err := parsePolicy(r)
		if err != nil {
			return in, err
		}
		in.PolicyType, in.PolicyName = p.Type, p.Name
		in.Principal, err = principalParams[kind](r)
		return in, err
	}
}
