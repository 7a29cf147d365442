package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/localyun/localyun"
)

const userColumns = `id, account_id, name, display_name, comments, email, mobile_phone, created_at, updated_at`

func scanUser(row interface{ Scan(...any) error }) (localyun.User, error) {
	var u localyun.User
	var created, updated int64
	err := row.Scan(&u.ID, &u.AccountID, &u.Name, &u.DisplayName, &u.Comments, &u.Email, &u.MobilePhone, &created, &updated)
	u.CreatedAt, u.UpdatedAt = fromMS(created), fromMS(updated)
	return u, err
}

// CreateUser returns ErrAlreadyExists if the name is taken in the account.
func (st *Store) CreateUser(ctx context.Context, u localyun.User) error {
	return st.withTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO users (`+userColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			u.ID, u.AccountID, u.Name, u.DisplayName, u.Comments, u.Email, u.MobilePhone, ms(u.CreatedAt), ms(u.UpdatedAt))
		return err
	})
}

// FindUserByName returns ErrNotFound if the account has no such user.
func (st *Store) FindUserByName(ctx context.Context, accountID, name string) (localyun.User, error) {
	return findUser(ctx, st.read, accountID, name)
}

func findUser(ctx context.Context, q queryer, accountID, name string) (localyun.User, error) {
	u, err := scanUser(q.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE account_id = ? AND name = ?`, accountID, name))
	if errors.Is(err, sql.ErrNoRows) {
		return u, fmt.Errorf("user %s: %w", name, localyun.ErrNotFound)
	}
	return u, err
}

// FindUsers lists users in case-insensitive name order after f.After.
func (st *Store) FindUsers(ctx context.Context, f localyun.UserFilter) ([]localyun.User, error) {
	rows, err := st.read.QueryContext(ctx, `SELECT `+userColumns+` FROM users
		WHERE account_id = ? AND name > ? ORDER BY name LIMIT ?`, f.AccountID, f.After, limitOf(f.Limit))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []localyun.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

func limitOf(n int) int {
	if n <= 0 {
		return -1
	}
	return n
}

// UpdateUser applies upd; a rename carries keys, memberships and policy
// attachments along. Returns ErrNotFound or ErrAlreadyExists.
func (st *Store) UpdateUser(ctx context.Context, accountID, name string, upd localyun.UserUpdate) (localyun.User, error) {
	var u localyun.User
	defer st.keys.invalidate() // a rename renames the owner of the user's keys
	err := st.withTx(ctx, func(tx *sql.Tx) error {
		var err error
		if u, err = findUser(ctx, tx, accountID, name); err != nil {
			return err
		}
		old := u.Name
		for _, f := range []struct {
			dst *string
			src *string
		}{{&u.Name, upd.Name}, {&u.DisplayName, upd.DisplayName}, {&u.Comments, upd.Comments}, {&u.Email, upd.Email}, {&u.MobilePhone, upd.MobilePhone}} {
			if f.src != nil {
				*f.dst = *f.src
			}
		}
		u.UpdatedAt = upd.UpdatedAt
		if _, err := tx.ExecContext(ctx, `UPDATE users SET name = ?, display_name = ?, comments = ?, email = ?,
			mobile_phone = ?, updated_at = ? WHERE account_id = ? AND name = ?`,
			u.Name, u.DisplayName, u.Comments, u.Email, u.MobilePhone, ms(u.UpdatedAt), accountID, old); err != nil {
			return err
		}
		if u.Name == old {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE access_keys SET user_name = ? WHERE account_id = ? AND user_name = ? COLLATE NOCASE`,
			u.Name, accountID, old); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE policy_attachments SET principal_name = ?
			WHERE account_id = ? AND principal_type = ? AND principal_name = ?`, u.Name, accountID, localyun.AttachUser, old)
		return err
	})
	return u, err
}

// DeleteUser refuses while the user has keys, policies or groups.
func (st *Store) DeleteUser(ctx context.Context, accountID, name string) error {
	return st.withTx(ctx, func(tx *sql.Tx) error {
		if _, err := findUser(ctx, tx, accountID, name); err != nil {
			return err
		}
		for _, dep := range []struct{ with, query string }{
			{"AccessKey", `SELECT COUNT(*) FROM access_keys WHERE account_id = ? AND user_name = ? COLLATE NOCASE`},
			{"Policy", `SELECT COUNT(*) FROM policy_attachments WHERE account_id = ? AND principal_type = 'User' AND principal_name = ?`},
			{"Group", `SELECT COUNT(*) FROM group_members WHERE account_id = ? AND user_name = ?`},
		} {
			var n int
			if err := tx.QueryRowContext(ctx, dep.query, accountID, name).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return &localyun.ConflictError{With: dep.with}
			}
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM users WHERE account_id = ? AND name = ?`, accountID, name)
		return err
	})
}

// CreateUserAccessKey stores a key of an existing user, at most limit per user.
func (st *Store) CreateUserAccessKey(ctx context.Context, k localyun.AccessKey, limit int) error {
	secret, err := st.seal(k.Secret)
	if err != nil {
		return err
	}
	return st.withTx(ctx, func(tx *sql.Tx) error {
		u, err := findUser(ctx, tx, k.AccountID, k.UserName)
		if err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM access_keys WHERE account_id = ? AND user_name = ? COLLATE NOCASE`,
			k.AccountID, u.Name).Scan(&n); err != nil {
			return err
		}
		if n >= limit {
			return fmt.Errorf("user %s has %d access keys: %w", u.Name, n, localyun.ErrLimitExceeded)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO access_keys (id, secret, account_id, user_name, status, created_at)
			VALUES (?, ?, ?, ?, ?, ?)`, k.ID, secret, k.AccountID, u.Name, k.Status, ms(k.CreatedAt))
		return err
	})
}

// FindAccessKeys lists the keys of a user in creation order. Secrets are
// not read.
func (st *Store) FindAccessKeys(ctx context.Context, accountID, userName string) ([]localyun.AccessKey, error) {
	rows, err := st.read.QueryContext(ctx, `SELECT id, account_id, user_name, status, created_at FROM access_keys
		WHERE account_id = ? AND user_name = ? COLLATE NOCASE ORDER BY created_at, id`, accountID, userName)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []localyun.AccessKey
	for rows.Next() {
		var k localyun.AccessKey
		var created int64
		if err := rows.Scan(&k.ID, &k.AccountID, &k.UserName, &k.Status, &created); err != nil {
			return nil, err
		}
		k.CreatedAt = fromMS(created)
		out = append(out, k)
	}
	return out, rows.Err()
}

func userKeyNotFound(res sql.Result, id string) error {
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("access key %s: %w", id, localyun.ErrNotFound)
	}
	return nil
}

// UpdateAccessKeyStatus sets the status of a key of the user.
func (st *Store) UpdateAccessKeyStatus(ctx context.Context, accountID, userName, id, status string) error {
	defer st.keys.invalidate()
	return st.withTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE access_keys SET status = ? WHERE id = ? AND account_id = ? AND user_name = ? COLLATE NOCASE`,
			status, id, accountID, userName)
		if err != nil {
			return err
		}
		return userKeyNotFound(res, id)
	})
}

// DeleteAccessKey deletes a key of the user.
func (st *Store) DeleteAccessKey(ctx context.Context, accountID, userName, id string) error {
	defer st.keys.invalidate()
	return st.withTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM access_keys WHERE id = ? AND account_id = ? AND user_name = ? COLLATE NOCASE`,
			id, accountID, userName)
		if err != nil {
			return err
		}
		return userKeyNotFound(res, id)
	})
}

// TouchAccessKey records that a key was used at t.
func (st *Store) TouchAccessKey(ctx context.Context, id string, t time.Time) error {
	return st.withTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE access_keys SET last_used_at = ? WHERE id = ? AND last_used_at < ?`, ms(t), id, ms(t))
		return err
	})
}

// FindAccessKeyLastUsed returns when a key of the user was last used.
func (st *Store) FindAccessKeyLastUsed(ctx context.Context, accountID, userName, id string) (time.Time, error) {
	var n int64
	err := st.read.QueryRowContext(ctx, `SELECT last_used_at FROM access_keys WHERE id = ? AND account_id = ? AND user_name = ? COLLATE NOCASE`,
		id, accountID, userName).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, fmt.Errorf("access key %s: %w", id, localyun.ErrNotFound)
	}
	return fromMS(n), err
}
