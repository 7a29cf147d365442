package ram

import (
	"context"

	"github.com/localyun/localyun"
)

func (h handlers) createPolicy(ctx context.Context, in createPolicyInput) (any, error) {
	p, err := h.s.CreatePolicy(ctx, in.Name, in.Document, in.Description)
	if err != nil {
		return nil, err
	}
	it := newPolicyItem(p)
	it.UpdateDate = ""
	return policyResponse{Policy: it}, nil
}

// getPolicy: System or Custom, with its default document.
func (h handlers) getPolicy(ctx context.Context, in policyInput) (any, error) {
	p, err := h.s.GetPolicy(ctx, in.Type, in.Name)
	if err != nil {
		return nil, err
	}
	it := newPolicyItem(p.Policy)
	it.PolicyDocument = p.Document
	count := p.AttachmentCount
	it.AttachmentCount = &count
	return getPolicyResponse{Policy: it, DefaultPolicyVersion: versionItem{VersionID: p.DefaultVersion, IsDefaultVersion: true,
		PolicyDocument: p.Document, CreateDate: date(p.UpdatedAt)}}, nil
}

func (h handlers) listPolicies(ctx context.Context, in listPoliciesInput) (any, error) {
	ps, next, err := h.s.ListPolicies(ctx, in.Type, in.After, in.Max)
	if err != nil {
		return nil, err
	}
	return listPoliciesResponse{IsTruncated: next != "", Marker: next, Policies: policiesList{Policy: items(ps, newListedPolicyItem)}}, nil
}

func (h handlers) deletePolicy(ctx context.Context, in policyInput) (any, error) {
	return nil, h.s.DeletePolicy(ctx, in.Name)
}

func (h handlers) createPolicyVersion(ctx context.Context, in createVersionInput) (any, error) {
	v, err := h.s.CreatePolicyVersion(ctx, in.Name, in.Document, in.SetAsDefault, in.Rotate)
	if err != nil {
		return nil, err
	}
	return versionResponse{PolicyVersion: newVersionItem(v)}, nil
}

func (h handlers) getPolicyVersion(ctx context.Context, in versionInput) (any, error) {
	v, err := h.s.GetPolicyVersion(ctx, in.Type, in.Name, in.VersionID)
	if err != nil {
		return nil, err
	}
	return versionResponse{PolicyVersion: newVersionItem(v)}, nil
}

func (h handlers) listPolicyVersions(ctx context.Context, in policyInput) (any, error) {
	vs, err := h.s.ListPolicyVersions(ctx, in.Type, in.Name)
	if err != nil {
		return nil, err
	}
	var out listVersionsResponse
	out.PolicyVersions.PolicyVersion = items(vs, newVersionItem)
	return out, nil
}

func (h handlers) setDefaultPolicyVersion(ctx context.Context, in versionInput) (any, error) {
	return nil, h.s.SetDefaultPolicyVersion(ctx, in.Name, in.VersionID)
}

func (h handlers) deletePolicyVersion(ctx context.Context, in versionInput) (any, error) {
	return nil, h.s.DeletePolicyVersion(ctx, in.Name, in.VersionID)
}

func (h handlers) listEntitiesForPolicy(ctx context.Context, in policyInput) (any, error) {
	es, err := h.s.ListEntitiesForPolicy(ctx, in.Type, in.Name)
	if err != nil {
		return nil, err
	}
	out := entitiesResponse{
		Groups: groupsList{Group: items(es.Groups, func(a Attached[localyun.Group]) groupItem {
			return groupItem{GroupName: a.Item.Name, Comments: a.Item.Comments, AttachDate: date(a.AttachedAt)}
		})},
		Users: usersList{User: items(es.Users, func(a Attached[localyun.User]) userItem {
			return userItem{UserID: a.Item.ID, UserName: a.Item.Name, DisplayName: a.Item.DisplayName, AttachDate: date(a.AttachedAt)}
		})},
	}
	out.Roles.Role = items(es.Roles, func(a Attached[localyun.Role]) roleEntityItem {
		return roleEntityItem{RoleID: a.Item.ID, RoleName: a.Item.Name, Arn: a.Item.ARN(), Description: a.Item.Description,
			AttachDate: date(a.AttachedAt)}
	})
	return out, nil
}

// attachmentHandler serves Attach/DetachPolicyTo*/From* through the
// Service method of the action (op).
func attachmentHandler(op func(ctx context.Context, policyType, policyName, principal string) error) func(context.Context, attachmentInput) (any, error) {
	return func(ctx context.Context, in attachmentInput) (any, error) {
		return nil, op(ctx, in.PolicyType, in.PolicyName, in.Principal)
	}
}

// policiesFor builds the answer of ListPoliciesForUser, ...Group and ...Role.
func policiesFor(ps []Attached[localyun.Policy], err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return policiesForResponse{Policies: policiesList{Policy: items(ps, func(a Attached[localyun.Policy]) policyItem {
		return policyItem{PolicyName: a.Item.Name, PolicyType: a.Item.Type, Description: a.Item.Description,
			DefaultVersion: a.Item.DefaultVersion, AttachDate: date(a.AttachedAt)}
	})}}, nil
}

func (h handlers) listPoliciesForUser(ctx context.Context, in userInput) (any, error) {
	return policiesFor(h.s.ListPoliciesForUser(ctx, in.Name))
}

func (h handlers) listPoliciesForGroup(ctx context.Context, in groupInput) (any, error) {
	return policiesFor(h.s.ListPoliciesForGroup(ctx, in.Name))
}

func (h handlers) listPoliciesForRole(ctx context.Context, in roleInput) (any, error) {
	return policiesFor(h.s.ListPoliciesForRole(ctx, in.Name))
}
