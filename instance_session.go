package localyun

import "context"

// InstanceSession is the current STS session of an instance's RAM role:
// the one the instance metadata service hands out. Its Session.InstanceID
// names the instance (bound sessions, see Session). Unlike an AssumeRole
// session its SecurityToken is kept (sealed with the master key at rest),
// so that the instance asking again gets the very same credentials until
// they are rotated.
type InstanceSession struct {
	Session
	Token string // the SecurityToken, whose hash is Session.TokenHash
}

// InstanceSessionStore keeps the current session of each instance.
type InstanceSessionStore interface {
	// FindInstanceSession returns the current session of the instance
	// instanceID of an account, expired or not. Returns ErrNotFound if
	// there is none (never issued, or deleted with its expired session by
	// DeleteExpiredSessions).
	FindInstanceSession(ctx context.Context, accountID, instanceID string) (InstanceSession, error)
	// ReplaceInstanceSession stores s.Session as CreateSession does (its
	// InstanceID set) and makes s the current session of that instance, as
	// a compare-and-set: prev is the AccessKeyID of the current session as
	// the caller read it, "" for none. Returns ErrConflict if the current
	// session is another by then (a concurrent request replaced it), or
	// ErrAlreadyExists if the AccessKeyID is taken; on error nothing is
	// written. The replaced session stays valid until it expires; only its
	// token is forgotten.
	ReplaceInstanceSession(ctx context.Context, s InstanceSession, prev string) error
}
