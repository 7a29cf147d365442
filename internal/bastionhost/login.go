package bastionhost

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"time"

	"github.com/localyun/localyun"
)

// Logins to the bastion's SSH gateway: a Local user's password, a
// registered public key, or an O&M token (GenerateAssetOperationToken).
// Failed password and token logins are counted per user: the
// LoginFailureLimit-th consecutive failure refuses every login of that
// user for LoginLockout (defaults 5 and 10 minutes, Options), correct
// credentials included; a successful login starts the count again. Public
// keys a client offers that are not registered are not counted (clients
// offer every key of their agent in turn).

// Login errors. The gateway shows ErrLoginFailed for every wrong user name
// or credential alike.
var (
	ErrLoginFailed     = errors.New("bastionhost: wrong user name or credentials")
	ErrLoginLockedOut  = errors.New("bastionhost: too many failed logins, try again later")
	ErrUserLocked      = errors.New("bastionhost: the user is locked")
	ErrUserInactive    = errors.New("bastionhost: the user is outside its validity period")
	ErrTokenExpired    = errors.New("bastionhost: the O&M token has expired")
	ErrTokenNotAllowed = errors.New("bastionhost: the O&M token's host account is no longer authorized")
)

// Login lockout defaults.
const (
	DefaultLoginFailureLimit = 5
	DefaultLoginLockout      = 10 * time.Minute
)

// userByName finds a user of an instance by its exact name.
func (s *Service) userByName(ctx context.Context, instanceID, name string) (localyun.BastionUser, bool, error) {
	if name == "" { // an empty name would match any user in the filter
		return localyun.BastionUser{}, false, nil
	}
	users, _, err := s.store.FindBastionUsers(ctx, localyun.BastionUserFilter{InstanceID: instanceID, Name: name,
		Now: s.opts.Now(), Limit: 1})
	if err != nil || len(users) == 0 {
		return localyun.BastionUser{}, false, err
	}
	return users[0], true, nil
}

// loginAllowed refuses a user whose logins are locked out after failures.
func (s *Service) loginAllowed(ctx context.Context, u localyun.BastionUser) (localyun.BastionLoginState, error) {
	st, err := s.store.FindBastionLoginState(ctx, u.InstanceID, u.ID)
	if err != nil {
		return st, err
	}
	if s.opts.Now().Before(st.LockedUntil) {
		return st, ErrLoginLockedOut
	}
	return st, nil
}

// loginFailed counts a failed login and returns ErrLoginFailed.
func (s *Service) loginFailed(ctx context.Context, u localyun.BastionUser) error {
	_, err := s.store.NoteBastionLoginFailure(ctx, u.InstanceID, u.ID, s.opts.Now(), s.opts.LoginFailureLimit, s.opts.LoginLockout)
	if err != nil && !errors.Is(err, localyun.ErrNotFound) {
		return err
	}
	return ErrLoginFailed
}

// loginSucceeded clears the failures of a user whose credentials were
// right and checks that it may log in now.
func (s *Service) loginSucceeded(ctx context.Context, u localyun.BastionUser, st localyun.BastionLoginState) error {
	if st.Failures > 0 {
		if err := s.store.ClearBastionLoginFailures(ctx, u.InstanceID, u.ID); err != nil {
			return err
		}
	}
	switch {
	case u.Locked:
		return ErrUserLocked
	case !UserActive(u, s.opts.Now()):
		return ErrUserInactive
	}
	return nil
}

// CheckUserPassword checks the password of a Local user, in constant time.
// Returns the user, or ErrLoginFailed, ErrLoginLockedOut, ErrUserLocked or
// ErrUserInactive.
func (s *Service) CheckUserPassword(ctx context.Context, instanceID, userName, password string) (localyun.BastionUser, error) {
	u, ok, err := s.userByName(ctx, instanceID, userName)
	if err != nil {
		return localyun.BastionUser{}, err
	}
	stored := ""
	if ok && u.Source == localyun.BastionUserLocal {
		sec, err := s.store.FindBastionUserSecret(ctx, instanceID, u.ID)
		if err != nil && !errors.Is(err, localyun.ErrNotFound) {
			return localyun.BastionUser{}, err
		}
		stored = sec.Password
	}
	// Compare digests, so that neither the length nor the content of the
	// stored password shows in the time taken, even for unknown users.
	want, got := sha256.Sum256([]byte(stored)), sha256.Sum256([]byte(password))
	match := subtle.ConstantTimeCompare(want[:], got[:]) == 1 && stored != ""
	if !ok {
		return localyun.BastionUser{}, ErrLoginFailed
	}
	st, err := s.loginAllowed(ctx, u)
	if err != nil {
		return localyun.BastionUser{}, err
	}
	if !match {
		return localyun.BastionUser{}, s.loginFailed(ctx, u)
	}
	return u, s.loginSucceeded(ctx, u, st)
}

// CheckUserPublicKey checks that key (SSH wire format) is registered for
// the user (CreateUserPublicKey). A key that is not is ErrLoginFailed,
// uncounted. Returns the user or the errors of CheckUserPassword.
func (s *Service) CheckUserPublicKey(ctx context.Context, instanceID, userName string, key []byte) (localyun.BastionUser, error) {
	u, ok, err := s.userByName(ctx, instanceID, userName)
	if err != nil || !ok {
		return localyun.BastionUser{}, firstErr(err, ErrLoginFailed)
	}
	if _, err := s.loginAllowed(ctx, u); err != nil {
		return localyun.BastionUser{}, err
	}
	keys, _, err := s.store.FindBastionPublicKeys(ctx, localyun.BastionPublicKeyFilter{InstanceID: instanceID, UserID: u.ID,
		PublicKey: key, Limit: 1})
	if err != nil {
		return localyun.BastionUser{}, err
	}
	if len(keys) == 0 || !bytes.Equal(keys[0].PublicKey, key) {
		return localyun.BastionUser{}, ErrLoginFailed
	}
	// No reset of the failure count: an SSH server asks this of a key a
	// client merely offers, before any signature proves the client holds
	// it, and public keys are often public.
	return u, nil
}

// CheckOperationToken checks an O&M token presented with the user name of
// its user, and that the user may still use the token's host account.
// Returns the user, the host and account the token logs in to and the
// instant the token expires (a session it opened ends then), or the
// errors of CheckUserPassword, ErrTokenExpired or ErrTokenNotAllowed.
func (s *Service) CheckOperationToken(ctx context.Context, instanceID, userName, token string) (u localyun.BastionUser,
	hostID, accountID string, expiresAt time.Time, err error) {
	u, ok, err := s.userByName(ctx, instanceID, userName)
	if err != nil || !ok {
		return localyun.BastionUser{}, "", "", time.Time{}, firstErr(err, ErrLoginFailed)
	}
	st, err := s.loginAllowed(ctx, u)
	if err != nil {
		return localyun.BastionUser{}, "", "", time.Time{}, err
	}
	sum := sha256.Sum256([]byte(token))
	t, err := s.store.FindBastionOperationToken(ctx, instanceID, sum[:])
	switch {
	case errors.Is(err, localyun.ErrNotFound) || err == nil && t.UserID != u.ID:
		return localyun.BastionUser{}, "", "", time.Time{}, s.loginFailed(ctx, u)
	case err != nil:
		return localyun.BastionUser{}, "", "", time.Time{}, err
	case !s.opts.Now().Before(t.ExpiresAt):
		return localyun.BastionUser{}, "", "", time.Time{}, ErrTokenExpired
	}
	if err := s.loginSucceeded(ctx, u, st); err != nil {
		return localyun.BastionUser{}, "", "", time.Time{}, err
	}
	ok, err = s.MayUse(ctx, instanceID, u.ID, t.HostID, t.AccountID)
	if err != nil || !ok {
		return localyun.BastionUser{}, "", "", time.Time{}, firstErr(err, ErrTokenNotAllowed)
	}
	return u, t.HostID, t.AccountID, t.ExpiresAt, nil
}

func firstErr(err, otherwise error) error {
	if err != nil {
		return err
	}
	return otherwise
}
