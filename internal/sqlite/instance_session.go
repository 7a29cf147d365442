package sqlite

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
	insertSessionSQL         = `INSERT INTO sts_sessions (` + sqlstore.SessionColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	findInstanceSessionSQL   = `SELECT ` + sqlstore.InstanceSessionColumns + ` FROM instance_sessions JOIN sts_sessions USING (access_key_id, instance_id) WHERE instance_id = ? AND account_id = ?`
	insertInstanceSessionSQL = `INSERT INTO instance_sessions (instance_id, access_key_id, token) VALUES (?, ?, ?) ON CONFLICT (instance_id) DO NOTHING`
	updateInstanceSessionSQL = `UPDATE instance_sessions SET access_key_id = ?, token = ? WHERE instance_id = ? AND access_key_id = ?`
)

var instanceSessionSQL = sqlstore.InstanceSessionSQL{InsertSession: insertSessionSQL,
	InsertCurrent: insertInstanceSessionSQL, UpdateCurrent: updateInstanceSessionSQL}

// FindInstanceSession returns the current session of an instance, or
// ErrNotFound. Sessions found are cached (st.instSessions), forgotten by
// ReplaceInstanceSession and DeleteInstances, and all of them by
// DeleteExpiredSessions (whose deletes cascade), after their transaction.
func (st *Store) FindInstanceSession(ctx context.Context, accountID, instanceID string) (localyun.InstanceSession, error) {
	k := [2]string{accountID, instanceID}
	s, gen, ok := st.instSessions.get(k)
	if ok {
		return s, nil
	}
	s, err := sqlstore.One(st.readRow(ctx, findInstanceSessionSQL, instanceID, accountID), sqlstore.ScanInstanceSession,
		fmt.Errorf("session of instance %s: %w", instanceID, localyun.ErrNotFound))
	if err != nil {
		return s, err
	}
	if s.Secret, err = st.unseal(s.Secret); err != nil {
		return s, err
	}
	if s.Token, err = st.unseal(s.Token); err != nil {
		return s, err
	}
	st.instSessions.put(k, s, gen)
	return s, nil
}

// ReplaceInstanceSession stores s and makes it the instance's current
// session if the current one is prev ("" for none). Returns ErrConflict,
// ErrAlreadyExists, or ErrNotFound when the instance or the account does
// not exist.
func (st *Store) ReplaceInstanceSession(ctx context.Context, s localyun.InstanceSession, prev string) error {
	defer st.instSessions.forget([2]string{s.AccountID, s.InstanceID})
	secret, err := st.seal(s.Secret)
	if err != nil {
		return err
	}
	token, err := st.seal(s.Token)
	if err != nil {
		return err
	}
	return st.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return sqlstore.ReplaceInstanceSession(ctx, tx, instanceSessionSQL, s, secret, token, prev)
	})
}

var _ localyun.InstanceSessionStore = (*Store)(nil)
