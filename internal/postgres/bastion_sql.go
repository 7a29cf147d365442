package postgres

import (
	"context"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/sqlstore"
)

// newBastion is the sqlstore.Bastion of st: the Bastionhost writes and
// single reads, on the statements below.
func newBastion(st *Store) sqlstore.Bastion {
	return sqlstore.NewBastion(sqlstore.BastionConfig{SQL: &bastionSQL, InTx: st.withTx,
		ReadRow: func(ctx context.Context, query string, args ...any) sqlstore.Scanner {
			return st.db.QueryRowContext(ctx, query, args...)
		},
		FormatError: formatError, Seal: st.sealBastionSecret, Open: st.openBastionSecret, FindMembers: findBHMembers,
		Access: &accessSQL, Query: st.db.QueryContext, AccessChanged: notifyAccess})
}

// bastionSQL holds the statements of the Bastionhost writes and single
// reads (see sqlstore.BastionSQL for their arguments). Updates are
// compare-and-set statements: they lock nothing before. The host of a new
// account and the members of a batch are kept (FOR KEY SHARE), the group of
// a batch is locked (FOR NO KEY UPDATE): see the lock order in
// bastion_host.go.
var bastionSQL = sqlstore.BastionSQL{
	NextID: `INSERT INTO bastion_id_seqs (instance_id, kind, last_id) VALUES ($1, $2, 1)
		ON CONFLICT (instance_id, kind) DO UPDATE SET last_id = bastion_id_seqs.last_id + 1 RETURNING last_id`,
	InsertInstance: `INSERT INTO bastion_instances (` + sqlstore.BastionInstanceColumns + `)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,

	InsertHost: `INSERT INTO bastion_hosts (instance_id, id, created_at, name, comment, os_type, source, source_instance_id,
		source_instance_state, instance_region_id, instance_member_id, active_address_type, public_address, private_address,
		network_domain_id, pref_kex) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
	FindHost: `SELECT ` + sqlstore.BastionHostColumns + ` FROM bastion_hosts h WHERE h.instance_id = $1 AND h.id = $2`,
	UpdateHost: `UPDATE bastion_hosts SET name = $1, comment = $2, os_type = $3, source = $4, source_instance_id = $5,
		source_instance_state = $6, instance_region_id = $7, instance_member_id = $8, active_address_type = $9,
		public_address = $10, private_address = $11, network_domain_id = $12, pref_kex = $13
		WHERE instance_id = $14 AND id = $15 AND name = $16 AND comment = $17 AND os_type = $18 AND source = $19
		AND source_instance_id = $20 AND source_instance_state = $21 AND instance_region_id = $22
		AND instance_member_id = $23 AND active_address_type = $24 AND public_address = $25 AND private_address = $26
		AND network_domain_id = $27 AND pref_kex = $28`,
	HostExists: `SELECT 1 FROM bastion_hosts WHERE instance_id = $1 AND id = $2`,
	KeepHost:   `SELECT 1 FROM bastion_hosts WHERE instance_id = $1 AND id = $2 FOR KEY SHARE`,
	DeleteHost: `DELETE FROM bastion_hosts WHERE instance_id = $1 AND id = $2`,

	InsertHostAccount: `INSERT INTO bastion_host_accounts (instance_id, id, host_id, created_at, name, protocol_name,
		privilege_type, rotation_mode, host_share_key_id, private_key_fingerprint)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
	FindHostAccount: `SELECT ` + sqlstore.BastionHostAccountColumns + ` FROM bastion_host_accounts a
		WHERE a.instance_id = $1 AND a.id = $2`,
	UpdateHostAccount: `UPDATE bastion_host_accounts SET name = $1, protocol_name = $2, privilege_type = $3,
		rotation_mode = $4, host_share_key_id = $5, private_key_fingerprint = $6
		WHERE instance_id = $7 AND id = $8 AND name = $9 AND protocol_name = $10 AND privilege_type = $11
		AND rotation_mode = $12 AND host_share_key_id = $13 AND private_key_fingerprint = $14`,
	HostAccountExists:      `SELECT 1 FROM bastion_host_accounts WHERE instance_id = $1 AND id = $2`,
	DeleteHostAccount:      `DELETE FROM bastion_host_accounts WHERE instance_id = $1 AND id = $2`,
	WriteHostAccountSecret: writeHostAccountSecretSQL,
	ReadHostAccountSecret:  readHostAccountSecretSQL,

	InsertUser: `INSERT INTO bastion_users (instance_id, id, created_at, name, display_name, comment, email, mobile,
		mobile_country_code, source, source_user_id, need_reset_password, effective_start_time, effective_end_time,
		two_factor_status, two_factor_methods, language_status, language)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`,
	FindUser: `SELECT ` + sqlstore.BastionUserColumns + ` FROM bastion_users u WHERE u.instance_id = $1 AND u.id = $2`,
	UpdateUser: `UPDATE bastion_users SET name = $1, display_name = $2, comment = $3, email = $4, mobile = $5,
		mobile_country_code = $6, source = $7, source_user_id = $8, need_reset_password = $9, effective_start_time = $10,
		effective_end_time = $11, two_factor_status = $12, two_factor_methods = $13, language_status = $14, language = $15
		WHERE instance_id = $16 AND id = $17 AND name = $18 AND display_name = $19 AND comment = $20 AND email = $21
		AND mobile = $22 AND mobile_country_code = $23 AND source = $24 AND source_user_id = $25
		AND need_reset_password = $26 AND effective_start_time = $27 AND effective_end_time = $28
		AND two_factor_status = $29 AND two_factor_methods = $30 AND language_status = $31 AND language = $32`,
	UserExists:      `SELECT 1 FROM bastion_users WHERE instance_id = $1 AND id = $2`,
	DeleteUser:      `DELETE FROM bastion_users WHERE instance_id = $1 AND id = $2`,
	WriteUserSecret: writeUserSecretSQL,
	ReadUserSecret:  readUserSecretSQL,

	Groups: map[string]sqlstore.GroupSQL{
		localyun.BastionGroupUser: {What: "user group", Seq: "user_group", Columns: sqlstore.BastionUserGroupColumns,
			From:   "bastion_user_groups g",
			Insert: `INSERT INTO bastion_user_groups (instance_id, id, name, comment, created_at) VALUES ($1, $2, $3, $4, $5)`,
			Find: `SELECT ` + sqlstore.BastionUserGroupColumns + ` FROM bastion_user_groups g
				WHERE g.instance_id = $1 AND g.id = $2`,
			Update: `UPDATE bastion_user_groups SET name = $1, comment = $2
				WHERE instance_id = $3 AND id = $4 AND name = $5 AND comment = $6`,
			Exists: `SELECT 1 FROM bastion_user_groups WHERE instance_id = $1 AND id = $2`,
			Lock:   `SELECT 1 FROM bastion_user_groups WHERE instance_id = $1 AND id = $2 FOR NO KEY UPDATE`,
			Delete: `DELETE FROM bastion_user_groups WHERE instance_id = $1 AND id = $2`,
			Members: `SELECT id FROM bastion_users WHERE instance_id = $1 AND id = ANY($2)
				ORDER BY id FOR KEY SHARE`,
			AddMember: `INSERT INTO bastion_user_group_members (instance_id, user_group_id, user_id) VALUES ($1, $2, $3)
				ON CONFLICT DO NOTHING`,
			RemoveMember: `DELETE FROM bastion_user_group_members WHERE instance_id = $1 AND user_group_id = $2 AND user_id = $3`},
		localyun.BastionGroupHost: {What: "host group", Seq: "host_group", Columns: sqlstore.BastionHostGroupColumns,
			From:   "bastion_host_groups g",
			Insert: `INSERT INTO bastion_host_groups (instance_id, id, name, comment, created_at) VALUES ($1, $2, $3, $4, $5)`,
			Find: `SELECT ` + sqlstore.BastionHostGroupColumns + ` FROM bastion_host_groups g
				WHERE g.instance_id = $1 AND g.id = $2`,
			Update: `UPDATE bastion_host_groups SET name = $1, comment = $2
				WHERE instance_id = $3 AND id = $4 AND name = $5 AND comment = $6`,
			Exists: `SELECT 1 FROM bastion_host_groups WHERE instance_id = $1 AND id = $2`,
			Lock:   `SELECT 1 FROM bastion_host_groups WHERE instance_id = $1 AND id = $2 FOR NO KEY UPDATE`,
			Delete: `DELETE FROM bastion_host_groups WHERE instance_id = $1 AND id = $2`,
			Members: `SELECT id FROM bastion_hosts WHERE instance_id = $1 AND id = ANY($2)
				ORDER BY id FOR KEY SHARE`,
			AddMember: `INSERT INTO bastion_host_group_members (instance_id, host_group_id, host_id) VALUES ($1, $2, $3)
				ON CONFLICT DO NOTHING`,
			RemoveMember: `DELETE FROM bastion_host_group_members WHERE instance_id = $1 AND host_group_id = $2 AND host_id = $3`},
	},
}
