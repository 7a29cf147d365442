package localyun

import (
	"context"
	"strings"
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
	// FindInstanceByID returns the instance id of whatever account (ids
	// are unique across accounts): the metadata service knows its caller
	// only by the instance id. Returns ErrNotFound.
	FindInstanceByID(ctx context.Context, id string) (Instance, error)
	// SetInstancesRAMRole applies changes (distinct instances) to instances
	// of one account and region in one transaction, as a compare-and-set:
	// every instance must exist in that account and region, else
	// *MissingIDsError (ErrNotFound) naming the absent ones; every one must
	// hold exactly the role From, else ErrConflict; then each gets To. On
	// error nothing is written.
	SetInstancesRAMRole(ctx context.Context, accountID, regionID string, changes []InstanceRoleChange) error
	// SetInstanceStatus sets the status of one instance from from to to, as
	// a compare-and-set. Returns ErrNotFound unless the instance exists in
	// that account and region, ErrConflict if its status is not from.
	SetInstanceStatus(ctx context.Context, accountID, regionID, id, from, to string) error
	// DeleteInstances deletes the instances (their role attachments go with
	// them) in one transaction. With status set, every instance must have
	// that status, else ErrConflict. Returns *MissingIDsError (ErrNotFound)
	// if any is absent from that account and region. On error nothing is
	// deleted.
	DeleteInstances(ctx context.Context, accountID, regionID string, ids []string, status string) error
	// UpdateInstance changes the attributes upd sets of one instance of an
	// account (any region). Returns ErrNotFound.
	UpdateInstance(ctx context.Context, accountID, id string, upd InstanceUpdate) error
	// TagInstances adds tags (distinct keys) to the instances ids of one
	// account and region in one transaction, replacing the value of a key
	// an instance already holds. Returns *MissingIDsError (ErrNotFound) if
	// any is absent, ErrConflict if an instance would then hold more than
	// maxTags tags; on error nothing is written.
	TagInstances(ctx context.Context, accountID, regionID string, ids []string, tags []Tag, maxTags int) error
	// UntagInstances removes the tags keys (every tag when all) from the
	// instances ids of one account and region in one transaction; a key an
	// instance does not hold is no error. Returns *MissingIDsError
	// (ErrNotFound) if any instance is absent; then nothing is written.
	UntagInstances(ctx context.Context, accountID, regionID string, ids []string, keys []string, all bool) error
}

// MissingIDsError reports ids that a batch named but the store does not hold.
// It wraps ErrNotFound.
type MissingIDsError struct{ IDs []string }

// Error names the missing ids.
func (e *MissingIDsError) Error() string {
	return "missing ids " + strings.Join(e.IDs, ",") + ": " + ErrNotFound.Error()
}

// Unwrap returns ErrNotFound.
func (e *MissingIDsError) Unwrap() error { return ErrNotFound }

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
	InstanceSessionStore
	InstanceStore
	ClientTokenStore
	BastionInstanceStore
	BastionStore
	BastionSSHHostKeyStore
	EventStore
	AccountResetStore
	// Ping reports whether the store is reachable.
	Ping(ctx context.Context) error
	Close() error
}

// NonceStore is the signature-nonce replay window. UseNonce records key
// until key.Expires, that instant included. It returns ErrAlreadyExists if
// a key of the same Sum is recorded and unexpired at now (a replay),
// ErrInvalid if key.Expires is already past (the request's timestamp is
// no longer accepted), or ErrUnavailable if the window cannot take it.
type NonceStore interface {
	UseNonce(ctx context.Context, key ReplayKey, now time.Time) error
}

// RateLimiter is a per-key token bucket. TakeToken takes one token of key's
// bucket (refilled at rate tokens a second, holding at most burst) at now;
// when none is left it returns false and the wait until the next token.
// The PostgreSQL store implements it so that every node shares the limit.
type RateLimiter interface {
	TakeToken(ctx context.Context, key string, now time.Time, rate, burst float64) (ok bool, wait time.Duration, err error)
}
