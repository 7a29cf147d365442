package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/localyun/localyun"
)

const roleColumns = `id, account_id, name, description, assume_role_policy, max_session_duration, created_at, updated_at`

func scanRole(row interface{ Scan(...any) error }) (localyun.Role, error) {
	var r localyun.Role
	var created, updated int64
	err := row.Scan(&r.ID, &r.AccountID, &r.Name, &r.Description, &r.AssumeRolePolicyDocument,
		&r.MaxSessionDuration, &created, &updated)
	r.CreatedAt, r.UpdatedAt = fromMS(created), fromMS(updated)
	return r, err
}

// CreateRole returns ErrAlreadyExists if the name is taken in the account.
func (st *Store) CreateRole(ctx context.Context, r localyun.Role) error {
	return st.withTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO roles (`+roleColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			r.ID, r.AccountID, r.Name, r.Description, r.AssumeRolePolicyDocument, r.MaxSessionDuration,
			ms(r.CreatedAt), ms(r.UpdatedAt))
		return err
	})
}

// FindRoleByName returns ErrNotFound if the account has no such role.
func (st *Store) FindRoleByName(ctx context.Context, accountID, name string) (localyun.Role, error) {
	r, err := scanRole(st.readRow(ctx, `SELECT `+roleColumns+` FROM roles WHERE account_id = ? AND name = ?`, accountID, name))
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("role %s: %w", name, localyun.ErrNotFound)
	}
	return r, err
}

type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func findRole(ctx context.Context, q queryer, accountID, name string) (localyun.Role, error) {
	r, err := scanRole(q.QueryRowContext(ctx, `SELECT `+roleColumns+` FROM roles WHERE account_id = ? AND name = ?`, accountID, name))
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("role %s: %w", name, localyun.ErrNotFound)
	}
	return r, err
}

// FindRoles lists roles in case-insensitive name order after f.After.
func (st *Store) FindRoles(ctx context.Context, f localyun.RoleFilter) ([]localyun.Role, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = -1
	}
	rows, err := st.read.QueryContext(ctx, `SELECT `+roleColumns+` FROM roles
		WHERE account_id = ? AND name > ? ORDER BY name LIMIT ?`, f.AccountID, f.After, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []localyun.Role
	for rows.Next() {
		r, err := scanRole(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// UpdateRole applies upd. Returns ErrNotFound.
func (st *Store) UpdateRole(ctx context.Context, accountID, name string, upd localyun.RoleUpdate) (localyun.Role, error) {
	var r localyun.Role
	err := st.withTx(ctx, func(tx *sql.Tx) error {
		var err error
		if r, err = findRole(ctx, tx, accountID, name); err != nil {
			return err
		}
		if upd.Description != nil {
			r.Description = *upd.Description
		}
		if upd.AssumeRolePolicyDocument != nil {
			r.AssumeRolePolicyDocument = *upd.AssumeRolePolicyDocument
		}
		if upd.MaxSessionDuration != nil {
			r.MaxSessionDuration = *upd.MaxSessionDuration
		}
		r.UpdatedAt = upd.UpdatedAt
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
	return st.withTx(ctx, func(tx *sql.Tx) error {
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
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("role %s: %w", name, localyun.ErrNotFound)
		}
		return nil
	})
}
