package localyun

import "time"

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
	AfterSeq    int64  // for NextToken paging: only rows with seq > AfterSeq
	Offset      int
	Limit       int // 0: no limit
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
