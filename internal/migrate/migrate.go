// Package migrate copies every row of a localyun SQLite database into an
// empty, migrated localyun PostgreSQL database, so a user can move off the
// embedded default. Both schemas use the same table and column names; the
// copy goes table by table in creation order (which respects foreign keys)
// in one PostgreSQL transaction: it lands whole or not at all. SQLite's
// replay keys go into PostgreSQL's shared replay window.
package migrate

import (
	"context"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
)

// Result counts the rows copied per table.
type Result struct {
	Tables []string
	Rows   map[string]int
}

// Copy copies src (SQLite) into dst (PostgreSQL). dst must hold no rows in
// any of the copied tables.
func Copy(ctx context.Context, src, dst *sql.DB) (Result, error) {
	res := Result{Rows: map[string]int{}}
	tables, err := sqliteTables(ctx, src)
	if err != nil {
		return res, err
	}
	tx, err := dst.BeginTx(ctx, nil)
	if err != nil {
		return res, err
	}
	defer tx.Rollback()
	for _, t := range tables {
		if t == "nonces" {
			continue // the replay window is not state worth moving
		}
		copyRows := copyTable
		if t == "replay_keys" {
			copyRows = copyReplayKeys
		}
		n, err := copyRows(ctx, src, tx, t)
		if err != nil {
			return res, fmt.Errorf("table %s: %w", t, err)
		}
		res.Tables = append(res.Tables, t)
		res.Rows[t] = n
	}
	if err := tx.Commit(); err != nil {
		return res, err
	}
	return res, nil
}

func sqliteTables(ctx context.Context, db *sql.DB) ([]string, error) {
	rows, err := db.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table'
		AND name NOT IN ('migrations', 'sqlite_sequence') AND name NOT LIKE 'sqlite_%' ORDER BY rowid`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

type pgColumn struct {
	dataType string
	identity bool // GENERATED ALWAYS AS IDENTITY
}

// pgColumns returns the writable columns of a PostgreSQL table.
func pgColumns(ctx context.Context, tx *sql.Tx, table string) (map[string]pgColumn, error) {
	rows, err := tx.QueryContext(ctx, `SELECT column_name, data_type, is_generated, is_identity
		FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1`, table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols := map[string]pgColumn{}
	for rows.Next() {
		var name, typ, generated, identity string
		if err := rows.Scan(&name, &typ, &generated, &identity); err != nil {
			return nil, err
		}
		if generated == "ALWAYS" {
			continue // computed by PostgreSQL
		}
		cols[name] = pgColumn{dataType: typ, identity: identity == "YES"}
	}
	return cols, rows.Err()
}

// copyTable copies every row of a SQLite table into its empty PostgreSQL
// twin within tx and returns how many it copied.
func copyTable(ctx context.Context, src *sql.DB, tx *sql.Tx, table string) (int, error) {
	dstCols, err := pgColumns(ctx, tx, table)
	if err != nil {
		return 0, err
	}
	if len(dstCols) == 0 {
		return 0, fmt.Errorf("no such table in the PostgreSQL schema")
	}
	var existing int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+quote(table)).Scan(&existing); err != nil {
		return 0, err
	}
	if existing > 0 {
		return 0, fmt.Errorf("the PostgreSQL table already holds %d rows; migrate only into an empty database", existing)
	}
	rows, err := src.QueryContext(ctx, `SELECT * FROM `+quote(table))
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	names, err := rows.Columns()
	if err != nil {
		return 0, err
	}
	stmt, identity, err := prepareInsert(ctx, tx, table, names, dstCols)
	if err != nil {
		return 0, err
	}
	defer stmt.Close()
	vals := make([]any, len(names))
	ptrs := make([]any, len(names))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	n := 0
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return n, err
		}
		out := make([]any, len(names))
		for i, v := range vals {
			out[i] = convert(v, dstCols[names[i]].dataType)
		}
		if _, err := stmt.ExecContext(ctx, out...); err != nil {
			return n, err
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return n, err
	}
	if identity != "" && n > 0 {
		if err := moveIdentity(ctx, tx, table, identity); err != nil {
			return n, err
		}
	}
	return n, nil
}

// moveIdentity moves the PostgreSQL identity sequence of table's column
// identity past the largest value inserted.
func moveIdentity(ctx context.Context, tx *sql.Tx, table, identity string) error {
	_, err := tx.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence($1, $2), (SELECT MAX(`+quote(identity)+`) FROM `+quote(table)+`))`,
		table, identity)
	return err
}

// copyReplayKeys copies SQLite's replay keys (the requests whose writes
// committed) into PostgreSQL's shared replay window, the nonces table, so
// that those writes cannot be replayed against the new database either.
func copyReplayKeys(ctx context.Context, src *sql.DB, tx *sql.Tx, table string) (int, error) {
	rows, err := src.QueryContext(ctx, `SELECT key, expires_at FROM `+quote(table))
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var key []byte
		var expires int64
		if err := rows.Scan(&key, &expires); err != nil {
			return n, err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO nonces (key, expires_at) VALUES ($1, $2)
			ON CONFLICT (key) DO UPDATE SET expires_at = GREATEST(nonces.expires_at, EXCLUDED.expires_at)`,
			hex.EncodeToString(key), expires); err != nil {
			return n, err
		}
		n++
	}
	return n, rows.Err()
}

// prepareInsert prepares the INSERT of one row of table with the SQLite
// columns names, each of which must exist in PostgreSQL (dstCols). It
// returns the identity column too ("" if none): its values are copied as
// they are (OVERRIDING SYSTEM VALUE) and its sequence moved past them.
func prepareInsert(ctx context.Context, tx *sql.Tx, table string, names []string, dstCols map[string]pgColumn) (*sql.Stmt, string, error) {
	cols := make([]string, len(names))
	ph := make([]string, len(names))
	identity := ""
	for i, n := range names {
		c, ok := dstCols[n]
		if !ok {
			return nil, "", fmt.Errorf("column %s has no counterpart in PostgreSQL", n)
		}
		cols[i] = quote(n)
		ph[i] = "$" + strconv.Itoa(i+1)
		if c.identity {
			identity = n
		}
	}
	override := ""
	if identity != "" {
		override = " OVERRIDING SYSTEM VALUE"
	}
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO `+quote(table)+` (`+strings.Join(cols, ", ")+`)`+override+
		` VALUES (`+strings.Join(ph, ", ")+`)`)
	return stmt, identity, err
}

// convert adapts a SQLite value to the PostgreSQL column type.
func convert(v any, pgType string) any {
	switch x := v.(type) {
	case []byte:
		if pgType != "bytea" {
			return string(x)
		}
	case int64:
		if pgType == "boolean" {
			return x != 0
		}
	}
	return v
}

func quote(ident string) string { return `"` + strings.ReplaceAll(ident, `"`, `""`) + `"` }
