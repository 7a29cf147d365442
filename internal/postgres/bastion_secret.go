package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/sqlstore"
)

// This file is the only place that reads or writes the credential columns
// of bastion host accounts (password, private_key, pass_phrase) and bastion
// users (password); listings read only "has a password"
// (sqlstore.BastionHostAccountColumns). Non-empty credentials are stored
// sealed with st.Sealer when it is set ("sealed:" + Sealer.Seal(plaintext),
// the SQLite store's format); unprefixed values are plaintext (written
// without a master key or copied from such a database) and read as they
// are. An empty credential stays empty, so that "has a password" remains a
// plain column test.

func (st *Store) sealBastionSecret(s string) (string, error) { return sealWith(st.Sealer, s) }

func (st *Store) openBastionSecret(s string) (string, error) { return unsealWith(st.Sealer, s) }

// writeHostAccountSecret sets the credentials of an account that s sets.
func (st *Store) writeHostAccountSecret(ctx context.Context, tx *sql.Tx, instanceID string, id int64, s localyun.BastionSecretUpdate) error {
	if s == (localyun.BastionSecretUpdate{}) {
		return nil
	}
	password, key, phrase, err := sqlstore.SealSecret(s, st.sealBastionSecret)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE bastion_host_accounts SET password = COALESCE($1, password),
		private_key = COALESCE($2, private_key), pass_phrase = COALESCE($3, pass_phrase)
		WHERE instance_id = $4 AND id = $5`, password, key, phrase, instanceID, id)
	return err
}

// writeUserSecret sets the password of a user, if s sets it.
func (st *Store) writeUserSecret(ctx context.Context, tx *sql.Tx, instanceID string, id int64, s localyun.BastionSecretUpdate) error {
	if s.Password == nil {
		return nil
	}
	password, _, _, err := sqlstore.SealSecret(localyun.BastionSecretUpdate{Password: s.Password}, st.sealBastionSecret)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE bastion_users SET password = $1 WHERE instance_id = $2 AND id = $3`,
		password, instanceID, id)
	return err
}

// FindBastionHostAccountSecret returns the stored credentials of an account.
func (st *Store) FindBastionHostAccountSecret(ctx context.Context, instanceID, id string) (localyun.BastionSecret, error) {
	var s localyun.BastionSecret
	n, ok := parseBastionID(id)
	if !ok {
		return s, fmt.Errorf("bastion host account %q: %w", id, localyun.ErrNotFound)
	}
	err := st.db.QueryRowContext(ctx, `SELECT password, private_key, pass_phrase FROM bastion_host_accounts
		WHERE instance_id = $1 AND id = $2`, instanceID, n).Scan(&s.Password, &s.PrivateKey, &s.PassPhrase)
	if errors.Is(err, sql.ErrNoRows) {
		return s, fmt.Errorf("bastion host account %d: %w", n, localyun.ErrNotFound)
	}
	if err != nil {
		return s, formatError(err)
	}
	return s, sqlstore.OpenSecret(&s, st.openBastionSecret)
}

// FindBastionUserSecret returns the stored password of a user.
func (st *Store) FindBastionUserSecret(ctx context.Context, instanceID, id string) (localyun.BastionSecret, error) {
	var s localyun.BastionSecret
	n, ok := parseBastionID(id)
	if !ok {
		return s, fmt.Errorf("bastion user %q: %w", id, localyun.ErrNotFound)
	}
	err := st.db.QueryRowContext(ctx, `SELECT password FROM bastion_users WHERE instance_id = $1 AND id = $2`,
		instanceID, n).Scan(&s.Password)
	if errors.Is(err, sql.ErrNoRows) {
		return s, fmt.Errorf("bastion user %d: %w", n, localyun.ErrNotFound)
	}
	if err != nil {
		return s, formatError(err)
	}
	return s, sqlstore.OpenSecret(&s, st.openBastionSecret)
}
