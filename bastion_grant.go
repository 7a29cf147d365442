package localyun

import "context"

// Bastionhost grants: a user group or a user (the grantee) holds hosts,
// accounts of those hosts, host groups, and account names on those host
// groups. The Bastionhost service decides what a batch of the API changes
// and what each item of it answers; a BastionGrantStore tells it the facts
// it decides on and applies the row changes it decided.

// Grantee kinds: who a grant is given to.
const (
	GranteeUserGroup = "UserGroup"
	GranteeUser      = "User"
)

// BastionGrantee is the user group or user of a grant.
type BastionGrantee struct {
	Kind string // GranteeUserGroup or GranteeUser
	ID   string
}

// BastionHostGrant asks to grant or revoke a host, or accounts of it.
// Without AccountIDs it is about the host itself (and, when revoking, all
// of its accounts).
type BastionHostGrant struct {
	HostID     string
	AccountIDs []string
}

// BastionHostGrantResult is the outcome of one BastionHostGrant.
type BastionHostGrantResult struct {
	HostID   string
	Outcome  string
	Accounts []ItemResult
}

// BastionHostGroupGrant asks to grant or revoke a host group, or account
// names on it.
type BastionHostGroupGrant struct {
	HostGroupID  string
	AccountNames []string
}

// BastionHostGroupGrantResult is the outcome of one BastionHostGroupGrant.
type BastionHostGroupGrantResult struct {
	HostGroupID  string
	Outcome      string
	AccountNames []ItemResult
}

// BastionHostAccountGrant is a host account and whether a grantee holds it.
type BastionHostAccountGrant struct {
	BastionHostAccount
	Authorized bool
}

// BastionGrantOp is what a grant change does to its row.
type BastionGrantOp string

// The two grant operations.
const (
	BastionGrantAdd    BastionGrantOp = "grant"
	BastionGrantRevoke BastionGrantOp = "revoke"
)

// BastionHostGrantChange is one row change of a grantee's host grants: the
// grant of a host (AccountID "") or of one account of it. Revoking a host
// also revokes every account grant on it; an account can be granted only
// while its host is (an earlier change of the same batch may grant it).
type BastionHostGrantChange struct {
	Op        BastionGrantOp
	HostID    string
	AccountID string // "": the host grant itself
}

// BastionHostGroupGrantChange is one row change of a grantee's host group
// grants: the grant of a host group (AccountName "") or of an account name
// on it. Revoking a host group also revokes every name granted on it; a
// name can be granted only while its host group is.
type BastionHostGroupGrantChange struct {
	Op          BastionGrantOp
	HostGroupID string
	AccountName string // "": the host group grant itself
}

// BastionHostGrantTargets are the facts a batch of host grants is decided
// on: whether the grantee exists, which of the hosts asked about exist, and
// the host of each account asked about that exists.
type BastionHostGrantTargets struct {
	GranteeExists bool
	Hosts         map[string]bool   // host id → true, for the hosts that exist
	AccountHosts  map[string]string // account id → its host id, for the accounts that exist
	// Version names the state the store read them in, where it can tell
	// (0 where it cannot); see ApplyBastionHostGrants.
	Version uint64
}

// BastionHostGroupGrantTargets are the facts a batch of host group grants
// is decided on: whether the grantee exists and which of the host groups
// asked about exist.
type BastionHostGroupGrantTargets struct {
	GranteeExists bool
	HostGroups    map[string]bool // host group id → true, for the groups that exist
	Version       uint64          // as in BastionHostGrantTargets
}

// BastionGrantStore persists the grants of bastion instances. Ids that are
// not canonical decimal numbers name no object.
type BastionGrantStore interface {
	// FindBastionHostGrantTargets reports whether g exists, which of hostIDs
	// exist and on which host each of accountIDs is. Ids that name nothing
	// are left out of the maps.
	FindBastionHostGrantTargets(ctx context.Context, instanceID string, g BastionGrantee, hostIDs, accountIDs []string) (BastionHostGrantTargets, error)
	// ApplyBastionHostGrants applies changes, in order, in one transaction
	// and reports for each whether it changed a row: granting a grant that
	// is there, or revoking one that is not, changes nothing. The grantee and
	// every host and account the changes name must exist (each account on
	// the host of its change) when the transaction runs; if one does not,
	// nothing is written and it returns ErrConflict: the caller reads the
	// targets again and decides anew. version must be the Version returned
	// by the FindBastionHostGrantTargets read the changes were decided on,
	// or 0 (unknown): a store that has written nothing since that read
	// knows the targets still hold and need not check them again (a store
	// may also ignore version and always check). A version names a state of
	// the whole store, not these targets: any other version that happens to
	// be current (another read's, or a made-up one) skips the check too, and
	// a change on a target that is gone then fails the batch with a foreign
	// key's ErrNotFound (nothing written) or reports no change, instead of
	// ErrConflict.
	ApplyBastionHostGrants(ctx context.Context, instanceID string, g BastionGrantee, version uint64, changes []BastionHostGrantChange) ([]bool, error)
	// FindBastionHostAccountGrants lists every account of f's hosts (f.HostIDs
	// must name exactly one host) with whether g holds it. Returns
	// ErrNotFound if the grantee or the host does not exist.
	FindBastionHostAccountGrants(ctx context.Context, g BastionGrantee, f BastionHostAccountFilter) ([]BastionHostAccountGrant, int, error)

	// FindBastionHostGroupGrantTargets reports whether g exists and which of
	// hostGroupIDs exist.
	FindBastionHostGroupGrantTargets(ctx context.Context, instanceID string, g BastionGrantee, hostGroupIDs []string) (BastionHostGroupGrantTargets, error)
	// ApplyBastionHostGroupGrants is ApplyBastionHostGrants for host group
	// grants: one transaction, whether each change changed a row, and
	// ErrConflict, with nothing written, when the grantee or a host group
	// the changes name does not exist. version must be the Version returned
	// by the FindBastionHostGroupGrantTargets read the changes were decided
	// on, or 0, as for ApplyBastionHostGrants: any other current version
	// skips the check of the targets too.
	ApplyBastionHostGroupGrants(ctx context.Context, instanceID string, g BastionGrantee, version uint64, changes []BastionHostGroupGrantChange) ([]bool, error)
	// FindBastionHostGroupAccountNames lists the account names g holds on a
	// host group, in name order. Returns ErrNotFound for an unknown grantee or group.
	FindBastionHostGroupAccountNames(ctx context.Context, instanceID string, g BastionGrantee, hostGroupID string) ([]string, error)
}
