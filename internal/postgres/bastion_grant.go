package postgres

import (
	"context"
	"database/sql"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/sqlstore"
)

// The grant statements of each grantee kind (internal/sqlstore runs them).
// Lists of ids are bigint arrays. The transaction of a change checks its
// targets with the Lock* statements (READ COMMITTED; withTx retries
// deadlocks): the grantee's row FOR NO KEY UPDATE serializes the batches on
// it without blocking the foreign-key checks of their inserts, and the
// hosts, accounts and host groups the batch names are kept FOR KEY SHARE,
// in id order, so that a concurrent delete waits for the batch instead of
// failing it halfway. Lock order: grantee, hosts (or host groups), accounts.

const (
	userGroupHostTargets = `SELECT 0, id, 0::bigint FROM bastion_user_groups WHERE instance_id = $1 AND id = $2
		UNION ALL SELECT 1, id, 0 FROM bastion_hosts WHERE instance_id = $1 AND id = ANY($3)
		UNION ALL SELECT 2, id, host_id FROM bastion_host_accounts WHERE instance_id = $1 AND id = ANY($4)`
	userGroupLockHostTargets = `WITH grantee AS (SELECT id FROM bastion_user_groups WHERE instance_id = $1 AND id = $2 FOR NO KEY UPDATE),
		hosts AS (SELECT id FROM bastion_hosts WHERE instance_id = $1 AND id = ANY($3) ORDER BY id FOR KEY SHARE),
		accounts AS (SELECT id, host_id FROM bastion_host_accounts WHERE instance_id = $1 AND id = ANY($4) ORDER BY id FOR KEY SHARE)
		SELECT 0, id, 0::bigint FROM grantee UNION ALL SELECT 1, id, 0 FROM hosts UNION ALL SELECT 2, id, host_id FROM accounts`
	userGroupHostGroupTargets = `SELECT 0, id, 0 FROM bastion_user_groups WHERE instance_id = $1 AND id = $2
		UNION ALL SELECT 3, id, 0 FROM bastion_host_groups WHERE instance_id = $1 AND id = ANY($3)`
	userGroupLockHostGroupTargets = `WITH grantee AS (SELECT id FROM bastion_user_groups WHERE instance_id = $1 AND id = $2 FOR NO KEY UPDATE),
		groups AS (SELECT id FROM bastion_host_groups WHERE instance_id = $1 AND id = ANY($3) ORDER BY id FOR KEY SHARE)
		SELECT 0, id, 0 FROM grantee UNION ALL SELECT 3, id, 0 FROM groups`

	userHostTargets = `SELECT 0, id, 0::bigint FROM bastion_users WHERE instance_id = $1 AND id = $2
		UNION ALL SELECT 1, id, 0 FROM bastion_hosts WHERE instance_id = $1 AND id = ANY($3)
		UNION ALL SELECT 2, id, host_id FROM bastion_host_accounts WHERE instance_id = $1 AND id = ANY($4)`
	userLockHostTargets = `WITH grantee AS (SELECT id FROM bastion_users WHERE instance_id = $1 AND id = $2 FOR NO KEY UPDATE),
		hosts AS (SELECT id FROM bastion_hosts WHERE instance_id = $1 AND id = ANY($3) ORDER BY id FOR KEY SHARE),
		accounts AS (SELECT id, host_id FROM bastion_host_accounts WHERE instance_id = $1 AND id = ANY($4) ORDER BY id FOR KEY SHARE)
		SELECT 0, id, 0::bigint FROM grantee UNION ALL SELECT 1, id, 0 FROM hosts UNION ALL SELECT 2, id, host_id FROM accounts`
	userHostGroupTargets = `SELECT 0, id, 0 FROM bastion_users WHERE instance_id = $1 AND id = $2
		UNION ALL SELECT 3, id, 0 FROM bastion_host_groups WHERE instance_id = $1 AND id = ANY($3)`
	userLockHostGroupTargets = `WITH grantee AS (SELECT id FROM bastion_users WHERE instance_id = $1 AND id = $2 FOR NO KEY UPDATE),
		groups AS (SELECT id FROM bastion_host_groups WHERE instance_id = $1 AND id = ANY($3) ORDER BY id FOR KEY SHARE)
		SELECT 0, id, 0 FROM grantee UNION ALL SELECT 3, id, 0 FROM groups`
)

// userGroupGrants are the statements of grants to user groups.
var userGroupGrants = sqlstore.GrantSQL{
	What:            "user group",
	HostTargets:     userGroupHostTargets,
	LockHostTargets: userGroupLockHostTargets,
	GrantHost: `INSERT INTO bastion_group_host_grants (instance_id, grantee_id, host_id)
		VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
	RevokeHost: `DELETE FROM bastion_group_host_grants WHERE instance_id = $1 AND grantee_id = $2 AND host_id = $3`,
	GrantAccount: `INSERT INTO bastion_group_account_grants (instance_id, grantee_id, host_id, host_account_id)
		VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
	RevokeAccount: `DELETE FROM bastion_group_account_grants
		WHERE instance_id = $1 AND grantee_id = $2 AND host_id = $3 AND host_account_id = $4`,
	AccountGrantCounts: `SELECT (SELECT COUNT(*) FROM bastion_user_groups WHERE instance_id = $1 AND id = $2),
		(SELECT COUNT(*) FROM bastion_hosts WHERE instance_id = $1 AND id = $3),
		(SELECT COUNT(*) FROM bastion_host_accounts WHERE instance_id = $1 AND host_id = $3
			AND ($4::text = '' OR name = $4) AND ($5::text = '' OR protocol_name = $5))`,
	// The page is chosen first, so that the EXISTS runs for its rows only.
	AccountGrantPage: `SELECT a.instance_id, a.id, a.host_id, a.name, a.protocol_name, a.privilege_type, a.rotation_mode,
		a.host_share_key_id, a.private_key_fingerprint, a.created_at, a.password <> '',
		EXISTS (SELECT 1 FROM bastion_group_account_grants x
			WHERE x.instance_id = a.instance_id AND x.grantee_id = $2 AND x.host_account_id = a.id)
		FROM (SELECT * FROM bastion_host_accounts WHERE instance_id = $1 AND host_id = $3
			AND ($4::text = '' OR name = $4) AND ($5::text = '' OR protocol_name = $5)
			ORDER BY id LIMIT $6 OFFSET $7) a
		ORDER BY a.id`,
	HostGroupTargets:     userGroupHostGroupTargets,
	LockHostGroupTargets: userGroupLockHostGroupTargets,
	GrantHostGroup: `INSERT INTO bastion_group_host_group_grants (instance_id, grantee_id, host_group_id)
		VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
	RevokeHostGroup: `DELETE FROM bastion_group_host_group_grants WHERE instance_id = $1 AND grantee_id = $2 AND host_group_id = $3`,
	GrantHostGroupAccount: `INSERT INTO bastion_group_host_group_account_grants (instance_id, grantee_id, host_group_id, account_name)
		VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
	RevokeHostGroupAccount: `DELETE FROM bastion_group_host_group_account_grants
		WHERE instance_id = $1 AND grantee_id = $2 AND host_group_id = $3 AND account_name = $4`,
	// account_name is COLLATE "C": byte order, like SQLite's BINARY.
	HostGroupAccountNames: `SELECT account_name FROM bastion_group_host_group_account_grants
		WHERE instance_id = $1 AND grantee_id = $2 AND host_group_id = $3 ORDER BY account_name`,
}

// userGrants are the statements of grants to users.
var userGrants = sqlstore.GrantSQL{
	What:            "user",
	HostTargets:     userHostTargets,
	LockHostTargets: userLockHostTargets,
	GrantHost: `INSERT INTO bastion_user_host_grants (instance_id, grantee_id, host_id)
		VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
	RevokeHost: `DELETE FROM bastion_user_host_grants WHERE instance_id = $1 AND grantee_id = $2 AND host_id = $3`,
	GrantAccount: `INSERT INTO bastion_user_account_grants (instance_id, grantee_id, host_id, host_account_id)
		VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
	RevokeAccount: `DELETE FROM bastion_user_account_grants
		WHERE instance_id = $1 AND grantee_id = $2 AND host_id = $3 AND host_account_id = $4`,
	AccountGrantCounts: `SELECT (SELECT COUNT(*) FROM bastion_users WHERE instance_id = $1 AND id = $2),
		(SELECT COUNT(*) FROM bastion_hosts WHERE instance_id = $1 AND id = $3),
		(SELECT COUNT(*) FROM bastion_host_accounts WHERE instance_id = $1 AND host_id = $3
			AND ($4::text = '' OR name = $4) AND ($5::text = '' OR protocol_name = $5))`,
	AccountGrantPage: `SELECT a.instance_id, a.id, a.host_id, a.name, a.protocol_name, a.privilege_type, a.rotation_mode,
		a.host_share_key_id, a.private_key_fingerprint, a.created_at, a.password <> '',
		EXISTS (SELECT 1 FROM bastion_user_account_grants x
			WHERE x.instance_id = a.instance_id AND x.grantee_id = $2 AND x.host_account_id = a.id)
		FROM (SELECT * FROM bastion_host_accounts WHERE instance_id = $1 AND host_id = $3
			AND ($4::text = '' OR name = $4) AND ($5::text = '' OR protocol_name = $5)
			ORDER BY id LIMIT $6 OFFSET $7) a
		ORDER BY a.id`,
	HostGroupTargets:     userHostGroupTargets,
	LockHostGroupTargets: userLockHostGroupTargets,
	GrantHostGroup: `INSERT INTO bastion_user_host_group_grants (instance_id, grantee_id, host_group_id)
		VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
	RevokeHostGroup: `DELETE FROM bastion_user_host_group_grants WHERE instance_id = $1 AND grantee_id = $2 AND host_group_id = $3`,
	GrantHostGroupAccount: `INSERT INTO bastion_user_host_group_account_grants (instance_id, grantee_id, host_group_id, account_name)
		VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
	RevokeHostGroupAccount: `DELETE FROM bastion_user_host_group_account_grants
		WHERE instance_id = $1 AND grantee_id = $2 AND host_group_id = $3 AND account_name = $4`,
	HostGroupAccountNames: `SELECT account_name FROM bastion_user_host_group_account_grants
		WHERE instance_id = $1 AND grantee_id = $2 AND host_group_id = $3 ORDER BY account_name`,
}

// grants are the grant statements; lists of ids are bound as bigint
// arrays, and LIMIT NULL is no limit.
var grants = sqlstore.Grants{UserGroup: userGroupGrants, User: userGrants, IDs: bigintIDs, NoLimit: nil}

func bigintIDs(ids []int64) any {
	if ids == nil {
		return []int64{}
	}
	return ids
}

// FindBastionHostGrantTargets reports the grantee, hosts and accounts that exist.
func (st *Store) FindBastionHostGrantTargets(ctx context.Context, instanceID string, g localyun.BastionGrantee,
	hostIDs, accountIDs []string) (localyun.BastionHostGrantTargets, error) {
	t, err := grants.FindHostGrantTargets(ctx, st.db, instanceID, g, hostIDs, accountIDs)
	return t, formatError(err)
}

// ApplyBastionHostGrants applies host grant changes in one transaction,
// after locking their targets (whatever the version: the locks order the
// batches).
func (st *Store) ApplyBastionHostGrants(ctx context.Context, instanceID string, g localyun.BastionGrantee, _ uint64,
	changes []localyun.BastionHostGrantChange) (changed []bool, err error) {
	err = st.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		changed, err = grants.ApplyHostGrants(ctx, tx, instanceID, g, false, changes)
		if err == nil && sqlstore.RevokesHosts(changes) {
			err = notifyAccess(ctx, tx, instanceID)
		}
		return err
	})
	return changed, err
}

// FindBastionHostAccountGrants lists the accounts of one host with whether g holds each.
func (st *Store) FindBastionHostAccountGrants(ctx context.Context, g localyun.BastionGrantee,
	f localyun.BastionHostAccountFilter) ([]localyun.BastionHostAccountGrant, int, error) {
	out, total, err := grants.FindHostAccountGrants(ctx, st.db, g, f)
	return out, total, formatError(err)
}

// FindBastionHostGroupGrantTargets reports the grantee and host groups that exist.
func (st *Store) FindBastionHostGroupGrantTargets(ctx context.Context, instanceID string, g localyun.BastionGrantee,
	hostGroupIDs []string) (localyun.BastionHostGroupGrantTargets, error) {
	t, err := grants.FindHostGroupGrantTargets(ctx, st.db, instanceID, g, hostGroupIDs)
	return t, formatError(err)
}

// ApplyBastionHostGroupGrants applies host group grant changes in one transaction.
func (st *Store) ApplyBastionHostGroupGrants(ctx context.Context, instanceID string, g localyun.BastionGrantee, _ uint64,
	changes []localyun.BastionHostGroupGrantChange) (changed []bool, err error) {
	err = st.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		changed, err = grants.ApplyHostGroupGrants(ctx, tx, instanceID, g, false, changes)
		if err == nil && sqlstore.RevokesHostGroups(changes) {
			err = notifyAccess(ctx, tx, instanceID)
		}
		return err
	})
	return changed, err
}

// FindBastionHostGroupAccountNames lists the account names g holds on a
// host group, in byte order.
func (st *Store) FindBastionHostGroupAccountNames(ctx context.Context, instanceID string, g localyun.BastionGrantee,
	hostGroupID string) ([]string, error) {
	names, err := grants.FindHostGroupAccountNames(ctx, st.db, instanceID, g, hostGroupID)
	return names, formatError(err)
}
