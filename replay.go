package localyun

import (
	"context"
	"crypto/sha256"
	"sync/atomic"
	"time"
)

// ReplayKey identifies one signed request in the replay window: a digest
// of its AccessKeyId and signature nonce, the same size whatever the
// nonce's length, and how long it must be remembered. The in-memory window
// keeps a 64-bit fingerprint of Sum; the stores keep all of it.
type ReplayKey struct {
	// Sum is the SHA-256 of the AccessKeyId, a NUL byte and the nonce.
	Sum [sha256.Size]byte
	// Expires is the last instant at which the request's timestamp is
	// still accepted: the key is remembered until then, that instant
	// included.
	Expires time.Time
}

// NewReplayKey returns the replay key of a request signed by accessKeyID
// with nonce, whose timestamp is accepted until expires.
func NewReplayKey(accessKeyID, nonce string, expires time.Time) ReplayKey {
	return ReplayKey{Sum: sha256.Sum256([]byte(accessKeyID + "\x00" + nonce)), Expires: expires}
}

// ExpiresMillis is Expires in Unix milliseconds, rounded up, so that a
// store keeping milliseconds never forgets a key before Expires.
func (k ReplayKey) ExpiresMillis() int64 {
	ms := k.Expires.UnixMilli()
	if k.Expires.After(time.UnixMilli(ms)) {
		ms++
	}
	return ms
}

type replayKeyContext struct{}

// replayState is the replay key of one request, the instant it was
// accepted, and whether a committed write has recorded it.
type replayState struct {
	key      ReplayKey
	now      time.Time
	recorded atomic.Bool
}

// WithReplayKey returns a context that carries key, the replay key of the
// request the context serves, and now, the instant the replay window
// accepted it by the server's clock. A store that keeps the window across
// restarts (SQLite) records the key in the first write transaction that
// commits under the context, so that a replay of a request that changed
// state is refused after a restart or a crash.
func WithReplayKey(ctx context.Context, key ReplayKey, now time.Time) context.Context {
	return context.WithValue(ctx, replayKeyContext{}, &replayState{key: key, now: now})
}

// ReplayKeyFromContext returns the replay key and the instant WithReplayKey
// put in ctx, and false if there are none or MarkReplayKeyRecorded has
// marked the key recorded.
func ReplayKeyFromContext(ctx context.Context) (key ReplayKey, now time.Time, ok bool) {
	st, ok := ctx.Value(replayKeyContext{}).(*replayState)
	if !ok || st == nil || st.recorded.Load() {
		return ReplayKey{}, time.Time{}, false
	}
	return st.key, st.now, true
}

// MarkReplayKeyRecorded notes that a committed write transaction stored
// ctx's replay key, so that the request's later writes need not.
func MarkReplayKeyRecorded(ctx context.Context) {
	if st, ok := ctx.Value(replayKeyContext{}).(*replayState); ok && st != nil {
		st.recorded.Store(true)
	}
}

// WithoutReplayKey returns ctx for a housekeeping write of its request (a
// key's last use, once a minute, reads too): no store records the
// request's replay key with it, as none would without WithReplayKey.
func WithoutReplayKey(ctx context.Context) context.Context {
	if _, ok := ctx.Value(replayKeyContext{}).(*replayState); !ok {
		return ctx
	}
	return context.WithValue(ctx, replayKeyContext{}, (*replayState)(nil))
}
