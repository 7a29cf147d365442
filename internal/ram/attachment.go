package ram

import (
	"context"
	"errors"
	"time"

	"github.com/localyun/localyun"
)

// Attached is one side of an attachment: a policy attached to a
// principal, or a principal a policy is attached to, with when.
type Attached[T any] struct {
	Item       T
	AttachedAt time.Time
}

// PolicyEntities are the principals a policy is attached to.
type PolicyEntities struct {
	Users  []Attached[localyun.User]
	Groups []Attached[localyun.Group]
	Roles  []Attached[localyun.Role]
}

// AttachPolicyToUser attaches a policy to a user; see attach.
func (s *Service) AttachPolicyToUser(ctx context.Context, policyType, policyName, user string) error {
	return s.attach(ctx, policyType, policyName, localyun.AttachUser, user)
}

// AttachPolicyToGroup attaches a policy to a group; see attach.
func (s *Service) AttachPolicyToGroup(ctx context.Context, policyType, policyName, group string) error {
	return s.attach(ctx, policyType, policyName, localyun.AttachGroup, group)
}

// AttachPolicyToRole attaches a policy to a role; see attach.
func (s *Service) AttachPolicyToRole(ctx context.Context, policyType, policyName, role string) error {
	return s.attach(ctx, policyType, policyName, localyun.AttachRole, role)
}

// DetachPolicyFromUser detaches a policy from a user; see detach.
func (s *Service) DetachPolicyFromUser(ctx context.Context, policyType, policyName, user string) error {
	return s.detach(ctx, policyType, policyName, localyun.AttachUser, user)
}

// DetachPolicyFromGroup detaches a policy from a group; see detach.
func (s *Service) DetachPolicyFromGroup(ctx context.Context, policyType, policyName, group string) error {
	return s.detach(ctx, policyType, policyName, localyun.AttachGroup, group)
}

// DetachPolicyFromRole detaches a policy from a role; see detach.
func (s *Service) DetachPolicyFromRole(ctx context.Context, policyType, policyName, role string) error {
	return s.detach(ctx, policyType, policyName, localyun.AttachRole, role)
}

// ListPoliciesForUser lists the policies attached to a user; see listPoliciesFor.
func (s *Service) ListPoliciesForUser(ctx context.Context, user string) ([]Attached[localyun.Policy], error) {
	return s.listPoliciesFor(ctx, localyun.AttachUser, user)
}

// ListPoliciesForGroup lists the policies attached to a group; see listPoliciesFor.
func (s *Service) ListPoliciesForGroup(ctx context.Context, group string) ([]Attached[localyun.Policy], error) {
	return s.listPoliciesFor(ctx, localyun.AttachGroup, group)
}

// ListPoliciesForRole lists the policies attached to a role; see listPoliciesFor.
func (s *Service) ListPoliciesForRole(ctx context.Context, role string) ([]Attached[localyun.Policy], error) {
	return s.listPoliciesFor(ctx, localyun.AttachRole, role)
}

// principal returns the stored name of the user, group or role (kind) of
// an attachment. Returns EntityNotExist.User, .Group or .Role.
func (s *Service) principal(ctx context.Context, kind, name string) (string, error) {
	switch kind {
	case localyun.AttachUser:
		u, err := s.GetUser(ctx, name)
		return u.Name, err
	case localyun.AttachGroup:
		g, err := s.GetGroup(ctx, name)
		return g.Name, err
	}
	r, err := s.GetRole(ctx, name)
	return r.Name, err
}

// attachment resolves the policy, then the principal, of an attachment
// action. Returns EntityNotExist.Policy, then EntityNotExist.User, .Group
// or .Role.
func (s *Service) attachment(ctx context.Context, policyType, policyName, kind, name string) (localyun.Attachment, error) {
	p, err := s.findPolicy(ctx, policyType, policyName, false)
	if err != nil {
		return localyun.Attachment{}, err
	}
	who, err := s.principal(ctx, kind, name)
	if err != nil {
		return localyun.Attachment{}, err
	}
	return localyun.Attachment{AccountID: accountOf(ctx), PolicyType: policyType, PolicyName: p.Name, PrincipalType: kind,
		PrincipalName: who, AttachedAt: s.now()}, nil
}

// attach attaches a policy (system or custom) to a principal. Returns the
// errors of attachment, or EntityAlreadyExists.<Kind>.Policy. The store
// checks again that both exist as it attaches: a policy or principal
// deleted since attachment read it gives the same EntityNotExist code.
func (s *Service) attach(ctx context.Context, policyType, policyName, kind, name string) error {
	a, err := s.attachment(ctx, policyType, policyName, kind, name)
	if err != nil {
		return err
	}
	switch err := s.store.AttachPolicy(ctx, a); {
	case errors.Is(err, localyun.ErrAlreadyExists):
		return errAttached(kind)
	case errors.Is(err, localyun.ErrNotFound):
		return missingError(err)
	default:
		return err
	}
}

// detach detaches a policy from a principal. Returns the errors of
// attachment, or EntityNotExist.<Kind>.Policy.
func (s *Service) detach(ctx context.Context, policyType, policyName, kind, name string) error {
	a, err := s.attachment(ctx, policyType, policyName, kind, name)
	if err != nil {
		return err
	}
	if err := s.store.DetachPolicy(ctx, a); errors.Is(err, localyun.ErrNotFound) {
		return errNotAttached(kind)
	} else if err != nil {
		return err
	}
	return nil
}

// listPoliciesFor lists the policies attached to a principal, in attach
// order; a policy deleted meanwhile is left out. Returns
// EntityNotExist.User, .Group or .Role.
func (s *Service) listPoliciesFor(ctx context.Context, kind, name string) ([]Attached[localyun.Policy], error) {
	who, err := s.principal(ctx, kind, name)
	if err != nil {
		return nil, err
	}
	as, err := s.store.FindAttachments(ctx, localyun.AttachmentFilter{AccountID: accountOf(ctx), PrincipalType: kind, PrincipalName: who})
	if err != nil {
		return nil, err
	}
	out := []Attached[localyun.Policy]{}
	for _, a := range as {
		if p, err := s.findPolicy(ctx, a.PolicyType, a.PolicyName, false); err == nil {
			out = append(out, Attached[localyun.Policy]{p.Policy, a.AttachedAt})
		}
	}
	return out, nil
}

// ListEntitiesForPolicy lists the users, groups and roles a policy is
// attached to, each in attach order. Returns EntityNotExist.Policy.
func (s *Service) ListEntitiesForPolicy(ctx context.Context, typ, name string) (PolicyEntities, error) {
	var out PolicyEntities
	p, err := s.findPolicy(ctx, typ, name, false)
	if err != nil {
		return out, err
	}
	acct := accountOf(ctx)
	as, err := s.store.FindAttachments(ctx, localyun.AttachmentFilter{AccountID: acct, PolicyType: typ, PolicyName: p.Name})
	if err != nil {
		return out, err
	}
	for _, a := range as {
		switch a.PrincipalType {
		case localyun.AttachUser:
			if u, err := s.store.FindUserByName(ctx, acct, a.PrincipalName); err == nil {
				out.Users = append(out.Users, Attached[localyun.User]{u, a.AttachedAt})
			}
		case localyun.AttachGroup:
			if g, err := s.store.FindGroupByName(ctx, acct, a.PrincipalName); err == nil {
				out.Groups = append(out.Groups, Attached[localyun.Group]{g, a.AttachedAt})
			}
		case localyun.AttachRole:
			if r, err := s.store.FindRoleByName(ctx, acct, a.PrincipalName); err == nil {
				out.Roles = append(out.Roles, Attached[localyun.Role]{r, a.AttachedAt})
			}
		}
	}
	return out, nil
}
