package localyun

import (
	"context"
	"time"
)

// Policy types, as RAM spells them.
const (
	PolicyTypeSystem = "System"
	PolicyTypeCustom = "Custom"
)

// Kinds of principal a policy attaches to.
const (
	AttachUser  = "User"
	AttachGroup = "Group"
	AttachRole  = "Role"
)

// Policy is a RAM policy. System policies are built in (AccountID "") and
// never stored; custom policies belong to one account.
type Policy struct {
	AccountID      string
	Name           string
	Type           string // PolicyTypeSystem or PolicyTypeCustom
	Description    string
	DefaultVersion string // "v1", "v2", ...
	CreatedAt      time.Time
	UpdatedAt      time.Time
	// AttachmentCount is filled by FindPolicy and FindPolicies.
	AttachmentCount int
}

// PolicyVersion is one version of a custom policy's document.
type PolicyVersion struct {
	VersionID string // "v1", "v2", ...
	Document  string
	IsDefault bool
	CreatedAt time.Time
}

// PolicyFilter selects custom policies of one account for FindPolicies.
type PolicyFilter struct {
	AccountID string
	After     string
	Limit     int
}

// Attachment is a policy attached to a user, group or role of an account.
type Attachment struct {
	AccountID     string
	PolicyType    string
	PolicyName    string
	PrincipalType string // AttachUser, AttachGroup or AttachRole
	PrincipalName string
	AttachedAt    time.Time
}

// AttachmentFilter selects attachments of one account; empty fields match
// everything.
type AttachmentFilter struct {
	AccountID     string
	PolicyType    string
	PolicyName    string
	PrincipalType string
	PrincipalName string
}

// PolicyStore persists custom policies, their versions, and the
// attachments of every policy (system or custom) to principals.
type PolicyStore interface {
	// CreatePolicy creates a custom policy with v as its default version.
	// Returns ErrAlreadyExists if the name is taken in the account.
	CreatePolicy(ctx context.Context, p Policy, v PolicyVersion) error
	// FindPolicy returns ErrNotFound if the account has no such custom policy.
	FindPolicy(ctx context.Context, accountID, name string) (Policy, error)
	// FindPolicies lists custom policies in name order after f.After.
	FindPolicies(ctx context.Context, f PolicyFilter) ([]Policy, error)
	// DeletePolicy returns ErrNotFound, or a *ConflictError (With "User",
	// "Group", "Role" or "Version") while it is attached or has versions
	// other than the default.
	DeletePolicy(ctx context.Context, accountID, name string) error
	// CreatePolicyVersion adds the next version ("v<N+1>"). When the policy
	// has limit versions it refuses with ErrLimitExceeded, unless rotate is
	// set: then the oldest non-default version is deleted first. Returns
	// ErrNotFound if the policy does not exist.
	CreatePolicyVersion(ctx context.Context, accountID, name string, v PolicyVersion, limit int, rotate bool) (PolicyVersion, error)
	// FindPolicyVersion returns ErrNotFound if the version does not exist.
	FindPolicyVersion(ctx context.Context, accountID, name, versionID string) (PolicyVersion, error)
	// FindPolicyVersions lists versions in creation order.
	FindPolicyVersions(ctx context.Context, accountID, name string) ([]PolicyVersion, error)
	// SetDefaultPolicyVersion returns ErrNotFound if the version does not exist.
	SetDefaultPolicyVersion(ctx context.Context, accountID, name, versionID string, at time.Time) error
	// DeletePolicyVersion returns ErrNotFound, or a *ConflictError (With
	// "Default") for the default version.
	DeletePolicyVersion(ctx context.Context, accountID, name, versionID string) error

	// AttachPolicy returns ErrAlreadyExists if the policy is already attached,
	// or a *NotFoundError (Kind "Policy" first, then the principal's type)
	// when, inside its transaction, the custom policy or the principal does
	// not exist.
	AttachPolicy(ctx context.Context, a Attachment) error
	// DetachPolicy returns ErrNotFound if the policy is not attached.
	DetachPolicy(ctx context.Context, a Attachment) error
	// FindAttachments lists attachments matching f in attach order.
	FindAttachments(ctx context.Context, f AttachmentFilter) ([]Attachment, error)
}
