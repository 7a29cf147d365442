package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/seal"
	"github.com/localyun/localyun/internal/sqlstore"
)

// Sealer encrypts secrets at rest; see package seal.
type Sealer = seal.Sealer

func (st *Store) seal(secret string) (string, error) { return seal.Seal(st.Sealer, secret) }

func (st *Store) unseal(stored string) (string, error) { return seal.Open(st.Sealer, stored) }

// CreateSession returns ErrAlreadyExists if the AccessKeyID is taken.
func (st *Store) CreateSession(ctx context.Context, s localyun.Session) error {
	secret, err := st.seal(s.Secret)
	if err != nil {
		return err
	}
	return st.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, insertSessionSQL,
			s.AccessKeyID, secret, s.TokenHash, s.AccountID, s.RoleName, s.RoleID, s.SessionName, s.Policy, s.Caller,
			ms(s.CreatedAt), ms(s.ExpiresAt), s.InstanceID)
		return err
	})
}

// FindSession returns ErrNotFound if there is no such session.
func (st *Store) FindSession(ctx context.Context, accessKeyID string) (localyun.Session, error) {
	s, err := sqlstore.One(st.read.QueryRowContext(ctx, `SELECT `+sqlstore.SessionColumns+` FROM sts_sessions WHERE access_key_id = ?`,
		accessKeyID), sqlstore.ScanSession, fmt.Errorf("session %s: %w", accessKeyID, localyun.ErrNotFound))
	if err != nil {
		return s, err
	}
	s.Secret, err = st.unseal(s.Secret)
	return s, err
}

// DeleteExpiredSessions deletes sessions that expired before t: housekeeping,
// which never writes the request's audit event (localyun.WithoutEvent).
func (st *Store) DeleteExpiredSessions(ctx context.Context, t time.Time) (int, error) {
	var n int64
	defer func() {
		if n > 0 { // instance_sessions rows went with theirs
			st.instSessions.invalidate()
		}
	}()
	err := st.withTx(localyun.WithoutEvent(ctx), func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM sts_sessions WHERE expires_at < ?`, ms(t))
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return int(n), err
}
