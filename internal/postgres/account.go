package postgres

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
		_, err := tx.ExecContext(ctx, `INSERT INTO accounts (id, name, created_at) VALUES ($1, $2, $3)`,
			a.ID, a.Name, ms(a.CreatedAt))
		return err
	})
}

// FindAccountByID returns ErrNotFound if there is no such account.
func (st *Store) FindAccountByID(ctx context.Context, id string) (localyun.Account, error) {
	a, err := sqlstore.One(st.db.QueryRowContext(ctx, `SELECT `+sqlstore.AccountColumns+` FROM accounts WHERE id = $1`, id),
		sqlstore.ScanAccount, fmt.Errorf("account %s: %w", id, localyun.ErrNotFound))
	return a, formatError(err)
}

// CountAccounts returns the number of accounts.
func (st *Store) CountAccounts(ctx context.Context) (int, error) {
	var n int
	err := st.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM accounts`).Scan(&n)
	return n, formatError(err)
}

// CreateAccessKey stores a key, its secret sealed when a Sealer is set.
// Returns ErrAlreadyExists, or ErrNotFound if the account does not exist.
func (st *Store) CreateAccessKey(ctx context.Context, k localyun.AccessKey) error {
	secret, err := sealWith(st.Sealer, k.Secret)
	if err != nil {
		return err
	}
	return st.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO access_keys (id, secret, account_id, user_name, status, created_at)
			VALUES ($1, $2, $3, $4, $5, $6)`, k.ID, secret, k.AccountID, k.UserName, k.Status, ms(k.CreatedAt))
		return err
	})
}

// FindAccessKey returns ErrNotFound if there is no such key.
func (st *Store) FindAccessKey(ctx context.Context, id string) (localyun.AccessKey, error) {
	k, err := sqlstore.One(st.db.QueryRowContext(ctx, `SELECT `+sqlstore.SecretKeyColumns+` FROM access_keys WHERE id = $1`, id),
		sqlstore.ScanSecretKey, fmt.Errorf("access key %s: %w", id, localyun.ErrNotFound))
	if err != nil {
		return k, formatError(err)
	}
	k.Secret, err = unsealWith(st.Sealer, k.Secret)
	return k, err
}
