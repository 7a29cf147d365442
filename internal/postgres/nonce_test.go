package postgres_test

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/pgtest"
	"github.com/localyun/localyun/internal/postgres"
)

// openNonces returns a store and a separate connection pool to its
// database.
func openNonces(t *testing.T) (*postgres.Store, *sql.DB) {
	t.Helper()
	dsn := pgtest.NewDatabase(t)
	st, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return st, db
}

// TestUseNonce: the shared window keeps a nonce while its timestamp is
// accepted (the expiry instant included, as the in-memory window does),
// stores a fixed-size digest whatever the nonce's length, and refuses a
// key already expired.
func TestUseNonce(t *testing.T) {
	ctx := context.Background()
	st, db := openNonces(t)
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	exp := t0.Add(15 * time.Minute)
	key := localyun.NewReplayKey("LTAIkey", "n1", exp)
	if err := st.UseNonce(ctx, key, t0); err != nil {
		t.Fatal(err)
	}
	for _, now := range []time.Time{t0, exp.Add(-time.Millisecond), exp} {
		if err := st.UseNonce(ctx, localyun.NewReplayKey("LTAIkey", "n1", now.Add(15*time.Minute)), now); !errors.Is(err, localyun.ErrAlreadyExists) {
			t.Fatalf("replay at %v: %v, want ErrAlreadyExists", now.Sub(t0), err)
		}
	}
	after := exp.Add(time.Millisecond)
	if err := st.UseNonce(ctx, localyun.NewReplayKey("LTAIkey", "n1", after.Add(15*time.Minute)), after); err != nil {
		t.Fatalf("after expiry: %v", err)
	}
	if err := st.UseNonce(ctx, localyun.NewReplayKey("LTAIkey", "n2", t0), after); !errors.Is(err, localyun.ErrInvalid) {
		t.Fatalf("expired key: %v, want ErrInvalid", err)
	}

	long := localyun.NewReplayKey("LTAIkey", strings.Repeat("n", 1_000_000), exp)
	if err := st.UseNonce(ctx, long, t0); err != nil {
		t.Fatal(err)
	}
	var longest int
	if err := db.QueryRowContext(ctx, `SELECT MAX(LENGTH(key)) FROM nonces`).Scan(&longest); err != nil {
		t.Fatal(err)
	}
	if longest != 64 {
		t.Fatalf("longest stored key %d bytes, want a 64-character digest", longest)
	}
}

// TestUseNonceSweepsInBackground: the delete of expired nonces runs beside
// the requests: while a row it must delete is locked, UseNonce still
// answers, and the rows go once the lock is released.
func TestUseNonceSweepsInBackground(t *testing.T) {
	ctx := context.Background()
	st, db := openNonces(t)
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := st.UseNonce(ctx, localyun.NewReplayKey("LTAIkey", "old", t0.Add(time.Second)), t0); err != nil {
		t.Fatal(err)
	}
	lock, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Rollback()
	if _, err := lock.ExecContext(ctx, `SELECT key FROM nonces FOR UPDATE`); err != nil {
		t.Fatal(err)
	}
	// An hour later the old row is due for the sweep, which waits on the
	// lock; the requests must not (the deadline only detects a hang).
	later := t0.Add(time.Hour)
	use := func(nonce string) {
		t.Helper()
		hang, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if err := st.UseNonce(hang, localyun.NewReplayKey("LTAIkey", nonce, later.Add(15*time.Minute)), later); err != nil {
			t.Fatalf("UseNonce while the sweep waits: %v", err)
		}
	}
	requests := 0
	waitFor := func(what, query string) {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); ; {
			requests++
			use("new-" + strconv.Itoa(requests))
			var n int
			if err := db.QueryRowContext(ctx, query).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n > 0 {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("no %s", what)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	waitFor("sweep waiting on the lock", `SELECT COUNT(*) FROM pg_stat_activity
		WHERE query LIKE 'DELETE FROM nonces%' AND wait_event_type = 'Lock'`)
	lock.Rollback()
	waitFor("sweep of the expired nonce", `SELECT CASE COUNT(*) WHEN 0 THEN 1 ELSE 0 END FROM nonces
		WHERE expires_at < `+strconv.FormatInt(later.UnixMilli(), 10))
}
