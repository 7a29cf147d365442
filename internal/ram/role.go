package ram

import (
	"context"

	"github.com/localyun/localyun"
)

// CreateRole creates a role in the caller's account. Returns
// EntityAlreadyExists.Role.
func (s *Service) CreateRole(ctx context.Context, r localyun.Role) (localyun.Role, error) {
	now := s.now()
	r.ID = s.opts.NewID("role")
	r.AccountID = accountOf(ctx)
	r.CreatedAt, r.UpdatedAt = now, now
	return r, roleError(s.store.CreateRole(ctx, r))
}

// GetRole returns EntityNotExist.Role if the account has no such role.
func (s *Service) GetRole(ctx context.Context, name string) (localyun.Role, error) {
	r, err := s.store.FindRoleByName(ctx, accountOf(ctx), name)
	return r, roleError(err)
}

// ListRoles returns up to max roles after the name after (in
// case-insensitive name order), and the Marker of the next page ("" when
// there is none).
func (s *Service) ListRoles(ctx context.Context, after string, max int) ([]localyun.Role, string, error) {
	return listPage(max, func(limit int) ([]localyun.Role, error) {
		return s.store.FindRoles(ctx, localyun.RoleFilter{AccountID: accountOf(ctx), After: after, Limit: limit})
	}, func(r localyun.Role) string { return r.Name })
}

// UpdateRole changes a role. Returns EntityNotExist.Role.
func (s *Service) UpdateRole(ctx context.Context, name string, upd localyun.RoleUpdate) (localyun.Role, error) {
	upd.UpdatedAt = s.now()
	r, err := s.store.UpdateRole(ctx, accountOf(ctx), name, upd)
	return r, roleError(err)
}

// DeleteRole deletes a role. Instances that hold it as their instance RAM
// role keep the name (see docs/compatibility.md). Returns
// EntityNotExist.Role or DeleteConflict.Role.Policy.
func (s *Service) DeleteRole(ctx context.Context, name string) error {
	return roleError(s.store.DeleteRole(ctx, accountOf(ctx), name))
}
