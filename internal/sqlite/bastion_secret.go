package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/localyun/localyun"
)

// This file is the only place that reads or writes the credential columns
// of bastion host accounts (password, private_key, pass_phrase) and bastion
// users (password). Non-empty credentials are sealed with the store's
// Sealer (the master key) when one is set.

// hostAccountHasPasswordSQL is the one derived fact the API may show.
const hostAccountHasPasswordSQL = `(a.password <> '')`

// sealSecret seals the non-empty credentials of s; empty ones stay empty so
// that "has a password" remains a plain comparison.
func (st *Store) sealSecret(s localyun.BastionSecret) (localyun.BastionSecret, error) {
	for _, p := range []*string{&s.Password, &s.PrivateKey, &s.PassPhrase} {
		if *p == "" {
			continue
		}
		sealed, err := st.seal(*p)
		if err != nil {
			return s, err
		}
		*p = sealed
	}
	return s, nil
}

func (st *Store) unsealSecret(s localyun.BastionSecret) (localyun.BastionSecret, error) {
	for _, p := range []*string{&s.Password, &s.PrivateKey, &s.PassPhrase} {
		plain, err := st.unseal(*p)
		if err != nil {
			return s, err
		}
		*p = plain
	}
	return s, nil
}

func (st *Store) writeHostAccountSecret(ctx context.Context, tx *sql.Tx, instanceID string, id int64, s localyun.BastionSecret) error {
	s, err := st.sealSecret(s)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE bastion_host_accounts SET password = ?, private_key = ?, pass_phrase = ?
		WHERE instance_id = ? AND id = ?`, s.Password, s.PrivateKey, s.PassPhrase, instanceID, id)
	return err
}

func (st *Store) readHostAccountSecret(ctx context.Context, q queryer, instanceID string, id int64) (localyun.BastionSecret, error) {
	var s localyun.BastionSecret
	err := q.QueryRowContext(ctx, `SELECT password, private_key, pass_phrase FROM bastion_host_accounts
		WHERE instance_id = ? AND id = ?`, instanceID, id).Scan(&s.Password, &s.PrivateKey, &s.PassPhrase)
	if errors.Is(err, sql.ErrNoRows) {
		return s, fmt.Errorf("bastion host account %d: %w", id, localyun.ErrNotFound)
	}
	if err != nil {
		return s, err
	}
	return st.unsealSecret(s)
}

func (st *Store) writeUserSecret(ctx context.Context, tx *sql.Tx, instanceID string, id int64, s localyun.BastionSecret) error {
	s, err := st.sealSecret(s)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE bastion_users SET password = ? WHERE instance_id = ? AND id = ?`,
		s.Password, instanceID, id)
	return err
}

func (st *Store) readUserSecret(ctx context.Context, q queryer, instanceID string, id int64) (localyun.BastionSecret, error) {
	var s localyun.BastionSecret
	err := q.QueryRowContext(ctx, `SELECT password FROM bastion_users WHERE instance_id = ? AND id = ?`,
		instanceID, id).Scan(&s.Password)
	if errors.Is(err, sql.ErrNoRows) {
		return s, fmt.Errorf("bastion user %d: %w", id, localyun.ErrNotFound)
	}
	if err != nil {
		return s, err
	}
	return st.unsealSecret(s)
}

// FindBastionHostAccountSecret returns the stored credentials of an account.
func (st *Store) FindBastionHostAccountSecret(ctx context.Context, instanceID, id string) (localyun.BastionSecret, error) {
	n, ok := parseBastionID(id)
	if !ok {
		return localyun.BastionSecret{}, fmt.Errorf("bastion host account %q: %w", id, localyun.ErrNotFound)
	}
	return st.readHostAccountSecret(ctx, st.read, instanceID, n)
}

// FindBastionUserSecret returns the stored password of a user.
func (st *Store) FindBastionUserSecret(ctx context.Context, instanceID, id string) (localyun.BastionSecret, error) {
	n, ok := parseBastionID(id)
	if !ok {
		return localyun.BastionSecret{}, fmt.Errorf("bastion user %q: %w", id, localyun.ErrNotFound)
	}
	return st.readUserSecret(ctx, st.read, instanceID, n)
}
