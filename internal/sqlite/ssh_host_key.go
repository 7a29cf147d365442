package sqlite

import (
	"context"
	"database/sql"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/sqlstore"
)

// sshHostKeySQL is the SQL of the bastion_ssh_host_keys table (migration
// 0010). Writes are serialized (commit.go), so the next slot is never
// taken twice. The SELECT of an INSERT ... ON CONFLICT needs a WHERE
// clause in SQLite's grammar.
var sshHostKeySQL = sqlstore.SSHHostKeySQL{
	List: `SELECT b.id, b.account_id, b.region_id, COALESCE(k.slot, -1), COALESCE(k.private_key, ''), COALESCE(k.created_at, 0)
		FROM bastion_instances b LEFT JOIN bastion_ssh_host_keys k ON k.instance_id = b.id
		ORDER BY b.created_at, b.id`,
	Insert: `INSERT INTO bastion_ssh_host_keys (instance_id, slot, private_key, created_at)
		SELECT ?, COALESCE(MAX(slot) + 1, 0), ?, ? FROM bastion_ssh_host_keys WHERE true
		ON CONFLICT (instance_id) DO NOTHING`,
	Find: `SELECT k.slot, k.private_key, k.created_at, b.account_id, b.region_id
		FROM bastion_ssh_host_keys k JOIN bastion_instances b ON b.id = k.instance_id WHERE k.instance_id = ?`,
}

// FindBastionSSHHostKeys lists every bastion instance with its gateway host
// key; see localyun.BastionSSHHostKeyStore.
func (st *Store) FindBastionSSHHostKeys(ctx context.Context) ([]localyun.BastionSSHHostKey, error) {
	rows, err := st.readQuery(ctx, sshHostKeySQL.List)
	return sqlstore.FindSSHHostKeys(rows, err, st.unseal)
}

// CreateBastionSSHHostKey stores the host key of an instance unless it has
// one, and returns the stored one; see localyun.BastionSSHHostKeyStore.
func (st *Store) CreateBastionSSHHostKey(ctx context.Context, k localyun.BastionSSHHostKey) (localyun.BastionSSHHostKey, error) {
	var out localyun.BastionSSHHostKey
	err := st.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		out, err = sqlstore.CreateSSHHostKey(ctx, tx, sshHostKeySQL, k, st.seal, st.unseal)
		return err
	})
	return out, formatError(err)
}
