package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"sort"
)

// Migrations names the dialect's statements of the migrations table: Has
// counts the rows of a name, Record inserts one (each with one parameter,
// the name).
type Migrations struct {
	Has, Record string
}

// Apply runs, in the order of their names, the migrations of set
// (migrations/NNNN_name.sql) that the migrations table does not record,
// each in a transaction of begin that records its name. The migrations
// table must exist.
func (m Migrations) Apply(ctx context.Context, set fs.FS, begin func(context.Context, *sql.TxOptions) (*sql.Tx, error)) error {
	names, err := fs.Glob(set, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		if err := m.applyFile(ctx, set, name, begin); err != nil {
			return fmt.Errorf("migration %s: %w", name, err)
		}
	}
	return nil
}

func (m Migrations) applyFile(ctx context.Context, set fs.FS, name string, begin func(context.Context, *sql.TxOptions) (*sql.Tx, error)) error {
	tx, err := begin(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, m.Has, name).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	buf, err := fs.ReadFile(set, name)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, string(buf)); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, m.Record, name); err != nil {
		return err
	}
	return tx.Commit()
}
