package sqlite

import (
	"context"
	"database/sql"
	"strconv"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/sqlstore"
)

// The grant statements of each grantee kind (internal/sqlstore runs them).
// Lists of ids are JSON arrays read with json_each, which drives the join
// (CROSS JOIN keeps that order: a lookup by primary key per id, never a
// scan of the instance's rows). Writes have one connection, and the store
// counts its write transactions (writes): the target read notes that count
// as the targets' Version (targetRead). The transaction of a change skips
// checking its targets again when the count is still that Version (nothing
// was written since the read: they still hold, see unchangedSince);
// otherwise it checks them with the same statement the service read them
// with (LockHostTargets = HostTargets). Either way nothing changes between
// that check, or the read, and the writes.

const (
	userGroupHostTargets = `SELECT 0, id, 0 FROM bastion_user_groups WHERE instance_id = ?1 AND id = ?2
		UNION ALL SELECT 1, h.id, 0 FROM json_each(?3) j CROSS JOIN bastion_hosts h ON h.instance_id = ?1 AND h.id = j.value
		UNION ALL SELECT 2, a.id, a.host_id FROM json_each(?4) j CROSS JOIN bastion_host_accounts a ON a.instance_id = ?1 AND a.id = j.value`
	userGroupHostGroupTargets = `SELECT 0, id, 0 FROM bastion_user_groups WHERE instance_id = ?1 AND id = ?2
		UNION ALL SELECT 3, g.id, 0 FROM json_each(?3) j CROSS JOIN bastion_host_groups g ON g.instance_id = ?1 AND g.id = j.value`
	userHostTargets = `SELECT 0, id, 0 FROM bastion_users WHERE instance_id = ?1 AND id = ?2
		UNION ALL SELECT 1, h.id, 0 FROM json_each(?3) j CROSS JOIN bastion_hosts h ON h.instance_id = ?1 AND h.id = j.value
		UNION ALL SELECT 2, a.id, a.host_id FROM json_each(?4) j CROSS JOIN bastion_host_accounts a ON a.instance_id = ?1 AND a.id = j.value`
	userHostGroupTargets = `SELECT 0, id, 0 FROM bastion_users WHERE instance_id = ?1 AND id = ?2
		UNION ALL SELECT 3, g.id, 0 FROM json_each(?3) j CROSS JOIN bastion_host_groups g ON g.instance_id = ?1 AND g.id = j.value`
)

// userGroupGrants are the statements of grants to user groups.
var userGroupGrants = sqlstore.GrantSQL{
	What:            "user group",
	HostTargets:     userGroupHostTargets,
	LockHostTargets: userGroupHostTargets,
	GrantHost:       `INSERT INTO bastion_group_host_grants (instance_id, grantee_id, host_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
	RevokeHost:      `DELETE FROM bastion_group_host_grants WHERE instance_id = ? AND grantee_id = ? AND host_id = ?`,
	GrantAccount: `INSERT INTO bastion_group_account_grants (instance_id, grantee_id, host_id, host_account_id)
		VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
	RevokeAccount: `DELETE FROM bastion_group_account_grants
		WHERE instance_id = ? AND grantee_id = ? AND host_id = ? AND host_account_id = ?`,
	AccountGrantCounts: `SELECT (SELECT COUNT(*) FROM bastion_user_groups WHERE instance_id = ?1 AND id = ?2),
		(SELECT COUNT(*) FROM bastion_hosts WHERE instance_id = ?1 AND id = ?3),
		(SELECT COUNT(*) FROM bastion_host_accounts WHERE instance_id = ?1 AND host_id = ?3
			AND (?4 = '' OR name = ?4) AND (?5 = '' OR protocol_name = ?5))`,
	AccountGrantPage: `SELECT a.instance_id, a.id, a.host_id, a.name, a.protocol_name, a.privilege_type, a.rotation_mode,
		a.host_share_key_id, a.private_key_fingerprint, a.created_at, a.password <> '',
		EXISTS (SELECT 1 FROM bastion_group_account_grants x
			WHERE x.instance_id = a.instance_id AND x.grantee_id = ?2 AND x.host_account_id = a.id)
		FROM bastion_host_accounts a WHERE a.instance_id = ?1 AND a.host_id = ?3
			AND (?4 = '' OR a.name = ?4) AND (?5 = '' OR a.protocol_name = ?5)
		ORDER BY a.id LIMIT ?6+0 OFFSET ?7`,
	HostGroupTargets:     userGroupHostGroupTargets,
	LockHostGroupTargets: userGroupHostGroupTargets,
	GrantHostGroup: `INSERT INTO bastion_group_host_group_grants (instance_id, grantee_id, host_group_id)
		VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
	RevokeHostGroup: `DELETE FROM bastion_group_host_group_grants WHERE instance_id = ? AND grantee_id = ? AND host_group_id = ?`,
	GrantHostGroupAccount: `INSERT INTO bastion_group_host_group_account_grants (instance_id, grantee_id, host_group_id, account_name)
		VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
	RevokeHostGroupAccount: `DELETE FROM bastion_group_host_group_account_grants
		WHERE instance_id = ? AND grantee_id = ? AND host_group_id = ? AND account_name = ?`,
	HostGroupAccountNames: `SELECT account_name FROM bastion_group_host_group_account_grants
		WHERE instance_id = ? AND grantee_id = ? AND host_group_id = ? ORDER BY account_name`,
}

// userGrants are the statements of grants to users.
var userGrants = sqlstore.GrantSQL{
	What:            "user",
	HostTargets:     userHostTargets,
	LockHostTargets: userHostTargets,
	GrantHost:       `INSERT INTO bastion_user_host_grants (instance_id, grantee_id, host_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
	RevokeHost:      `DELETE FROM bastion_user_host_grants WHERE instance_id = ? AND grantee_id = ? AND host_id = ?`,
	GrantAccount: `INSERT INTO bastion_user_account_grants (instance_id, grantee_id, host_id, host_account_id)
		VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
	RevokeAccount: `DELETE FROM bastion_user_account_grants
		WHERE instance_id = ? AND grantee_id = ? AND host_id = ? AND host_account_id = ?`,
	AccountGrantCounts: `SELECT (SELECT COUNT(*) FROM bastion_users WHERE instance_id = ?1 AND id = ?2),
		(SELECT COUNT(*) FROM bastion_hosts WHERE instance_id = ?1 AND id = ?3),
		(SELECT COUNT(*) FROM bastion_host_accounts WHERE instance_id = ?1 AND host_id = ?3
			AND (?4 = '' OR name = ?4) AND (?5 = '' OR protocol_name = ?5))`,
	AccountGrantPage: `SELECT a.instance_id, a.id, a.host_id, a.name, a.protocol_name, a.privilege_type, a.rotation_mode,
		a.host_share_key_id, a.private_key_fingerprint, a.created_at, a.password <> '',
		EXISTS (SELECT 1 FROM bastion_user_account_grants x
			WHERE x.instance_id = a.instance_id AND x.grantee_id = ?2 AND x.host_account_id = a.id)
		FROM bastion_host_accounts a WHERE a.instance_id = ?1 AND a.host_id = ?3
			AND (?4 = '' OR a.name = ?4) AND (?5 = '' OR a.protocol_name = ?5)
		ORDER BY a.id LIMIT ?6+0 OFFSET ?7`,
	HostGroupTargets:     userHostGroupTargets,
	LockHostGroupTargets: userHostGroupTargets,
	GrantHostGroup: `INSERT INTO bastion_user_host_group_grants (instance_id, grantee_id, host_group_id)
		VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
	RevokeHostGroup: `DELETE FROM bastion_user_host_group_grants WHERE instance_id = ? AND grantee_id = ? AND host_group_id = ?`,
	GrantHostGroupAccount: `INSERT INTO bastion_user_host_group_account_grants (instance_id, grantee_id, host_group_id, account_name)
		VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
	RevokeHostGroupAccount: `DELETE FROM bastion_user_host_group_account_grants
		WHERE instance_id = ? AND grantee_id = ? AND host_group_id = ? AND account_name = ?`,
	HostGroupAccountNames: `SELECT account_name FROM bastion_user_host_group_account_grants
		WHERE instance_id = ? AND grantee_id = ? AND host_group_id = ? ORDER BY account_name`,
}

// grants are the grant statements; lists of ids are bound as JSON arrays,
// and LIMIT -1 is no limit.
var grants = sqlstore.Grants{UserGroup: userGroupGrants, User: userGrants, IDs: jsonIDs, NoLimit: -1}

func jsonIDs(ids []int64) any {
	b := append(make([]byte, 0, 2+8*len(ids)), '[')
	for i, n := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, n, 10)
	}
	return string(append(b, ']'))
}

// targetRead runs the target read of a grant batch on the write
// connection, through its statement cache, and notes in version the count
// of writes (st.writes) while the rows hold that connection: the state it
// reads is the one that count names. (The batch takes that connection next
// anyway, and its page cache holds what the last grant writes touched.)
type targetRead struct {
	st      *Store
	version *uint64
}

func (r targetRead) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	s, release, err := r.st.writeStmt(ctx, query)
	if err != nil {
		return nil, err
	}
	defer release()
	rows, err := s.QueryContext(ctx, args...)
	if err == nil {
		*r.version = r.st.writes.Load()
	}
	return rows, err
}

// unchangedSince reports, in a write transaction, whether nothing was
// written since the targets of version were read: they still hold.
func (st *Store) unchangedSince(version uint64) bool {
	return version != 0 && st.writes.Load() == version
}

// FindBastionHostGrantTargets reports the grantee, hosts and accounts that
// exist, and the version of the state they were read in.
func (st *Store) FindBastionHostGrantTargets(ctx context.Context, instanceID string, g localyun.BastionGrantee,
	hostIDs, accountIDs []string) (localyun.BastionHostGrantTargets, error) {
	var version uint64
	t, err := grants.FindHostGrantTargets(ctx, targetRead{st, &version}, instanceID, g, hostIDs, accountIDs)
	t.Version = version
	return t, err
}

// ApplyBastionHostGrants applies host grant changes in one transaction of
// prepared statements; it checks the targets again only when something
// was written since they were read. Once it has ended, the grantee's cached
// host list is forgotten.
func (st *Store) ApplyBastionHostGrants(ctx context.Context, instanceID string, g localyun.BastionGrantee, version uint64,
	changes []localyun.BastionHostGrantChange) ([]bool, error) {
	queries, err := grants.HostChangeSQL(g.Kind)
	if err != nil {
		return nil, err
	}
	defer st.forgetHostGrants(instanceID, g)
	var changed []bool
	err = st.withPreparedTx(ctx, queries, func(ctx context.Context, tx *preparedTx) error {
		changed, err = grants.ApplyHostGrants(ctx, tx, instanceID, g, st.unchangedSince(version), changes)
		return err
	})
	if err == nil && sqlstore.RevokesHosts(changes) {
		st.access.changed(instanceID)
	}
	return changed, err
}

// FindBastionHostAccountGrants lists the accounts of one host with whether g holds each.
func (st *Store) FindBastionHostAccountGrants(ctx context.Context, g localyun.BastionGrantee,
	f localyun.BastionHostAccountFilter) ([]localyun.BastionHostAccountGrant, int, error) {
	return grants.FindHostAccountGrants(ctx, cachedRead{st}, g, f)
}

// FindBastionHostGroupGrantTargets reports the grantee and host groups that
// exist, and the version of the state they were read in.
func (st *Store) FindBastionHostGroupGrantTargets(ctx context.Context, instanceID string, g localyun.BastionGrantee,
	hostGroupIDs []string) (localyun.BastionHostGroupGrantTargets, error) {
	var version uint64
	t, err := grants.FindHostGroupGrantTargets(ctx, targetRead{st, &version}, instanceID, g, hostGroupIDs)
	t.Version = version
	return t, err
}

// ApplyBastionHostGroupGrants applies host group grant changes in one
// transaction of prepared statements, like ApplyBastionHostGrants. The
// grantee's cached host list does not depend on them; it is forgotten all
// the same, so that every grant write is followed by a forget.
func (st *Store) ApplyBastionHostGroupGrants(ctx context.Context, instanceID string, g localyun.BastionGrantee, version uint64,
	changes []localyun.BastionHostGroupGrantChange) ([]bool, error) {
	queries, err := grants.HostGroupChangeSQL(g.Kind)
	if err != nil {
		return nil, err
	}
	defer st.forgetHostGrants(instanceID, g)
	var changed []bool
	err = st.withPreparedTx(ctx, queries, func(ctx context.Context, tx *preparedTx) error {
		changed, err = grants.ApplyHostGroupGrants(ctx, tx, instanceID, g, st.unchangedSince(version), changes)
		return err
	})
	if err == nil && sqlstore.RevokesHostGroups(changes) {
		st.access.changed(instanceID)
	}
	return changed, err
}

// FindBastionHostGroupAccountNames lists the account names g holds on a host group.
func (st *Store) FindBastionHostGroupAccountNames(ctx context.Context, instanceID string, g localyun.BastionGrantee,
	hostGroupID string) ([]string, error) {
	return grants.FindHostGroupAccountNames(ctx, cachedRead{st}, instanceID, g, hostGroupID)
}
