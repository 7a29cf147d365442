package migrate

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
)

// Reset deletes every resource of account (every account when account is
// ""), keeping the accounts and their root AccessKeys, in one
// transaction, driven by the schema like Export: from each table with an
// account_id column the account's rows (access_keys: its RAM users'
// keys only), children before parents; rows of tables without one go with
// the rows they belong to (ON DELETE CASCADE), or, for a whole-store reset,
// all of them. It returns the rows deleted per table.
func Reset(ctx context.Context, db *sql.DB, d Dialect, account string) (Result, error) {
	res := Result{Rows: map[string]int{}}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return res, err
	}
	defer tx.Rollback()
	tables, err := orderedTables(ctx, tx, d)
	if err != nil {
		return res, err
	}
	for _, t := range slices.Backward(tables) {
		if t == "accounts" {
			continue
		}
		cols, err := columns(ctx, tx, d, t)
		if err != nil {
			return res, fmt.Errorf("table %s: %w", t, err)
		}
		scoped := slices.ContainsFunc(cols, func(c column) bool { return c.name == "account_id" })
		where, args := "", []any{}
		switch {
		case scoped && account != "":
			where, args = " WHERE account_id = "+placeholder(d, 1), append(args, account)
		case !scoped && account != "":
			continue // cascades from its parent's rows
		}
		if t == "access_keys" {
			where = keepRoot(where)
		}
		r, err := tx.ExecContext(ctx, `DELETE FROM `+quote(t)+where, args...)
		if err != nil {
			return res, fmt.Errorf("table %s: %w", t, err)
		}
		n, _ := r.RowsAffected()
		res.Tables, res.Rows[t] = append(res.Tables, t), int(n)
	}
	return res, tx.Commit()
}

// keepRoot narrows a DELETE of access keys to RAM users' keys.
func keepRoot(where string) string {
	if where == "" {
		return " WHERE user_name <> ''"
	}
	return where + " AND user_name <> ''"
}

func placeholder(d Dialect, i int) string {
	if d == Postgres {
		return fmt.Sprintf("$%d", i)
	}
	return "?"
}
