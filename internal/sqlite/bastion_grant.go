package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/localyun/localyun"
)

// grantTables names the tables of one grantee kind. Every grant table has
// the columns instance_id and grantee_id.
type grantTables struct {
	object            string // the grantee's own table
	what              string
	hosts             string // (host_id)
	accounts          string // (host_id, host_account_id)
	hostGroupGrants   string // (host_group_id)
	hostGroupAccounts string // (host_group_id, account_name)
}

var granteeTables = map[string]grantTables{
	localyun.GranteeUserGroup: {object: "bastion_user_groups", what: "user group", hosts: "bastion_group_host_grants",
		accounts: "bastion_group_account_grants", hostGroupGrants: "bastion_group_host_group_grants",
		hostGroupAccounts: "bastion_group_host_group_account_grants"},
	localyun.GranteeUser: {object: "bastion_users", what: "user", hosts: "bastion_user_host_grants",
		accounts: "bastion_user_account_grants", hostGroupGrants: "bastion_user_host_group_grants",
		hostGroupAccounts: "bastion_user_host_group_account_grants"},
}

// granteeRef returns the numeric id and tables of a grantee, without
// checking that it exists.
func granteeRef(g localyun.BastionGrantee) (int64, grantTables, error) {
	t, ok := granteeTables[g.Kind]
	if !ok {
		return 0, t, fmt.Errorf("grantee kind %q: %w", g.Kind, localyun.ErrInvalid)
	}
	n, ok := parseBastionID(g.ID)
	if !ok {
		return 0, t, bhNotFound(t.what, g.ID)
	}
	return n, t, nil
}

// findGrantee returns the numeric id and tables of a grantee that exists.
func findGrantee(ctx context.Context, q pageQueryer, instanceID string, g localyun.BastionGrantee) (int64, grantTables, error) {
	n, t, err := granteeRef(g)
	if err != nil {
		return n, t, err
	}
	exists, err := bastionExists(ctx, q, t.object, instanceID, n)
	if err == nil && !exists {
		err = bhNotFound(t.what, g.ID)
	}
	return n, t, err
}

// AttachBastionHostAccounts grants hosts and host accounts to a grantee.
func (st *Store) AttachBastionHostAccounts(ctx context.Context, instanceID string, g localyun.BastionGrantee,
	req []localyun.BastionHostGrant) ([]localyun.BastionHostGrantResult, error) {
	return st.changeHostGrants(ctx, instanceID, g, req, true)
}

// DetachBastionHostAccounts revokes hosts and host accounts from a grantee.
func (st *Store) DetachBastionHostAccounts(ctx context.Context, instanceID string, g localyun.BastionGrantee,
	req []localyun.BastionHostGrant) ([]localyun.BastionHostGrantResult, error) {
	return st.changeHostGrants(ctx, instanceID, g, req, false)
}

func (st *Store) changeHostGrants(ctx context.Context, instanceID string, g localyun.BastionGrantee,
	req []localyun.BastionHostGrant, attach bool) ([]localyun.BastionHostGrantResult, error) {
	_, t, err := granteeRef(g)
	if err != nil {
		return nil, err
	}
	sqls := hostGrantSQL(t, attach)
	var out []localyun.BastionHostGrantResult
	err = st.withPreparedTx(ctx, sqls.all(t), func(tx *preparedTx) error {
		gid, _, err := findGrantee(ctx, tx, instanceID, g)
		if err != nil {
			return err
		}
		out = make([]localyun.BastionHostGrantResult, 0, len(req))
		for _, item := range req {
			r, err := changeHostGrant(ctx, tx, sqls, instanceID, gid, item, attach)
			if err != nil {
				return err
			}
			out = append(out, r)
		}
		return nil
	})
	return out, err
}

// hostGrantSQLs are the statements of changeHostGrant.
type hostGrantSQLs struct {
	host, account string // insert (attach) or delete (detach) a grant
}

const hostAccountExistsSQL = `SELECT COUNT(*) FROM bastion_host_accounts WHERE instance_id = ? AND host_id = ? AND id = ?`

func hostGrantSQL(t grantTables, attach bool) hostGrantSQLs {
	if attach {
		return hostGrantSQLs{
			host:    `INSERT INTO ` + t.hosts + ` (instance_id, grantee_id, host_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
			account: `INSERT INTO ` + t.accounts + ` (instance_id, grantee_id, host_id, host_account_id) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		}
	}
	return hostGrantSQLs{
		host:    `DELETE FROM ` + t.hosts + ` WHERE instance_id = ? AND grantee_id = ? AND host_id = ?`,
		account: `DELETE FROM ` + t.accounts + ` WHERE instance_id = ? AND grantee_id = ? AND host_id = ? AND host_account_id = ?`,
	}
}

// all lists every statement a change of t's grants runs, to prepare.
func (s hostGrantSQLs) all(t grantTables) []string {
	return []string{bastionExistsSQL(t.object), bastionExistsSQL("bastion_hosts"), hostAccountExistsSQL, s.host, s.account}
}

func changeHostGrant(ctx context.Context, tx *preparedTx, sqls hostGrantSQLs, instanceID string, gid int64,
	item localyun.BastionHostGrant, attach bool) (localyun.BastionHostGrantResult, error) {
	r := localyun.BastionHostGrantResult{HostID: item.HostID}
	all := func(o string) (localyun.BastionHostGrantResult, error) {
		r.Outcome = o
		for _, id := range item.AccountIDs {
			r.Accounts = append(r.Accounts, localyun.ItemResult{ID: id, Outcome: o})
		}
		return r, nil
	}
	host, ok := parseBastionID(item.HostID)
	if !ok {
		return all(localyun.OutcomeInvalid)
	}
	exists, err := bastionExists(ctx, tx, "bastion_hosts", instanceID, host)
	if err != nil {
		return r, err
	}
	if !exists {
		return all(localyun.OutcomeMissing)
	}
	if len(item.AccountIDs) == 0 {
		changed, err := bhRowsChanged(tx.ExecContext(ctx, sqls.host, instanceID, gid, host))
		r.Outcome = bhOutcome(changed)
		return r, err
	}
	// With accounts, the host itself is found and stays (or becomes) granted.
	r.Outcome = localyun.OutcomeChanged
	if attach {
		if _, err := tx.ExecContext(ctx, sqls.host, instanceID, gid, host); err != nil {
			return r, err
		}
	}
	for _, id := range item.AccountIDs {
		ar := localyun.ItemResult{ID: id}
		n, ok := parseBastionID(id)
		if !ok {
			ar.Outcome = localyun.OutcomeInvalid
			r.Accounts = append(r.Accounts, ar)
			continue
		}
		var count int
		rows, err := tx.QueryContext(ctx, hostAccountExistsSQL, instanceID, host, n)
		if err := (rowScanner{rows: rows, err: err}).Scan(&count); err != nil {
			return r, err
		}
		if count == 0 {
			ar.Outcome = localyun.OutcomeMissing
			r.Accounts = append(r.Accounts, ar)
			continue
		}
		changed, err := bhRowsChanged(tx.ExecContext(ctx, sqls.account, instanceID, gid, host, n))
		if err != nil {
			return r, err
		}
		ar.Outcome = bhOutcome(changed)
		r.Accounts = append(r.Accounts, ar)
	}
	return r, nil
}

// FindBastionHostAccountGrants lists the accounts of one host with whether g holds each.
func (st *Store) FindBastionHostAccountGrants(ctx context.Context, g localyun.BastionGrantee,
	f localyun.BastionHostAccountFilter) ([]localyun.BastionHostAccountGrant, int, error) {
	gid, t, err := findGrantee(ctx, cachedRead{st}, f.InstanceID, g)
	if err != nil {
		return nil, 0, err
	}
	if len(f.HostIDs) != 1 {
		return nil, 0, fmt.Errorf("host account grants need exactly one host: %w", localyun.ErrInvalid)
	}
	host, ok := parseBastionID(f.HostIDs[0])
	if !ok {
		return nil, 0, bhNotFound("host", f.HostIDs[0])
	}
	if exists, err := bastionExists(ctx, cachedRead{st}, "bastion_hosts", f.InstanceID, host); err != nil || !exists {
		if err == nil {
			err = bhNotFound("host", host)
		}
		return nil, 0, err
	}
	cond, args := hostAccountWhere(f)
	cols := bhHostAccountColumns + `, EXISTS (SELECT 1 FROM ` + t.accounts + ` x WHERE x.instance_id = a.instance_id
		AND x.grantee_id = ` + formatBastionID(gid) + ` AND x.host_account_id = a.id)`
	var out []localyun.BastionHostAccountGrant
	total, err := bastionPage(ctx, cachedRead{st}, "bastion_host_accounts a", cond, args, cols, "a.id", f.Offset, f.Limit,
		func(rows *sql.Rows) error {
			var ag localyun.BastionHostAccountGrant
			var err error
			ag.BastionHostAccount, err = scanBHHostAccount(rows, &ag.Authorized)
			out = append(out, ag)
			return err
		})
	return out, total, err
}

// AttachBastionHostGroupAccounts grants host groups and account names on them.
func (st *Store) AttachBastionHostGroupAccounts(ctx context.Context, instanceID string, g localyun.BastionGrantee,
	req []localyun.BastionHostGroupGrant) ([]localyun.BastionHostGroupGrantResult, error) {
	return st.changeHostGroupGrants(ctx, instanceID, g, req, true)
}

// DetachBastionHostGroupAccounts revokes them.
func (st *Store) DetachBastionHostGroupAccounts(ctx context.Context, instanceID string, g localyun.BastionGrantee,
	req []localyun.BastionHostGroupGrant) ([]localyun.BastionHostGroupGrantResult, error) {
	return st.changeHostGroupGrants(ctx, instanceID, g, req, false)
}

func (st *Store) changeHostGroupGrants(ctx context.Context, instanceID string, g localyun.BastionGrantee,
	req []localyun.BastionHostGroupGrant, attach bool) ([]localyun.BastionHostGroupGrantResult, error) {
	var out []localyun.BastionHostGroupGrantResult
	err := st.withTx(ctx, func(tx *sql.Tx) error {
		gid, t, err := findGrantee(ctx, tx, instanceID, g)
		if err != nil {
			return err
		}
		out = make([]localyun.BastionHostGroupGrantResult, 0, len(req))
		for _, item := range req {
			r := localyun.BastionHostGroupGrantResult{HostGroupID: item.HostGroupID}
			all := func(o string) {
				r.Outcome = o
				for _, name := range item.AccountNames {
					r.AccountNames = append(r.AccountNames, localyun.ItemResult{ID: name, Outcome: o})
				}
				out = append(out, r)
			}
			hg, ok := parseBastionID(item.HostGroupID)
			if !ok {
				all(localyun.OutcomeInvalid)
				continue
			}
			exists, err := bastionExists(ctx, tx, "bastion_host_groups", instanceID, hg)
			if err != nil {
				return err
			}
			if !exists {
				all(localyun.OutcomeMissing)
				continue
			}
			groupSQL := `INSERT INTO ` + t.hostGroupGrants + ` (instance_id, grantee_id, host_group_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`
			if !attach {
				groupSQL = `DELETE FROM ` + t.hostGroupGrants + ` WHERE instance_id = ? AND grantee_id = ? AND host_group_id = ?`
			}
			if len(item.AccountNames) == 0 {
				changed, err := bhRowsChanged(tx.ExecContext(ctx, groupSQL, instanceID, gid, hg))
				if err != nil {
					return err
				}
				r.Outcome = bhOutcome(changed)
				out = append(out, r)
				continue
			}
			r.Outcome = localyun.OutcomeChanged
			if attach {
				if _, err := tx.ExecContext(ctx, groupSQL, instanceID, gid, hg); err != nil {
					return err
				}
			}
			for _, name := range item.AccountNames {
				q := `INSERT INTO ` + t.hostGroupAccounts + ` (instance_id, grantee_id, host_group_id, account_name) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`
				if !attach {
					q = `DELETE FROM ` + t.hostGroupAccounts + ` WHERE instance_id = ? AND grantee_id = ? AND host_group_id = ? AND account_name = ?`
				}
				changed, err := bhRowsChanged(tx.ExecContext(ctx, q, instanceID, gid, hg, name))
				if err != nil {
					return err
				}
				r.AccountNames = append(r.AccountNames, localyun.ItemResult{ID: name, Outcome: bhOutcome(changed)})
			}
			out = append(out, r)
		}
		return nil
	})
	return out, err
}

// FindBastionHostGroupAccountNames lists the account names g holds on a host group.
func (st *Store) FindBastionHostGroupAccountNames(ctx context.Context, instanceID string, g localyun.BastionGrantee,
	hostGroupID string) ([]string, error) {
	gid, t, err := findGrantee(ctx, cachedRead{st}, instanceID, g)
	if err != nil {
		return nil, err
	}
	hg, ok := parseBastionID(hostGroupID)
	if !ok {
		return nil, bhNotFound("host group", hostGroupID)
	}
	if exists, err := bastionExists(ctx, cachedRead{st}, "bastion_host_groups", instanceID, hg); err != nil || !exists {
		if err == nil {
			err = bhNotFound("host group", hg)
		}
		return nil, err
	}
	rows, err := st.read.QueryContext(ctx, `SELECT account_name FROM `+t.hostGroupAccounts+`
		WHERE instance_id = ? AND grantee_id = ? AND host_group_id = ? ORDER BY account_name`, instanceID, gid, hg)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	names := []string{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		names = append(names, n)
	}
	return names, rows.Err()
}
