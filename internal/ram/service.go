// Package ram implements the RAM API (2015-05-01): roles (and, later,
// users, groups, access keys and policies).
package ram

import (
	"context"
	"encoding/base64"
	"errors"
	"time"

	"github.com/localyun/localyun"
)

// Options configure a Service.
type Options struct {
	Now   func() time.Time
	NewID func(kind string) string
}

// Service holds the RAM rules.
type Service struct {
	store Store
	opts  Options
}

// NewService returns a RAM service over store.
func NewService(store Store, opts Options) *Service {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Service{store: store, opts: opts}
}

func accountOf(ctx context.Context) string {
	p, _ := localyun.PrincipalFromContext(ctx)
	return p.AccountID
}

// Role limits of the RAM API.
const (
	DefaultMaxSessionDuration = 3600
	MinMaxSessionDuration     = 3600
	MaxMaxSessionDuration     = 43200
)

// CreateRole creates a role in the caller's account. Returns
// EntityAlreadyExists.Role.
func (s *Service) CreateRole(ctx context.Context, r localyun.Role) (localyun.Role, error) {
	now := s.opts.Now().UTC().Truncate(time.Second)
	r.ID = s.opts.NewID("role")
	r.AccountID = accountOf(ctx)
	r.CreatedAt, r.UpdatedAt = now, now
	if err := s.store.CreateRole(ctx, r); err != nil {
		if errors.Is(err, localyun.ErrAlreadyExists) {
			return r, errRoleExists
		}
		return r, err
	}
	return r, nil
}

// GetRole returns EntityNotExist.Role if the account has no such role.
func (s *Service) GetRole(ctx context.Context, name string) (localyun.Role, error) {
	r, err := s.store.FindRoleByName(ctx, accountOf(ctx), name)
	return r, roleError(err)
}

// ListRoles returns up to max roles after marker, and the marker of the
// next page ("" when there is none).
func (s *Service) ListRoles(ctx context.Context, marker string, max int) ([]localyun.Role, string, error) {
	after := ""
	if marker != "" {
		b, err := base64.RawURLEncoding.DecodeString(marker)
		if err != nil || len(b) == 0 {
			return nil, "", errInvalidMarker
		}
		after = string(b)
	}
	roles, err := s.store.FindRoles(ctx, localyun.RoleFilter{AccountID: accountOf(ctx), After: after, Limit: max + 1})
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(roles) > max {
		roles = roles[:max]
		next = base64.RawURLEncoding.EncodeToString([]byte(roles[max-1].Name))
	}
	return roles, next, nil
}

// UpdateRole changes a role. Returns EntityNotExist.Role.
func (s *Service) UpdateRole(ctx context.Context, name string, upd localyun.RoleUpdate) (localyun.Role, error) {
	upd.UpdatedAt = s.opts.Now().UTC().Truncate(time.Second)
	r, err := s.store.UpdateRole(ctx, accountOf(ctx), name, upd)
	return r, roleError(err)
}

// DeleteRole deletes a role. Instances that hold it as their instance RAM
// role keep the name (see docs/compatibility.md). Returns
// EntityNotExist.Role or DeleteConflict.Role.Policy.
func (s *Service) DeleteRole(ctx context.Context, name string) error {
	return roleError(s.store.DeleteRole(ctx, accountOf(ctx), name))
}

func roleError(err error) error {
	switch {
	case errors.Is(err, localyun.ErrNotFound):
		return errRoleNotExist
	case errors.Is(err, localyun.ErrConflict):
		return errRolePolicy
	}
	return err
}
