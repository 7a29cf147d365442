package sqlite

import (
	"context"
	"database/sql"
	"sync"

	"github.com/localyun/localyun/internal/sqlstore"
)

// accessSQL holds the statements of the Bastionhost data plane (see
// sqlstore.AccessSQL for their arguments).
var accessSQL = sqlstore.AccessSQL{
	Access: `WITH ug AS (SELECT user_group_id AS gid FROM bastion_user_group_members WHERE instance_id = ?1 AND user_id = ?2),
		paths (host_id, account_id, via) AS (
			SELECT g.host_id, g.host_account_id, 'user' FROM bastion_user_account_grants g
				WHERE g.instance_id = ?1 AND g.grantee_id = ?2
			UNION ALL
			SELECT g.host_id, g.host_account_id, 'group:' || g.grantee_id FROM bastion_group_account_grants g
				JOIN ug ON g.grantee_id = ug.gid WHERE g.instance_id = ?1
			UNION ALL
			SELECT a.host_id, a.id, 'hostgroup:' || n.host_group_id FROM bastion_user_host_group_account_grants n
				JOIN bastion_host_group_members m ON m.instance_id = n.instance_id AND m.host_group_id = n.host_group_id
				JOIN bastion_host_accounts a ON a.instance_id = m.instance_id AND a.host_id = m.host_id AND a.name = n.account_name
				WHERE n.instance_id = ?1 AND n.grantee_id = ?2
			UNION ALL
			SELECT a.host_id, a.id, 'group:' || n.grantee_id || '/hostgroup:' || n.host_group_id
				FROM bastion_group_host_group_account_grants n JOIN ug ON n.grantee_id = ug.gid
				JOIN bastion_host_group_members m ON m.instance_id = n.instance_id AND m.host_group_id = n.host_group_id
				JOIN bastion_host_accounts a ON a.instance_id = m.instance_id AND a.host_id = m.host_id AND a.name = n.account_name
				WHERE n.instance_id = ?1)
		SELECT ` + sqlstore.BastionHostAccountColumns + `, ` + sqlstore.BastionAccessHost + `, p.via FROM paths p
			JOIN bastion_hosts h ON h.instance_id = ?1 AND h.id = p.host_id
			JOIN bastion_host_accounts a ON a.instance_id = ?1 AND a.id = p.account_id
			ORDER BY h.id, a.id, p.via`,
	LockUser:   `UPDATE bastion_users SET locked = ?1 WHERE instance_id = ?2 AND id = ?3 AND locked <> ?4`,
	SetSSHPort: `UPDATE bastion_hosts SET ssh_port = ?1 WHERE instance_id = ?2 AND id = ?3 AND ssh_port <> ?4`,
	SetRDPPort: `UPDATE bastion_hosts SET rdp_port = ?1 WHERE instance_id = ?2 AND id = ?3 AND rdp_port <> ?4`,
	LoginState: `SELECT failures, locked_until FROM bastion_login_failures WHERE instance_id = ? AND user_id = ?`,
	NoteFailure: `INSERT INTO bastion_login_failures (instance_id, user_id, failures, locked_until) VALUES (?, ?, 1, 0)
		ON CONFLICT (instance_id, user_id) DO UPDATE SET failures = failures + 1 RETURNING failures, locked_until`,
	LockLogins:    `UPDATE bastion_login_failures SET failures = 0, locked_until = ? WHERE instance_id = ? AND user_id = ?`,
	ClearFailures: `DELETE FROM bastion_login_failures WHERE instance_id = ? AND user_id = ?`,
	InsertPublicKey: `INSERT INTO bastion_public_keys (instance_id, id, user_id, name, comment, public_key, fingerprint, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
	DeletePublicKey: `DELETE FROM bastion_public_keys WHERE instance_id = ? AND id = ?`,
	PublicKeyCount: `SELECT COUNT(*) FROM bastion_public_keys
		WHERE instance_id = ?1 AND (?2 = 0 OR user_id = ?2) AND (?3 IS NULL OR public_key = ?3)`,
	PublicKeyPage: `SELECT instance_id, id, user_id, name, comment, public_key, fingerprint, created_at FROM bastion_public_keys
		WHERE instance_id = ?1 AND (?2 = 0 OR user_id = ?2) AND (?3 IS NULL OR public_key = ?3) ORDER BY id LIMIT ?4 OFFSET ?5`,
	InsertToken: `INSERT INTO bastion_operation_tokens (instance_id, id, user_id, host_id, host_account_id, token_sum, created_at,
		expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
	FindToken: `SELECT id, user_id, host_id, host_account_id, created_at, expires_at FROM bastion_operation_tokens
		WHERE instance_id = ? AND token_sum = ?`,
	DeleteExpiredTokens: `DELETE FROM bastion_operation_tokens WHERE instance_id = ? AND expires_at < ?`,
	InsertSession: `INSERT INTO bastion_sessions (instance_id, id, user_id, user_name, client_addr, host_id, host_address,
		account_id, account_name, protocol, mode, started_at, ended_at, end_reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, '')`,
	EndSession: `UPDATE bastion_sessions SET ended_at = ?, end_reason = ? WHERE instance_id = ? AND id = ? AND ended_at = 0
		AND end_reason = ''`,
	SessionExists: `SELECT 1 FROM bastion_sessions WHERE instance_id = ? AND id = ?`,
	SessionCount: `SELECT COUNT(*) FROM bastion_sessions WHERE instance_id = ?1 AND (?2 = 0 OR user_id = ?2)
		AND (?3 = 0 OR host_id = ?3) AND (?4 = 0 OR end_reason = '')`,
	SessionPage: `SELECT ` + sqlstore.BastionSessionColumns + ` FROM bastion_sessions WHERE instance_id = ?1
		AND (?2 = 0 OR user_id = ?2) AND (?3 = 0 OR host_id = ?3) AND (?4 = 0 OR end_reason = '')
		ORDER BY id DESC LIMIT ?5 OFFSET ?6`,
}

// accessListeners are the ListenAccessChanges callbacks of one SQLite
// store: its writes are this process's, so they are told here, after
// each commit. Each listener has a goroutine and a one-slot queue per
// instance, so that a slow fn delays no write and misses no instance.
type accessListeners struct {
	mu   sync.Mutex
	next int
	all  map[int]*accessListener
}

type accessListener struct {
	mu      sync.Mutex
	pending map[string]bool
	wake    chan struct{}
}

// listen adds fn until ctx ends.
func (l *accessListeners) listen(ctx context.Context, fn func(instanceID string)) error {
	x := &accessListener{pending: map[string]bool{}, wake: make(chan struct{}, 1)}
	l.mu.Lock()
	if l.all == nil {
		l.all = map[int]*accessListener{}
	}
	id := l.next
	l.next++
	l.all[id] = x
	l.mu.Unlock()
	go func() {
		defer func() {
			l.mu.Lock()
			delete(l.all, id)
			l.mu.Unlock()
		}()
		for {
			select {
			case <-ctx.Done():
				return
			case <-x.wake:
			}
			x.mu.Lock()
			batch := x.pending
			x.pending = map[string]bool{}
			x.mu.Unlock()
			for inst := range batch {
				fn(inst)
			}
		}
	}()
	return nil
}

// changed queues instanceID for every listener.
func (l *accessListeners) changed(instanceID string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, x := range l.all {
		x.mu.Lock()
		x.pending[instanceID] = true
		x.mu.Unlock()
		select {
		case x.wake <- struct{}{}:
		default:
		}
	}
}

// ListenAccessChanges calls fn after every committed write of this store
// that can remove access in an instance, until ctx ends.
func (st *Store) ListenAccessChanges(ctx context.Context, fn func(instanceID string)) error {
	return st.access.listen(ctx, fn)
}

// queryAccess runs a data plane query through the statement cache.
func (st *Store) queryAccess(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return cachedRead{st}.QueryContext(ctx, query, args...)
}
