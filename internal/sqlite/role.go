package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/sqlstore"
)

// CreateRole returns ErrAlreadyExists if the name is taken in the account.
func (st *Store) CreateRole(ctx context.Context, r localyun.Role) error {
	return st.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO roles (`+sqlstore.RoleColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			r.ID, r.AccountID, r.Name, r.Description, r.AssumeRolePolicyDocument, r.MaxSessionDuration,
			ms(r.CreatedAt), ms(r.UpdatedAt))
		return err
	})
}

// roleByName reads a role by name (any case).
const roleByName = `SELECT ` + sqlstore.RoleColumns + ` FROM roles WHERE account_id = ? AND name = ?`

// FindRoleByName returns ErrNotFound if the account has no such role. It
// runs through a cached statement: ECS, STS and authorization read roles
// by name.
//
// Roles found are cached (st.roles): UpdateRole and DeleteRole forget
// theirs once their transaction has ended.
func (st *Store) FindRoleByName(ctx context.Context, accountID, name string) (localyun.Role, error) {
	k := roleKeyOf(accountID, name)
	r, gen, ok := st.roles.get(k)
	if ok {
		return r, nil
	}
	r, err := sqlstore.One(st.readRow(ctx, roleByName, accountID, name), sqlstore.ScanRole, roleNotFound(name))
	if err == nil {
		st.roles.put(k, r, gen)
	}
	return r, err
}

// roleKey is the cache key of a role: its account, and its name folded as
// the name column's NOCASE collation folds it (ASCII letters only), so
// that every spelling the column matches finds the one cached row.
type roleKey struct{ account, name string }

func roleKeyOf(accountID, name string) roleKey {
	return roleKey{accountID, foldASCII(name)}
}

// foldASCII lowers the ASCII capital letters of s, and nothing else.
func foldASCII(s string) string {
	i := strings.IndexFunc(s, func(r rune) bool { return 'A' <= r && r <= 'Z' })
	if i < 0 {
		return s
	}
	b := []byte(s)
	for j := i; j < len(b); j++ {
		if 'A' <= b[j] && b[j] <= 'Z' {
			b[j] += 'a' - 'A'
		}
	}
	return string(b)
}

func roleNotFound(name string) error { return fmt.Errorf("role %s: %w", name, localyun.ErrNotFound) }

// findRole reads a role in a write transaction.
func findRole(ctx context.Context, tx *sql.Tx, accountID, name string) (localyun.Role, error) {
	return sqlstore.One(tx.QueryRowContext(ctx, roleByName, accountID, name), sqlstore.ScanRole, roleNotFound(name))
}

// FindRoles lists roles in case-insensitive name order after f.After.
func (st *Store) FindRoles(ctx context.Context, f localyun.RoleFilter) ([]localyun.Role, error) {
	return sqlstore.All(sqlstore.ScanRole)(st.read.QueryContext(ctx, `SELECT `+sqlstore.RoleColumns+` FROM roles
		WHERE account_id = ? AND name > ? ORDER BY name LIMIT ?`, f.AccountID, f.After, limitOf(f.Limit)))
}

// UpdateRole applies upd. Returns ErrNotFound.
func (st *Store) UpdateRole(ctx context.Context, accountID, name string, upd localyun.RoleUpdate) (localyun.Role, error) {
	defer st.roles.forget(roleKeyOf(accountID, name))
	var r localyun.Role
	err := st.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		old, err := findRole(ctx, tx, accountID, name)
		if err != nil {
			return err
		}
		r = upd.Apply(old)
		_, err = tx.ExecContext(ctx, `UPDATE roles SET description = ?, assume_role_policy = ?,
			max_session_duration = ?, updated_at = ? WHERE account_id = ? AND name = ?`,
			r.Description, r.AssumeRolePolicyDocument, r.MaxSessionDuration, ms(r.UpdatedAt), accountID, name)
		return err
	})
	return r, err
}

// DeleteRole returns ErrNotFound if the account has no such role, and
// ErrConflict (a *localyun.ConflictError) while policies are attached.
func (st *Store) DeleteRole(ctx context.Context, accountID, name string) error {
	defer st.roles.forget(roleKeyOf(accountID, name))
	return st.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM policy_attachments
			WHERE account_id = ? AND principal_type = 'Role' AND principal_name = ?`, accountID, name).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			if _, err := findRole(ctx, tx, accountID, name); err != nil {
				return err
			}
			return &localyun.ConflictError{With: "Policy"}
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM roles WHERE account_id = ? AND name = ?`, accountID, name)
		return sqlstore.Changed(res, err, roleNotFound(name))
	})
}
