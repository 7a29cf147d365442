package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/sqlstore"
)

// CreateUser returns ErrAlreadyExists if the name is taken in the account.
func (st *Store) CreateUser(ctx context.Context, u localyun.User) error {
	return st.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO users (`+sqlstore.UserColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			u.ID, u.AccountID, u.Name, u.DisplayName, u.Comments, u.Email, u.MobilePhone, ms(u.CreatedAt), ms(u.UpdatedAt))
		return err
	})
}

// userByName reads a user by name (any case).
const userByName = `SELECT ` + sqlstore.UserColumns + ` FROM users WHERE account_id = ? AND name = ?`

// FindUserByName returns ErrNotFound if the account has no such user. It
// runs through a cached statement: authorization reads users by name.
func (st *Store) FindUserByName(ctx context.Context, accountID, name string) (localyun.User, error) {
	return sqlstore.One(st.readRow(ctx, userByName, accountID, name), sqlstore.ScanUser, userNotFound(name))
}

func userNotFound(name string) error { return fmt.Errorf("user %s: %w", name, localyun.ErrNotFound) }

// findUser reads a user in a write transaction.
func findUser(ctx context.Context, tx *sql.Tx, accountID, name string) (localyun.User, error) {
	return sqlstore.One(tx.QueryRowContext(ctx, userByName, accountID, name), sqlstore.ScanUser, userNotFound(name))
}

// FindUsers lists users in case-insensitive name order after f.After.
func (st *Store) FindUsers(ctx context.Context, f localyun.UserFilter) ([]localyun.User, error) {
	return sqlstore.All(sqlstore.ScanUser)(st.read.QueryContext(ctx, `SELECT `+sqlstore.UserColumns+` FROM users
		WHERE account_id = ? AND name > ? ORDER BY name LIMIT ?`, f.AccountID, f.After, limitOf(f.Limit)))
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
	err := st.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		old, err := findUser(ctx, tx, accountID, name)
		if err != nil {
			return err
		}
		u = upd.Apply(old)
		if _, err := tx.ExecContext(ctx, `UPDATE users SET name = ?, display_name = ?, comments = ?, email = ?,
			mobile_phone = ?, updated_at = ? WHERE account_id = ? AND name = ?`,
			u.Name, u.DisplayName, u.Comments, u.Email, u.MobilePhone, ms(u.UpdatedAt), accountID, old.Name); err != nil {
			return err
		}
		if u.Name == old.Name {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE access_keys SET user_name = ? WHERE account_id = ? AND user_name = ? COLLATE NOCASE`,
			u.Name, accountID, old.Name); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE policy_attachments SET principal_name = ?
			WHERE account_id = ? AND principal_type = 'User' AND principal_name = ?`, u.Name, accountID, old.Name)
		return err
	})
	return u, err
}

// DeleteUser refuses while the user has keys, policies or groups.
func (st *Store) DeleteUser(ctx context.Context, accountID, name string) error {
	return st.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := findUser(ctx, tx, accountID, name); err != nil {
			return err
		}
		if err := sqlstore.NoDependents(ctx, tx, []any{accountID, name},
			sqlstore.Dependent{With: "AccessKey", Count: `SELECT COUNT(*) FROM access_keys WHERE account_id = ? AND user_name = ? COLLATE NOCASE`},
			sqlstore.Dependent{With: "Policy", Count: `SELECT COUNT(*) FROM policy_attachments WHERE account_id = ? AND principal_type = 'User' AND principal_name = ?`},
			sqlstore.Dependent{With: "Group", Count: `SELECT COUNT(*) FROM group_members WHERE account_id = ? AND user_name = ?`},
		); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM users WHERE account_id = ? AND name = ?`, accountID, name)
		return err
	})
}

// CreateUserAccessKey stores a key of an existing user, or of the root
// when k.UserName is "", at most limit per owner.
func (st *Store) CreateUserAccessKey(ctx context.Context, k localyun.AccessKey, limit int) error {
	secret, err := st.seal(k.Secret)
	if err != nil {
		return err
	}
	return st.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if k.UserName != "" {
			u, err := findUser(ctx, tx, k.AccountID, k.UserName)
			if err != nil {
				return err
			}
			k.UserName = u.Name
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM access_keys WHERE account_id = ? AND user_name = ? COLLATE NOCASE`,
			k.AccountID, k.UserName).Scan(&n); err != nil {
			return err
		}
		if n >= limit {
			return fmt.Errorf("user %q has %d access keys: %w", k.UserName, n, localyun.ErrLimitExceeded)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO access_keys (id, secret, account_id, user_name, status, created_at)
			VALUES (?, ?, ?, ?, ?, ?)`, k.ID, secret, k.AccountID, k.UserName, k.Status, ms(k.CreatedAt))
		return err
	})
}

// FindAccessKeys lists the keys of a user in creation order. Secrets are
// not read.
func (st *Store) FindAccessKeys(ctx context.Context, accountID, userName string) ([]localyun.AccessKey, error) {
	return sqlstore.All(sqlstore.ScanKey)(st.read.QueryContext(ctx, `SELECT `+sqlstore.KeyColumns+` FROM access_keys
		WHERE account_id = ? AND user_name = ? COLLATE NOCASE ORDER BY created_at, id`, accountID, userName))
}

// UpdateAccessKeyStatus sets the status of a key of the user.
func (st *Store) UpdateAccessKeyStatus(ctx context.Context, accountID, userName, id, status string) error {
	defer st.keys.invalidate()
	return st.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE access_keys SET status = ? WHERE id = ? AND account_id = ? AND user_name = ? COLLATE NOCASE`,
			status, id, accountID, userName)
		return sqlstore.Changed(res, err, fmt.Errorf("access key %s: %w", id, localyun.ErrNotFound))
	})
}

// DeleteAccessKey deletes a key of the user.
func (st *Store) DeleteAccessKey(ctx context.Context, accountID, userName, id string) error {
	defer st.keys.invalidate()
	return st.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM access_keys WHERE id = ? AND account_id = ? AND user_name = ? COLLATE NOCASE`,
			id, accountID, userName)
		return sqlstore.Changed(res, err, fmt.Errorf("access key %s: %w", id, localyun.ErrNotFound))
	})
}

// TouchAccessKey records that a key was used at t.
func (st *Store) TouchAccessKey(ctx context.Context, id string, t time.Time) error {
	return st.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE access_keys SET last_used_at = ? WHERE id = ? AND last_used_at < ?`, ms(t), id, ms(t))
		return err
	})
}

// FindAccessKeyLastUsed returns when a key of the user was last used.
func (st *Store) FindAccessKeyLastUsed(ctx context.Context, accountID, userName, id string) (time.Time, error) {
	return sqlstore.One(st.read.QueryRowContext(ctx, `SELECT last_used_at FROM access_keys
		WHERE id = ? AND account_id = ? AND user_name = ? COLLATE NOCASE`, id, accountID, userName),
		sqlstore.ScanMillis, fmt.Errorf("access key %s: %w", id, localyun.ErrNotFound))
}
