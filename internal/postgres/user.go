package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/sqlstore"
)

// Names of users, groups and policies (and the name columns that refer to
// them) have the nondeterministic collation localyun_nocase, so `name = $n`
// compares case-insensitively like SQLite's COLLATE NOCASE. They are
// ordered and paged by lower(name COLLATE "C"): ASCII case folding in byte
// order, which is SQLite's NOCASE order (the *_by_key indexes).

// limitOf is the LIMIT of a listing: NULL (no limit) unless n > 0.
func limitOf(n int) any {
	if n <= 0 {
		return nil
	}
	return n
}

// userKeyMatch matches access_keys.user_name against a parameter
// case-insensitively (SQLite: user_name = ? COLLATE NOCASE); it uses the
// access_keys_by_user index.
const userKeyMatch = `user_name COLLATE localyun_nocase = `

// CreateUser returns ErrAlreadyExists if the name is taken in the account.
func (st *Store) CreateUser(ctx context.Context, u localyun.User) error {
	return st.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO users (`+sqlstore.UserColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
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
	return sqlstore.One(q.QueryRowContext(ctx, `SELECT `+sqlstore.UserColumns+` FROM users
		WHERE account_id = $1 AND name = $2 `+lock, accountID, name), sqlstore.ScanUser, fmt.Errorf("user %s: %w", name, localyun.ErrNotFound))
}

// FindUsers lists users in case-insensitive name order after f.After.
func (st *Store) FindUsers(ctx context.Context, f localyun.UserFilter) ([]localyun.User, error) {
	users, err := sqlstore.All(sqlstore.ScanUser)(st.db.QueryContext(ctx, `SELECT `+sqlstore.UserColumns+` FROM users
		WHERE account_id = $1 AND lower(name COLLATE "C") > lower($2::text COLLATE "C") ORDER BY lower(name COLLATE "C") LIMIT $3`, f.AccountID, f.After, limitOf(f.Limit)))
	return users, formatError(err)
}

// UpdateUser applies upd; a rename carries keys, memberships (ON UPDATE
// CASCADE) and policy attachments along. Returns ErrNotFound or
// ErrAlreadyExists.
func (st *Store) UpdateUser(ctx context.Context, accountID, name string, upd localyun.UserUpdate) (localyun.User, error) {
	var u localyun.User
	err := st.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		old, err := findUser(ctx, tx, accountID, name, "FOR UPDATE")
		if err != nil {
			return err
		}
		u = upd.Apply(old)
		if _, err := tx.ExecContext(ctx, `UPDATE users SET name = $1, display_name = $2, comments = $3, email = $4,
			mobile_phone = $5, updated_at = $6 WHERE account_id = $7 AND name = $8`,
			u.Name, u.DisplayName, u.Comments, u.Email, u.MobilePhone, ms(u.UpdatedAt), accountID, old.Name); err != nil {
			return err
		}
		if u.Name == old.Name {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE access_keys SET user_name = $1 WHERE account_id = $2 AND `+userKeyMatch+`$3`,
			u.Name, accountID, old.Name); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE policy_attachments SET principal_name = $1
			WHERE account_id = $2 AND principal_type = 'User' AND principal_name = $3`, u.Name, accountID, old.Name)
		return err
	})
	return u, err
}

// DeleteUser refuses while the user has keys, policies or groups. The user
// row is locked first, so a key, membership or attachment added
// concurrently (they lock it too) is either seen here or refused there.
func (st *Store) DeleteUser(ctx context.Context, accountID, name string) error {
	return st.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := findUser(ctx, tx, accountID, name, "FOR UPDATE"); err != nil {
			return err
		}
		if err := sqlstore.NoDependents(ctx, tx, []any{accountID, name},
			sqlstore.Dependent{With: "AccessKey", Count: `SELECT COUNT(*) FROM access_keys WHERE account_id = $1 AND ` + userKeyMatch + `$2`},
			sqlstore.Dependent{With: "Policy", Count: `SELECT COUNT(*) FROM policy_attachments WHERE account_id = $1 AND principal_type = 'User' AND principal_name = $2`},
			sqlstore.Dependent{With: "Group", Count: `SELECT COUNT(*) FROM group_members WHERE account_id = $1 AND user_name = $2`},
		); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM users WHERE account_id = $1 AND name = $2`, accountID, name)
		return err
	})
}

// CreateUserAccessKey stores a key of an existing user, or of the root
// when k.UserName is "", at most limit per owner. The owner's row (the
// user's, or the account's) is locked while the keys are counted, so
// concurrent creations on any node cannot exceed the limit.
func (st *Store) CreateUserAccessKey(ctx context.Context, k localyun.AccessKey, limit int) error {
	secret, err := sealWith(st.Sealer, k.Secret)
	if err != nil {
		return err
	}
	return st.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if k.UserName != "" {
			u, err := findUser(ctx, tx, k.AccountID, k.UserName, "FOR UPDATE")
			if err != nil {
				return err
			}
			k.UserName = u.Name
		} else if _, err := sqlstore.One(tx.QueryRowContext(ctx, `SELECT `+sqlstore.AccountColumns+` FROM accounts WHERE id = $1 FOR UPDATE`,
			k.AccountID), sqlstore.ScanAccount, fmt.Errorf("account %s: %w", k.AccountID, localyun.ErrNotFound)); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM access_keys WHERE account_id = $1 AND `+userKeyMatch+`$2`,
			k.AccountID, k.UserName).Scan(&n); err != nil {
			return err
		}
		if n >= limit {
			return fmt.Errorf("user %q has %d access keys: %w", k.UserName, n, localyun.ErrLimitExceeded)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO access_keys (id, secret, account_id, user_name, status, created_at)
			VALUES ($1, $2, $3, $4, $5, $6)`, k.ID, secret, k.AccountID, k.UserName, k.Status, ms(k.CreatedAt))
		return err
	})
}

// FindAccessKeys lists the keys of a user in creation order. Secrets are
// not read.
func (st *Store) FindAccessKeys(ctx context.Context, accountID, userName string) ([]localyun.AccessKey, error) {
	keys, err := sqlstore.All(sqlstore.ScanKey)(st.db.QueryContext(ctx, `SELECT `+sqlstore.KeyColumns+` FROM access_keys
		WHERE account_id = $1 AND `+userKeyMatch+`$2 ORDER BY created_at, id`, accountID, userName))
	return keys, formatError(err)
}

// UpdateAccessKeyStatus sets the status of a key of the user.
func (st *Store) UpdateAccessKeyStatus(ctx context.Context, accountID, userName, id, status string) error {
	return st.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE access_keys SET status = $1 WHERE id = $2 AND account_id = $3 AND `+userKeyMatch+`$4`,
			status, id, accountID, userName)
		return sqlstore.Changed(res, err, fmt.Errorf("access key %s: %w", id, localyun.ErrNotFound))
	})
}

// DeleteAccessKey deletes a key of the user.
func (st *Store) DeleteAccessKey(ctx context.Context, accountID, userName, id string) error {
	return st.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM access_keys WHERE id = $1 AND account_id = $2 AND `+userKeyMatch+`$3`,
			id, accountID, userName)
		return sqlstore.Changed(res, err, fmt.Errorf("access key %s: %w", id, localyun.ErrNotFound))
	})
}

// TouchAccessKey records that a key was used at t. The condition makes
// last_used_at only move forward, also between nodes (a concurrent update
// re-evaluates it on the newest row version).
func (st *Store) TouchAccessKey(ctx context.Context, id string, t time.Time) error {
	return st.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE access_keys SET last_used_at = $1 WHERE id = $2 AND last_used_at < $1`, ms(t), id)
		return err
	})
}

// FindAccessKeyLastUsed returns when a key of the user was last used.
func (st *Store) FindAccessKeyLastUsed(ctx context.Context, accountID, userName, id string) (time.Time, error) {
	t, err := sqlstore.One(st.db.QueryRowContext(ctx, `SELECT last_used_at FROM access_keys
		WHERE id = $1 AND account_id = $2 AND `+userKeyMatch+`$3`, id, accountID, userName),
		sqlstore.ScanMillis, fmt.Errorf("access key %s: %w", id, localyun.ErrNotFound))
	return t, formatError(err)
}

var _ localyun.UserStore = (*Store)(nil)
