package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"time"

	"github.com/jackc/pgx/v5/stdlib"

	"github.com/localyun/localyun/internal/sqlstore"
)

// accessChannel is the channel of the NOTIFY that every write that can
// remove access in a bastion instance sends, in its transaction, with the
// instance id as payload: the gateways of every node LISTEN on it.
const accessChannel = "localyun_bastion_access"

// accessSQL holds the statements of the Bastionhost data plane (see
// sqlstore.AccessSQL for their arguments).
var accessSQL = sqlstore.AccessSQL{
	Access: `WITH ug AS (SELECT user_group_id AS gid FROM bastion_user_group_members WHERE instance_id = $1 AND user_id = $2),
		paths (host_id, account_id, via) AS (
			SELECT g.host_id, g.host_account_id, 'user'::text FROM bastion_user_account_grants g
				WHERE g.instance_id = $1 AND g.grantee_id = $2
			UNION ALL
			SELECT g.host_id, g.host_account_id, 'group:' || g.grantee_id::text FROM bastion_group_account_grants g
				JOIN ug ON g.grantee_id = ug.gid WHERE g.instance_id = $1
			UNION ALL
			SELECT a.host_id, a.id, 'hostgroup:' || n.host_group_id::text FROM bastion_user_host_group_account_grants n
				JOIN bastion_host_group_members m ON m.instance_id = n.instance_id AND m.host_group_id = n.host_group_id
				JOIN bastion_host_accounts a ON a.instance_id = m.instance_id AND a.host_id = m.host_id AND a.name = n.account_name
				WHERE n.instance_id = $1 AND n.grantee_id = $2
			UNION ALL
			SELECT a.host_id, a.id, 'group:' || n.grantee_id::text || '/hostgroup:' || n.host_group_id::text
				FROM bastion_group_host_group_account_grants n JOIN ug ON n.grantee_id = ug.gid
				JOIN bastion_host_group_members m ON m.instance_id = n.instance_id AND m.host_group_id = n.host_group_id
				JOIN bastion_host_accounts a ON a.instance_id = m.instance_id AND a.host_id = m.host_id AND a.name = n.account_name
				WHERE n.instance_id = $1)
		SELECT ` + sqlstore.BastionHostAccountColumns + `, ` + sqlstore.BastionAccessHost + `, p.via FROM paths p
			JOIN bastion_hosts h ON h.instance_id = $1 AND h.id = p.host_id
			JOIN bastion_host_accounts a ON a.instance_id = $1 AND a.id = p.account_id
			ORDER BY h.id, a.id, p.via`,
	LockUser:   `UPDATE bastion_users SET locked = $1 WHERE instance_id = $2 AND id = $3 AND locked <> $4`,
	SetSSHPort: `UPDATE bastion_hosts SET ssh_port = $1 WHERE instance_id = $2 AND id = $3 AND ssh_port <> $4`,
	SetRDPPort: `UPDATE bastion_hosts SET rdp_port = $1 WHERE instance_id = $2 AND id = $3 AND rdp_port <> $4`,
	LoginState: `SELECT failures, locked_until FROM bastion_login_failures WHERE instance_id = $1 AND user_id = $2`,
	NoteFailure: `INSERT INTO bastion_login_failures (instance_id, user_id, failures, locked_until) VALUES ($1, $2, 1, 0)
		ON CONFLICT (instance_id, user_id) DO UPDATE SET failures = bastion_login_failures.failures + 1 RETURNING failures, locked_until`,
	LockLogins:    `UPDATE bastion_login_failures SET failures = 0, locked_until = $1 WHERE instance_id = $2 AND user_id = $3`,
	ClearFailures: `DELETE FROM bastion_login_failures WHERE instance_id = $1 AND user_id = $2`,
	InsertPublicKey: `INSERT INTO bastion_public_keys (instance_id, id, user_id, name, comment, public_key, fingerprint, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
	DeletePublicKey: `DELETE FROM bastion_public_keys WHERE instance_id = $1 AND id = $2`,
	PublicKeyCount: `SELECT COUNT(*) FROM bastion_public_keys
		WHERE instance_id = $1 AND ($2::bigint = 0 OR user_id = $2) AND ($3::bytea IS NULL OR public_key = $3)`,
	PublicKeyPage: `SELECT instance_id, id, user_id, name, comment, public_key, fingerprint, created_at FROM bastion_public_keys
		WHERE instance_id = $1 AND ($2::bigint = 0 OR user_id = $2) AND ($3::bytea IS NULL OR public_key = $3) ORDER BY id LIMIT $4 OFFSET $5`,
	InsertToken: `INSERT INTO bastion_operation_tokens (instance_id, id, user_id, host_id, host_account_id, token_sum, created_at,
		expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
	FindToken: `SELECT id, user_id, host_id, host_account_id, created_at, expires_at FROM bastion_operation_tokens
		WHERE instance_id = $1 AND token_sum = $2`,
	DeleteExpiredTokens: `DELETE FROM bastion_operation_tokens WHERE instance_id = $1 AND expires_at < $2`,
	InsertSession: `INSERT INTO bastion_sessions (instance_id, id, user_id, user_name, client_addr, host_id, host_address,
		account_id, account_name, protocol, mode, started_at, ended_at, end_reason) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 0, '')`,
	EndSession: `UPDATE bastion_sessions SET ended_at = $1, end_reason = $2 WHERE instance_id = $3 AND id = $4 AND ended_at = 0
		AND end_reason = ''`,
	SessionExists: `SELECT 1 FROM bastion_sessions WHERE instance_id = $1 AND id = $2`,
	SessionCount: `SELECT COUNT(*) FROM bastion_sessions WHERE instance_id = $1 AND ($2::bigint = 0 OR user_id = $2)
		AND ($3::bigint = 0 OR host_id = $3) AND ($4::bigint = 0 OR end_reason = '')`,
	SessionPage: `SELECT ` + sqlstore.BastionSessionColumns + ` FROM bastion_sessions WHERE instance_id = $1
		AND ($2::bigint = 0 OR user_id = $2) AND ($3::bigint = 0 OR host_id = $3) AND ($4::bigint = 0 OR end_reason = '')
		ORDER BY id DESC LIMIT $5 OFFSET $6`,
}

// notifyAccess sends the NOTIFY of a write that can remove access, in its
// transaction: PostgreSQL delivers it when (and only if) it commits.
func notifyAccess(ctx context.Context, tx *sql.Tx, instanceID string) error {
	_, err := tx.ExecContext(ctx, `SELECT pg_notify('`+accessChannel+`', $1)`, instanceID)
	return err
}

// ListenAccessChanges LISTENs for the access changes of every node on a
// connection of its own and calls fn with each instance id, until ctx
// ends or the store closes. It returns once it listens. When the
// connection is lost it connects again and then calls fn("").
func (st *Store) ListenAccessChanges(ctx context.Context, fn func(instanceID string)) error {
	conn, err := st.listenConn(ctx)
	if err != nil {
		return err
	}
	st.background.Add(1)
	go func() {
		defer st.background.Done()
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		stop := context.AfterFunc(st.closing, cancel)
		defer stop()
		for backoff := 50 * time.Millisecond; ; {
			if conn != nil {
				waitNotifications(ctx, conn, fn)
				backoff = 50 * time.Millisecond
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 5*time.Second)
			if conn, _ = st.listenConn(ctx); conn != nil {
				fn("") // notifications may have been missed
			}
		}
	}()
	return nil
}

// listenConn takes a connection out of the pool for good and LISTENs on it.
func (st *Store) listenConn(ctx context.Context) (*sql.Conn, error) {
	conn, err := st.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := conn.ExecContext(ctx, `LISTEN `+accessChannel); err != nil {
		conn.Raw(func(any) error { return driver.ErrBadConn })
		conn.Close()
		return nil, err
	}
	return conn, nil
}

// waitNotifications calls fn for each notification on conn until ctx ends
// or the connection fails; the connection is then discarded, never given
// back to the pool while it listens.
func waitNotifications(ctx context.Context, conn *sql.Conn, fn func(string)) {
	defer conn.Close()
	conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return driver.ErrBadConn
		}
		for {
			n, err := c.Conn().WaitForNotification(ctx)
			if err != nil {
				return driver.ErrBadConn
			}
			fn(n.Payload)
		}
	})
}
