package localyun

import (
	"context"
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
	AccountCount        int // read only: number of host accounts
	CreatedAt           time.Time
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
	CreatedAt          time.Time
}

// BastionUserGroup is a group of users of a bastion instance.
type BastionUserGroup struct {
	InstanceID  string
	ID          string
	Name        string
	Comment     string
	MemberCount int // read only
	CreatedAt   time.Time
}

// BastionHostGroup is a group of hosts of a bastion instance.
type BastionHostGroup struct {
	InstanceID  string
	ID          string
	Name        string
	Comment     string
	MemberCount int // read only: number of hosts
	CreatedAt   time.Time
}

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

// BastionUserGroupFilter selects user groups of one instance.
type BastionUserGroupFilter struct {
	InstanceID    string
	Name          string
	Offset, Limit int
}

// BastionHostGroupFilter selects host groups of one instance. With Grantee
// set, only groups that the grantee holds (Authorized) or does not hold.
type BastionHostGroupFilter struct {
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

	// CreateBastionHost assigns the next host id and returns the host.
	CreateBastionHost(ctx context.Context, h BastionHost) (BastionHost, error)
	// FindBastionHost returns ErrNotFound if there is no such host.
	FindBastionHost(ctx context.Context, instanceID, id string) (BastionHost, error)
	// FindBastionHosts lists hosts in id order and the total of matches.
	FindBastionHosts(ctx context.Context, f BastionHostFilter) ([]BastionHost, int, error)
	// UpdateBastionHost applies fn to the host and writes it back; an error
	// from fn writes nothing. Returns ErrNotFound.
	UpdateBastionHost(ctx context.Context, instanceID, id string, fn func(*BastionHost) error) (BastionHost, error)
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
	// UpdateBastionHostAccount applies fn to the account and its secret.
	// Returns ErrNotFound or ErrAlreadyExists (name taken).
	UpdateBastionHostAccount(ctx context.Context, instanceID, id string, fn func(*BastionHostAccount, *BastionSecret) error) (BastionHostAccount, error)
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
	// UpdateBastionUser applies fn to the user and its secret. Returns ErrNotFound.
	UpdateBastionUser(ctx context.Context, instanceID, id string, fn func(*BastionUser, *BastionSecret) error) (BastionUser, error)
	// DeleteBastionUser deletes a user, its memberships and grants. Returns ErrNotFound.
	DeleteBastionUser(ctx context.Context, instanceID, id string) error
	// FindBastionUserSecret returns the stored password of a user. Returns ErrNotFound.
	FindBastionUserSecret(ctx context.Context, instanceID, id string) (BastionSecret, error)

	// CreateBastionUserGroup assigns the next id. Returns ErrAlreadyExists
	// if the name is taken in the instance.
	CreateBastionUserGroup(ctx context.Context, g BastionUserGroup) (BastionUserGroup, error)
	// FindBastionUserGroup returns ErrNotFound.
	FindBastionUserGroup(ctx context.Context, instanceID, id string) (BastionUserGroup, error)
	// FindBastionUserGroups lists groups in id order and the total.
	FindBastionUserGroups(ctx context.Context, f BastionUserGroupFilter) ([]BastionUserGroup, int, error)
	// UpdateBastionUserGroup applies fn. Returns ErrNotFound or ErrAlreadyExists.
	UpdateBastionUserGroup(ctx context.Context, instanceID, id string, fn func(*BastionUserGroup) error) (BastionUserGroup, error)
	// DeleteBastionUserGroup deletes a group, its memberships and grants. Returns ErrNotFound.
	DeleteBastionUserGroup(ctx context.Context, instanceID, id string) error
	// AddBastionUsersToGroup adds users to a group: one result per id
	// (Changed, Unchanged: already a member, Missing, Invalid). Returns
	// ErrNotFound if the group does not exist.
	AddBastionUsersToGroup(ctx context.Context, instanceID, groupID string, userIDs []string) ([]ItemResult, error)
	// RemoveBastionUsersFromGroup is the reverse (Unchanged: not a member).
	RemoveBastionUsersFromGroup(ctx context.Context, instanceID, groupID string, userIDs []string) ([]ItemResult, error)

	// CreateBastionHostGroup assigns the next id. Returns ErrAlreadyExists.
	CreateBastionHostGroup(ctx context.Context, g BastionHostGroup) (BastionHostGroup, error)
	// FindBastionHostGroup returns ErrNotFound.
	FindBastionHostGroup(ctx context.Context, instanceID, id string) (BastionHostGroup, error)
	// FindBastionHostGroups lists host groups in id order and the total.
	FindBastionHostGroups(ctx context.Context, f BastionHostGroupFilter) ([]BastionHostGroup, int, error)
	// UpdateBastionHostGroup applies fn. Returns ErrNotFound or ErrAlreadyExists.
	UpdateBastionHostGroup(ctx context.Context, instanceID, id string, fn func(*BastionHostGroup) error) (BastionHostGroup, error)
	// DeleteBastionHostGroup deletes a host group, its memberships and grants. Returns ErrNotFound.
	DeleteBastionHostGroup(ctx context.Context, instanceID, id string) error
	// AddBastionHostsToGroup adds hosts to a host group, one result per id.
	AddBastionHostsToGroup(ctx context.Context, instanceID, groupID string, hostIDs []string) ([]ItemResult, error)
	// RemoveBastionHostsFromGroup is the reverse.
	RemoveBastionHostsFromGroup(ctx context.Context, instanceID, groupID string, hostIDs []string) ([]ItemResult, error)
}
