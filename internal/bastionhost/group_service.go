package bastionhost

import (
	"context"

	"github.com/localyun/localyun"
)

// ValidateGroup checks the name and comment of a user or host group; kind
// is "UserGroup" or "HostGroup", the parameter prefix.
func ValidateGroup(kind, name, comment string) error {
	if err := checkLen(kind+"Name", name, 1, 128); err != nil {
		return err
	}
	return checkText("Comment", comment, 0, 500)
}

// The actions of both kinds of group, each a method of its own name over
// the one rule set below.

// CreateUserGroup creates a user group and returns its id.
func (s *Service) CreateUserGroup(ctx context.Context, in CreateGroupInput) (string, error) {
	return s.createGroup(ctx, userGroups, in)
}

// CreateHostGroup creates a host group and returns its id.
func (s *Service) CreateHostGroup(ctx context.Context, in CreateGroupInput) (string, error) {
	return s.createGroup(ctx, hostGroups, in)
}

// GetUserGroup returns a user group.
func (s *Service) GetUserGroup(ctx context.Context, ref ObjectRef) (localyun.BastionGroup, error) {
	return s.getGroup(ctx, userGroups, ref)
}

// GetHostGroup returns a host group.
func (s *Service) GetHostGroup(ctx context.Context, ref ObjectRef) (localyun.BastionGroup, error) {
	return s.getGroup(ctx, hostGroups, ref)
}

// ListUserGroups lists user groups and their total.
func (s *Service) ListUserGroups(ctx context.Context, in ListGroupsInput) ([]localyun.BastionGroup, int, error) {
	return s.listGroups(ctx, userGroups, in)
}

// ListHostGroups lists host groups and their total.
func (s *Service) ListHostGroups(ctx context.Context, in ListGroupsInput) ([]localyun.BastionGroup, int, error) {
	return s.listGroups(ctx, hostGroups, in)
}

// ModifyUserGroup renames or re-comments a user group.
func (s *Service) ModifyUserGroup(ctx context.Context, in ModifyGroupInput) error {
	return s.modifyGroup(ctx, userGroups, in)
}

// ModifyHostGroup renames or re-comments a host group.
func (s *Service) ModifyHostGroup(ctx context.Context, in ModifyGroupInput) error {
	return s.modifyGroup(ctx, hostGroups, in)
}

// DeleteUserGroup deletes a user group, its memberships and grants.
func (s *Service) DeleteUserGroup(ctx context.Context, ref ObjectRef) error {
	return s.deleteGroup(ctx, userGroups, ref)
}

// DeleteHostGroup deletes a host group, its memberships and grants.
func (s *Service) DeleteHostGroup(ctx context.Context, ref ObjectRef) error {
	return s.deleteGroup(ctx, hostGroups, ref)
}

// AddUsersToGroup adds users to a user group: one outcome per id.
func (s *Service) AddUsersToGroup(ctx context.Context, in GroupMembersInput) ([]localyun.ItemResult, error) {
	return s.changeMembers(ctx, userGroups, in, true)
}

// AddHostsToGroup adds hosts to a host group: one outcome per id.
func (s *Service) AddHostsToGroup(ctx context.Context, in GroupMembersInput) ([]localyun.ItemResult, error) {
	return s.changeMembers(ctx, hostGroups, in, true)
}

// RemoveUsersFromGroup removes users from a user group: one outcome per id.
func (s *Service) RemoveUsersFromGroup(ctx context.Context, in GroupMembersInput) ([]localyun.ItemResult, error) {
	return s.changeMembers(ctx, userGroups, in, false)
}

// RemoveHostsFromGroup removes hosts from a host group: one outcome per id.
func (s *Service) RemoveHostsFromGroup(ctx context.Context, in GroupMembersInput) ([]localyun.ItemResult, error) {
	return s.changeMembers(ctx, hostGroups, in, false)
}

// createGroup creates a group of kind k with the name and comment of in
// (which its parser validated). Returns OBJECT_AlREADY_EXISTS (name taken).
func (s *Service) createGroup(ctx context.Context, k groupKind, in CreateGroupInput) (string, error) {
	if err := s.instance(ctx, in.InstanceRef); err != nil {
		return "", err
	}
	created, err := s.store.CreateBastionGroup(ctx, localyun.BastionGroup{Kind: k.kind, InstanceID: in.InstanceID,
		Name: in.Name, Comment: in.Comment, CreatedAt: s.opts.Now()})
	if err != nil {
		return "", objectError(err, errInstanceNotFound, errObjectExists(k.what))
	}
	return created.ID, nil
}

// getGroup returns a group of kind k. Returns OBJECT_NOT_FOUND.
func (s *Service) getGroup(ctx context.Context, k groupKind, ref ObjectRef) (localyun.BastionGroup, error) {
	if err := s.instance(ctx, ref.InstanceRef); err != nil {
		return localyun.BastionGroup{}, err
	}
	g, err := s.store.FindBastionGroup(ctx, k.kind, ref.InstanceID, ref.ID)
	return g, objectError(err, errObjectNotFound(k.what), nil)
}

// listGroups lists the groups of kind k of an instance, by name when one
// is given.
func (s *Service) listGroups(ctx context.Context, k groupKind, in ListGroupsInput) ([]localyun.BastionGroup, int, error) {
	if err := s.instance(ctx, in.InstanceRef); err != nil {
		return nil, 0, err
	}
	return s.store.FindBastionGroups(ctx, localyun.BastionGroupFilter{Kind: k.kind, InstanceID: in.InstanceID, Name: in.Name,
		Offset: in.Offset, Limit: in.Limit})
}

// modifyGroup applies the name and comment sent to a group of kind k; they
// must pass ValidateGroup. The write is a compare-and-set, retried like
// ModifyHost's. Returns OBJECT_NOT_FOUND, OBJECT_AlREADY_EXISTS or
// OperationConflict (every round lost).
func (s *Service) modifyGroup(ctx context.Context, k groupKind, in ModifyGroupInput) error {
	if err := s.instance(ctx, in.InstanceRef); err != nil {
		return err
	}
	err := localyun.RetryOnConflict(ctx, func() error {
		old, err := s.store.FindBastionGroup(ctx, k.kind, in.InstanceID, in.ID)
		if err != nil {
			return err
		}
		g := old
		if in.Name != nil {
			g.Name = *in.Name
		}
		if in.Comment != nil {
			g.Comment = *in.Comment
		}
		if err := ValidateGroup(k.param, g.Name, g.Comment); err != nil {
			return err
		}
		return s.store.UpdateBastionGroup(ctx, old, g)
	})
	return objectError(err, errObjectNotFound(k.what), errObjectExists(k.what))
}

// deleteGroup deletes a group of kind k. Returns OBJECT_NOT_FOUND.
func (s *Service) deleteGroup(ctx context.Context, k groupKind, ref ObjectRef) error {
	if err := s.instance(ctx, ref.InstanceRef); err != nil {
		return err
	}
	return objectError(s.afterAccessWrite(ref.InstanceID, s.store.DeleteBastionGroup(ctx, k.kind, ref.InstanceID, ref.ID)), errObjectNotFound(k.what), nil)
}

// changeMembers adds (add) or removes the members of in to or from a group
// of kind k, in one store transaction. The outcome of each id, from what
// the store saw: invalid (not a well-formed id), missing (no such user or
// host), changed, or unchanged (already a member, or not one). Returns
// OBJECT_NOT_FOUND for the group.
func (s *Service) changeMembers(ctx context.Context, k groupKind, in GroupMembersInput, add bool) ([]localyun.ItemResult, error) {
	if err := s.instance(ctx, in.InstanceRef); err != nil {
		return nil, err
	}
	change := s.store.AddBastionGroupMembers
	if !add {
		change = s.store.RemoveBastionGroupMembers
	}
	facts, err := change(ctx, k.kind, in.InstanceID, in.ID, in.MemberIDs)
	if !add {
		err = s.afterAccessWrite(in.InstanceID, err)
	}
	if err != nil {
		return nil, objectError(err, errObjectNotFound(k.what), nil)
	}
	out := make([]localyun.ItemResult, len(facts))
	for i, f := range facts {
		out[i] = localyun.ItemResult{ID: f.ID, Outcome: memberOutcome(f)}
	}
	return out, nil
}

// memberOutcome is the outcome of one id of a membership change.
func memberOutcome(f localyun.BastionMemberChange) string {
	_, wellFormed := localyun.ParseBastionID(f.ID)
	switch {
	case !wellFormed:
		return localyun.OutcomeInvalid
	case !f.Exists:
		return localyun.OutcomeMissing
	case f.Changed:
		return localyun.OutcomeChanged
	}
	return localyun.OutcomeUnchanged
}
