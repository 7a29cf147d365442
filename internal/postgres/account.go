package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/localyun/localyun"
)

// CreateAccount creates an account. Returns ErrAlreadyExists.
func (st *Store) CreateAccount(ctx context.Context, a localyun.Account) error {
	return st.withTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO accounts (id, name, created_at) VALUES ($1, $2, $3)`,
			a.ID, a.Name, ms(a.CreatedAt))
		return err
	})
}

// FindAccountByID returns ErrNotFound if there is no such account.
func (st *Store) FindAccountByID(ctx context.Context, id string) (localyun.Account, error) {
	var a localyun.Account
	var created int64
	err := st.db.QueryRowContext(ctx, `SELECT id, name, created_at FROM accounts WHERE id = $1`, id).
		Scan(&a.ID, &a.Name, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return a, fmt.Errorf("account %s: %w", id, localyun.ErrNotFound)
	}
	a.CreatedAt = fromMS(created)
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
	return st.withTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO access_keys (id, secret, account_id, user_name, status, created_at)
			VALUES ($1, $2, $3, $4, $5, $6)`, k.ID, secret, k.AccountID, k.UserName, k.Status, ms(k.CreatedAt))
		return err
	})
}

// FindAccessKey returns ErrNotFound if there is no such key.
func (st *Store) FindAccessKey(ctx context.Context, id string) (localyun.AccessKey, error) {
	var k localyun.AccessKey
	var created int64
	err := st.db.QueryRowContext(ctx, `SELECT id, secret, account_id, user_name, status, created_at
		FROM access_keys WHERE id = $1`, id).Scan(&k.ID, &k.Secret, &k.AccountID, &k.UserName, &k.Status, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return k, fmt.Errorf("access key %s: %w", id, localyun.ErrNotFound)
	}
	if err != nil {
		return k, formatError(err)
	}
	k.CreatedAt = fromMS(created)
	k.Secret, err = unsealWith(st.Sealer, k.Secret)
	return k, err
}
