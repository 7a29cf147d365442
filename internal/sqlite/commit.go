package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/bits"
	"sync"
	"sync/atomic"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/sqlstore"
)

// Group commit. A write is acknowledged only once it is on disk: the file
// is opened with synchronous=FULL, so every COMMIT fsyncs the WAL. To share
// that fsync, every write transaction of the store (withTx) is a job for
// one writer goroutine (writeLoop). The writer takes the jobs queued at
// that moment, at most maxBatch, and runs them one after the other, in the
// order they were queued, in one BEGIN IMMEDIATE transaction: each inside
// its own savepoint, so that a job whose function fails rolls back its own
// writes only, as if it had had its own transaction. Then it commits once
// (one fsync) and answers them all. Each job sees the writes of the jobs
// before it, as if they had run one after the other, which they did. A job
// taken alone runs without a savepoint, as a transaction of its own. The
// database in memory takes the same path (its commits write no file).
//
// If the COMMIT fails, every job of the batch gets its error: nothing is
// acknowledged that did not reach the disk. If SQLite rolls back the whole
// transaction under a job (it does on a full disk or an I/O error), the
// jobs before it get ErrUnavailable and the ones after it run in a new
// transaction (see runJob). A job runs under
// context.WithoutCancel of its request's context: the driver interrupts a
// statement whose context ends, which would roll back the whole shared
// transaction. A job whose context has ended before it starts is not run,
// and a request that stops waiting before its job starts takes it out.

// maxBatch bounds the jobs of one transaction, so that one commit does not
// keep the jobs queued after it waiting for long. (A bound on the time the
// jobs run was tried: with batches of 100 instances at 64 clients it cut
// the writes a commit shares from ~20 to ~5, and the queue the fsyncs then
// built made both throughput and latency worse.)
const maxBatch = 64

// The states of a job, in txJob.state.
const (
	jobQueued int32 = iota
	jobStarted
	jobAbandoned // its request stopped waiting before it started
)

// txJob is one request's write transaction.
type txJob struct {
	ctx    context.Context
	fn     func(context.Context, *sql.Tx) error
	replay *replayTx // nil: no replay key to record
	event  []any     // the insert arguments of the request's event; nil: none
	insert *sql.Stmt // insertEvent, prepared on the write connection, with event
	state  atomic.Int32
	ran    bool // the writer ran fn (its writes were in the transaction)
	err    error
	panic  any // what fn panicked with, to panic again in the request
	done   chan struct{}
}

// committer is the queue of the writer goroutine and its counts.
type committer struct {
	mu      sync.Mutex
	queue   []*txJob
	closed  bool
	started bool
	wake    chan struct{} // capacity 1: the queue may have jobs
	exited  chan struct{} // closed when writeLoop returns

	writes  atomic.Uint64               // write transactions committed
	batches [batchBuckets]atomic.Uint64 // commits by write transactions: ≤1, ≤2, ≤4, ...
}

// batchBuckets are the buckets of committer.batches: 1, 2, 4, ..., maxBatch.
const batchBuckets = 7

var errClosed = errors.New("sqlite: the store is closed")

// startWriter starts the writer goroutine.
func (st *Store) startWriter() {
	c := &st.commit
	c.wake = make(chan struct{}, 1)
	c.exited = make(chan struct{})
	c.started = true
	go st.writeLoop()
}

// stopWriter lets the writer run the jobs already queued, refuses new ones
// and waits for it to return.
func (st *Store) stopWriter() {
	c := &st.commit
	c.mu.Lock()
	started := c.started && !c.closed
	c.closed = true
	c.mu.Unlock()
	if started {
		c.signal()
		<-c.exited
	}
}

func (c *committer) signal() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// withTx runs fn in a write transaction and returns once that transaction
// has committed (fn's writes are on disk) or rolled back: fn's writes stay
// only if it returns nil. The transaction may be shared with other
// requests' (see Group commit above); fn runs under ctx without its
// cancellation. The first transaction of a request to commit also records
// the request's replay key (replay.go), so that the change and the refusal
// of its replay are durable together, and its pending audit event
// (event.go), so that the change and its event are.
func (st *Store) withTx(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	defer st.observeTx()() // metrics (txtimes.go)
	event, err := sqlstore.PendingEventArgs(ctx)
	if err != nil {
		return err
	}
	var insert *sql.Stmt
	if event != nil {
		s, release, err := st.writeStmt(ctx, insertEvent)
		if err != nil {
			return err
		}
		defer release()
		insert = s
	}
	replay, err := st.prepareReplay(ctx)
	if err != nil {
		return err
	}
	if replay != nil {
		defer replay.done()
	}
	j := &txJob{ctx: ctx, fn: fn, replay: replay, event: event, insert: insert, done: make(chan struct{})}
	c := &st.commit
	c.mu.Lock()
	if c.closed || !c.started {
		c.mu.Unlock()
		return errClosed
	}
	c.queue = append(c.queue, j)
	c.mu.Unlock()
	c.signal()
	select {
	case <-j.done:
	case <-ctx.Done():
		if j.state.CompareAndSwap(jobQueued, jobAbandoned) {
			return ctx.Err()
		}
		<-j.done // started: its answer is the truth
	}
	if j.panic != nil {
		panic(j.panic)
	}
	if j.err == nil && replay != nil {
		localyun.MarkReplayKeyRecorded(ctx)
	}
	if j.err == nil && event != nil {
		localyun.MarkEventWritten(ctx)
	}
	return j.err
}

// writeLoop is the writer goroutine: it runs the queued jobs, at most
// maxBatch a transaction, until stopWriter.
func (st *Store) writeLoop() {
	c := &st.commit
	defer close(c.exited)
	batch := make([]*txJob, 0, maxBatch)
	for {
		c.mu.Lock()
		for len(c.queue) == 0 && !c.closed {
			c.mu.Unlock()
			<-c.wake
			c.mu.Lock()
		}
		if len(c.queue) == 0 {
			c.mu.Unlock()
			return
		}
		n := min(len(c.queue), maxBatch)
		batch = append(batch[:0], c.queue[:n]...)
		left := copy(c.queue, c.queue[n:])
		clear(c.queue[left:])
		c.queue = c.queue[:left]
		c.mu.Unlock()
		for jobs := batch; len(jobs) > 0; {
			jobs = st.commitJobs(jobs)
		}
		clear(batch)
	}
}

// commitJobs runs jobs in one transaction, commits it and answers them. It
// returns the jobs it did not run: those after one that found the
// transaction gone (see runJob), or after a BEGIN that failed.
func (st *Store) commitJobs(jobs []*txJob) (rest []*txJob) {
	savepoints := len(jobs) > 1
	var tx *sql.Tx
	var lost error // the transaction is gone
	taken, ok := 0, 0
	for taken < len(jobs) && lost == nil {
		j := jobs[taken]
		taken++
		if err := j.ctx.Err(); err != nil || !j.state.CompareAndSwap(jobQueued, jobStarted) {
			j.err = err // an abandoned job's request reads nothing
			continue
		}
		if tx == nil {
			var err error
			if tx, err = st.write.BeginTx(context.Background(), nil); err != nil {
				j.err = formatError(err)
				break
			}
		}
		lost = st.runJob(tx, j, savepoints)
		if j.err == nil {
			ok++
		}
	}
	switch {
	case tx == nil:
	case lost != nil:
		tx.Rollback()
		failRan(jobs[:taken], fmt.Errorf("sqlite: the shared write transaction was rolled back (%v): %w", lost, localyun.ErrUnavailable))
	case ok == 0:
		tx.Rollback()
	default:
		if err := tx.Commit(); err != nil {
			failRan(jobs[:taken], formatError(err))
			// A COMMIT refused by a deferred constraint leaves the
			// transaction open on the connection: end it (an error
			// when there is none to end is expected).
			st.write.ExecContext(context.Background(), "ROLLBACK")
		} else {
			st.commit.writes.Add(uint64(ok))
			st.commit.batches[bits.Len(uint(ok-1))].Add(1)
		}
	}
	for _, j := range jobs[:taken] {
		close(j.done)
	}
	return jobs[taken:]
}

// failRan gives err to the jobs that ran and succeeded: their writes did
// not commit.
func failRan(jobs []*txJob, err error) {
	for _, j := range jobs {
		if j.ran && j.err == nil {
			j.err = err
		}
	}
}

// runJob runs j in tx, inside a savepoint when the transaction is shared,
// and sets j.err. It counts a job that succeeded in st.writes before the
// next one runs (bastion_grant.go relies on it). It returns an error when
// the transaction is no longer there to commit: SQLite rolls back the whole
// transaction on some errors (a full disk, an I/O error), and the savepoint
// is then gone.
func (st *Store) runJob(tx *sql.Tx, j *txJob, savepoint bool) (lost error) {
	ctx := context.WithoutCancel(j.ctx)
	if savepoint {
		if _, err := tx.ExecContext(ctx, "SAVEPOINT job"); err != nil {
			j.err = formatError(err)
			return j.err
		}
	}
	j.ran = true
	if err := j.call(ctx, tx, &st.replayWrites); err != nil {
		j.err = formatError(err)
		if savepoint {
			if _, err := tx.ExecContext(ctx, "ROLLBACK TO job"); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, "RELEASE job"); err != nil {
				return err
			}
		}
		return nil
	}
	if savepoint {
		if _, err := tx.ExecContext(ctx, "RELEASE job"); err != nil {
			j.err = formatError(err)
			return err
		}
	}
	st.writes.Add(1)
	return nil
}

// errPanicked is the error of a job whose function panicked.
var errPanicked = errors.New("sqlite: the write transaction's function panicked")

// call runs the job's function and records its replay key and its event,
// turning a panic into errPanicked (the request panics with it again).
func (j *txJob) call(ctx context.Context, tx *sql.Tx, replayCalls *atomic.Uint64) (err error) {
	defer func() {
		if p := recover(); p != nil {
			j.panic, err = p, errPanicked
		}
	}()
	if err := j.fn(ctx, tx); err != nil {
		return err
	}
	if j.replay != nil {
		if err := j.replay.record(ctx, tx, replayCalls); err != nil {
			return err
		}
	}
	if j.event != nil {
		_, err := tx.StmtContext(ctx, j.insert).ExecContext(ctx, j.event...)
		return err
	}
	return nil
}

// CommitStats reports the write transactions committed and the commits
// that held them; on disk each commit is one fsync of the WAL, so
// writes/commits is the number of writes that shared one.
func (st *Store) CommitStats() (writes, commits uint64) {
	for i := range st.commit.batches {
		commits += st.commit.batches[i].Load()
	}
	return st.commit.writes.Load(), commits
}

// CommitBatchSizes reports how many commits held at most upper[i] write
// transactions, for upper 1, 2, 4, ..., maxBatch (cumulative counts; the
// last is every commit).
func (st *Store) CommitBatchSizes() (upper []float64, commits []uint64) {
	var n uint64
	for i := range st.commit.batches {
		n += st.commit.batches[i].Load()
		upper = append(upper, float64(uint(1)<<i))
		commits = append(commits, n)
	}
	return upper, commits
}
