package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/seal"
)

// Sealer encrypts secrets at rest; see package seal.
type Sealer = seal.Sealer

func (st *Store) seal(secret string) (string, error) { return seal.Seal(st.Sealer, secret) }

func (st *Store) unseal(stored string) (string, error) { return seal.Open(st.Sealer, stored) }

const sessionColumns = `access_key_id, secret, token_hash, account_id, role_name, role_id, session_name, policy, caller, created_at, expires_at`

// CreateSession returns ErrAlreadyExists if the AccessKeyID is taken.
func (st *Store) CreateSession(ctx context.Context, s localyun.Session) error {
	secret, err := st.seal(s.Secret)
	if err != nil {
		return err
	}
	return st.withTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO sts_sessions (`+sessionColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			s.AccessKeyID, secret, s.TokenHash, s.AccountID, s.RoleName, s.RoleID, s.SessionName, s.Policy, s.Caller,
			ms(s.CreatedAt), ms(s.ExpiresAt))
		return err
	})
}

// FindSession returns ErrNotFound if there is no such session.
func (st *Store) FindSession(ctx context.Context, accessKeyID string) (localyun.Session, error) {
	var s localyun.Session
	var created, expires int64
	err := st.read.QueryRowContext(ctx, `SELECT `+sessionColumns+` FROM sts_sessions WHERE access_key_id = ?`, accessKeyID).
		Scan(&s.AccessKeyID, &s.Secret, &s.TokenHash, &s.AccountID, &s.RoleName, &s.RoleID, &s.SessionName, &s.Policy, &s.Caller, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return s, fmt.Errorf("session %s: %w", accessKeyID, localyun.ErrNotFound)
	}
	if err != nil {
		return s, err
	}
	s.CreatedAt, s.ExpiresAt = fromMS(created), fromMS(expires)
	s.Secret, err = st.unseal(s.Secret)
	return s, err
}

// DeleteExpiredSessions deletes sessions that expired before t.
func (st *Store) DeleteExpiredSessions(ctx context.Context, t time.Time) (int, error) {
	var n int64
	err := st.withTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM sts_sessions WHERE expires_at < ?`, ms(t))
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return int(n), err
}
