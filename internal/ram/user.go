package ram

import (
	"context"

	"github.com/localyun/localyun"
)

// CreateUser creates a user in the caller's account; its DisplayName
// defaults to its name. Returns EntityAlreadyExists.User.
func (s *Service) CreateUser(ctx context.Context, u localyun.User) (localyun.User, error) {
	u.ID, u.AccountID = numericID(), accountOf(ctx)
	if u.DisplayName == "" {
		u.DisplayName = u.Name
	}
	u.CreatedAt = s.now()
	u.UpdatedAt = u.CreatedAt
	return u, userError(s.store.CreateUser(ctx, u))
}

// GetUser returns EntityNotExist.User if the account has no such user.
func (s *Service) GetUser(ctx context.Context, name string) (localyun.User, error) {
	u, err := s.store.FindUserByName(ctx, accountOf(ctx), name)
	return u, userError(err)
}

// ListUsers returns up to max users after the name after, and the Marker
// of the next page ("" when there is none).
func (s *Service) ListUsers(ctx context.Context, after string, max int) ([]localyun.User, string, error) {
	return listPage(max, func(limit int) ([]localyun.User, error) {
		return s.store.FindUsers(ctx, localyun.UserFilter{AccountID: accountOf(ctx), After: after, Limit: limit})
	}, func(u localyun.User) string { return u.Name })
}

// UpdateUser changes a user; a new name carries its keys, groups and
// policies along. Returns EntityNotExist.User or EntityAlreadyExists.User.
func (s *Service) UpdateUser(ctx context.Context, name string, upd localyun.UserUpdate) (localyun.User, error) {
	upd.UpdatedAt = s.now()
	u, err := s.store.UpdateUser(ctx, accountOf(ctx), name, upd)
	return u, userError(err)
}

// DeleteUser deletes a user. Returns EntityNotExist.User, or
// DeleteConflict.User.AccessKey, .Policy or .Group while it has any.
func (s *Service) DeleteUser(ctx context.Context, name string) error {
	return userError(s.store.DeleteUser(ctx, accountOf(ctx), name))
}
