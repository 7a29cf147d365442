package sqlite

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
		_, err := tx.ExecContext(ctx, `INSERT INTO accounts (id, name, created_at) VALUES (?, ?, ?)`,
			a.ID, a.Name, ms(a.CreatedAt))
		return err
	})
}

// FindAccountByID returns ErrNotFound if there is no such account.
func (st *Store) FindAccountByID(ctx context.Context, id string) (localyun.Account, error) {
	var a localyun.Account
	var created int64
	err := st.read.QueryRowContext(ctx, `SELECT id, name, created_at FROM accounts WHERE id = ?`, id).
		Scan(&a.ID, &a.Name, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return a, fmt.Errorf("account %s: %w", id, localyun.ErrNotFound)
	}
	a.CreatedAt = fromMS(created)
	return a, err
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
	return st.withTx(ctx, func(tx *sql.Tx) error {
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
	var k localyun.AccessKey
	var created int64
	err := st.readRow(ctx, `SELECT id, secret, account_id, user_name, status, created_at
		FROM access_keys WHERE id = ?`, id).Scan(&k.ID, &k.Secret, &k.AccountID, &k.UserName, &k.Status, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return k, fmt.Errorf("access key %s: %w", id, localyun.ErrNotFound)
	}
	if err != nil {
		return k, err
	}
	k.CreatedAt = fromMS(created)
	k.Secret, err = st.unseal(k.Secret)
	return k, err
}
