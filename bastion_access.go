package localyun

import (
	"context"
	"time"
)

// The Bastionhost data plane: who may use which host as which account now
// (effective access), the credentials users log in to the bastion with
// (passwords, registered public keys, O&M tokens), user locks, and the
// records of SSH sessions through the bastion.

// BastionAccess is one (host, host account) pair a user may use, with the
// grant paths that give it: "user" (a grant of the account to the user),
// "group:<id>" (to one of its user groups), "hostgroup:<id>" (the account's
// name on a host group holding the host, granted to the user) and
// "group:<id>/hostgroup:<id>" (the same, granted to a user group).
type BastionAccess struct {
	Host    BastionHost
	Account BastionHostAccount
	Via     []string
}

// The grant paths of BastionAccess.Via.
const (
	BastionViaUser      = "user"
	BastionViaGroup     = "group:"     // + user group id
	BastionViaHostGroup = "hostgroup:" // + host group id
)

// BastionPublicKey is an SSH public key a bastion user logs in with.
type BastionPublicKey struct {
	InstanceID  string
	ID          string
	UserID      string
	Name        string
	Comment     string
	PublicKey   []byte // the key in SSH wire format
	Fingerprint string // MD5, colon-separated hex, as the API shows it
	CreatedAt   time.Time
}

// BastionPublicKeyFilter selects public keys of one instance: of one user
// when UserID is set, and of that exact wire-format key when PublicKey is.
type BastionPublicKeyFilter struct {
	InstanceID    string
	UserID        string
	PublicKey     []byte
	Offset, Limit int
}

// BastionOperationToken is an O&M token: it logs its user in to one host as
// one account until it expires. The store keeps only the SHA-256 of the
// token (Sum), never the token.
type BastionOperationToken struct {
	InstanceID string
	ID         string
	UserID     string
	HostID     string
	AccountID  string
	Sum        []byte
	CreatedAt  time.Time
	ExpiresAt  time.Time
}

// How a bastion session ended (BastionSession.EndReason).
const (
	BastionSessionExit     = "exit"     // the user or the host ended it
	BastionSessionRevoked  = "revoked"  // the user lost access to the host account
	BastionSessionLocked   = "locked"   // the user was locked (LockUsers)
	BastionSessionExpired  = "expired"  // the user's validity or the token ended
	BastionSessionIdle     = "idle"     // idle too long
	BastionSessionShutdown = "shutdown" // the gateway stopped
	BastionSessionError    = "error"    // the host could not be reached or failed
)

// BastionSession records one session through the bastion's SSH gateway:
// who, from where, to which host and account, and when and how it ended
// (EndedAt zero while it runs).
type BastionSession struct {
	InstanceID  string
	ID          string
	UserID      string
	UserName    string
	ClientAddr  string // the client's address, host:port
	HostID      string
	HostAddress string // the address:port the gateway reached
	AccountID   string
	AccountName string
	Protocol    string // SSH
	Mode        string // how the user reached the host: "menu", "proxy", "exec", "sftp"...
	StartedAt   time.Time
	EndedAt     time.Time
	EndReason   string // BastionSession*; "" while it runs
}

// BastionSessionFilter selects sessions of one instance, newest first.
// Active selects the sessions that have not ended.
type BastionSessionFilter struct {
	InstanceID    string
	UserID        string
	HostID        string
	Active        bool
	Offset, Limit int
}

// BastionLoginState is a user's record of failed logins to the bastion.
type BastionLoginState struct {
	Failures    int       // consecutive failed logins
	LockedUntil time.Time // no login before this instant (zero: none)
}

// BastionAccessStore persists what the bastion's data plane decides on.
// Every method is one transaction.
type BastionAccessStore interface {
	// FindBastionAccess returns every (host, account) pair one of the
	// user's grants gives (directly, through its user groups, and through
	// account names on host groups), in host then account id order, with
	// the paths of each. It reads the grants only: whether the user is
	// locked or within its validity period is the caller's. An unknown
	// user has none.
	FindBastionAccess(ctx context.Context, instanceID, userID string) ([]BastionAccess, error)

	// SetBastionUsersLocked locks or unlocks users, in the order of ids,
	// and reports for each whether it exists and whether its state changed.
	SetBastionUsersLocked(ctx context.Context, instanceID string, ids []string, locked bool) ([]BastionMemberChange, error)
	// SetBastionHostsPort sets the port of protocol ("SSH" or "RDP") of
	// hosts, reporting per id as SetBastionUsersLocked does.
	SetBastionHostsPort(ctx context.Context, instanceID string, ids []string, protocol string, port int) ([]BastionMemberChange, error)

	// FindBastionLoginState returns a user's failed logins (zero for none).
	FindBastionLoginState(ctx context.Context, instanceID, userID string) (BastionLoginState, error)
	// NoteBastionLoginFailure counts a failed login of a user at now; the
	// max-th consecutive one locks logins until now+lockFor and starts the
	// count again. Returns the state it leaves, ErrNotFound for an unknown
	// user.
	NoteBastionLoginFailure(ctx context.Context, instanceID, userID string, now time.Time, max int, lockFor time.Duration) (BastionLoginState, error)
	// ClearBastionLoginFailures forgets a user's failed logins.
	ClearBastionLoginFailures(ctx context.Context, instanceID, userID string) error

	// CreateBastionPublicKey assigns the next public key id. Returns
	// ErrNotFound if the user does not exist, ErrAlreadyExists if the user
	// has that key already.
	CreateBastionPublicKey(ctx context.Context, k BastionPublicKey) (BastionPublicKey, error)
	// FindBastionPublicKeys lists keys in id order and the total.
	FindBastionPublicKeys(ctx context.Context, f BastionPublicKeyFilter) ([]BastionPublicKey, int, error)
	// DeleteBastionPublicKey returns ErrNotFound.
	DeleteBastionPublicKey(ctx context.Context, instanceID, id string) error

	// CreateBastionOperationToken assigns the next token id. Returns
	// ErrNotFound unless the user, the host and the account (of that host)
	// exist.
	CreateBastionOperationToken(ctx context.Context, t BastionOperationToken) (BastionOperationToken, error)
	// FindBastionOperationToken finds a token by its SHA-256. Returns
	// ErrNotFound (also once its user, host or account is deleted).
	FindBastionOperationToken(ctx context.Context, instanceID string, sum []byte) (BastionOperationToken, error)

	// CreateBastionSession assigns the next session id. Returns ErrNotFound
	// if the instance does not exist.
	CreateBastionSession(ctx context.Context, s BastionSession) (BastionSession, error)
	// EndBastionSession records the end of a running session. Returns
	// ErrNotFound, or ErrConflict if it has ended already.
	EndBastionSession(ctx context.Context, instanceID, id string, endedAt time.Time, reason string) error
	// FindBastionSessions lists sessions, newest first, and the total.
	FindBastionSessions(ctx context.Context, f BastionSessionFilter) ([]BastionSession, int, error)

	// ListenAccessChanges calls fn with the instance id after every
	// committed write that can remove access in that instance: the
	// deletion of a user, user group, host, host account or host group, a
	// revoking grant change, a member removed from a group, a user
	// modified or locked, a host account modified. On PostgreSQL the
	// writes of every node are seen (LISTEN localyun_bastion_access). It
	// returns once it listens; fn runs on one goroutine of its own until
	// ctx ends. fn("") means that changes may have been missed (the
	// connection was lost and is back): re-check every instance.
	ListenAccessChanges(ctx context.Context, fn func(instanceID string)) error
}
