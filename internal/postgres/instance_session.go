package postgres

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/sqlstore"
)

// The SQL of instance sessions (migration 0008). The token is sealed like
// the session's secret.
const (
	insertSessionSQL         = `INSERT INTO sts_sessions (` + sqlstore.SessionColumns + `) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`
	findInstanceSessionSQL   = `SELECT ` + sqlstore.InstanceSessionColumns + ` FROM instance_sessions JOIN sts_sessions USING (access_key_id, instance_id) WHERE instance_id = $1 AND account_id = $2`
	insertInstanceSessionSQL = `INSERT INTO instance_sessions (instance_id, access_key_id, token) VALUES ($1, $2, $3) ON CONFLICT (instance_id) DO NOTHING`
	updateInstanceSessionSQL = `UPDATE instance_sessions SET access_key_id = $1, token = $2 WHERE instance_id = $3 AND access_key_id = $4`
)

var instanceSessionSQL = sqlstore.InstanceSessionSQL{InsertSession: insertSessionSQL,
	InsertCurrent: insertInstanceSessionSQL, UpdateCurrent: updateInstanceSessionSQL}

// FindInstanceSession returns the current session of an instance, or
// ErrNotFound. Every node reads the database.
func (st *Store) FindInstanceSession(ctx context.Context, accountID, instanceID string) (localyun.InstanceSession, error) {
	s, err := sqlstore.One(st.db.QueryRowContext(ctx, findInstanceSessionSQL, instanceID, accountID), sqlstore.ScanInstanceSession,
		fmt.Errorf("session of instance %s: %w", instanceID, localyun.ErrNotFound))
	if err != nil {
		return s, formatError(err)
	}
	if s.Secret, err = unsealWith(st.Sealer, s.Secret); err != nil {
		return s, err
	}
	s.Token, err = unsealWith(st.Sealer, s.Token)
	return s, err
}

// ReplaceInstanceSession stores s and makes it the instance's current
// session if the current one is prev ("" for none). Returns ErrConflict,
// ErrAlreadyExists, or ErrNotFound when the instance or the account does
// not exist.
func (st *Store) ReplaceInstanceSession(ctx context.Context, s localyun.InstanceSession, prev string) error {
	secret, err := sealWith(st.Sealer, s.Secret)
	if err != nil {
		return err
	}
	token, err := sealWith(st.Sealer, s.Token)
	if err != nil {
		return err
	}
	return st.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return sqlstore.ReplaceInstanceSession(ctx, tx, instanceSessionSQL, s, secret, token, prev)
	})
}

var _ localyun.InstanceSessionStore = (*Store)(nil)
