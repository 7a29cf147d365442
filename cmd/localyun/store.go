package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/postgres"
	"github.com/localyun/localyun/internal/server"
	"github.com/localyun/localyun/internal/sqlite"
)

// isPostgres reports whether a store DSN names PostgreSQL.
func isPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// openStore opens the store the configuration names: PostgreSQL for a
// postgres:// DSN, otherwise SQLite (in memory, at sqlite:PATH, or in the
// data directory). It returns the store and a description for the banner.
// The backend is chosen here, in one place.
func openStore(ctx context.Context, cfg Config) (localyun.Store, string, error) {
	switch {
	case cfg.Memory:
		st, err := sqlite.Open(ctx, ":memory:")
		return st, "memory (nothing is written to disk)", err
	case isPostgres(cfg.Store):
		st, err := postgres.Open(ctx, cfg.Store)
		return st, "postgres " + redact(cfg.Store), err
	}
	path := strings.TrimPrefix(cfg.Store, "sqlite:")
	if path == "" {
		if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
			return nil, "", err
		}
		path = filepath.Join(cfg.DataDir, "localyun.db")
	}
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		return nil, "", fmt.Errorf("open sqlite:%s: %w", path, err)
	}
	return st, "sqlite:" + path + " (WAL, synchronous=FULL, group commit: fsync'd before every answer)", nil
}

// redact hides the password of a DSN for printing.
func redact(dsn string) string {
	i := strings.Index(dsn, "://")
	j := strings.LastIndex(dsn, "@")
	if i < 0 || j < 0 || j < i {
		return dsn
	}
	cred := dsn[i+3 : j]
	if k := strings.Index(cred, ":"); k >= 0 {
		return dsn[:i+3] + cred[:k] + ":***" + dsn[j:]
	}
	return dsn
}

// replayWindow returns the signature-nonce replay window: PostgreSQL's own,
// which every node shares, or one in this process (server.MemoryNonces)
// that also refuses the replays of the requests whose writes SQLite
// recorded with their replay keys, so that none of them is accepted again
// after a restart or a crash. Nothing is loaded (see
// server.WithRecordedKeys): start-up does not grow with the window.
func replayWindow(ctx context.Context, st localyun.Store, now time.Time) (localyun.NonceStore, error) {
	switch st := st.(type) {
	case *postgres.Store:
		return st, nil
	case *sqlite.Store:
		w := server.NewMemoryNonces(0)
		until, ok, err := st.LatestReplayExpiry(ctx)
		if err != nil {
			return nil, fmt.Errorf("read the replay window: %w", err)
		}
		if !ok || until.Before(now) {
			return w, nil
		}
		return server.WithRecordedKeys(w, st, until), nil
	}
	return nil, nil
}

// sharedRateLimiter returns the store's shared token buckets (PostgreSQL),
// or nil for buckets in this process.
func sharedRateLimiter(st localyun.Store) localyun.RateLimiter {
	if r, ok := st.(*postgres.Store); ok {
		return r
	}
	return nil
}
