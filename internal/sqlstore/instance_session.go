package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/localyun/localyun"
)

// InstanceSessionColumns are the columns of an instance's current session,
// in ScanInstanceSession's order, of instance_sessions JOIN sts_sessions
// USING (access_key_id, instance_id).
const InstanceSessionColumns = SessionColumns + `, token`

// ScanInstanceSession reads InstanceSessionColumns; Secret and Token are
// as stored (sealed when the store seals secrets).
func ScanInstanceSession(row Scanner) (localyun.InstanceSession, error) {
	var token string
	s, err := ScanSession(withDest{row, &token})
	return localyun.InstanceSession{Session: s, Token: token}, err
}

// withDest is a Scanner that scans one more column into extra.
type withDest struct {
	row   Scanner
	extra any
}

func (w withDest) Scan(dest ...any) error { return w.row.Scan(append(dest, w.extra)...) }

// InstanceSessionSQL is a dialect's SQL of ReplaceInstanceSession.
type InstanceSessionSQL struct {
	InsertSession, InsertCurrent, UpdateCurrent string
}

// ReplaceInstanceSession stores s in tx, its secret and token given as
// stored (sealed), and makes it its instance's current session if the
// current one is prev ("" for none); ErrConflict otherwise.
func ReplaceInstanceSession(ctx context.Context, tx *sql.Tx, q InstanceSessionSQL, s localyun.InstanceSession, secret, token, prev string) error {
	_, err := tx.ExecContext(ctx, q.InsertSession, s.AccessKeyID, secret, s.TokenHash, s.AccountID, s.RoleName, s.RoleID,
		s.SessionName, s.Policy, s.Caller, Millis(s.CreatedAt), Millis(s.ExpiresAt), s.InstanceID)
	if err != nil {
		return err
	}
	var res sql.Result
	if prev == "" {
		res, err = tx.ExecContext(ctx, q.InsertCurrent, s.InstanceID, s.AccessKeyID, token)
	} else {
		res, err = tx.ExecContext(ctx, q.UpdateCurrent, s.AccessKeyID, token, s.InstanceID, prev)
	}
	return Changed(res, err, fmt.Errorf("instance %s: the current session is not %q: %w", s.InstanceID, prev, localyun.ErrConflict))
}
