package localyun

import (
	"context"
	"time"
)

// Session is an STS role session: temporary credentials issued by
// AssumeRole, or by the instance metadata service to an instance holding
// the role.
type Session struct {
	AccessKeyID string // "STS." + random
	Secret      string
	// TokenHash is the SHA-256 (hex) of the SecurityToken; the token itself
	// is returned once and never stored.
	TokenHash   string
	AccountID   string // the role's account
	RoleName    string
	RoleID      string
	SessionName string
	Policy      string // session policy document; "" for none
	// Caller is the ARN of the principal that assumed the role
	// ("ecs.aliyuncs.com" for instance sessions).
	Caller    string
	CreatedAt time.Time
	ExpiresAt time.Time
	// InstanceID binds the session to an ECS instance: the metadata
	// service issued it to that instance for the role RoleName of id
	// RoleID (see InstanceSessionStore). "" for AssumeRole sessions.
	InstanceID string
}

// SessionStore persists STS sessions.
type SessionStore interface {
	// CreateSession returns ErrAlreadyExists if the AccessKeyID is taken.
	CreateSession(ctx context.Context, s Session) error
	// FindSession returns ErrNotFound if there is no such session (expired
	// sessions are still found until DeleteExpiredSessions removes them).
	FindSession(ctx context.Context, accessKeyID string) (Session, error)
	// DeleteExpiredSessions deletes sessions that expired before t and
	// returns how many.
	DeleteExpiredSessions(ctx context.Context, t time.Time) (int, error)
}
