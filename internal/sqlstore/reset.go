package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/localyun/localyun"
)

// AccountReset is the Go of ResetAccount both stores share (localyun
// reset, cmd/localyun/ops.go, calls the store's ResetAccount); the
// dialects give its catalog queries. Which tables hold an account's rows
// is read from the schema at each reset, as localyun export does: every
// table whose account_id column has the dialect's text type (an integer
// account_id is a bastion host account's, as in bastion_sessions) but
// accounts; the rows of tables without one go with the rows they belong
// to (ON DELETE CASCADE). The plan deletes children before parents.
type AccountReset struct {
	// AccountColumns returns the table and the declared type of every
	// account_id column of the schema's tables.
	AccountColumns string
	// TextType is the type AccountColumns gives a text account_id column
	// ("TEXT", "text"), compared exactly.
	TextType string
	// ForeignKeys returns the table and the table it references of every
	// foreign key.
	ForeignKeys string
	// Param is the placeholder of the statements' one argument, the
	// account id ("?" or "$1").
	Param string
	// ForUpdate, when set (" FOR UPDATE"), makes Run lock the account's
	// row and then every row of the account, parents first, before it
	// deletes anything, so that a concurrent write either commits first
	// (Run's statements then see it) or waits for Run to commit and finds
	// its parent row gone. For a store whose write transactions do not
	// serialize (PostgreSQL under READ COMMITTED).
	ForUpdate string
}

// Tables named by the reset itself.
const (
	resetKeys   = "access_keys" // the root's keys (user_name '') stay
	resetEvents = "events"      // kept unless ClearEvents
)

// querier is a transaction or a database.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Run resets accountID in tx (see localyun.AccountResetStore) and returns
// the rows deleted per table and the ids of the bastion instances it
// deleted, whose live sessions the caller has re-checked once tx commits.
// Returns ErrNotFound if there is no such account.
func (r *AccountReset) Run(ctx context.Context, tx *sql.Tx, accountID string, opts localyun.ResetOptions) (
	[]localyun.ResetCount, []string, error) {
	tables, err := r.prepare(ctx, tx, accountID)
	if err != nil {
		return nil, nil, err
	}
	if err := r.lock(ctx, tx, accountID, tables); err != nil {
		return nil, nil, err
	}
	instances, err := All(scanText)(tx.QueryContext(ctx, `SELECT id FROM bastion_instances WHERE account_id = `+r.Param, accountID))
	if err != nil {
		return nil, nil, err
	}
	var out []localyun.ResetCount
	for _, t := range tables {
		if t == resetEvents && !opts.ClearEvents {
			continue
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM `+r.where(t), accountID)
		if err != nil {
			return nil, nil, fmt.Errorf("reset %s: %w", t, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return nil, nil, err
		}
		out = append(out, localyun.ResetCount{Table: t, Rows: int(n)})
	}
	return out, instances, nil
}

// Count is Run's dry run: the rows it would delete, read in q (a read
// transaction, for one snapshot).
func (r *AccountReset) Count(ctx context.Context, q querier, accountID string, opts localyun.ResetOptions) ([]localyun.ResetCount, error) {
	tables, err := r.prepare(ctx, q, accountID)
	if err != nil {
		return nil, err
	}
	var out []localyun.ResetCount
	for _, t := range tables {
		if t == resetEvents && !opts.ClearEvents {
			continue
		}
		c := localyun.ResetCount{Table: t}
		if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+r.where(t), accountID).Scan(&c.Rows); err != nil {
			return nil, fmt.Errorf("count %s: %w", t, err)
		}
		out = append(out, c)
	}
	return out, nil
}

// where is the table and condition of the account's rows of t.
func (r *AccountReset) where(t string) string {
	w := `"` + t + `" WHERE account_id = ` + r.Param
	if t == resetKeys {
		w += ` AND user_name <> ''`
	}
	return w
}

// lock takes the row locks of ForUpdate: the account's row (which every
// insert of a row referencing it waits on), then the account's rows of
// tables, parents first.
func (r *AccountReset) lock(ctx context.Context, tx *sql.Tx, accountID string, tables []string) error {
	if r.ForUpdate == "" {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `SELECT 1 FROM accounts WHERE id = `+r.Param+r.ForUpdate, accountID); err != nil {
		return fmt.Errorf("reset: lock the account: %w", err)
	}
	for i := len(tables) - 1; i >= 0; i-- {
		if tables[i] == resetEvents {
			continue
		}
		if _, err := tx.ExecContext(ctx, `SELECT 1 FROM `+r.where(tables[i])+r.ForUpdate, accountID); err != nil {
			return fmt.Errorf("reset: lock %s: %w", tables[i], err)
		}
	}
	return nil
}

// prepare checks that the account exists and returns the plan.
func (r *AccountReset) prepare(ctx context.Context, q querier, accountID string) ([]string, error) {
	var one int
	err := q.QueryRowContext(ctx, `SELECT 1 FROM accounts WHERE id = `+r.Param, accountID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("account %s: %w", accountID, localyun.ErrNotFound)
	} else if err != nil {
		return nil, err
	}
	return r.plan(ctx, q)
}

// plan returns the tables to delete from, children before parents, drawn
// from the schema at each reset (resets are rare).
func (r *AccountReset) plan(ctx context.Context, q querier) ([]string, error) {
	cols, err := pairs(ctx, q, r.AccountColumns)
	if err != nil {
		return nil, fmt.Errorf("reset plan: %w", err)
	}
	var tables []string
	for _, c := range cols {
		switch {
		case c[0] == "accounts":
		case c[1] == r.TextType:
			tables = append(tables, c[0])
		case !strings.Contains(strings.ToLower(c[1]), "int"):
			// Neither an account's id (text) nor a bastion host
			// account's (an integer): a migration this code does not
			// know; resetting without it would leave rows behind.
			return nil, fmt.Errorf("reset plan: %s.account_id has type %s", c[0], c[1])
		}
	}
	slices.Sort(tables)
	tables = slices.Compact(tables)
	fks, err := pairs(ctx, q, r.ForeignKeys)
	if err != nil {
		return nil, fmt.Errorf("reset plan: %w", err)
	}
	return childrenFirst(tables, fks)
}

// childrenFirst orders tables so that each comes after every table of
// tables with a foreign key to it.
func childrenFirst(tables []string, fks [][2]string) ([]string, error) {
	referencedBy := map[string][]string{}
	for _, fk := range fks {
		from, to := strings.Trim(fk[0], `"`), strings.Trim(fk[1], `"`)
		if from != to && slices.Contains(tables, from) {
			referencedBy[to] = append(referencedBy[to], from)
		}
	}
	var out []string
	done := map[string]bool{}
	for len(out) < len(tables) {
		progress := false
		for _, t := range tables {
			if done[t] || slices.ContainsFunc(referencedBy[t], func(c string) bool { return !done[c] }) {
				continue
			}
			done[t], progress = true, true
			out = append(out, t)
		}
		if !progress {
			return nil, errors.New("reset plan: the tables' foreign keys form a cycle")
		}
	}
	return out, nil
}

// pairs returns the two text columns of a query's rows.
func pairs(ctx context.Context, q querier, query string) ([][2]string, error) {
	rows, err := q.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][2]string
	for rows.Next() {
		var p [2]string
		if err := rows.Scan(&p[0], &p[1]); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

func scanText(row Scanner) (string, error) {
	var s string
	err := row.Scan(&s)
	return s, err
}
