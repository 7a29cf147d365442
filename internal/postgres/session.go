package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/sqlstore"
)

// CreateSession returns ErrAlreadyExists if the AccessKeyID is taken. The
// secret is sealed when a Sealer is set.
func (st *Store) CreateSession(ctx context.Context, s localyun.Session) error {
	secret, err := sealWith(st.Sealer, s.Secret)
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
	s, err := sqlstore.One(st.db.QueryRowContext(ctx, `SELECT `+sqlstore.SessionColumns+` FROM sts_sessions WHERE access_key_id = $1`,
		accessKeyID), sqlstore.ScanSession, fmt.Errorf("session %s: %w", accessKeyID, localyun.ErrNotFound))
	if err != nil {
		return s, formatError(err)
	}
	s.Secret, err = unsealWith(st.Sealer, s.Secret)
	return s, err
}

// DeleteExpiredSessions deletes sessions that expired before t: housekeeping,
// which never writes the request's audit event (localyun.WithoutEvent).
func (st *Store) DeleteExpiredSessions(ctx context.Context, t time.Time) (int, error) {
	var n int64
	err := st.withTx(localyun.WithoutEvent(ctx), func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM sts_sessions WHERE expires_at < $1`, ms(t))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}

var _ localyun.SessionStore = (*Store)(nil)
