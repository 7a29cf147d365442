package sqlstore

import "github.com/localyun/localyun"

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
