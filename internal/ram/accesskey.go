package ram

import (
	"context"
	"errors"
	"time"

	"github.com/localyun/localyun"
)

// keyOwner resolves whose keys an access-key action acts on: the user
// named (in its stored spelling), or without a name the caller itself (""
// for the account root). Role sessions own no keys: MissingUserName.
func (s *Service) keyOwner(ctx context.Context, name string) (string, error) {
	if name != "" {
		u, err := s.GetUser(ctx, name)
		return u.Name, err
	}
	p, _ := localyun.PrincipalFromContext(ctx)
	switch p.Type {
	case localyun.PrincipalTypeRoot:
		return "", nil
	case localyun.PrincipalTypeUser:
		return p.UserName, nil
	}
	return "", errNoSelf
}

// CreateAccessKey creates an active key for a user (or the caller itself,
// see keyOwner); its answer is the only one that carries the secret.
// Returns EntityNotExist.User or LimitExceeded.User.AccessKey (two keys
// per user, and per root).
func (s *Service) CreateAccessKey(ctx context.Context, userName string) (localyun.AccessKey, error) {
	owner, err := s.keyOwner(ctx, userName)
	if err != nil {
		return localyun.AccessKey{}, err
	}
	k := localyun.AccessKey{ID: "LTAI5t" + randomAlnum(18), Secret: randomAlnum(30), AccountID: accountOf(ctx),
		UserName: owner, Status: localyun.AccessKeyActive, CreatedAt: s.now()}
	err = s.store.CreateUserAccessKey(ctx, k, MaxAccessKeysPerUser)
	if errors.Is(err, localyun.ErrLimitExceeded) {
		return k, errKeyLimit
	}
	return k, userError(err)
}

// ListAccessKeys lists the keys of a user (or the caller) in creation
// order, without their secrets. Returns EntityNotExist.User.
func (s *Service) ListAccessKeys(ctx context.Context, userName string) ([]localyun.AccessKey, error) {
	owner, err := s.keyOwner(ctx, userName)
	if err != nil {
		return nil, err
	}
	return s.store.FindAccessKeys(ctx, accountOf(ctx), owner)
}

// UpdateAccessKey sets a key's status (Active or Inactive). Returns
// EntityNotExist.User or EntityNotExist.User.AccessKey.
func (s *Service) UpdateAccessKey(ctx context.Context, userName, id, status string) error {
	owner, err := s.keyOwner(ctx, userName)
	if err != nil {
		return err
	}
	return keyError(s.store.UpdateAccessKeyStatus(ctx, accountOf(ctx), owner, id, status))
}

// DeleteAccessKey deletes a key. Returns EntityNotExist.User or
// EntityNotExist.User.AccessKey.
func (s *Service) DeleteAccessKey(ctx context.Context, userName, id string) error {
	owner, err := s.keyOwner(ctx, userName)
	if err != nil {
		return err
	}
	return keyError(s.store.DeleteAccessKey(ctx, accountOf(ctx), owner, id))
}

// GetAccessKeyLastUsed returns when a key was last used (zero if never).
// Returns EntityNotExist.User or EntityNotExist.User.AccessKey.
func (s *Service) GetAccessKeyLastUsed(ctx context.Context, userName, id string) (time.Time, error) {
	owner, err := s.keyOwner(ctx, userName)
	if err != nil {
		return time.Time{}, err
	}
	t, err := s.store.FindAccessKeyLastUsed(ctx, accountOf(ctx), owner, id)
	return t, keyError(err)
}
