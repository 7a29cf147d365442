package localyun

import (
	"context"
	"errors"
	"strings"
	"time"
)

// ErrLimitExceeded is the kind of error a store returns when a quota (two
// access keys per user, five versions per policy) would be exceeded.
var ErrLimitExceeded = errors.New("limit exceeded")

// ConflictError reports why a delete was refused: the entity still has
// dependents of kind With ("AccessKey", "Policy", "Group", "User", "Role",
// "Version"). It wraps ErrConflict.
type ConflictError struct{ With string }

// Error says which dependents the entity still has.
func (e *ConflictError) Error() string { return "still has " + e.With + ": " + ErrConflict.Error() }

// Unwrap returns ErrConflict.
func (e *ConflictError) Unwrap() error { return ErrConflict }

// NotFoundError reports that an entity a write needs does not exist: Kind
// is "User", "Group", "Role" or "Policy", Name the name it was looked up
// by. It wraps ErrNotFound.
type NotFoundError struct{ Kind, Name string }

// Error names the missing entity.
func (e *NotFoundError) Error() string {
	return strings.ToLower(e.Kind) + " " + e.Name + ": " + ErrNotFound.Error()
}

// Unwrap returns ErrNotFound.
func (e *NotFoundError) Unwrap() error { return ErrNotFound }

// User is a RAM user.
type User struct {
	ID          string // numeric string
	AccountID   string
	Name        string
	DisplayName string
	Comments    string
	Email       string
	MobilePhone string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// ARN returns acs:ram::<uid>:user/<name>.
func (u User) ARN() string { return "acs:ram::" + u.AccountID + ":user/" + u.Name }

// UserFilter selects users of one account for FindUsers.
type UserFilter struct {
	AccountID string
	After     string // name to start after (exclusive, case-insensitive order)
	Limit     int
}

// UserUpdate holds the fields UpdateUser changes; nil fields stay.
type UserUpdate struct {
	Name        *string
	DisplayName *string
	Comments    *string
	Email       *string
	MobilePhone *string
	UpdatedAt   time.Time
}

// Apply returns u with the fields upd sets, updated at upd.UpdatedAt.
func (upd UserUpdate) Apply(u User) User {
	for _, f := range []struct{ dst, src *string }{{&u.Name, upd.Name}, {&u.DisplayName, upd.DisplayName},
		{&u.Comments, upd.Comments}, {&u.Email, upd.Email}, {&u.MobilePhone, upd.MobilePhone}} {
		if f.src != nil {
			*f.dst = *f.src
		}
	}
	u.UpdatedAt = upd.UpdatedAt
	return u
}

// Group is a RAM user group.
type Group struct {
	ID        string
	AccountID string
	Name      string
	Comments  string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// GroupFilter selects groups of one account for FindGroups.
type GroupFilter struct {
	AccountID string
	After     string
	Limit     int
}

// GroupUpdate holds the fields UpdateGroup changes; nil fields stay.
type GroupUpdate struct {
	Name      *string
	Comments  *string
	UpdatedAt time.Time
}

// Apply returns g with the fields upd sets, updated at upd.UpdatedAt.
func (upd GroupUpdate) Apply(g Group) Group {
	if upd.Name != nil {
		g.Name = *upd.Name
	}
	if upd.Comments != nil {
		g.Comments = *upd.Comments
	}
	g.UpdatedAt = upd.UpdatedAt
	return g
}

// Membership is a user in a group. Find* fill the side the caller did not
// name (the group for FindGroupsForUser, the user for FindUsersForGroup).
type Membership struct {
	User     User
	Group    Group
	JoinedAt time.Time
}

// UserStore persists RAM users and their access keys. Users are named
// case-insensitively within an account.
type UserStore interface {
	// CreateUser returns ErrAlreadyExists if the name is taken in the account.
	CreateUser(ctx context.Context, u User) error
	// FindUserByName returns ErrNotFound if the account has no such user.
	FindUserByName(ctx context.Context, accountID, name string) (User, error)
	// FindUsers lists users in name order after f.After, at most f.Limit.
	FindUsers(ctx context.Context, f UserFilter) ([]User, error)
	// UpdateUser applies upd (a rename carries the user's keys, groups and
	// policies along). Returns ErrNotFound, or ErrAlreadyExists if the new
	// name is taken.
	UpdateUser(ctx context.Context, accountID, name string, upd UserUpdate) (User, error)
	// DeleteUser returns ErrNotFound, or a *ConflictError (With "AccessKey",
	// "Policy" or "Group") while the user still has any of them.
	DeleteUser(ctx context.Context, accountID, name string) error

	// CreateUserAccessKey stores a key of an existing user (k.UserName is
	// looked up case-insensitively and stored in the user's spelling), or
	// of the account root when k.UserName is "", refusing with
	// ErrLimitExceeded when the owner already has limit keys. The count
	// and the insert are one transaction, so concurrent calls never exceed
	// the limit. Returns ErrNotFound if the user (or the account) does not
	// exist.
	CreateUserAccessKey(ctx context.Context, k AccessKey, limit int) error
	// FindAccessKeys lists the keys of a user ("" for the account root) in
	// creation order.
	FindAccessKeys(ctx context.Context, accountID, userName string) ([]AccessKey, error)
	// UpdateAccessKeyStatus sets the status of a key of the user. Returns
	// ErrNotFound unless the key belongs to that user of that account.
	UpdateAccessKeyStatus(ctx context.Context, accountID, userName, id, status string) error
	// DeleteAccessKey deletes a key of the user. Returns ErrNotFound unless
	// the key belongs to that user of that account.
	DeleteAccessKey(ctx context.Context, accountID, userName, id string) error
	// TouchAccessKey records that a key was used at t.
	TouchAccessKey(ctx context.Context, id string, t time.Time) error
	// FindAccessKeyLastUsed returns when a key of the user was last used
	// (zero if never). Returns ErrNotFound like UpdateAccessKeyStatus.
	FindAccessKeyLastUsed(ctx context.Context, accountID, userName, id string) (time.Time, error)
}

// GroupStore persists RAM groups and their members.
type GroupStore interface {
	// CreateGroup returns ErrAlreadyExists if the name is taken in the account.
	CreateGroup(ctx context.Context, g Group) error
	// FindGroupByName returns ErrNotFound if the account has no such group.
	FindGroupByName(ctx context.Context, accountID, name string) (Group, error)
	// FindGroups lists groups in name order after f.After, at most f.Limit.
	FindGroups(ctx context.Context, f GroupFilter) ([]Group, error)
	// UpdateGroup applies upd. Returns ErrNotFound, or ErrAlreadyExists if
	// the new name is taken.
	UpdateGroup(ctx context.Context, accountID, name string, upd GroupUpdate) (Group, error)
	// DeleteGroup returns ErrNotFound, or a *ConflictError (With "User" or
	// "Policy") while the group has members or policies.
	DeleteGroup(ctx context.Context, accountID, name string) error
	// AddUserToGroup returns ErrNotFound if the user or the group does not
	// exist and ErrAlreadyExists if the user is already a member.
	AddUserToGroup(ctx context.Context, accountID, group, user string, at time.Time) error
	// RemoveUserFromGroup returns ErrNotFound if the user is not a member.
	RemoveUserFromGroup(ctx context.Context, accountID, group, user string) error
	// FindGroupsForUser lists the groups of a user, in group name order.
	FindGroupsForUser(ctx context.Context, accountID, user string) ([]Membership, error)
	// FindUsersForGroup lists the members of a group, in user name order.
	FindUsersForGroup(ctx context.Context, accountID, group string) ([]Membership, error)
}
