package sshgw

import (
	"sync"
	"sync/atomic"
)

// stats counts the gateway's logins and sessions, for /metrics.
type stats struct {
	live   atomic.Int64
	mu     sync.Mutex
	ended  map[string]uint64    // by reason (localyun.BastionSession*)
	logins map[[2]string]uint64 // by method and result
}

// Login results, in Stats.Logins.
const (
	LoginOK      = "ok"      // the user logged in
	LoginFailed  = "failed"  // a wrong user name or credential
	LoginRefused = "refused" // any other refusal: a lockout, a locked user, a store error
)

// Stats is a snapshot of the gateway's counts.
type Stats struct {
	// Live is the sessions bridged to a host now.
	Live int64
	// Ended counts the sessions that ended, by reason (exit, revoked,
	// locked, expired, idle, shutdown, error).
	Ended map[string]uint64
	// Logins counts the SSH logins, by method (password, publickey,
	// token) and result (LoginOK, LoginFailed, LoginRefused).
	Logins map[[2]string]uint64
	// EventsDropped counts the refused logins' audit events dropped
	// because their queue was full (audit.go).
	EventsDropped uint64
}

// Stats returns the gateway's counts so far.
func (g *Gateway) Stats() Stats {
	s := &g.stats
	s.mu.Lock()
	defer s.mu.Unlock()
	out := Stats{Live: s.live.Load(), Ended: map[string]uint64{}, Logins: map[[2]string]uint64{},
		EventsDropped: g.events.Dropped()}
	for k, v := range s.ended {
		out.Ended[k] = v
	}
	for k, v := range s.logins {
		out.Logins[k] = v
	}
	return out
}

func (s *stats) started() { s.live.Add(1) }

func (s *stats) endedFor(reason string) {
	s.live.Add(-1)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended == nil {
		s.ended = map[string]uint64{}
	}
	s.ended[reason]++
}

// login counts a login by method; err is nil for one that succeeded.
func (s *stats) login(method string, err error) {
	result := LoginOK
	switch {
	case err != nil && isLoginFailed(err):
		result = LoginFailed
	case err != nil:
		result = LoginRefused
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.logins == nil {
		s.logins = map[[2]string]uint64{}
	}
	s.logins[[2]string{method, result}]++
}
