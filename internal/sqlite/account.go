package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/sqlstore"
)

// CreateAccount creates an account. Returns ErrAlreadyExists.
func (st *Store) CreateAccount(ctx context.Context, a localyun.Account) error {
	return st.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO accounts (id, name, created_at) VALUES (?, ?, ?)`,
			a.ID, a.Name, ms(a.CreatedAt))
		return err
	})
}

// FindAccountByID returns ErrNotFound if there is no such account.
func (st *Store) FindAccountByID(ctx context.Context, id string) (localyun.Account, error) {
	return sqlstore.One(st.read.QueryRowContext(ctx, `SELECT `+sqlstore.AccountColumns+` FROM accounts WHERE id = ?`, id),
		sqlstore.ScanAccount, fmt.Errorf("account %s: %w", id, localyun.ErrNotFound))
}

// CountAccounts returns the number of accounts.
func (st *Store) CountAccounts(ctx context.Context) (int, error) {
	var n int
	err := st.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM accounts`).Scan(&n)
	return n, err
}

// CreateAccessKey stores a key. Returns ErrAlreadyExists if the ID is taken
// and ErrNotFound if the account does not exist.
func (st *Store) CreateAccessKey(ctx context.Context, k localyun.AccessKey) error {
	secret, err := st.seal(k.Secret)
	if err != nil {
		return err
	}
	return st.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO access_keys (id, secret, account_id, user_name, status, created_at)
			VALUES (?, ?, ?, ?, ?, ?)`, k.ID, secret, k.AccountID, k.UserName, k.Status, ms(k.CreatedAt))
		return err
	})
}

// FindAccessKey returns ErrNotFound if there is no such key. Every request
// reads its key, so keys are cached (see rowCache).
func (st *Store) FindAccessKey(ctx context.Context, id string) (localyun.AccessKey, error) {
	k, gen, ok := st.keys.get(id)
	if ok {
		return k, nil
	}
	k, err := st.findAccessKey(ctx, id)
	if err == nil {
		st.keys.put(id, k, gen)
	}
	return k, err
}

func (st *Store) findAccessKey(ctx context.Context, id string) (localyun.AccessKey, error) {
	k, err := sqlstore.One(st.readRow(ctx, `SELECT `+sqlstore.SecretKeyColumns+` FROM access_keys WHERE id = ?`, id),
		sqlstore.ScanSecretKey, fmt.Errorf("access key %s: %w", id, localyun.ErrNotFound))
	if err != nil {
		return k, err
	}
	k.Secret, err = st.unseal(k.Secret)
	return k, err
}
