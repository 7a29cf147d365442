// Package postgres implements the localyun stores on PostgreSQL, so that
// several stateless localyun nodes can share one database. Its schema has
// the same semantics as the SQLite one, in PostgreSQL's own SQL: every
// write is a literal statement (per kind where a kind picks the table),
// listings with optional filters compose their WHERE from literal
// fragments, and the Go the SQLite store shares lives in internal/sqlstore.
// No method decides a domain outcome: it returns facts (rows found, rows
// changed) and error kinds to the services.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// migrationLock is the advisory lock key that serializes migrations of
// nodes starting together.
const migrationLock = 7_405_920_115

// maxRetries bounds the transparent retries of a transaction that failed
// with a serialization failure or a deadlock.
const maxRetries = 8

// Store is the PostgreSQL implementation of the localyun stores.
type Store struct {
	db *sql.DB
	// Sealer, when set, encrypts secrets at rest (see seal.go).
	Sealer Sealer

	sweepMu    sync.Mutex
	nextSweep  time.Time
	sweeping   bool
	background sync.WaitGroup  // the sweep of nonces, when one runs
	closing    context.Context // done once Close is called
	close      context.CancelFunc

	sqlstore.Bastion // the Bastionhost writes (bastion_sql.go)

	txTimes sqlstore.TxTimes       // withTx's durations, for /metrics (txtimes.go)
	reset   *sqlstore.AccountReset // ResetAccount's plan (reset.go)
}

// Open connects to dsn (postgres://...), waits for the server, and applies
// the embedded migrations under an advisory lock.
func Open(ctx context.Context, dsn string) (*Store, error) {
	return open(ctx, dsn, migrations)
}

// open is Open with the set of migrations to apply (tests pass older sets).
func open(ctx context.Context, dsn string, set fs.FS) (*Store, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres dsn: %w", err)
	}
	q := u.Query()
	if q.Get("statement_timeout") == "" {
		// Bounded statements: a stuck query fails the request, not the node.
		q.Set("statement_timeout", "15000")
	}
	u.RawQuery = q.Encode()
	db, err := sql.Open("pgx", u.String())
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(32)
	db.SetMaxIdleConns(32)
	db.SetConnMaxIdleTime(5 * time.Minute)
	st := &Store{db: db, reset: newAccountReset()}
	st.closing, st.close = context.WithCancel(context.Background())
	st.Bastion = newBastion(st)
	if err := st.migrate(ctx, set); err != nil {
		db.Close()
		return nil, err
	}
	return st, nil
}

// Close stops the background sweep of nonces and closes the connection
// pool.
func (st *Store) Close() error {
	st.close()
	st.background.Wait()
	return st.db.Close()
}

// Ping reports whether the database answers and is migrated.
func (st *Store) Ping(ctx context.Context) error {
	var n int
	return st.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM migrations`).Scan(&n)
}

// migrate applies, under an advisory lock and in the order of their names,
// the migrations of set (migrations/NNNN_name.sql) that the migrations
// table does not record, each in a transaction that records its name. The
// numbers mean the same change as SQLite's (a migration of comments where
// one does not apply), so both directories list the same names.
func (st *Store) migrate(ctx context.Context, set fs.FS) error {
	conn, err := st.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, migrationLock); err != nil {
		return fmt.Errorf("migration lock: %w", err)
	}
	defer conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock($1)`, migrationLock)
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY)`); err != nil {
		return fmt.Errorf("create migrations table: %w", err)
	}
	return migrationsTable.Apply(ctx, set, conn.BeginTx)
}

// migrationsTable holds the statements of the migrations table.
var migrationsTable = sqlstore.Migrations{
	Has:    `SELECT COUNT(*) FROM migrations WHERE name = $1`,
	Record: `INSERT INTO migrations (name) VALUES ($1)`,
}

// withTx runs fn in a READ COMMITTED transaction (invariants are held by
// constraints and row locks) and commits. Serialization failures and
// deadlocks are retried transparently, at most maxRetries times. The
// first transaction of a request to commit also writes the request's
// pending audit event (event.go), before its COMMIT.
func (st *Store) withTx(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	defer st.observeTx()() // metrics (txtimes.go)
	event, err := sqlstore.PendingEventArgs(ctx)
	if err != nil {
		return err
	}
	if event != nil {
		inner := fn
		fn = func(ctx context.Context, tx *sql.Tx) error {
			if err := inner(ctx, tx); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, insertEvent, event...)
			return err
		}
		defer func() {
			if err == nil {
				localyun.MarkEventWritten(ctx)
			}
		}()
	}
	for attempt := 0; attempt <= maxRetries; attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return formatError(ctx.Err())
			case <-time.After(time.Duration(attempt*attempt) * time.Millisecond):
			}
		}
		err = st.tryTx(ctx, fn)
		if !retryable(err) {
			return formatError(err)
		}
	}
	return formatError(err)
}

func (st *Store) tryTx(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	tx, err := st.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(ctx, tx); err != nil {
		return err
	}
	return tx.Commit()
}

func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}

// formatError turns driver errors into localyun kinds by SQLSTATE.
func formatError(err error) error {
	if err == nil {
		return nil
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == "23505":
			return fmt.Errorf("%v: %w", err, localyun.ErrAlreadyExists)
		case pe.Code == "23503":
			return fmt.Errorf("%v: %w", err, localyun.ErrNotFound)
		case pe.Code == "22021":
			// A value PostgreSQL cannot hold (a NUL character) is bad
			// input, not a server failure.
			return fmt.Errorf("%v: %w", err, localyun.ErrInvalid)
		case pe.Code == "40001", pe.Code == "40P01", pe.Code == "57014",
			strings.HasPrefix(pe.Code, "08"), strings.HasPrefix(pe.Code, "57P"), pe.Code == "53300":
			return fmt.Errorf("%v: %w", err, localyun.ErrUnavailable)
		}
		return err
	}
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, sql.ErrConnDone) || pgconn.SafeToRetry(err) ||
		errors.Is(err, pgconn.ErrConnClosed) || errors.Is(err, syscall.ECONNREFUSED) {
		return fmt.Errorf("%v: %w", err, localyun.ErrUnavailable)
	}
	return err
}

// ms stores a time as Unix milliseconds, 0 for the zero time.
var ms = sqlstore.Millis

// args collects positional parameters and hands out $n placeholders.
type args []any

func (a *args) add(v any) string {
	*a = append(*a, v)
	return "$" + strconv.Itoa(len(*a))
}

// in returns "$i,$j,..." for the values.
func (a *args) in(vs []string) string {
	ph := make([]string, len(vs))
	for i, v := range vs {
		ph[i] = a.add(v)
	}
	return strings.Join(ph, ",")
}

// UseNonce records key until key.Expires; see localyun.NonceStore. Every
// node shares the window through the nonces table, keyed by the hex of
// key.Sum (a nonce is never stored raw, whatever its length). The row is
// committed before the request is served, so the window outlives restarts
// and crashes. A row is held while now ≤ expires_at, the rule of the
// in-memory window; expired rows are deleted in the background.
func (st *Store) UseNonce(ctx context.Context, key localyun.ReplayKey, now time.Time) error {
	if key.Expires.Before(now) {
		return localyun.ErrInvalid
	}
	st.sweepSoon(now)
	res, err := st.db.ExecContext(ctx, `INSERT INTO nonces (key, expires_at) VALUES ($1, $2)
		ON CONFLICT (key) DO UPDATE SET expires_at = EXCLUDED.expires_at WHERE nonces.expires_at < $3`,
		hex.EncodeToString(key.Sum[:]), key.ExpiresMillis(), ms(now))
	if err != nil {
		return formatError(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return localyun.ErrAlreadyExists
	}
	return nil
}

const (
	// sweepMargin is how long past its expiry a nonce row is kept before
	// the sweep deletes it: nodes whose clocks differ by less still agree
	// on every row that matters (the node with the fastest clock sweeps).
	sweepMargin = 5 * time.Minute
	// sweepBatch bounds the rows one DELETE of the sweep removes.
	sweepBatch = 10_000
)

// sweepSoon starts, at most once a minute per node and one at a time, a
// background delete of the expired nonces: no request waits for it.
func (st *Store) sweepSoon(now time.Time) {
	st.sweepMu.Lock()
	due := !st.sweeping && now.After(st.nextSweep)
	if due {
		st.nextSweep, st.sweeping = now.Add(time.Minute), true
		st.background.Add(1)
	}
	st.sweepMu.Unlock()
	if due {
		go st.sweep(now.Add(-sweepMargin))
	}
}

// sweep deletes the nonces expired before before, in batches of
// sweepBatch rows (found by the expiry index), until none is left or the
// store closes.
func (st *Store) sweep(before time.Time) {
	defer func() {
		st.sweepMu.Lock()
		st.sweeping = false
		st.sweepMu.Unlock()
		st.background.Done()
	}()
	for st.closing.Err() == nil {
		res, err := st.db.ExecContext(st.closing, `DELETE FROM nonces WHERE key IN
			(SELECT key FROM nonces WHERE expires_at < $1 LIMIT $2)`, ms(before), sweepBatch)
		if err != nil {
			return
		}
		if n, _ := res.RowsAffected(); n < sweepBatch {
			return
		}
	}
}

var _ localyun.Store = (*Store)(nil)
var _ localyun.NonceStore = (*Store)(nil)
var _ localyun.RateLimiter = (*Store)(nil)
