// Package sqlite implements the localyun stores on an embedded SQLite
// database (modernc.org/sqlite, pure Go) in WAL mode. It holds SQLite's
// SQL only: every write is a literal statement (per kind where a kind
// picks the table), listings with optional filters compose their WHERE
// from literal fragments, and the Go the PostgreSQL store shares lives in
// internal/sqlstore. No method decides a domain outcome: it returns facts
// (rows found, rows changed) and error kinds to the services.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"sync/atomic"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is the SQLite implementation of localyun.Store.
//
// Writes go through one connection (SQLite has one writer anyway), so write
// transactions never fail with SQLITE_BUSY inside the process, and one
// goroutine, which lets concurrent write transactions share a commit and
// its fsync (commit.go); reads use a pool of connections that see the last
// committed state (WAL).
type Store struct {
	write *sql.DB
	read  *sql.DB
	// Sealer, when set, encrypts access key and session secrets at rest.
	Sealer Sealer

	stmts  stmtCache // prepared read statements (stmt.go)
	wstmts stmtCache // prepared write statements (stmt.go)

	lock *os.File // held while open (lock_unix.go); nil in memory

	keys     rowCache[string, localyun.AccessKey]          // by access key id
	bastions rowCache[[2]string, localyun.BastionInstance] // by account id, instance id
	hosts    rowCache[bhHostKey, bhBrief]                  // brief columns (bastion_host.go)
	// hostGrants are the hosts each grantee holds (bastion_host.go).
	hostGrants rowCache[bhGranteeKey, bhGranted]

	instances rowCache[string, localyun.Instance] // by id (instance.go)
	roles     rowCache[roleKey, localyun.Role]    // by account id and folded name (role.go)
	// instSessions holds the current session of each instance, by account
	// id and instance id, its secret and token unsealed (instance_session.go).
	instSessions rowCache[[2]string, localyun.InstanceSession]

	sqlstore.Bastion                 // the Bastionhost writes (bastion_sql.go)
	access           accessListeners // ListenAccessChanges (bastion_access.go)
	commit           committer       // the writer goroutine of withTx (commit.go)

	txTimes sqlstore.TxTimes       // withTx's durations, for /metrics (txtimes.go)
	reset   *sqlstore.AccountReset // ResetAccount's plan (reset.go)

	// writes counts the write transactions that succeeded. The writer adds
	// one as each succeeds, before the next one of the same transaction runs
	// and before the commit, while it holds the one write connection, so
	// whoever holds that connection, or runs after it in the transaction,
	// sees every write before it counted (bastion_grant.go).
	writes atomic.Uint64
	// replayWrites counts the write transactions that recorded a replay
	// key (replay.go).
	replayWrites atomic.Uint64
}

var memSeq atomic.Int64

// Open opens (creating if needed) the database at path and applies the
// embedded migrations. path ":memory:" opens a private in-memory database.
func Open(ctx context.Context, path string) (*Store, error) {
	return open(ctx, path, migrations)
}

// open is Open with the set of migrations to apply (tests pass older sets).
func open(ctx context.Context, path string, set fs.FS) (*Store, error) {
	st := &Store{}
	st.hosts.max = maxCachedHosts
	st.instances.max = maxCachedInstances
	st.Bastion = newBastion(st)
	st.reset = newAccountReset()
	if path == ":memory:" {
		// A named shared-cache database so that every connection of this
		// Store sees the same data; one connection serves reads and writes.
		dsn := fmt.Sprintf("file:localyun-mem-%d?mode=memory&cache=shared&_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)", memSeq.Add(1))
		db, err := sql.Open("sqlite", dsn)
		if err != nil {
			return nil, err
		}
		db.SetMaxOpenConns(1)
		db.SetConnMaxIdleTime(0)
		db.SetConnMaxLifetime(0)
		st.write, st.read = db, db
	} else {
		lock, err := lockFile(path)
		if err != nil {
			return nil, err
		}
		st.lock = lock
		// synchronous(FULL) in WAL mode fsyncs the WAL at every commit:
		// a committed transaction survives a power loss or an OS crash, not
		// only a crash of the process. Writers share commits (commit.go).
		params := "_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)"
		w, err := sql.Open("sqlite", "file:"+path+"?"+params+"&_txlock=immediate")
		if err != nil {
			st.Close()
			return nil, err
		}
		w.SetMaxOpenConns(1)
		st.write = w
		r, err := sql.Open("sqlite", "file:"+path+"?"+params+"&_pragma=query_only(1)")
		if err != nil {
			st.Close()
			return nil, err
		}
		r.SetMaxOpenConns(8)
		r.SetMaxIdleConns(8) // keep them: a new connection re-reads the schema
		st.read = r
	}
	if err := st.migrate(ctx, set); err != nil {
		st.Close()
		return nil, err
	}
	st.startWriter()
	return st, nil
}

// Close closes the database.
func (st *Store) Close() error {
	st.stopWriter()
	st.stmts.close()
	st.wstmts.close()
	var err error
	if st.write != nil {
		err = st.write.Close()
	}
	if st.read != nil && st.read != st.write {
		if rerr := st.read.Close(); err == nil {
			err = rerr
		}
	}
	if st.lock != nil {
		st.lock.Close() // releases the lock
	}
	return err
}

// Ping reports whether the database answers.
func (st *Store) Ping(ctx context.Context) error {
	var n int
	return st.read.QueryRowContext(ctx, "SELECT 1").Scan(&n)
}

// migrate applies, in the order of their names, the migrations of set
// (migrations/NNNN_name.sql) that the migrations table does not record,
// each in a transaction that records its name. The numbers mean the same
// change as PostgreSQL's (a migration of comments where one does not
// apply), so both directories list the same names.
func (st *Store) migrate(ctx context.Context, set fs.FS) error {
	if _, err := st.write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY)`); err != nil {
		return fmt.Errorf("create migrations table: %w", err)
	}
	return migrationsTable.Apply(ctx, set, st.write.BeginTx)
}

// migrationsTable holds the statements of the migrations table.
var migrationsTable = sqlstore.Migrations{
	Has:    `SELECT COUNT(*) FROM migrations WHERE name = ?`,
	Record: `INSERT INTO migrations (name) VALUES (?)`,
}

// formatError turns driver errors into localyun kinds by result code.
func formatError(err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fmt.Errorf("%v: %w", err, localyun.ErrAlreadyExists)
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return fmt.Errorf("%v: %w", err, localyun.ErrNotFound)
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return fmt.Errorf("%v: %w", err, localyun.ErrUnavailable)
		}
	}
	return err
}

// ms stores a time as Unix milliseconds, 0 for the zero time.
var ms = sqlstore.Millis

// placeholders returns "?,?,?" for n values.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

func anys(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

var _ localyun.Store = (*Store)(nil)
