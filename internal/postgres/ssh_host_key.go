package postgres

import (
	"context"
	"database/sql"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/sqlstore"
)

// sshHostKeySQL is the SQL of the bastion_ssh_host_keys table (migration
// 0010). Lock makes creations wait for each other, so that two nodes
// starting together never compute the same next slot; reads are not
// blocked by it.
var sshHostKeySQL = sqlstore.SSHHostKeySQL{
	List: `SELECT b.id, b.account_id, b.region_id, COALESCE(k.slot, -1), COALESCE(k.private_key, ''), COALESCE(k.created_at, 0)
		FROM bastion_instances b LEFT JOIN bastion_ssh_host_keys k ON k.instance_id = b.id
		ORDER BY b.created_at, b.id`,
	Lock: `LOCK TABLE bastion_ssh_host_keys IN SHARE ROW EXCLUSIVE MODE`,
	Insert: `INSERT INTO bastion_ssh_host_keys (instance_id, slot, private_key, created_at)
		SELECT $1, COALESCE(MAX(slot) + 1, 0), $2, $3 FROM bastion_ssh_host_keys
		ON CONFLICT (instance_id) DO NOTHING`,
	Find: `SELECT k.slot, k.private_key, k.created_at, b.account_id, b.region_id
		FROM bastion_ssh_host_keys k JOIN bastion_instances b ON b.id = k.instance_id WHERE k.instance_id = $1`,
}

// FindBastionSSHHostKeys lists every bastion instance with its gateway host
// key; see localyun.BastionSSHHostKeyStore.
func (st *Store) FindBastionSSHHostKeys(ctx context.Context) ([]localyun.BastionSSHHostKey, error) {
	rows, err := st.db.QueryContext(ctx, sshHostKeySQL.List)
	out, err := sqlstore.FindSSHHostKeys(rows, err, st.openBastionSecret)
	return out, formatError(err)
}

// CreateBastionSSHHostKey stores the host key of an instance unless it has
// one, and returns the stored one; see localyun.BastionSSHHostKeyStore.
func (st *Store) CreateBastionSSHHostKey(ctx context.Context, k localyun.BastionSSHHostKey) (localyun.BastionSSHHostKey, error) {
	var out localyun.BastionSSHHostKey
	err := st.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		out, err = sqlstore.CreateSSHHostKey(ctx, tx, sshHostKeySQL, k, st.sealBastionSecret, st.openBastionSecret)
		return err
	})
	return out, err
}
