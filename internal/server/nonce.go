package server

import (
	"context"
	"sync"
	"time"

	"github.com/localyun/localyun"
)

// MemoryNonces is an in-process replay window. Entries live until their
// expiry; memory is bounded by Max entries, beyond which new requests are
// refused (503) rather than letting a replay through.
type MemoryNonces struct {
	Max int

	mu      sync.Mutex
	entries map[string]time.Time
	sweepAt time.Time
}

// NewMemoryNonces returns a replay window holding at most max nonces.
func NewMemoryNonces(max int) *MemoryNonces {
	return &MemoryNonces{Max: max, entries: make(map[string]time.Time)}
}

// UseNonce records key until expires. It returns localyun.ErrAlreadyExists
// if key is already recorded and unexpired, and localyun.ErrUnavailable if
// the window is full.
func (n *MemoryNonces) UseNonce(_ context.Context, key string, now, expires time.Time) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if exp, ok := n.entries[key]; ok && exp.After(now) {
		return localyun.ErrAlreadyExists
	}
	if len(n.entries) >= n.Max || now.After(n.sweepAt) {
		for k, exp := range n.entries {
			if !exp.After(now) {
				delete(n.entries, k)
			}
		}
		n.sweepAt = now.Add(time.Minute)
		if len(n.entries) >= n.Max {
			return localyun.ErrUnavailable
		}
	}
	n.entries[key] = expires
	return nil
}

// Len returns the number of remembered nonces.
func (n *MemoryNonces) Len() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.entries)
}
