package localyun

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
)

// ECS network types.
const (
	NetworkVPC     = "vpc"
	NetworkClassic = "classic"
)

// ECS instance statuses.
const (
	StatusPending  = "Pending"
	StatusRunning  = "Running"
	StatusStarting = "Starting"
	StatusStopping = "Stopping"
	StatusStopped  = "Stopped"
)

// Instance is an ECS instance. RAMRoleName is the one instance RAM role
// attached to it, or "".
type Instance struct {
	ID           string
	AccountID    string
	RegionID     string
	ZoneID       string
	Name         string
	Description  string
	Status       string
	NetworkType  string
	VpcID        string
	VSwitchID    string
	PrivateIP    string
	ImageID      string
	InstanceType string
	RAMRoleName  string
	CreatedAt    time.Time
	Seq          int64 // store-assigned creation order, for NextToken paging

	HostName         string
	ChargeType       string    // ChargePostPaid or ChargePrePaid
	ExpiresAt        time.Time // PrePaid: the end of the subscription; PostPaid: PostPaidExpiry
	SecurityGroupIDs []string  // at least one once created (see WithDefaults)
	Tags             []Tag     // in the order they were first set; keys distinct
	Metadata         MetadataOptions
}

// ECS instance charge types.
const (
	ChargePostPaid = "PostPaid"
	ChargePrePaid  = "PrePaid"
)

// PostPaidExpiry is the ExpiredTime ECS shows for pay-as-you-go instances,
// which never expire: 2099-12-31T15:59Z.
var PostPaidExpiry = time.Date(2099, 12, 31, 15, 59, 0, 0, time.UTC)

// Instance metadata options (the values of HttpEndpoint and HttpTokens).
const (
	MetadataEnabled  = "enabled"
	MetadataDisabled = "disabled"
	TokensOptional   = "optional"
	TokensRequired   = "required"
)

// MetadataOptions are an instance's metadata service settings.
type MetadataOptions struct {
	HTTPEndpoint string // MetadataEnabled or MetadataDisabled
	HTTPTokens   string // TokensOptional or TokensRequired
	HopLimit     int    // HttpPutResponseHopLimit, 1 to 64
}

// DefaultMetadataOptions are the metadata options of an instance created
// without any: the channel enabled, tokens optional, one hop.
var DefaultMetadataOptions = MetadataOptions{HTTPEndpoint: MetadataEnabled, HTTPTokens: TokensOptional, HopLimit: 1}

// Tag is one tag of a resource.
type Tag struct {
	Key, Value string
}

// TagFilter matches resources holding the tag Key, with the value Value
// unless AnyValue.
type TagFilter struct {
	Key, Value string
	AnyValue   bool
}

// DefaultHostName is the host name ECS gives an instance created without
// one: "iZ", the id without its "i-" prefix, "Z".
func DefaultHostName(id string) string {
	return "iZ" + strings.TrimPrefix(id, "i-") + "Z"
}

// DefaultSecurityGroupID is the security group localyun puts an instance
// created without one in: one per account and VPC (per account and region
// for the classic network), so that instances of a VPC share it.
func DefaultSecurityGroupID(accountID, regionID, vpcID string) string {
	h := sha256.Sum256([]byte(accountID + "\x00" + regionID + "\x00" + vpcID))
	return "sg-" + hex.EncodeToString(h[:])[:20]
}

// WithDefaults returns in with the fields a creator left empty filled as
// ECS fills them: the default host name, PostPaid (never expiring), the
// default security group and metadata options.
func (in Instance) WithDefaults() Instance {
	if in.HostName == "" {
		in.HostName = DefaultHostName(in.ID)
	}
	if in.ChargeType == "" {
		in.ChargeType = ChargePostPaid
	}
	if in.ExpiresAt.IsZero() {
		in.ExpiresAt = PostPaidExpiry
	}
	if len(in.SecurityGroupIDs) == 0 {
		in.SecurityGroupIDs = []string{DefaultSecurityGroupID(in.AccountID, in.RegionID, in.VpcID)}
	}
	if in.Metadata.HTTPEndpoint == "" {
		in.Metadata.HTTPEndpoint = DefaultMetadataOptions.HTTPEndpoint
	}
	if in.Metadata.HTTPTokens == "" {
		in.Metadata.HTTPTokens = DefaultMetadataOptions.HTTPTokens
	}
	if in.Metadata.HopLimit == 0 {
		in.Metadata.HopLimit = DefaultMetadataOptions.HopLimit
	}
	return in
}

// InstanceUpdate changes the attributes of one instance: nil fields stay.
type InstanceUpdate struct {
	Name, Description, HostName *string
	Metadata                    *MetadataOptions // its zero options stay as stored
	SecurityGroupIDs            []string         // nil: keep
}

// InstanceRoleChange is one compare-and-set of an instance's RAM role: the
// instance goes from the role From (as the service read it, "" for none)
// to the role To ("" detaches).
type InstanceRoleChange struct {
	InstanceID string
	From, To   string
}

// InstanceFilter selects instances of one account.
type InstanceFilter struct {
	AccountID   string
	RegionID    string   // "": every region
	IDs         []string // nil: any
	NetworkType string
	Status      string
	NamePattern string // with * wildcards
	RAMRoleName string // case-insensitive match on the attached role
	HasRAMRole  bool   // only instances with a role
	// The DescribeInstances filters: "" (nil, zero) matches any.
	ZoneID, VpcID, VSwitchID, InstanceType, ImageID string
	TypeFamily                                      string   // the instance type's family: InstanceType is "<TypeFamily>.<size>"
	PrivateIPs                                      []string // any of them
	ChargeType                                      string
	SecurityGroupID                                 string      // one of the instance's groups
	Tags                                            []TagFilter // each must match
	HTTPEndpoint, HTTPTokens                        string
	HopLimit                                        int
	CreatedFrom, CreatedTo, ExpiresFrom, ExpiresTo  time.Time // inclusive bounds
	Tagged                                          bool      // only instances with at least one tag
	AfterSeq                                        int64     // for NextToken paging: only rows with seq > AfterSeq
	Offset                                          int
	Limit                                           int // 0: no limit
}

// BastionInstance statuses.
const (
	BastionRunning = "RUNNING"
)

// BastionInstance is a Bastionhost instance.
type BastionInstance struct {
	ID          string
	AccountID   string
	RegionID    string
	Status      string
	Description string
	PlanCode    string
	VpcID       string
	VSwitchID   string
	CreatedAt   time.Time
	ExpiresAt   time.Time
}

// BastionInstanceFilter selects bastion instances of an account.
type BastionInstanceFilter struct {
	AccountID string
	RegionID  string
	IDs       []string
	Status    string
	Offset    int
	Limit     int
}
