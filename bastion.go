package localyun

import (
	"context"
	"strconv"
	"time"
)

// Bastionhost objects live inside one bastion instance. Their ids are
// numeric strings ("1", "2", ...) assigned per instance and per kind by the
// store, inside the transaction that creates the object.

// Bastion host sources and address types, as the API spells them.
const (
	BastionSourceLocal = "Local"
	BastionSourceEcs   = "Ecs"
	BastionSourceRds   = "Rds"

	BastionAddressPublic  = "Public"
	BastionAddressPrivate = "Private"
)

// BastionHost is a host registered in a bastion instance.
type BastionHost struct {
	InstanceID          string
	ID                  string
	Name                string
	Comment             string
	OSType              string // Linux or Windows
	Source              string // BastionSource*
	SourceInstanceID    string
	SourceInstanceState string // Normal for Ecs/Rds hosts, "" for Local
	InstanceRegionID    string
	InstanceMemberID    int64
	ActiveAddressType   string // BastionAddress*
	PublicAddress       string
	PrivateAddress      string
	NetworkDomainID     string
	PrefKex             string
	SSHPort             int // the port the host's SSH listens on (22 unless ModifyHostsPort changed it)
	RDPPort             int // the port of RDP (3389 unless changed)
	AccountCount        int // read only: number of host accounts
	CreatedAt           time.Time
}

// SSHPortOrDefault is the port the host's SSH listens on: SSHPort, or 22.
func (h BastionHost) SSHPortOrDefault() int {
	if h.SSHPort == 0 {
		return 22
	}
	return h.SSHPort
}

// BastionHostAccount is an account (SSH or RDP) of a host. Its
// credentials are never part of it: see BastionSecret.
type BastionHostAccount struct {
	InstanceID            string
	ID                    string
	HostID                string
	Name                  string
	ProtocolName          string // SSH or RDP
	PrivilegeType         string
	RotationMode          string
	HostShareKeyID        string
	HasPassword           bool   // read only: derived from the stored secret
	PrivateKeyFingerprint string // computed by the product when the key is set
	CreatedAt             time.Time
}

// BastionSecret holds the credentials of a host account (Password,
// PrivateKey, PassPhrase) or of a local user (Password). Stores keep them
// apart from every other column and no API returns them.
type BastionSecret struct {
	Password   string
	PrivateKey string
	PassPhrase string
}

// Bastion user sources.
const (
	BastionUserLocal = "Local"
	BastionUserRAM   = "Ram"
	BastionUserAD    = "AD"
	BastionUserLDAP  = "LDAP"
)

// BastionUser is a user of a bastion instance.
type BastionUser struct {
	InstanceID         string
	ID                 string
	Name               string
	DisplayName        string
	Comment            string
	Email              string
	Mobile             string
	MobileCountryCode  string
	Source             string // BastionUser*
	SourceUserID       string
	NeedResetPassword  bool
	EffectiveStartTime int64 // unix seconds, 0: none
	EffectiveEndTime   int64 // unix seconds, 0: none
	TwoFactorStatus    string
	TwoFactorMethods   []string
	LanguageStatus     string
	Language           string
	Locked             bool // read only: set by LockUsers, cleared by UnlockUsers
	CreatedAt          time.Time
}

// Bastion group kinds: a group of users (UserGroupId) or of hosts
// (HostGroupId). Both kinds have the same fields and rules.
const (
	BastionGroupUser = "user"
	BastionGroupHost = "host"
)

// BastionGroup is a user group or a host group of a bastion instance.
type BastionGroup struct {
	Kind        string // BastionGroupUser or BastionGroupHost
	InstanceID  string
	ID          string
	Name        string
	Comment     string
	MemberCount int // read only: number of users or hosts
	CreatedAt   time.Time
}

// BastionMemberChange is what a store observed, inside the transaction
// that added or removed it, of one id of a membership change.
type BastionMemberChange struct {
	ID      string
	Exists  bool // the user or host exists
	Changed bool // a membership row was inserted or deleted
}

// BastionSecretUpdate holds the credentials a change sets; nil ones stay
// as they are stored.
type BastionSecretUpdate struct {
	Password, PrivateKey, PassPhrase *string
}

// ParseBastionID parses the id of a Bastionhost object: a canonical
// positive decimal number. Anything else names no object.
func ParseBastionID(s string) (int64, bool) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || strconv.FormatInt(n, 10) != s {
		return 0, false
	}
	return n, true
}

// FormatBastionID is the id string of a Bastionhost object number.
func FormatBastionID(n int64) string { return strconv.FormatInt(n, 10) }

// Outcomes of one item of a batch change (grants, group members). Products
// turn them into the per-item result codes.
const (
	OutcomeChanged   = "changed"   // the item was granted, revoked, added or removed
	OutcomeUnchanged = "unchanged" // the requested state already held
	OutcomeMissing   = "missing"   // the object does not exist (or not on that host)
	OutcomeInvalid   = "invalid"   // the id is not a well-formed id
)

// ItemResult is the outcome for one id or name of a batch.
type ItemResult struct {
	ID      string
	Outcome string
}

// BastionHostFilter selects hosts of one instance. With Grantee set, only
// hosts that the grantee holds directly (Authorized) or does not hold.
type BastionHostFilter struct {
	InstanceID          string
	Name                string
	Address             string // public or private address, exact
	OSType              string
	Source              string
	SourceInstanceID    string
	SourceInstanceState string
	HostGroupID         string
	Grantee             *BastionGrantee
	Authorized          bool
	Offset, Limit       int
	// Brief asks only for the fields a grant listing shows (ID, Name,
	// Comment, OSType, ActiveAddressType, PublicAddress, PrivateAddress); a
	// store may leave the others, AccountCount included, empty.
	Brief bool
}

// BastionHostAccountFilter selects accounts of hosts of one instance.
type BastionHostAccountFilter struct {
	InstanceID    string
	HostIDs       []string // nil: every host
	Name          string
	ProtocolName  string
	Offset, Limit int
}

// Bastion user states.
const (
	BastionUserNormal  = "Normal"
	BastionUserFrozen  = "Frozen"
	BastionUserExpired = "Expired"
)

// BastionUserFilter selects users of one instance. State is computed at Now:
// a user is Expired when EffectiveEndTime is set and past.
type BastionUserFilter struct {
	InstanceID    string
	Name          string
	DisplayName   string
	Mobile        string
	Source        string
	SourceUserID  string
	UserGroupID   string
	State         string
	Now           time.Time
	Offset, Limit int
}

// BastionGroupFilter selects groups of one kind of one instance. With
// Grantee set (host groups only), only the host groups that the grantee
// holds (Authorized) or does not hold.
type BastionGroupFilter struct {
	Kind          string
	InstanceID    string
	Name          string
	Grantee       *BastionGrantee
	Authorized    bool
	Offset, Limit int
}

// BastionStore persists the objects of bastion instances and the grants
// between them. Every method is one transaction. Objects are scoped by
// instance id (the product checks that the instance belongs to the caller's
// account); creating an object in an instance that does not exist returns
// ErrNotFound. Ids that are not canonical decimal numbers name no object.
type BastionStore interface {
	BastionGrantStore
	BastionAccessStore

	// CreateBastionHost assigns the next host id and returns the host.
	CreateBastionHost(ctx context.Context, h BastionHost) (BastionHost, error)
	// FindBastionHost returns ErrNotFound if there is no such host.
	FindBastionHost(ctx context.Context, instanceID, id string) (BastionHost, error)
	// FindBastionHosts lists hosts in id order and the total of matches.
	// With f.Grantee set it returns ErrNotFound if the grantee does not exist.
	FindBastionHosts(ctx context.Context, f BastionHostFilter) ([]BastionHost, int, error)
	// UpdateBastionHost writes to over the host from, a compare-and-set:
	// it returns ErrConflict if the stored host no longer equals from (as
	// FindBastionHost read it), ErrNotFound if it is gone.
	UpdateBastionHost(ctx context.Context, from, to BastionHost) error
	// DeleteBastionHost deletes a host with its accounts, group memberships
	// and every grant on them. Returns ErrNotFound.
	DeleteBastionHost(ctx context.Context, instanceID, id string) error

	// CreateBastionHostAccount assigns the next account id. Returns
	// ErrNotFound if the host does not exist and ErrAlreadyExists if the host
	// has an account of that name and protocol.
	CreateBastionHostAccount(ctx context.Context, a BastionHostAccount, s BastionSecret) (BastionHostAccount, error)
	// FindBastionHostAccount returns ErrNotFound.
	FindBastionHostAccount(ctx context.Context, instanceID, id string) (BastionHostAccount, error)
	// FindBastionHostAccounts lists accounts in id order and the total.
	FindBastionHostAccounts(ctx context.Context, f BastionHostAccountFilter) ([]BastionHostAccount, int, error)
	// UpdateBastionHostAccount writes to over the account from and sets the
	// credentials of s, a compare-and-set like UpdateBastionHost. Returns
	// ErrConflict, ErrNotFound or ErrAlreadyExists (name taken).
	UpdateBastionHostAccount(ctx context.Context, from, to BastionHostAccount, s BastionSecretUpdate) error
	// DeleteBastionHostAccount deletes an account and its grants. Returns ErrNotFound.
	DeleteBastionHostAccount(ctx context.Context, instanceID, id string) error
	// FindBastionHostAccountSecret returns the stored credentials of an
	// account, for the data plane only. Returns ErrNotFound.
	FindBastionHostAccountSecret(ctx context.Context, instanceID, id string) (BastionSecret, error)

	// CreateBastionUser assigns the next user id. Returns ErrAlreadyExists
	// if the name is taken in the instance.
	CreateBastionUser(ctx context.Context, u BastionUser, s BastionSecret) (BastionUser, error)
	// FindBastionUser returns ErrNotFound.
	FindBastionUser(ctx context.Context, instanceID, id string) (BastionUser, error)
	// FindBastionUsers lists users in id order and the total.
	FindBastionUsers(ctx context.Context, f BastionUserFilter) ([]BastionUser, int, error)
	// UpdateBastionUser writes to over the user from and sets the password
	// of s (its other credentials are ignored), a compare-and-set like
	// UpdateBastionHost. Returns ErrConflict or ErrNotFound.
	UpdateBastionUser(ctx context.Context, from, to BastionUser, s BastionSecretUpdate) error
	// DeleteBastionUser deletes a user, its memberships and grants. Returns ErrNotFound.
	DeleteBastionUser(ctx context.Context, instanceID, id string) error
	// FindBastionUserSecret returns the stored password of a user. Returns ErrNotFound.
	FindBastionUserSecret(ctx context.Context, instanceID, id string) (BastionSecret, error)

	// CreateBastionGroup assigns the next id of g.Kind. Returns
	// ErrAlreadyExists if the name is taken in the instance (per kind).
	CreateBastionGroup(ctx context.Context, g BastionGroup) (BastionGroup, error)
	// FindBastionGroup returns ErrNotFound.
	FindBastionGroup(ctx context.Context, kind, instanceID, id string) (BastionGroup, error)
	// FindBastionGroups lists groups in id order and the total. With
	// f.Grantee set it returns ErrNotFound if the grantee does not exist, and
	// ErrInvalid for user groups.
	FindBastionGroups(ctx context.Context, f BastionGroupFilter) ([]BastionGroup, int, error)
	// UpdateBastionGroup writes the name and comment of to over the group
	// from, a compare-and-set like UpdateBastionHost. Returns ErrConflict,
	// ErrNotFound or ErrAlreadyExists (name taken).
	UpdateBastionGroup(ctx context.Context, from, to BastionGroup) error
	// DeleteBastionGroup deletes a group, its memberships and grants. Returns ErrNotFound.
	DeleteBastionGroup(ctx context.Context, kind, instanceID, id string) error
	// AddBastionGroupMembers adds users (to a user group) or hosts (to a
	// host group), in the order of ids, and reports for each id whether the
	// member exists and whether a membership was added. Returns ErrNotFound
	// if the group does not exist.
	AddBastionGroupMembers(ctx context.Context, kind, instanceID, groupID string, ids []string) ([]BastionMemberChange, error)
	// RemoveBastionGroupMembers is the reverse: Changed when a membership
	// was removed.
	RemoveBastionGroupMembers(ctx context.Context, kind, instanceID, groupID string, ids []string) ([]BastionMemberChange, error)
}
