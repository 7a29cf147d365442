package server

import (
	"context"
	"time"
)

// UseNonce exposes the gateway's replay check to tests: the request of
// accessKeyID signed with nonce and timestamp ts, at the server's clock.
// It returns the error the request would be answered with.
func (s *Server) UseNonce(ctx context.Context, accessKeyID, nonce string, ts time.Time) error {
	return s.useNonce(ctx, accessKeyID, nonce, ts)
}

// NonceWindowLen is the number of nonces the server's replay window holds.
func (s *Server) NonceWindowLen() int { return s.nonces.(windowSize).Len() }
