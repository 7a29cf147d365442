package sqlite

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
			return st.readRow(ctx, query, args...)
		},
		FormatError: formatError, Seal: st.seal, Open: st.unseal, FindMembers: findBHMembers,
		HostChanged: func(instanceID string, id int64) {
			st.hosts.forget(bhHostKey{instanceID, id})
			st.hostGrants.invalidate() // the grant lists hold the host's brief row
		},
		GrantsChanged: st.hostGrants.invalidate,
		Access:        &accessSQL, Query: st.queryAccess, AccessCommitted: st.access.changed})
}

// bastionSQL holds the statements of the Bastionhost writes and single
// reads (see sqlstore.BastionSQL for their arguments).
var bastionSQL = sqlstore.BastionSQL{
	NextID: `INSERT INTO bastion_id_seqs (instance_id, kind, last_id) VALUES (?, ?, 1)
		ON CONFLICT (instance_id, kind) DO UPDATE SET last_id = last_id + 1 RETURNING last_id`,
	InsertInstance: `INSERT INTO bastion_instances (` + sqlstore.BastionInstanceColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,

	InsertHost: `INSERT INTO bastion_hosts (instance_id, id, created_at, name, comment, os_type, source, source_instance_id,
		source_instance_state, instance_region_id, instance_member_id, active_address_type, public_address, private_address,
		network_domain_id, pref_kex) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
	FindHost: `SELECT ` + sqlstore.BastionHostColumns + ` FROM bastion_hosts h WHERE h.instance_id = ? AND h.id = ?`,
	UpdateHost: `UPDATE bastion_hosts SET name = ?, comment = ?, os_type = ?, source = ?, source_instance_id = ?,
		source_instance_state = ?, instance_region_id = ?, instance_member_id = ?, active_address_type = ?, public_address = ?,
		private_address = ?, network_domain_id = ?, pref_kex = ?
		WHERE instance_id = ? AND id = ? AND name = ? AND comment = ? AND os_type = ? AND source = ? AND source_instance_id = ?
		AND source_instance_state = ? AND instance_region_id = ? AND instance_member_id = ? AND active_address_type = ?
		AND public_address = ? AND private_address = ? AND network_domain_id = ? AND pref_kex = ?`,
	HostExists: `SELECT 1 FROM bastion_hosts WHERE instance_id = ? AND id = ?`,
	KeepHost:   `SELECT 1 FROM bastion_hosts WHERE instance_id = ? AND id = ?`,
	DeleteHost: `DELETE FROM bastion_hosts WHERE instance_id = ? AND id = ?`,

	InsertHostAccount: `INSERT INTO bastion_host_accounts (instance_id, id, host_id, created_at, name, protocol_name,
		privilege_type, rotation_mode, host_share_key_id, private_key_fingerprint) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
	FindHostAccount: `SELECT ` + sqlstore.BastionHostAccountColumns + ` FROM bastion_host_accounts a
		WHERE a.instance_id = ? AND a.id = ?`,
	UpdateHostAccount: `UPDATE bastion_host_accounts SET name = ?, protocol_name = ?, privilege_type = ?, rotation_mode = ?,
		host_share_key_id = ?, private_key_fingerprint = ?
		WHERE instance_id = ? AND id = ? AND name = ? AND protocol_name = ? AND privilege_type = ? AND rotation_mode = ?
		AND host_share_key_id = ? AND private_key_fingerprint = ?`,
	HostAccountExists:      `SELECT 1 FROM bastion_host_accounts WHERE instance_id = ? AND id = ?`,
	DeleteHostAccount:      `DELETE FROM bastion_host_accounts WHERE instance_id = ? AND id = ?`,
	WriteHostAccountSecret: writeHostAccountSecretSQL,
	ReadHostAccountSecret:  readHostAccountSecretSQL,

	InsertUser: `INSERT INTO bastion_users (instance_id, id, created_at, name, display_name, comment, email, mobile,
		mobile_country_code, source, source_user_id, need_reset_password, effective_start_time, effective_end_time,
		two_factor_status, two_factor_methods, language_status, language)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
	FindUser: `SELECT ` + sqlstore.BastionUserColumns + ` FROM bastion_users u WHERE u.instance_id = ? AND u.id = ?`,
	UpdateUser: `UPDATE bastion_users SET name = ?, display_name = ?, comment = ?, email = ?, mobile = ?,
		mobile_country_code = ?, source = ?, source_user_id = ?, need_reset_password = ?, effective_start_time = ?,
		effective_end_time = ?, two_factor_status = ?, two_factor_methods = ?, language_status = ?, language = ?
		WHERE instance_id = ? AND id = ? AND name = ? AND display_name = ? AND comment = ? AND email = ? AND mobile = ?
		AND mobile_country_code = ? AND source = ? AND source_user_id = ? AND need_reset_password = ?
		AND effective_start_time = ? AND effective_end_time = ? AND two_factor_status = ? AND two_factor_methods = ?
		AND language_status = ? AND language = ?`,
	UserExists:      `SELECT 1 FROM bastion_users WHERE instance_id = ? AND id = ?`,
	DeleteUser:      `DELETE FROM bastion_users WHERE instance_id = ? AND id = ?`,
	WriteUserSecret: writeUserSecretSQL,
	ReadUserSecret:  readUserSecretSQL,

	Groups: map[string]sqlstore.GroupSQL{
		localyun.BastionGroupUser: {What: "user group", Seq: "user_group", Columns: sqlstore.BastionUserGroupColumns,
			From:   "bastion_user_groups g",
			Insert: `INSERT INTO bastion_user_groups (instance_id, id, name, comment, created_at) VALUES (?, ?, ?, ?, ?)`,
			Find: `SELECT ` + sqlstore.BastionUserGroupColumns + ` FROM bastion_user_groups g
				WHERE g.instance_id = ? AND g.id = ?`,
			Update: `UPDATE bastion_user_groups SET name = ?, comment = ?
				WHERE instance_id = ? AND id = ? AND name = ? AND comment = ?`,
			Exists:  `SELECT 1 FROM bastion_user_groups WHERE instance_id = ? AND id = ?`,
			Lock:    `SELECT 1 FROM bastion_user_groups WHERE instance_id = ? AND id = ?`,
			Delete:  `DELETE FROM bastion_user_groups WHERE instance_id = ? AND id = ?`,
			Members: `SELECT id FROM bastion_users WHERE instance_id = ? AND id IN`,
			AddMember: `INSERT INTO bastion_user_group_members (instance_id, user_group_id, user_id) VALUES (?, ?, ?)
				ON CONFLICT DO NOTHING`,
			RemoveMember: `DELETE FROM bastion_user_group_members WHERE instance_id = ? AND user_group_id = ? AND user_id = ?`},
		localyun.BastionGroupHost: {What: "host group", Seq: "host_group", Columns: sqlstore.BastionHostGroupColumns,
			From:   "bastion_host_groups g",
			Insert: `INSERT INTO bastion_host_groups (instance_id, id, name, comment, created_at) VALUES (?, ?, ?, ?, ?)`,
			Find: `SELECT ` + sqlstore.BastionHostGroupColumns + ` FROM bastion_host_groups g
				WHERE g.instance_id = ? AND g.id = ?`,
			Update: `UPDATE bastion_host_groups SET name = ?, comment = ?
				WHERE instance_id = ? AND id = ? AND name = ? AND comment = ?`,
			Exists:  `SELECT 1 FROM bastion_host_groups WHERE instance_id = ? AND id = ?`,
			Lock:    `SELECT 1 FROM bastion_host_groups WHERE instance_id = ? AND id = ?`,
			Delete:  `DELETE FROM bastion_host_groups WHERE instance_id = ? AND id = ?`,
			Members: `SELECT id FROM bastion_hosts WHERE instance_id = ? AND id IN`,
			AddMember: `INSERT INTO bastion_host_group_members (instance_id, host_group_id, host_id) VALUES (?, ?, ?)
				ON CONFLICT DO NOTHING`,
			RemoveMember: `DELETE FROM bastion_host_group_members WHERE instance_id = ? AND host_group_id = ? AND host_id = ?`},
	},
}
