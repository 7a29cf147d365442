package ram

import (
	"context"
	"errors"
	"strings"

	"github.com/localyun/localyun"
)

// CreateGroup creates a group in the caller's account. Returns
// EntityAlreadyExists.Group.
func (s *Service) CreateGroup(ctx context.Context, g localyun.Group) (localyun.Group, error) {
	g.ID, g.AccountID = numericID(), accountOf(ctx)
	g.CreatedAt = s.now()
	g.UpdatedAt = g.CreatedAt
	return g, groupError(s.store.CreateGroup(ctx, g))
}

// GetGroup returns EntityNotExist.Group if the account has no such group.
func (s *Service) GetGroup(ctx context.Context, name string) (localyun.Group, error) {
	g, err := s.store.FindGroupByName(ctx, accountOf(ctx), name)
	return g, groupError(err)
}

// ListGroups returns up to max groups after the name after, and the
// Marker of the next page ("" when there is none).
func (s *Service) ListGroups(ctx context.Context, after string, max int) ([]localyun.Group, string, error) {
	return listPage(max, func(limit int) ([]localyun.Group, error) {
		return s.store.FindGroups(ctx, localyun.GroupFilter{AccountID: accountOf(ctx), After: after, Limit: limit})
	}, func(g localyun.Group) string { return g.Name })
}

// UpdateGroup changes a group; a new name carries its members and
// policies along. Returns EntityNotExist.Group or EntityAlreadyExists.Group.
func (s *Service) UpdateGroup(ctx context.Context, name string, upd localyun.GroupUpdate) (localyun.Group, error) {
	upd.UpdatedAt = s.now()
	g, err := s.store.UpdateGroup(ctx, accountOf(ctx), name, upd)
	return g, groupError(err)
}

// DeleteGroup deletes a group. Returns EntityNotExist.Group, or
// DeleteConflict.Group.User or .Policy while it has members or policies.
func (s *Service) DeleteGroup(ctx context.Context, name string) error {
	return groupError(s.store.DeleteGroup(ctx, accountOf(ctx), name))
}

// member resolves the group and the user of a membership action, in that
// order: EntityNotExist.Group, then EntityNotExist.User.
func (s *Service) member(ctx context.Context, group, user string) (localyun.Group, localyun.User, error) {
	g, err := s.GetGroup(ctx, group)
	if err != nil {
		return g, localyun.User{}, err
	}
	u, err := s.GetUser(ctx, user)
	return g, u, err
}

// AddUserToGroup makes a user a member of a group. Returns
// EntityNotExist.Group, EntityNotExist.User or EntityAlreadyExists.User.Group.
func (s *Service) AddUserToGroup(ctx context.Context, group, user string) error {
	g, u, err := s.member(ctx, group, user)
	if err != nil {
		return err
	}
	err = s.store.AddUserToGroup(ctx, g.AccountID, g.Name, u.Name, s.now())
	switch {
	case errors.Is(err, localyun.ErrAlreadyExists):
		return errMemberExists
	case errors.Is(err, localyun.ErrNotFound):
		// The user or the group went away meanwhile.
		return errUserNotExist
	}
	return err
}

// RemoveUserFromGroup ends a membership. Returns EntityNotExist.Group,
// EntityNotExist.User or EntityNotExist.User.Group.
func (s *Service) RemoveUserFromGroup(ctx context.Context, group, user string) error {
	g, u, err := s.member(ctx, group, user)
	if err != nil {
		return err
	}
	err = s.store.RemoveUserFromGroup(ctx, g.AccountID, g.Name, u.Name)
	if errors.Is(err, localyun.ErrNotFound) {
		return errMemberNotExist
	}
	return err
}

// ListGroupsForUser lists the groups of a user in group name order.
// Returns EntityNotExist.User.
func (s *Service) ListGroupsForUser(ctx context.Context, user string) ([]localyun.Membership, error) {
	u, err := s.GetUser(ctx, user)
	if err != nil {
		return nil, err
	}
	return s.store.FindGroupsForUser(ctx, u.AccountID, u.Name)
}

// ListUsersForGroup lists up to max members of a group after the user
// name after, in case-insensitive name order (as Markers compare), and the
// Marker of the next page ("" when there is none). Returns
// EntityNotExist.Group.
func (s *Service) ListUsersForGroup(ctx context.Context, group, after string, max int) ([]localyun.Membership, string, error) {
	g, err := s.GetGroup(ctx, group)
	if err != nil {
		return nil, "", err
	}
	ms, err := s.store.FindUsersForGroup(ctx, g.AccountID, g.Name)
	if err != nil {
		return nil, "", err
	}
	out := []localyun.Membership{}
	for _, m := range ms {
		if after != "" && strings.ToLower(m.User.Name) <= strings.ToLower(after) {
			continue
		}
		if len(out) == max {
			return out, encodeMarker(out[max-1].User.Name), nil
		}
		out = append(out, m)
	}
	return out, "", nil
}
