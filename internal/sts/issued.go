package sts

import "sync/atomic"

// issuedCounts counts the instance credentials InstanceCredentials served:
// a new session made, or the current one reused.
type issuedCounts struct {
	created, reused atomic.Uint64
}

// IssuedInstanceCredentials reports how many times InstanceCredentials
// made a new session for an instance, and how many times it served the
// instance's current one again (for /metrics).
func (s *Service) IssuedInstanceCredentials() (created, reused uint64) {
	return s.issued.created.Load(), s.issued.reused.Load()
}
