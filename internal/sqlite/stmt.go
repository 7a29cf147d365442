package sqlite

import (
	"context"
	"database/sql"
	"sync"
)

// stmtCache keeps prepared read statements by SQL text. Preparing a
// statement (parsing and planning it) costs more than running the small
// indexed queries of the request path, so the hot queries are prepared once
// per connection and reused. The SQL texts are built from a fixed set of
// fragments, so the cache stays small.
type stmtCache struct {
	mu sync.RWMutex
	m  map[string]*sql.Stmt
}

// maxCachedStmts bounds the cache; beyond it statements are not cached.
const maxCachedStmts = 512

func (c *stmtCache) get(ctx context.Context, db *sql.DB, query string) (*sql.Stmt, bool, error) {
	c.mu.RLock()
	s, ok := c.m[query]
	c.mu.RUnlock()
	if ok {
		return s, true, nil
	}
	s, err := db.PrepareContext(ctx, query)
	if err != nil {
		return nil, false, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.m[query]; ok {
		s.Close()
		return old, true, nil
	}
	if len(c.m) >= maxCachedStmts {
		return s, false, nil
	}
	if c.m == nil {
		c.m = map[string]*sql.Stmt{}
	}
	c.m[query] = s
	return s, true, nil
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.m {
		s.Close()
	}
	c.m = nil
}

// readQuery runs a query on the read pool through a cached statement.
func (st *Store) readQuery(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	s, cached, err := st.stmts.get(ctx, st.read, query)
	if err != nil {
		return nil, err
	}
	if !cached {
		defer s.Close()
	}
	return s.QueryContext(ctx, args...)
}

// readRow is readQuery for a single row.
func (st *Store) readRow(ctx context.Context, query string, args ...any) rowScanner {
	rows, err := st.readQuery(ctx, query, args...)
	if err != nil {
		return rowScanner{err: err}
	}
	return rowScanner{rows: rows}
}

// rowScanner is a *sql.Row built on cached statements: Scan returns
// sql.ErrNoRows when there is no row.
type rowScanner struct {
	rows *sql.Rows
	err  error
}

func (r rowScanner) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	defer r.rows.Close()
	if !r.rows.Next() {
		if err := r.rows.Err(); err != nil {
			return err
		}
		return sql.ErrNoRows
	}
	if err := r.rows.Scan(dest...); err != nil {
		return err
	}
	return r.rows.Close()
}

// writeStmt returns a statement prepared on the write connection and cached
// by SQL text, and a release func to call once the transaction is over.
// Call it before withTx (preparing takes the one write connection) and run
// the statement in the transaction through tx.StmtContext, which reuses the
// statement already prepared on that connection.
func (st *Store) writeStmt(ctx context.Context, query string) (*sql.Stmt, func(), error) {
	s, cached, err := st.wstmts.get(ctx, st.write, query)
	if err != nil {
		return nil, nil, formatError(err)
	}
	if cached {
		return s, func() {}, nil
	}
	return s, func() { s.Close() }, nil
}

// preparedTx is a write transaction whose statements were prepared on the
// write connection before it began (see writeStmt) and are reused by every
// transaction; SQL it was not prepared with runs on the transaction as is.
type preparedTx struct {
	tx    *sql.Tx
	stmts map[string]*sql.Stmt // on the write connection
	bound map[string]*sql.Stmt // the same, bound to tx
}

// withPreparedTx prepares queries (cached) and runs fn in a write
// transaction, like withTx.
func (st *Store) withPreparedTx(ctx context.Context, queries []string, fn func(context.Context, *preparedTx) error) error {
	stmts := make(map[string]*sql.Stmt, len(queries))
	for _, q := range queries {
		s, release, err := st.writeStmt(ctx, q)
		if err != nil {
			return err
		}
		defer release()
		stmts[q] = s
	}
	return st.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return fn(ctx, &preparedTx{tx: tx, stmts: stmts, bound: make(map[string]*sql.Stmt, len(stmts))})
	})
}

func (p *preparedTx) stmt(ctx context.Context, query string) *sql.Stmt {
	if s, ok := p.bound[query]; ok {
		return s
	}
	s, ok := p.stmts[query]
	if !ok {
		return nil
	}
	s = p.tx.StmtContext(ctx, s)
	p.bound[query] = s
	return s
}

func (p *preparedTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if s := p.stmt(ctx, query); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return p.tx.QueryContext(ctx, query, args...)
}

func (p *preparedTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if s := p.stmt(ctx, query); s != nil {
		return s.ExecContext(ctx, args...)
	}
	return p.tx.ExecContext(ctx, query, args...)
}
