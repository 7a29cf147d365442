package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/localyun/localyun"
)

// replayKeys returns the recorded replay keys unexpired at now.
func replayKeys(t *testing.T, st *Store, now time.Time) []localyun.ReplayKey {
	t.Helper()
	var keys []localyun.ReplayKey
	if err := st.ReplayKeys(context.Background(), now, func(k localyun.ReplayKey) error {
		keys = append(keys, k)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return keys
}

func openFile(t *testing.T) *Store {
	t.Helper()
	st, err := Open(context.Background(), filepath.Join(t.TempDir(), "replay.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// TestReplayKeyRecordedWithTheWrite: a write transaction records its
// request's replay key when it commits, and only then.
func TestReplayKeyRecordedWithTheWrite(t *testing.T) {
	st := openFile(t)
	now := time.Date(2026, 1, 2, 3, 4, 5, 500, time.UTC)
	key := localyun.NewReplayKey("LTAIkey", "nonce-1", now.Add(15*time.Minute))
	ctx := localyun.WithReplayKey(context.Background(), key, now)
	const acct = "1234567890123456"
	insert := func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO accounts (id, name, created_at) VALUES (?, 'dev', 0)`, acct)
		return err
	}

	fail := errors.New("refused")
	if err := st.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := insert(ctx, tx); err != nil {
			return err
		}
		return fail
	}); !errors.Is(err, fail) {
		t.Fatalf("withTx: %v", err)
	}
	if keys := replayKeys(t, st, now); len(keys) != 0 {
		t.Fatalf("a rolled-back transaction left replay keys %v", keys)
	}
	if _, _, ok := localyun.ReplayKeyFromContext(ctx); !ok {
		t.Fatal("a rolled-back transaction marked the key recorded")
	}

	if err := st.withTx(ctx, insert); err != nil {
		t.Fatal(err)
	}
	keys := replayKeys(t, st, now)
	if len(keys) != 1 || keys[0].Sum != key.Sum || keys[0].Expires.Before(key.Expires) ||
		keys[0].Expires.After(key.Expires.Add(time.Millisecond)) {
		t.Fatalf("after the commit: %v, want %v", keys, key)
	}
	if _, _, ok := localyun.ReplayKeyFromContext(ctx); ok {
		t.Fatal("the committed key is not marked recorded")
	}
	// Until its expiry, that instant included.
	if keys := replayKeys(t, st, key.Expires); len(keys) != 1 {
		t.Fatalf("at the expiry instant: %v", keys)
	}
	if keys := replayKeys(t, st, key.Expires.Add(2*time.Millisecond)); len(keys) != 0 {
		t.Fatalf("after expiry: %v", keys)
	}

	// A store method records through the same transaction.
	other := localyun.NewReplayKey("LTAIkey", "nonce-2", now.Add(15*time.Minute))
	ctx2 := localyun.WithReplayKey(context.Background(), other, now)
	if err := st.CreateAccessKey(ctx2, localyun.AccessKey{ID: "LTAIkey", Secret: "s", AccountID: acct,
		Status: localyun.AccessKeyActive, CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if keys := replayKeys(t, st, now); len(keys) != 2 {
		t.Fatalf("after CreateAccessKey: %d keys, want 2", len(keys))
	}
}

// TestReplayKeysExpire: recording writes delete expired keys (one in 16,
// up to 64 each), so the table keeps to the keys of the window.
func TestReplayKeysExpire(t *testing.T) {
	st := openFile(t)
	ctx := context.Background()
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	write := func(nonce string, now time.Time) {
		t.Helper()
		c := localyun.WithReplayKey(ctx, localyun.NewReplayKey("LTAIkey", nonce, now.Add(15*time.Minute)), now)
		if err := st.withTx(c, func(context.Context, *sql.Tx) error { return nil }); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 40 {
		write("old-"+strconv.Itoa(i), t0)
	}
	later := t0.Add(16 * time.Minute)
	for i := range 20 {
		write("new-"+strconv.Itoa(i), later)
	}
	var rows int
	if err := st.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM replay_keys`).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != 20 {
		t.Fatalf("%d rows after 20 writes past the 40 old keys' expiry, want the 20 new ones", rows)
	}
}

// TestReplayKeysNotInMemory: a database in memory does not outlive the
// process, so it records nothing.
func TestReplayKeysNotInMemory(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now()
	c := localyun.WithReplayKey(ctx, localyun.NewReplayKey("LTAIkey", "n", now.Add(time.Minute)), now)
	if err := st.withTx(c, func(context.Context, *sql.Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if keys := replayKeys(t, st, now); len(keys) != 0 {
		t.Fatalf("memory store recorded %v", keys)
	}
}

// BenchmarkWithTxReplayKey is the cost of recording replay keys: a write
// transaction of one small UPDATE, without and with a key to record (and
// expired keys to delete once the window is full).
func BenchmarkWithTxReplayKey(b *testing.B) {
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	if err := st.CreateAccount(ctx, localyun.Account{ID: "1234567890123456", Name: "bench"}); err != nil {
		b.Fatal(err)
	}
	update := func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE accounts SET name = 'bench' WHERE id = '1234567890123456'`)
		return err
	}
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, record := range []bool{false, true} {
		b.Run("record="+strconv.FormatBool(record), func(b *testing.B) {
			i := 0
			for b.Loop() {
				c := ctx
				if record {
					// 10 writes a simulated second: past the first 9,000
					// the window is full and keys expire as many as come.
					now := t0.Add(time.Duration(i) * 100 * time.Millisecond)
					c = localyun.WithReplayKey(ctx, localyun.NewReplayKey("LTAIbench", strconv.Itoa(i), now.Add(15*time.Minute)), now)
				}
				if err := st.withTx(c, update); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
