package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/localyun/localyun"
)

// The group commit tests hold the writer in a job of its own (holdWriter),
// queue the jobs of the next transaction one by one (so their order is
// known), then let the writer go: the queued jobs share one transaction.

// holdWriter runs a write transaction that waits for the returned func to
// be called, and returns once the writer is inside it.
func holdWriter(t *testing.T, st *Store) (release func()) {
	t.Helper()
	inside, rel := make(chan struct{}), make(chan struct{})
	done := goTx(st, context.Background(), func(context.Context, *sql.Tx) error {
		close(inside)
		<-rel
		return nil
	})
	<-inside
	return func() {
		close(rel)
		if err := <-done; err != nil {
			t.Errorf("the holding transaction: %v", err)
		}
	}
}

// goTx runs withTx in a goroutine and sends its error, or the value it
// panicked with as an error.
func goTx(st *Store, ctx context.Context, fn func(context.Context, *sql.Tx) error) <-chan error {
	ch := make(chan error, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				ch <- fmt.Errorf("panic: %v", p)
			}
		}()
		ch <- st.withTx(ctx, fn)
	}()
	return ch
}

// queue queues fn behind the held writer and waits until it is queued.
func queue(t *testing.T, st *Store, ctx context.Context, fn func(context.Context, *sql.Tx) error) <-chan error {
	t.Helper()
	st.commit.mu.Lock()
	n := len(st.commit.queue)
	st.commit.mu.Unlock()
	ch := goTx(st, ctx, fn)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		st.commit.mu.Lock()
		q := len(st.commit.queue)
		st.commit.mu.Unlock()
		if q > n {
			return ch
		}
		if time.Now().After(deadline) {
			t.Fatal("the job was not queued")
		}
	}
}

func insertAccount(id string) func(context.Context, *sql.Tx) error {
	return func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO accounts (id, name, created_at) VALUES (?, 'n', 0)`, id)
		return err
	}
}

// accountIDs returns the ids of the accounts, in order.
func accountIDs(t *testing.T, st *Store) []string {
	t.Helper()
	rows, err := st.read.QueryContext(context.Background(), `SELECT id FROM accounts ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

func wantIDs(t *testing.T, st *Store, want ...string) {
	t.Helper()
	if got := accountIDs(t, st); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("accounts %v, want %v", got, want)
	}
}

// TestGroupCommitShares: the jobs queued while a transaction runs share the
// next one: one commit (one fsync) for all of them.
func TestGroupCommitShares(t *testing.T) {
	st := openFile(t)
	release := holdWriter(t, st)
	var errs []<-chan error
	var want []string
	for i := range 10 {
		id := fmt.Sprintf("a%02d", i)
		want = append(want, id)
		errs = append(errs, queue(t, st, context.Background(), insertAccount(id)))
	}
	release()
	for _, ch := range errs {
		if err := <-ch; err != nil {
			t.Fatal(err)
		}
	}
	wantIDs(t, st, want...)
	if w, c := st.CommitStats(); w != 11 || c != 2 {
		t.Fatalf("CommitStats %d writes, %d commits; want 11, 2", w, c)
	}
	upper, commits := st.CommitBatchSizes()
	if len(upper) != batchBuckets || upper[0] != 1 || upper[len(upper)-1] != maxBatch ||
		commits[0] != 1 || commits[3] != 1 || commits[4] != 2 || commits[len(commits)-1] != 2 {
		t.Fatalf("CommitBatchSizes %v %v", upper, commits)
	}
}

// TestGroupCommitJobsIsolated: in a shared transaction each job is all or
// nothing, keeps its own error (and its kind), and sees the writes of the
// jobs before it that succeeded, and only those.
func TestGroupCommitJobsIsolated(t *testing.T) {
	st := openFile(t)
	release := holdWriter(t, st)
	fail := errors.New("refused")
	ctx := context.Background()
	a := queue(t, st, ctx, insertAccount("a"))
	b := queue(t, st, ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := insertAccount("b")(ctx, tx); err != nil {
			return err
		}
		return fail
	})
	var seen string
	c := queue(t, st, ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT group_concat(id) FROM accounts`).Scan(&seen); err != nil {
			return err
		}
		return insertAccount("c")(ctx, tx)
	})
	d := queue(t, st, ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := insertAccount("d")(ctx, tx); err != nil {
			return err
		}
		return insertAccount("a")(ctx, tx) // a duplicate key
	})
	release()
	if err := <-a; err != nil {
		t.Fatalf("a: %v", err)
	}
	if err := <-b; !errors.Is(err, fail) {
		t.Fatalf("b: %v, want its own error", err)
	}
	if err := <-c; err != nil || seen != "a" {
		t.Fatalf("c: %v, saw %q, want a", err, seen)
	}
	if err := <-d; !errors.Is(err, localyun.ErrAlreadyExists) {
		t.Fatalf("d: %v, want ErrAlreadyExists", err)
	}
	wantIDs(t, st, "a", "c")
	if w, c := st.CommitStats(); w != 3 || c != 2 {
		t.Fatalf("CommitStats %d writes, %d commits; want 3, 2", w, c)
	}
}

// TestGroupCommitReplayKeys: a job records its request's replay key in its
// own savepoint: a job that fails leaves its key unrecorded (and not marked
// recorded) while the others of the transaction record theirs.
func TestGroupCommitReplayKeys(t *testing.T) {
	st := openFile(t)
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	keyCtx := func(nonce string) (context.Context, localyun.ReplayKey) {
		k := localyun.NewReplayKey("LTAIkey", nonce, now.Add(15*time.Minute))
		return localyun.WithReplayKey(context.Background(), k, now), k
	}
	okCtx, okKey := keyCtx("ok")
	failCtx, _ := keyCtx("fail")
	fail := errors.New("refused")
	// Prepare the statements first: preparing takes the write connection.
	for _, q := range []string{recordReplayKey, expireReplayKeys} {
		if _, _, err := st.writeStmt(context.Background(), q); err != nil {
			t.Fatal(err)
		}
	}
	release := holdWriter(t, st)
	okErr := queue(t, st, okCtx, insertAccount("a"))
	failErr := queue(t, st, failCtx, func(ctx context.Context, tx *sql.Tx) error {
		if err := insertAccount("b")(ctx, tx); err != nil {
			return err
		}
		return fail
	})
	release()
	if err := <-okErr; err != nil {
		t.Fatal(err)
	}
	if err := <-failErr; !errors.Is(err, fail) {
		t.Fatal(err)
	}
	if keys := replayKeys(t, st, now); len(keys) != 1 || keys[0].Sum != okKey.Sum {
		t.Fatalf("recorded %v, want only %v", keys, okKey)
	}
	if _, _, ok := localyun.ReplayKeyFromContext(okCtx); ok {
		t.Error("the committed job's key is not marked recorded")
	}
	if _, _, ok := localyun.ReplayKeyFromContext(failCtx); !ok {
		t.Error("the failed job's key is marked recorded")
	}
}

// TestGroupCommitCancel: a request that stops waiting before its job
// starts takes the job out (it never runs); a request canceled while its
// job runs does not interrupt the shared transaction, and gets the job's
// true outcome.
func TestGroupCommitCancel(t *testing.T) {
	st := openFile(t)
	release := holdWriter(t, st)
	ctx, cancel := context.WithCancel(context.Background())
	ran := false
	gone := queue(t, st, ctx, func(ctx context.Context, tx *sql.Tx) error {
		ran = true
		return insertAccount("gone")(ctx, tx)
	})
	cancel()
	if err := <-gone; !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled while queued: %v", err)
	}
	mid, cancelMid := context.WithCancel(context.Background())
	before := queue(t, st, context.Background(), insertAccount("a"))
	during := queue(t, st, mid, func(ctx context.Context, tx *sql.Tx) error {
		cancelMid() // the request's context ends while its job runs
		return insertAccount("b")(ctx, tx)
	})
	after := queue(t, st, context.Background(), insertAccount("c"))
	release()
	for name, ch := range map[string]<-chan error{"before": before, "during": during, "after": after} {
		if err := <-ch; err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if ran {
		t.Error("the job of a request that stopped waiting ran")
	}
	wantIDs(t, st, "a", "b", "c")
}

// TestGroupCommitLostTransaction: when SQLite rolls back the whole shared
// transaction under a job (here the job ends it itself, as a full disk or
// an I/O error would), the jobs before it that succeeded get an
// ErrUnavailable error (their writes are gone), and the jobs after it run
// in a new transaction.
func TestGroupCommitLostTransaction(t *testing.T) {
	st := openFile(t)
	release := holdWriter(t, st)
	ctx := context.Background()
	a := queue(t, st, ctx, insertAccount("a"))
	b := queue(t, st, ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "ROLLBACK")
		return err
	})
	c := queue(t, st, ctx, insertAccount("c"))
	release()
	if err := <-a; !errors.Is(err, localyun.ErrUnavailable) {
		t.Fatalf("a: %v, want ErrUnavailable", err)
	}
	if err := <-b; err == nil {
		t.Fatal("b: no error")
	}
	if err := <-c; err != nil {
		t.Fatalf("c: %v", err)
	}
	wantIDs(t, st, "c")
}

// TestGroupCommitFailedCommit: when the COMMIT fails, every job of the
// transaction gets its error (none is acknowledged), and the next
// transactions commit.
func TestGroupCommitFailedCommit(t *testing.T) {
	st := openFile(t)
	ctx := context.Background()
	// A deferred foreign key is checked by the COMMIT only.
	if _, err := st.write.ExecContext(ctx, `CREATE TABLE parents (id TEXT PRIMARY KEY);
		CREATE TABLE children (parent TEXT REFERENCES parents (id) DEFERRABLE INITIALLY DEFERRED)`); err != nil {
		t.Fatal(err)
	}
	orphan := func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO children (parent) VALUES ('none')`)
		return err
	}
	release := holdWriter(t, st)
	a := queue(t, st, ctx, insertAccount("a"))
	b := queue(t, st, ctx, orphan)
	release()
	if err := <-a; !errors.Is(err, localyun.ErrNotFound) {
		t.Fatalf("a: %v, want the COMMIT's foreign key error", err)
	}
	if err := <-b; !errors.Is(err, localyun.ErrNotFound) {
		t.Fatalf("b: %v, want the COMMIT's foreign key error", err)
	}
	// The same alone (no savepoints).
	if err := st.withTx(ctx, orphan); !errors.Is(err, localyun.ErrNotFound) {
		t.Fatalf("alone: %v", err)
	}
	if err := st.withTx(ctx, insertAccount("c")); err != nil {
		t.Fatalf("after failed commits: %v", err)
	}
	wantIDs(t, st, "c")
	if w, c := st.CommitStats(); w != 2 || c != 2 { // the holding job's, and c's
		t.Fatalf("CommitStats %d writes, %d commits; want 2, 2", w, c)
	}
}

// TestGroupCommitPanic: a job that panics rolls back its own writes and
// panics in its request's goroutine; the others commit.
func TestGroupCommitPanic(t *testing.T) {
	st := openFile(t)
	release := holdWriter(t, st)
	ctx := context.Background()
	a := queue(t, st, ctx, insertAccount("a"))
	b := queue(t, st, ctx, func(ctx context.Context, tx *sql.Tx) error {
		insertAccount("b")(ctx, tx)
		panic("boom")
	})
	release()
	if err := <-a; err != nil {
		t.Fatal(err)
	}
	if err := <-b; err == nil || err.Error() != "panic: boom" {
		t.Fatalf("b: %v, want its panic", err)
	}
	wantIDs(t, st, "a")
}

// TestGroupCommitCountsWrites: a job that succeeded is counted in
// st.writes before the next job of the transaction runs, so that a grant
// batch sees that something was written since its targets were read
// (bastion_grant.go); a job that failed is not.
func TestGroupCommitCountsWrites(t *testing.T) {
	st := openFile(t)
	release := holdWriter(t, st)
	var v uint64 // the count as the transaction starts (after the holding one's)
	ctx := context.Background()
	queue(t, st, ctx, func(context.Context, *sql.Tx) error {
		v = st.writes.Load()
		return errors.New("refused")
	})
	var afterFailed, afterWrite bool
	queue(t, st, ctx, func(ctx context.Context, tx *sql.Tx) error {
		afterFailed = st.unchangedSince(v)
		return insertAccount("a")(ctx, tx)
	})
	last := queue(t, st, ctx, func(context.Context, *sql.Tx) error {
		afterWrite = st.unchangedSince(v)
		return nil
	})
	release()
	<-last
	if !afterFailed || afterWrite {
		t.Fatalf("unchanged after a failed job: %v (want true); after a write: %v (want false)", afterFailed, afterWrite)
	}
}

// TestGroupCommitClose: Close runs the jobs already queued; later writes
// fail.
func TestGroupCommitClose(t *testing.T) {
	st := openFile(t)
	release := holdWriter(t, st)
	a := queue(t, st, context.Background(), insertAccount("a"))
	closed := make(chan error, 1)
	go func() { closed <- st.Close() }()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		st.commit.mu.Lock()
		c := st.commit.closed
		st.commit.mu.Unlock()
		if c {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("Close did not start")
		}
	}
	if err := st.withTx(context.Background(), insertAccount("b")); !errors.Is(err, errClosed) {
		t.Fatalf("a write after Close: %v", err)
	}
	release()
	if err := <-a; err != nil {
		t.Fatalf("a queued write: %v", err)
	}
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
}

// TestGroupCommitConcurrent: many writers, some failing; every write that
// was answered nil is there, no other, on disk and in memory.
func TestGroupCommitConcurrent(t *testing.T) {
	for _, path := range []string{"file", ":memory:"} {
		t.Run(path, func(t *testing.T) {
			var st *Store
			if path == "file" {
				st = openFile(t)
			} else {
				var err error
				if st, err = Open(context.Background(), path); err != nil {
					t.Fatal(err)
				}
				defer st.Close()
			}
			var mu sync.Mutex
			var want []string
			var wg sync.WaitGroup
			for w := range 16 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range 20 {
						id := fmt.Sprintf("w%02d-%02d", w, i)
						err := st.withTx(context.Background(), func(ctx context.Context, tx *sql.Tx) error {
							if err := insertAccount(id)(ctx, tx); err != nil {
								return err
							}
							if i%3 == 0 {
								return errors.New("refused")
							}
							return nil
						})
						if err == nil {
							mu.Lock()
							want = append(want, id)
							mu.Unlock()
						}
					}
				}()
			}
			wg.Wait()
			got := accountIDs(t, st)
			if len(got) != len(want) || len(want) != 16*13 {
				t.Fatalf("%d accounts, %d answered nil, want %d", len(got), len(want), 16*13)
			}
			if w, c := st.CommitStats(); w != uint64(len(want)) || c == 0 || c > w {
				t.Fatalf("CommitStats %d writes, %d commits", w, c)
			}
		})
	}
}
