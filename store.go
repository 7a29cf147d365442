package localyun

import (
	"context"
	"time"
)

// AccountStore persists accounts and their access keys.
type AccountStore interface {
	// CreateAccount creates an account. Returns ErrAlreadyExists if the ID is taken.
	CreateAccount(ctx context.Context, a Account) error
	// FindAccountByID returns ErrNotFound if there is no such account.
	FindAccountByID(ctx context.Context, id string) (Account, error)
	// CountAccounts returns the number of accounts.
	CountAccounts(ctx context.Context) (int, error)

	// CreateAccessKey stores a key. Returns ErrAlreadyExists if the ID is taken.
	CreateAccessKey(ctx context.Context, k AccessKey) error
	// FindAccessKey returns ErrNotFound if there is no such key.
	FindAccessKey(ctx context.Context, id string) (AccessKey, error)
}

// RoleStore persists RAM roles.
type RoleStore interface {
	// CreateRole returns ErrAlreadyExists if the name is taken in the account.
	CreateRole(ctx context.Context, r Role) error
	// FindRoleByName returns ErrNotFound if there is no such role (names are case-insensitive).
	FindRoleByName(ctx context.Context, accountID, name string) (Role, error)
	// FindRoles lists roles in name order after f.After, at most f.Limit.
	FindRoles(ctx context.Context, f RoleFilter) ([]Role, error)
	// UpdateRole applies upd and returns the new role. Returns ErrNotFound.
	UpdateRole(ctx context.Context, accountID, name string, upd RoleUpdate) (Role, error)
	// DeleteRole returns ErrNotFound, or ErrConflict while policies are attached.
	DeleteRole(ctx context.Context, accountID, name string) error
}

// InstanceStore persists ECS instances and their RAM role attachments.
type InstanceStore interface {
	// CreateInstances creates all instances or none. Returns ErrAlreadyExists.
	CreateInstances(ctx context.Context, insts []Instance) error
	// FindInstances lists instances matching f, ordered by creation, and the
	// total count of matches.
	FindInstances(ctx context.Context, f InstanceFilter) ([]Instance, int, error)
	// UpdateInstances applies fn to the named instances of one account and
	// region in one transaction. fn sees every instance (in the order of ids)
	// and returns the instances to write back; if fn returns an error nothing
	// is written. Returns ErrNotFound (wrapped as *MissingIDsError) if any id
	// does not exist in that account and region.
	UpdateInstances(ctx context.Context, accountID, regionID string, ids []string, fn func([]Instance) ([]Instance, error)) error
	// DeleteInstances deletes the instances in one transaction (their role
	// attachments go with them). Returns *MissingIDsError if any is absent.
	DeleteInstances(ctx context.Context, accountID, regionID string, ids []string, fn func([]Instance) error) error
}

// MissingIDsError reports ids that a batch named but the store does not hold.
// It wraps ErrNotFound.
type MissingIDsError struct{ IDs []string }

func (e *MissingIDsError) Error() string {
	return "missing ids " + joinIDs(e.IDs) + ": " + ErrNotFound.Error()
}

func (e *MissingIDsError) Unwrap() error { return ErrNotFound }

func joinIDs(ids []string) string {
	s := ""
	for i, id := range ids {
		if i > 0 {
			s += ","
		}
		s += id
	}
	return s
}

// BastionInstanceStore persists bastion host instances.
type BastionInstanceStore interface {
	// CreateBastionInstance returns ErrAlreadyExists if the id is taken.
	CreateBastionInstance(ctx context.Context, b BastionInstance) error
	// FindBastionInstance returns ErrNotFound unless the instance exists in the account.
	FindBastionInstance(ctx context.Context, accountID, id string) (BastionInstance, error)
	// FindBastionInstances lists the instances of an account matching f and the total.
	FindBastionInstances(ctx context.Context, f BastionInstanceFilter) ([]BastionInstance, int, error)
}

// Store is every store a localyun server needs.
type Store interface {
	AccountStore
	RoleStore
	UserStore
	GroupStore
	PolicyStore
	SessionStore
	InstanceStore
	BastionInstanceStore
	BastionStore
	// Ping reports whether the store is reachable.
	Ping(ctx context.Context) error
	Close() error
}

// NonceStore is the signature-nonce replay window. UseNonce records key
// until expires and returns ErrAlreadyExists if it is already recorded and
// unexpired at now, or ErrUnavailable if the window cannot take it.
type NonceStore interface {
	UseNonce(ctx context.Context, key string, now, expires time.Time) error
}

// RateLimiter is a per-key token bucket. TakeToken takes one token of key's
// bucket (refilled at rate tokens a second, holding at most burst) at now;
// when none is left it returns false and the wait until the next token.
// The PostgreSQL store implements it so that every node shares the limit.
type RateLimiter interface {
	TakeToken(ctx context.Context, key string, now time.Time, rate, burst float64) (ok bool, wait time.Duration, err error)
}
