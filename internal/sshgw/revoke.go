package sshgw

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/bastionhost"
)

// Revocation. Every session bridged to a host (and every inner connection
// of the transparent proxy) is a liveSession in the gateway's registry
// from before its access is checked for the last time until it ends. When
// access may have changed in an instance, each live session there is
// checked again with MayUse; one that lost its access is ended, kept or
// ended after a grace period, by the Revoke mode. A session that still
// has access through another grant passes the check and stays up.

// Revocation modes (--ssh-revoke).
const (
	RevokeTerminate = "terminate" // end the session at once (default)
	RevokeKeep      = "keep"      // let it run; only new sessions are refused
	RevokeGrace     = "grace"     // end it after Revoke.Grace unless access is back
)

// Revoke is what happens to a live session whose access is revoked.
type Revoke struct {
	Mode  string
	Grace time.Duration // RevokeGrace only
}

// ParseRevoke parses "terminate", "keep" or "grace=<duration>" (a positive
// Go duration such as 30s or 5m); "" is terminate.
func ParseRevoke(s string) (Revoke, error) {
	switch {
	case s == "" || s == RevokeTerminate:
		return Revoke{Mode: RevokeTerminate}, nil
	case s == RevokeKeep:
		return Revoke{Mode: RevokeKeep}, nil
	case strings.HasPrefix(s, RevokeGrace+"="):
		d, err := time.ParseDuration(strings.TrimPrefix(s, RevokeGrace+"="))
		if err != nil || d <= 0 {
			return Revoke{}, fmt.Errorf("%q: the grace period must be a positive duration such as 30s", s)
		}
		return Revoke{Mode: RevokeGrace, Grace: d}, nil
	}
	return Revoke{}, fmt.Errorf("%q: want terminate, keep or grace=<duration>", s)
}

// String is the form ParseRevoke reads.
func (r Revoke) String() string {
	if r.Mode == RevokeGrace {
		return RevokeGrace + "=" + r.Grace.String()
	}
	if r.Mode == "" {
		return RevokeTerminate
	}
	return r.Mode
}

// liveSession is a session bridged to one host account.
type liveSession struct {
	login  login
	access localyun.BastionAccess
	mode   string
	record string // the session record's id, "" if none was written
	// requestID is the requestId of the session's start and end events,
	// startedAt its start (audit.go).
	requestID string
	startedAt time.Time
	// notify writes a line to the user's terminal; closeFn ends both sides.
	notify  func(msg string)
	closeFn func()

	endMu  sync.Mutex
	ended  bool
	reason string // why it ended

	pending atomic.Bool // a check is queued
	checkMu sync.Mutex  // one check at a time
	mu      sync.Mutex  // guards the timers
	grace   *time.Timer // running grace period
	until   *time.Timer // validity end
}

// end ends the session for reason, telling the user msg first ("" for
// nothing). Only the first call, before endReason, does anything.
func (s *liveSession) end(reason, msg string) {
	s.endMu.Lock()
	if s.ended {
		s.endMu.Unlock()
		return
	}
	s.ended, s.reason = true, reason
	s.endMu.Unlock()
	if msg != "" {
		s.notify(msg)
	}
	s.closeFn()
}

// endedFor returns the reason end was given, "" while it runs.
func (s *liveSession) endedFor() string {
	s.endMu.Lock()
	defer s.endMu.Unlock()
	return s.reason
}

// endReason is why the session ended: what end was given, else def. After
// it end does nothing.
func (s *liveSession) endReason(def string) string {
	s.endMu.Lock()
	defer s.endMu.Unlock()
	if !s.ended {
		s.ended, s.reason = true, def
	}
	return s.reason
}

func (s *liveSession) what() string {
	return s.access.Host.Name + " as " + s.access.Account.Name
}

// registry holds the live sessions and runs their re-checks.
type registry struct {
	g        *Gateway
	mu       sync.Mutex
	sessions map[*liveSession]struct{}
	closed   bool
}

func newRegistry(g *Gateway) *registry {
	return &registry{g: g, sessions: map[*liveSession]struct{}{}}
}

// AccessChanged re-checks every live session of an instance ("" for every
// instance). It does not block: the checks run on goroutines of their own.
// It makes the Gateway a bastionhost.AccessWatcher and a listener of the
// store's access changes.
func (g *Gateway) AccessChanged(instanceID string) {
	r := g.live
	r.mu.Lock()
	var todo []*liveSession
	for s := range r.sessions {
		if instanceID == "" || s.login.instanceID == instanceID {
			todo = append(todo, s)
		}
	}
	r.mu.Unlock()
	for _, s := range todo {
		r.recheck(s)
	}
}

// add registers a session and starts its record, with its
// BastionSSHLogin event in the record's transaction (audit.go). It returns
// false once the gateway is closing.
func (r *registry) add(s *liveSession) bool {
	g := r.g
	s.requestID, s.startedAt = localyun.NewGUID(), g.opts.Now()
	ctx := localyun.WithEvent(g.ctx, g.sessionEvent(s, EventLogin))
	rec, err := g.opts.Store.CreateBastionSession(ctx, localyun.BastionSession{InstanceID: s.login.instanceID,
		UserID: s.login.userID, UserName: s.login.userName, ClientAddr: s.login.clientAddr,
		HostID: s.access.Host.ID, HostAddress: hostAddr(s.access.Host), AccountID: s.access.Account.ID,
		AccountName: s.access.Account.Name, Protocol: "SSH", Mode: s.mode, StartedAt: s.startedAt})
	if err != nil {
		g.opts.Logger.Warn("ssh session record", "instance", s.login.instanceID, "err", err)
	}
	s.record = rec.ID
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return false
	}
	r.sessions[s] = struct{}{}
	g.stats.started() // metrics (stats.go)
	return true
}

// remove unregisters a session that has ended and records how, with its
// BastionSSHSessionEnd event in the record's transaction (audit.go).
func (r *registry) remove(s *liveSession, reason string) {
	r.g.stats.endedFor(reason) // metrics (stats.go)
	r.mu.Lock()
	delete(r.sessions, s)
	r.mu.Unlock()
	s.mu.Lock()
	for _, t := range []*time.Timer{s.grace, s.until} {
		if t != nil {
			t.Stop()
		}
	}
	s.mu.Unlock()
	if s.record == "" {
		return
	}
	// A record is ended also while the gateway shuts down.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	end := r.g.opts.Now()
	ctx = localyun.WithEvent(ctx, r.g.sessionEndEvent(s, reason, end))
	if err := r.g.opts.Store.EndBastionSession(ctx, s.login.instanceID, s.record, end, reason); err != nil {
		r.g.opts.Logger.Warn("ssh session record end", "instance", s.login.instanceID, "session", s.record, "err", err)
	}
}

// closeAll ends every live session (the gateway stops).
func (r *registry) closeAll() {
	r.mu.Lock()
	r.closed = true
	var all []*liveSession
	for s := range r.sessions {
		all = append(all, s)
	}
	r.mu.Unlock()
	for _, s := range all {
		s.end(localyun.BastionSessionShutdown, "localyun: the bastion gateway is shutting down")
	}
}

// recheck queues a check of s unless one is queued already (that one will
// see the latest state).
func (r *registry) recheck(s *liveSession) {
	if !s.pending.CompareAndSwap(false, true) {
		return
	}
	go func() {
		s.checkMu.Lock()
		defer s.checkMu.Unlock()
		s.pending.Store(false)
		r.check(s)
	}()
}

// check asks MayUse whether s may go on and acts on the answer. A failed
// check is tried again a second later (the session keeps running
// meanwhile: the store could not say).
func (r *registry) check(s *liveSession) {
	g := r.g
	ctx, cancel := context.WithTimeout(g.ctx, 10*time.Second)
	defer cancel()
	ok, err := r.allowed(ctx, s)
	if err != nil {
		if g.ctx.Err() == nil {
			g.opts.Logger.Warn("ssh access re-check", "instance", s.login.instanceID, "err", err)
			time.AfterFunc(time.Second, func() { r.recheck(s) })
		}
		return
	}
	if ok {
		s.mu.Lock()
		if s.grace != nil && s.grace.Stop() {
			s.grace = nil
			defer s.notify("localyun: your access to " + s.what() + " is back; this session goes on")
		}
		s.mu.Unlock()
		r.watchValidity(ctx, s)
		return
	}
	reason, msg := r.lossReason(ctx, s)
	switch g.opts.Revoke.Mode {
	case RevokeKeep:
		g.opts.Logger.Info("ssh access revoked, session kept", "instance", s.login.instanceID, "session", s.record)
	case RevokeGrace:
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.grace == nil {
			s.notify(msg + "; this session ends in " + g.opts.Revoke.Grace.String())
			s.grace = time.AfterFunc(g.opts.Revoke.Grace, func() { r.graceOver(s, reason) })
		}
	default:
		s.end(reason, msg)
	}
}

// graceOver ends s at the end of its grace period unless its access is
// back.
func (r *registry) graceOver(s *liveSession, reason string) {
	s.checkMu.Lock()
	defer s.checkMu.Unlock()
	ctx, cancel := context.WithTimeout(r.g.ctx, 10*time.Second)
	defer cancel()
	ok, err := r.allowed(ctx, s)
	s.mu.Lock()
	s.grace = nil
	s.mu.Unlock()
	if err == nil && ok {
		s.notify("localyun: your access to " + s.what() + " is back; this session goes on")
		return
	}
	s.end(reason, "localyun: the grace period is over; your access to "+s.what()+" was revoked")
}

// allowed reports whether s may go on: its O&M token (if it logged in
// with one) has not expired, and MayUse says yes.
func (r *registry) allowed(ctx context.Context, s *liveSession) (bool, error) {
	if r.tokenExpired(s) {
		return false, nil
	}
	return r.g.opts.Access.MayUse(ctx, s.login.instanceID, s.login.userID, s.access.Host.ID, s.access.Account.ID)
}

// tokenExpired reports whether s logged in with an O&M token that has
// expired.
func (r *registry) tokenExpired(s *liveSession) bool {
	exp := s.login.tokenExpires
	return !exp.IsZero() && !r.g.opts.Now().Before(exp)
}

// lossReason tells why a session lost its access, as a session record's
// reason and the message to its user: its O&M token expired, its user is
// locked or outside its validity period, or a grant went away.
func (r *registry) lossReason(ctx context.Context, s *liveSession) (reason, msg string) {
	ends := "; your access to " + s.what() + " ends"
	if r.tokenExpired(s) {
		return localyun.BastionSessionExpired, "localyun: your O&M token has expired" + ends
	}
	u, err := r.g.opts.Store.FindBastionUser(ctx, s.login.instanceID, s.login.userID)
	switch {
	case err != nil:
		// deleted (or unreadable)
	case u.Locked:
		return localyun.BastionSessionLocked, "localyun: your bastion user is locked" + ends
	case !bastionhost.UserActive(u, r.g.opts.Now()): // not locked: outside its validity period
		return localyun.BastionSessionExpired, "localyun: your bastion user is outside its validity period" + ends
	}
	return localyun.BastionSessionRevoked, "localyun: your access to " + s.what() + " was revoked"
}

// watchValidity sets a timer that re-checks s just after its user's
// validity period ends (EffectiveEndTime is the last second it is valid)
// or its O&M token expires, whichever comes first. The user is read again
// at every check, so a changed period moves it.
func (r *registry) watchValidity(ctx context.Context, s *liveSession) {
	u, err := r.g.opts.Store.FindBastionUser(ctx, s.login.instanceID, s.login.userID)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.until != nil {
		s.until.Stop()
		s.until = nil
	}
	at := s.login.tokenExpires
	if err == nil && u.EffectiveEndTime != 0 {
		if end := time.Unix(u.EffectiveEndTime+1, 0); at.IsZero() || end.Before(at) {
			at = end
		}
	}
	if at.IsZero() {
		return
	}
	s.until = time.AfterFunc(max(at.Sub(r.g.opts.Now()), 0), func() { r.recheck(s) })
}
