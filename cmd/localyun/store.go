package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/postgres"
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
	return st, "sqlite:" + path, nil
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

// sharedNonces returns the store's own nonce window when it has one that
// every node shares (PostgreSQL), or nil for the in-process window.
func sharedNonces(st localyun.Store) localyun.NonceStore {
	if n, ok := st.(*postgres.Store); ok {
		return n
	}
	return nil
}

// sharedRateLimiter returns the store's shared token buckets (PostgreSQL),
// or nil for buckets in this process.
func sharedRateLimiter(st localyun.Store) localyun.RateLimiter {
	if r, ok := st.(*postgres.Store); ok {
		return r
	}
	return nil
}
