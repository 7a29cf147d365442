package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

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

// CreateRole returns ErrAlreadyExists if the name is taken in the account
// (names compare case-insensitively).
func (st *Store) CreateRole(ctx context.Context, r localyun.Role) error {
	return st.withTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO roles (`+roleColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
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
	r, err := scanRole(q.QueryRowContext(ctx, `SELECT `+roleColumns+` FROM roles
		WHERE account_id = $1 AND name_key = $2 `+lock, accountID, strings.ToLower(name)))
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("role %s: %w", name, localyun.ErrNotFound)
	}
	return r, err
}

// FindRoles lists roles in case-insensitive name order after f.After.
func (st *Store) FindRoles(ctx context.Context, f localyun.RoleFilter) ([]localyun.Role, error) {
	var a args
	q := `SELECT ` + roleColumns + ` FROM roles WHERE account_id = ` + a.add(f.AccountID) +
		` AND name_key > ` + a.add(strings.ToLower(f.After)) + ` ORDER BY name_key`
	if f.Limit > 0 {
		q += ` LIMIT ` + a.add(f.Limit)
	}
	rows, err := st.db.QueryContext(ctx, q, a...)
	if err != nil {
		return nil, formatError(err)
	}
	defer rows.Close()
	var out []localyun.Role
	for rows.Next() {
		r, err := scanRole(rows)
		if err != nil {
			return nil, formatError(err)
		}
		out = append(out, r)
	}
	return out, formatError(rows.Err())
}

// UpdateRole applies upd. Returns ErrNotFound.
func (st *Store) UpdateRole(ctx context.Context, accountID, name string, upd localyun.RoleUpdate) (localyun.Role, error) {
	var r localyun.Role
	err := st.withTx(ctx, func(tx *sql.Tx) error {
		var err error
		if r, err = findRole(ctx, tx, accountID, name, "FOR UPDATE"); err != nil {
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
	return st.withTx(ctx, func(tx *sql.Tx) error {
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
