package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/sqlstore"
)

// CreateRole returns ErrAlreadyExists if the name is taken in the account
// (names compare case-insensitively).
func (st *Store) CreateRole(ctx context.Context, r localyun.Role) error {
	return st.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO roles (`+sqlstore.RoleColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			r.ID, r.AccountID, r.Name, r.Description, r.AssumeRolePolicyDocument, r.MaxSessionDuration,
			ms(r.CreatedAt), ms(r.UpdatedAt))
		return err
	})
}

type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// FindRoleByName returns ErrNotFound if the account has no such role.
func (st *Store) FindRoleByName(ctx context.Context, accountID, name string) (localyun.Role, error) {
	r, err := findRole(ctx, st.db, accountID, name, "")
	return r, formatError(err)
}

func findRole(ctx context.Context, q queryer, accountID, name, lock string) (localyun.Role, error) {
	return sqlstore.One(q.QueryRowContext(ctx, `SELECT `+sqlstore.RoleColumns+` FROM roles
		WHERE account_id = $1 AND name_key = $2 `+lock, accountID, strings.ToLower(name)),
		sqlstore.ScanRole, fmt.Errorf("role %s: %w", name, localyun.ErrNotFound))
}

// FindRoles lists roles in case-insensitive name order after f.After.
func (st *Store) FindRoles(ctx context.Context, f localyun.RoleFilter) ([]localyun.Role, error) {
	roles, err := sqlstore.All(sqlstore.ScanRole)(st.db.QueryContext(ctx, `SELECT `+sqlstore.RoleColumns+` FROM roles
		WHERE account_id = $1 AND name_key > $2 ORDER BY name_key LIMIT $3`, f.AccountID, strings.ToLower(f.After), limitOf(f.Limit)))
	return roles, formatError(err)
}

// UpdateRole applies upd. Returns ErrNotFound.
func (st *Store) UpdateRole(ctx context.Context, accountID, name string, upd localyun.RoleUpdate) (localyun.Role, error) {
	var r localyun.Role
	err := st.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		old, err := findRole(ctx, tx, accountID, name, "FOR UPDATE")
		if err != nil {
			return err
		}
		r = upd.Apply(old)
		_, err = tx.ExecContext(ctx, `UPDATE roles SET description = $1, assume_role_policy = $2,
			max_session_duration = $3, updated_at = $4 WHERE account_id = $5 AND name_key = $6`,
			r.Description, r.AssumeRolePolicyDocument, r.MaxSessionDuration, ms(r.UpdatedAt), accountID, strings.ToLower(name))
		return err
	})
	return r, err
}

// DeleteRole returns ErrNotFound if the account has no such role, and
// ErrConflict (a *localyun.ConflictError) while policies are attached. The
// role row is locked first; AttachPolicy share-locks it.
func (st *Store) DeleteRole(ctx context.Context, accountID, name string) error {
	return st.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := findRole(ctx, tx, accountID, name, "FOR UPDATE"); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM policy_attachments
			WHERE account_id = $1 AND principal_type = 'Role' AND principal_name = $2`, accountID, name).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return &localyun.ConflictError{With: "Policy"}
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM roles WHERE account_id = $1 AND name_key = $2`, accountID, strings.ToLower(name))
		return err
	})
}
