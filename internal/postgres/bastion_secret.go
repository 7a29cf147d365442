package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/localyun/localyun"
)

// This file is the only place that reads or writes the credential columns
// of bastion host accounts (password, private_key, pass_phrase) and bastion
// users (password). Non-empty credentials are stored sealed with st.Sealer
// when it is set ("sealed:" + Sealer.Seal(plaintext), the SQLite store's
// format); unprefixed values are plaintext (written without a master key or
// copied from such a database) and read as they are. An empty credential
// stays empty, so that "has a password" remains a plain column test.

// hostAccountHasPasswordSQL is the one derived fact the API may show.
const hostAccountHasPasswordSQL = `(a.password <> '')`

func (st *Store) sealBastionSecret(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	return sealWith(st.Sealer, s)
}

func (st *Store) unsealBastionSecrets(vs ...*string) error {
	for _, v := range vs {
		s, err := unsealWith(st.Sealer, *v)
		if err != nil {
			return err
		}
		*v = s
	}
	return nil
}

func (st *Store) writeHostAccountSecret(ctx context.Context, tx *sql.Tx, instanceID string, id int64, s localyun.BastionSecret) error {
	var err error
	for _, v := range []*string{&s.Password, &s.PrivateKey, &s.PassPhrase} {
		if *v, err = st.sealBastionSecret(*v); err != nil {
			return err
		}
	}
	_, err = tx.ExecContext(ctx, `UPDATE bastion_host_accounts SET password = $1, private_key = $2, pass_phrase = $3
		WHERE instance_id = $4 AND id = $5`, s.Password, s.PrivateKey, s.PassPhrase, instanceID, id)
	return err
}

// readHostAccountSecret reads the credentials of an account, taking lock
// (a bhLock* clause, or "" outside a transaction) on its row.
func (st *Store) readHostAccountSecret(ctx context.Context, q queryer, instanceID string, id int64, lock string) (localyun.BastionSecret, error) {
	var s localyun.BastionSecret
	err := q.QueryRowContext(ctx, `SELECT password, private_key, pass_phrase FROM bastion_host_accounts
		WHERE instance_id = $1 AND id = $2`+lock, instanceID, id).Scan(&s.Password, &s.PrivateKey, &s.PassPhrase)
	if errors.Is(err, sql.ErrNoRows) {
		return s, fmt.Errorf("bastion host account %d: %w", id, localyun.ErrNotFound)
	}
	if err != nil {
		return s, err
	}
	return s, st.unsealBastionSecrets(&s.Password, &s.PrivateKey, &s.PassPhrase)
}

func (st *Store) writeUserSecret(ctx context.Context, tx *sql.Tx, instanceID string, id int64, s localyun.BastionSecret) error {
	password, err := st.sealBastionSecret(s.Password)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE bastion_users SET password = $1 WHERE instance_id = $2 AND id = $3`,
		password, instanceID, id)
	return err
}

// readUserSecret reads the password of a user, taking lock on its row.
func (st *Store) readUserSecret(ctx context.Context, q queryer, instanceID string, id int64, lock string) (localyun.BastionSecret, error) {
	var s localyun.BastionSecret
	err := q.QueryRowContext(ctx, `SELECT password FROM bastion_users WHERE instance_id = $1 AND id = $2`+lock,
		instanceID, id).Scan(&s.Password)
	if errors.Is(err, sql.ErrNoRows) {
		return s, fmt.Errorf("bastion user %d: %w", id, localyun.ErrNotFound)
	}
	if err != nil {
		return s, err
	}
	return s, st.unsealBastionSecrets(&s.Password)
}

// FindBastionHostAccountSecret returns the stored credentials of an account.
func (st *Store) FindBastionHostAccountSecret(ctx context.Context, instanceID, id string) (localyun.BastionSecret, error) {
	n, ok := parseBastionID(id)
	if !ok {
		return localyun.BastionSecret{}, fmt.Errorf("bastion host account %q: %w", id, localyun.ErrNotFound)
	}
	s, err := st.readHostAccountSecret(ctx, st.db, instanceID, n, "")
	return s, formatError(err)
}

// FindBastionUserSecret returns the stored password of a user.
func (st *Store) FindBastionUserSecret(ctx context.Context, instanceID, id string) (localyun.BastionSecret, error) {
	n, ok := parseBastionID(id)
	if !ok {
		return localyun.BastionSecret{}, fmt.Errorf("bastion user %q: %w", id, localyun.ErrNotFound)
	}
	s, err := st.readUserSecret(ctx, st.db, instanceID, n, "")
	return s, formatError(err)
}
