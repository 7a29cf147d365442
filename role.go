package localyun

import "time"

// Role is a RAM role.
type Role struct {
	ID                       string // numeric string
	AccountID                string
	Name                     string
	Description              string
	AssumeRolePolicyDocument string
	MaxSessionDuration       int64
	CreatedAt                time.Time
	UpdatedAt                time.Time
}

// ARN returns acs:ram::<uid>:role/<name>.
func (r Role) ARN() string { return "acs:ram::" + r.AccountID + ":role/" + r.Name }

// RoleFilter selects roles of one account for FindRoles.
type RoleFilter struct {
	AccountID string
	After     string // lower-cased name to start after (exclusive); "" from the start
	Limit     int
}

// RoleUpdate holds the fields UpdateRole changes; nil fields stay.
type RoleUpdate struct {
	Description              *string
	AssumeRolePolicyDocument *string
	MaxSessionDuration       *int64
	UpdatedAt                time.Time
}

// Apply returns r with the fields upd sets, updated at upd.UpdatedAt.
func (upd RoleUpdate) Apply(r Role) Role {
	if upd.Description != nil {
		r.Description = *upd.Description
	}
	if upd.AssumeRolePolicyDocument != nil {
		r.AssumeRolePolicyDocument = *upd.AssumeRolePolicyDocument
	}
	if upd.MaxSessionDuration != nil {
		r.MaxSessionDuration = *upd.MaxSessionDuration
	}
	r.UpdatedAt = upd.UpdatedAt
	return r
}
