package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/localyun/localyun"
)

// Names of users, groups and policies (and the name columns that refer to
// them) have the nondeterministic collation localyun_nocase, so `name = $n`
// compares case-insensitively like SQLite's COLLATE NOCASE. nameKey is the
// expression names are ordered and paged by: ASCII case folding in byte
// order, which is SQLite's NOCASE order (the *_by_key indexes).
func nameKey(expr string) string { return `lower((` + expr + `) COLLATE "C")` }

// userKeyMatch matches access_keys.user_name against a parameter
// case-insensitively (SQLite: user_name = ? COLLATE NOCASE); it uses the
// access_keys_by_user index.
const userKeyMatch = `user_name COLLATE localyun_nocase = `

const userColumns = `id, account_id, name, display_name, comments, email, mobile_phone, created_at, updated_at`

func scanUser(row interface{ Scan(...any) error }, extra ...any) (localyun.User, error) {
	var u localyun.User
	var created, updated int64
	err := row.Scan(append([]any{&u.ID, &u.AccountID, &u.Name, &u.DisplayName, &u.Comments, &u.Email, &u.MobilePhone,
		&created, &updated}, extra...)...)
	u.CreatedAt, u.UpdatedAt = fromMS(created), fromMS(updated)
	return u, err
}

// CreateUser returns ErrAlreadyExists if the name is taken in the account.
func (st *Store) CreateUser(ctx context.Context, u localyun.User) error {
	return st.withTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO users (`+userColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			u.ID, u.AccountID, u.Name, u.DisplayName, u.Comments, u.Email, u.MobilePhone, ms(u.CreatedAt), ms(u.UpdatedAt))
		return err
	})
}

// FindUserByName returns ErrNotFound if the account has no such user.
func (st *Store) FindUserByName(ctx context.Context, accountID, name string) (localyun.User, error) {
	u, err := findUser(ctx, st.db, accountID, name, "")
	return u, formatError(err)
}

// findUser reads a user; lock is "", "FOR SHARE" or "FOR UPDATE".
func findUser(ctx context.Context, q queryer, accountID, name, lock string) (localyun.User, error) {
	u, err := scanUser(q.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users
		WHERE account_id = $1 AND name = $2 `+lock, accountID, name))
	if errors.Is(err, sql.ErrNoRows) {
		return u, fmt.Errorf("user %s: %w", name, localyun.ErrNotFound)
	}
	return u, err
}

// FindUsers lists users in case-insensitive name order after f.After.
func (st *Store) FindUsers(ctx context.Context, f localyun.UserFilter) ([]localyun.User, error) {
	var a args
	q := `SELECT ` + userColumns + ` FROM users WHERE account_id = ` + a.add(f.AccountID) +
		` AND ` + nameKey("name") + ` > ` + nameKey(a.add(f.After)+"::text") + ` ORDER BY ` + nameKey("name")
	if f.Limit > 0 {
		q += ` LIMIT ` + a.add(f.Limit)
	}
	rows, err := st.db.QueryContext(ctx, q, a...)
	if err != nil {
		return nil, formatError(err)
	}
	defer rows.Close()
	var out []localyun.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, formatError(err)
		}
		out = append(out, u)
	}
	return out, formatError(rows.Err())
}

// UpdateUser applies upd; a rename carries keys, memberships (ON UPDATE
// CASCADE) and policy attachments along. Returns ErrNotFound or
// ErrAlreadyExists.
func (st *Store) UpdateUser(ctx context.Context, accountID, name string, upd localyun.UserUpdate) (localyun.User, error) {
	var u localyun.User
	err := st.withTx(ctx, func(tx *sql.Tx) error {
		var err error
		if u, err = findUser(ctx, tx, accountID, name, "FOR UPDATE"); err != nil {
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
		if _, err := tx.ExecContext(ctx, `UPDATE users SET name = $1, display_name = $2, comments = $3, email = $4,
			mobile_phone = $5, updated_at = $6 WHERE account_id = $7 AND name = $8`,
			u.Name, u.DisplayName, u.Comments, u.Email, u.MobilePhone, ms(u.UpdatedAt), accountID, old); err != nil {
			return err
		}
		if u.Name == old {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE access_keys SET user_name = $1 WHERE account_id = $2 AND `+userKeyMatch+`$3`,
			u.Name, accountID, old); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE policy_attachments SET principal_name = $1
			WHERE account_id = $2 AND principal_type = $3 AND principal_name = $4`, u.Name, accountID, localyun.AttachUser, old)
		return err
	})
	return u, err
}

// DeleteUser refuses while the user has keys, policies or groups. The user
// row is locked first, so a key, membership or attachment added
// concurrently (they lock it too) is either seen here or refused there.
func (st *Store) DeleteUser(ctx context.Context, accountID, name string) error {
	return st.withTx(ctx, func(tx *sql.Tx) error {
		if _, err := findUser(ctx, tx, accountID, name, "FOR UPDATE"); err != nil {
			return err
		}
		for _, dep := range []struct{ with, query string }{
			{"AccessKey", `SELECT COUNT(*) FROM access_keys WHERE account_id = $1 AND ` + userKeyMatch + `$2`},
			{"Policy", `SELECT COUNT(*) FROM policy_attachments WHERE account_id = $1 AND principal_type = 'User' AND principal_name = $2`},
			{"Group", `SELECT COUNT(*) FROM group_members WHERE account_id = $1 AND user_name = $2`},
		} {
			var n int
			if err := tx.QueryRowContext(ctx, dep.query, accountID, name).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return &localyun.ConflictError{With: dep.with}
			}
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM users WHERE account_id = $1 AND name = $2`, accountID, name)
		return err
	})
}

// CreateUserAccessKey stores a key of an existing user, at most limit per
// user. The user row is locked while the keys are counted, so concurrent
// creations on any node cannot exceed the limit.
func (st *Store) CreateUserAccessKey(ctx context.Context, k localyun.AccessKey, limit int) error {
	secret, err := sealWith(st.Sealer, k.Secret)
	if err != nil {
		return err
	}
	return st.withTx(ctx, func(tx *sql.Tx) error {
		u, err := findUser(ctx, tx, k.AccountID, k.UserName, "FOR UPDATE")
		if err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM access_keys WHERE account_id = $1 AND `+userKeyMatch+`$2`,
			k.AccountID, u.Name).Scan(&n); err != nil {
			return err
		}
		if n >= limit {
			return fmt.Errorf("user %s has %d access keys: %w", u.Name, n, localyun.ErrLimitExceeded)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO access_keys (id, secret, account_id, user_name, status, created_at)
			VALUES ($1, $2, $3, $4, $5, $6)`, k.ID, secret, k.AccountID, u.Name, k.Status, ms(k.CreatedAt))
		return err
	})
}

// FindAccessKeys lists the keys of a user in creation order. Secrets are
// not read.
func (st *Store) FindAccessKeys(ctx context.Context, accountID, userName string) ([]localyun.AccessKey, error) {
	rows, err := st.db.QueryContext(ctx, `SELECT id, account_id, user_name, status, created_at FROM access_keys
		WHERE account_id = $1 AND `+userKeyMatch+`$2 ORDER BY created_at, id`, accountID, userName)
	if err != nil {
		return nil, formatError(err)
	}
	defer rows.Close()
	var out []localyun.AccessKey
	for rows.Next() {
		var k localyun.AccessKey
		var created int64
		if err := rows.Scan(&k.ID, &k.AccountID, &k.UserName, &k.Status, &created); err != nil {
			return nil, formatError(err)
		}
		k.CreatedAt = fromMS(created)
		out = append(out, k)
	}
	return out, formatError(rows.Err())
}

func userKeyNotFound(res sql.Result, id string) error {
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("access key %s: %w", id, localyun.ErrNotFound)
	}
	return nil
}

// UpdateAccessKeyStatus sets the status of a key of the user.
func (st *Store) UpdateAccessKeyStatus(ctx context.Context, accountID, userName, id, status string) error {
	return st.withTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE access_keys SET status = $1 WHERE id = $2 AND account_id = $3 AND `+userKeyMatch+`$4`,
			status, id, accountID, userName)
		if err != nil {
			return err
		}
		return userKeyNotFound(res, id)
	})
}

// DeleteAccessKey deletes a key of the user.
func (st *Store) DeleteAccessKey(ctx context.Context, accountID, userName, id string) error {
	return st.withTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM access_keys WHERE id = $1 AND account_id = $2 AND `+userKeyMatch+`$3`,
			id, accountID, userName)
		if err != nil {
			return err
		}
		return userKeyNotFound(res, id)
	})
}

// TouchAccessKey records that a key was used at t. The condition makes
// last_used_at only move forward, also between nodes (a concurrent update
// re-evaluates it on the newest row version).
func (st *Store) TouchAccessKey(ctx context.Context, id string, t time.Time) error {
	return st.withTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE access_keys SET last_used_at = $1 WHERE id = $2 AND last_used_at < $1`, ms(t), id)
		return err
	})
}

// FindAccessKeyLastUsed returns when a key of the user was last used.
func (st *Store) FindAccessKeyLastUsed(ctx context.Context, accountID, userName, id string) (time.Time, error) {
	var n int64
	err := st.db.QueryRowContext(ctx, `SELECT last_used_at FROM access_keys WHERE id = $1 AND account_id = $2 AND `+userKeyMatch+`$3`,
		id, accountID, userName).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, fmt.Errorf("access key %s: %w", id, localyun.ErrNotFound)
	}
	return fromMS(n), formatError(err)
}

var _ localyun.UserStore = (*Store)(nil)
