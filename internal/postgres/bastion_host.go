package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/sqlstore"
)

// Row locks of the Bastionhost store (READ COMMITTED; withTx retries
// deadlocks and serialization failures):
//
//   - the row that serializes a batch without being changed (the grantee of
//     a grant batch, the group of a membership batch): FOR NO KEY UPDATE,
//     which excludes other batches on it and its deletion but not the
//     foreign-key checks (FOR KEY SHARE) of inserts that name it;
//   - the rows a batch names and needs to keep existing until it commits
//     (hosts, accounts, members, host groups): FOR KEY SHARE, taken up front
//     in id order, so that a concurrent delete waits instead of failing the
//     batch with a foreign-key error halfway.
//
// Lock order is always grantee or group, then hosts (or members, host
// groups), then accounts. Updates of one object are compare-and-set
// statements: they need no lock taken before.
const (
	bhLockRow       = " FOR UPDATE"
	bhLockSerialize = " FOR NO KEY UPDATE"
	bhLockKeep      = " FOR KEY SHARE"
)

// The helpers of the Bastionhost files, under the names the grant code
// (bastion_grant.go) calls them by.
var (
	parseBastionID    = localyun.ParseBastionID
	formatBastionID   = localyun.FormatBastionID
	bhNotFound        = sqlstore.BastionNotFound
	bhRowsChanged     = sqlstore.RowsChanged
	scanBHHostAccount = sqlstore.ScanBastionHostAccount
)

const bhHostAccountColumns = sqlstore.BastionHostAccountColumns

// nextBastionID takes the next id of a kind in an instance, atomically: the
// counter row stays locked until the creating transaction ends. It fails
// with a foreign-key error (ErrNotFound) when the instance does not exist.
func nextBastionID(ctx context.Context, tx *sql.Tx, instanceID, kind string) (int64, error) {
	var n int64
	err := tx.QueryRowContext(ctx, `INSERT INTO bastion_id_seqs (instance_id, kind, last_id) VALUES ($1, $2, 1)
		ON CONFLICT (instance_id, kind) DO UPDATE SET last_id = bastion_id_seqs.last_id + 1 RETURNING last_id`,
		instanceID, kind).Scan(&n)
	return n, err
}

// bhPage runs a count query and a page query sharing from, cond and a. The
// page of rows of alias (the table whose columns cols reads, ordered by its
// id) is chosen first, so that the subqueries of cols run for the rows of
// the page only, not for the rows OFFSET skips.
func bhPage(ctx context.Context, q queryer, from, alias, cond string, a args, cols string, offset, limit int,
	scan func(*sql.Rows) error) (int, error) {
	var total int
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+from+` WHERE `+cond, a...).Scan(&total); err != nil {
		return 0, formatError(err)
	}
	pa := append(args{}, a...)
	page := `SELECT ` + alias + `.* FROM ` + from + ` WHERE ` + cond + ` ORDER BY ` + alias + `.id`
	if limit > 0 {
		page += ` LIMIT ` + pa.add(limit)
	}
	if offset > 0 {
		page += ` OFFSET ` + pa.add(offset)
	}
	query := `SELECT ` + cols + ` FROM (` + page + `) ` + alias + ` ORDER BY ` + alias + `.id`
	rows, err := q.QueryContext(ctx, query, pa...)
	if err != nil {
		return 0, formatError(err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return 0, formatError(err)
		}
	}
	return total, formatError(rows.Err())
}

// bhExists runs query, a literal "SELECT 1 FROM ... WHERE ..." of one
// object (with its lock clause, if any), and reports whether it found it.
func bhExists(ctx context.Context, q queryer, query string, args ...any) (bool, error) {
	var one int
	err := q.QueryRowContext(ctx, query, args...).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// bastionExists is bhExists for the object id of table, taking lock (one
// of the bhLock* clauses, or "" outside a transaction) on its row (the
// grant code's form).
func bastionExists(ctx context.Context, q queryer, table, instanceID string, id int64, lock string) (bool, error) {
	return bhExists(ctx, q, `SELECT 1 FROM `+table+` WHERE instance_id = $1 AND id = $2`+lock, instanceID, id)
}

// bhKeepRows locks with FOR KEY SHARE, in id order, the rows of table among
// ids and returns their ids mapped to col (their own id when col is "id").
func bhKeepRows(ctx context.Context, tx *sql.Tx, table, col, instanceID string, ids []int64) (map[int64]int64, error) {
	found := make(map[int64]int64, len(ids))
	if len(ids) == 0 {
		return found, nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, `+col+` FROM `+table+` WHERE instance_id = $1 AND id = ANY($2)
		ORDER BY id`+bhLockKeep, instanceID, ids)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id, v int64
		if err := rows.Scan(&id, &v); err != nil {
			return nil, err
		}
		found[id] = v
	}
	return found, rows.Err()
}

// bhParseIDs returns the well-formed ids among ss.
func bhParseIDs(ss []string) []int64 {
	var out []int64
	for _, s := range ss {
		if n, ok := parseBastionID(s); ok {
			out = append(out, n)
		}
	}
	return out
}

// bhGrantee holds the SQL of the listings filtered by a grantee
// (FindBastionHosts, FindBastionGroups), per grantee kind. The fragments
// name the grantee's id $1: the listing adds it first.
type bhGrantee struct {
	what   string
	exists string // the grantee's existence, on (instance_id, id)
	// grantedHosts joins a host h to the grants; notGrantedHost is a condition on h.
	grantedHosts, notGrantedHost string
	// grantedHostGroups joins a host group g to the grants; notGrantedHostGroup is a condition on g.
	grantedHostGroups, notGrantedHostGroup string
}

var bhGrantees = map[string]bhGrantee{
	localyun.GranteeUserGroup: {what: "user group",
		exists: `SELECT 1 FROM bastion_user_groups WHERE instance_id = $1 AND id = $2`,
		grantedHosts: ` JOIN bastion_group_host_grants g ON g.instance_id = h.instance_id AND g.host_id = h.id
			AND g.grantee_id = $1`,
		notGrantedHost: `NOT EXISTS (SELECT 1 FROM bastion_group_host_grants g
			WHERE g.instance_id = h.instance_id AND g.grantee_id = $1 AND g.host_id = h.id)`,
		grantedHostGroups: ` JOIN bastion_group_host_group_grants x ON x.instance_id = g.instance_id AND x.host_group_id = g.id
			AND x.grantee_id = $1`,
		notGrantedHostGroup: `NOT EXISTS (SELECT 1 FROM bastion_group_host_group_grants x
			WHERE x.instance_id = g.instance_id AND x.grantee_id = $1 AND x.host_group_id = g.id)`},
	localyun.GranteeUser: {what: "user",
		exists: `SELECT 1 FROM bastion_users WHERE instance_id = $1 AND id = $2`,
		grantedHosts: ` JOIN bastion_user_host_grants g ON g.instance_id = h.instance_id AND g.host_id = h.id
			AND g.grantee_id = $1`,
		notGrantedHost: `NOT EXISTS (SELECT 1 FROM bastion_user_host_grants g
			WHERE g.instance_id = h.instance_id AND g.grantee_id = $1 AND g.host_id = h.id)`,
		grantedHostGroups: ` JOIN bastion_user_host_group_grants x ON x.instance_id = g.instance_id AND x.host_group_id = g.id
			AND x.grantee_id = $1`,
		notGrantedHostGroup: `NOT EXISTS (SELECT 1 FROM bastion_user_host_group_grants x
			WHERE x.instance_id = g.instance_id AND x.grantee_id = $1 AND x.host_group_id = g.id)`},
}

// bhFindGrantee returns the SQL of a grantee that exists and its number,
// as the first argument of a listing.
func (st *Store) bhFindGrantee(ctx context.Context, instanceID string, g localyun.BastionGrantee) (bhGrantee, args, error) {
	t, ok := bhGrantees[g.Kind]
	if !ok {
		return t, nil, fmt.Errorf("grantee kind %q: %w", g.Kind, localyun.ErrInvalid)
	}
	n, ok := parseBastionID(g.ID)
	if !ok {
		return t, nil, bhNotFound(t.what, g.ID)
	}
	exists, err := bhExists(ctx, st.db, t.exists, instanceID, n)
	if err == nil && !exists {
		err = bhNotFound(t.what, g.ID)
	}
	return t, args{n}, formatError(err)
}

// deleteBastionObject runs del, the literal DELETE of one object on
// (instance_id, id); foreign keys cascade to everything that names it.
func (st *Store) deleteBastionObject(ctx context.Context, del, what, instanceID, id string) error {
	n, ok := parseBastionID(id)
	if !ok {
		return bhNotFound(what, id)
	}
	return st.withTx(ctx, func(tx *sql.Tx) error {
		changed, err := bhRowsChanged(tx.ExecContext(ctx, del, instanceID, n))
		if err == nil && !changed {
			return bhNotFound(what, id)
		}
		return err
	})
}

func findBHHost(ctx context.Context, q queryer, instanceID string, id int64) (localyun.BastionHost, error) {
	h, err := sqlstore.ScanBastionHost(q.QueryRowContext(ctx, `SELECT `+sqlstore.BastionHostColumns+` FROM bastion_hosts h
		WHERE h.instance_id = $1 AND h.id = $2`, instanceID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return h, bhNotFound("host", id)
	}
	return h, err
}

// CreateBastionHost assigns the next host id and returns the host.
func (st *Store) CreateBastionHost(ctx context.Context, h localyun.BastionHost) (localyun.BastionHost, error) {
	var out localyun.BastionHost
	err := st.withTx(ctx, func(tx *sql.Tx) error {
		id, err := nextBastionID(ctx, tx, h.InstanceID, "host")
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO bastion_hosts (instance_id, id, created_at, name, comment, os_type,
			source, source_instance_id, source_instance_state, instance_region_id, instance_member_id, active_address_type,
			public_address, private_address, network_domain_id, pref_kex)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
			append([]any{h.InstanceID, id, ms(h.CreatedAt)}, sqlstore.BastionHostValues(h)...)...); err != nil {
			return err
		}
		out, err = findBHHost(ctx, tx, h.InstanceID, id)
		return err
	})
	return out, err
}

// FindBastionHost returns ErrNotFound if there is no such host.
func (st *Store) FindBastionHost(ctx context.Context, instanceID, id string) (localyun.BastionHost, error) {
	n, ok := parseBastionID(id)
	if !ok {
		return localyun.BastionHost{}, bhNotFound("host", id)
	}
	h, err := findBHHost(ctx, st.db, instanceID, n)
	return h, formatError(err)
}

// FindBastionHosts lists hosts in id order and the total of matches. A
// grantee's hosts and a host group's hosts are joined from the grant and
// member tables (by their primary keys), never found by a scan of every
// host of the instance.
func (st *Store) FindBastionHosts(ctx context.Context, f localyun.BastionHostFilter) ([]localyun.BastionHost, int, error) {
	var a args
	var grantee bhGrantee
	if f.Grantee != nil {
		var err error
		if grantee, a, err = st.bhFindGrantee(ctx, f.InstanceID, *f.Grantee); err != nil {
			return nil, 0, err
		}
	}
	from := "bastion_hosts h"
	where := []string{"h.instance_id = " + a.add(f.InstanceID)}
	eq := func(col, v string) {
		if v != "" {
			where = append(where, col+" = "+a.add(v))
		}
	}
	eq("h.name", f.Name)
	eq("h.os_type", f.OSType)
	eq("h.source", f.Source)
	eq("h.source_instance_id", f.SourceInstanceID)
	eq("h.source_instance_state", f.SourceInstanceState)
	if f.Address != "" {
		p := a.add(f.Address)
		where = append(where, "(h.public_address = "+p+" OR h.private_address = "+p+")")
	}
	if f.HostGroupID != "" {
		gid, _ := parseBastionID(f.HostGroupID) // 0 for a malformed id: no member
		from += ` JOIN bastion_host_group_members m ON m.instance_id = h.instance_id AND m.host_id = h.id
			AND m.host_group_id = ` + a.add(gid)
	}
	switch {
	case f.Grantee != nil && f.Authorized:
		from += grantee.grantedHosts
	case f.Grantee != nil:
		where = append(where, grantee.notGrantedHost)
	}
	cols, scan := sqlstore.BastionHostColumns, sqlstore.ScanBastionHost
	if f.Brief {
		cols, scan = sqlstore.BastionHostBriefColumns, sqlstore.ScanBastionHostBrief
	}
	var out []localyun.BastionHost
	total, err := bhPage(ctx, st.db, from, "h", strings.Join(where, " AND "), a, cols,
		f.Offset, f.Limit, func(rows *sql.Rows) error {
			h, err := scan(rows)
			out = append(out, h)
			return err
		})
	return out, total, err
}

// UpdateBastionHost writes to over the host from if it is unchanged.
func (st *Store) UpdateBastionHost(ctx context.Context, from, to localyun.BastionHost) error {
	n, ok := parseBastionID(from.ID)
	if !ok {
		return bhNotFound("host", from.ID)
	}
	return st.withTx(ctx, func(tx *sql.Tx) error {
		changed, err := bhRowsChanged(tx.ExecContext(ctx, `UPDATE bastion_hosts SET name = $1, comment = $2, os_type = $3,
			source = $4, source_instance_id = $5, source_instance_state = $6, instance_region_id = $7, instance_member_id = $8,
			active_address_type = $9, public_address = $10, private_address = $11, network_domain_id = $12, pref_kex = $13
			WHERE instance_id = $14 AND id = $15 AND name = $16 AND comment = $17 AND os_type = $18
			AND source = $19 AND source_instance_id = $20 AND source_instance_state = $21 AND instance_region_id = $22
			AND instance_member_id = $23 AND active_address_type = $24 AND public_address = $25 AND private_address = $26
			AND network_domain_id = $27 AND pref_kex = $28`,
			sqlstore.CASArgs(sqlstore.BastionHostValues(to), from.InstanceID, n, sqlstore.BastionHostValues(from))...))
		return sqlstore.Swapped(changed, err, func() (bool, error) {
			return bhExists(ctx, tx, `SELECT 1 FROM bastion_hosts WHERE instance_id = $1 AND id = $2`, from.InstanceID, n)
		}, "host", from.ID)
	})
}

// DeleteBastionHost deletes a host with its accounts, memberships and grants.
func (st *Store) DeleteBastionHost(ctx context.Context, instanceID, id string) error {
	return st.deleteBastionObject(ctx, `DELETE FROM bastion_hosts WHERE instance_id = $1 AND id = $2`, "host", instanceID, id)
}

func findBHHostAccount(ctx context.Context, q queryer, instanceID string, id int64) (localyun.BastionHostAccount, error) {
	a, err := scanBHHostAccount(q.QueryRowContext(ctx, `SELECT `+bhHostAccountColumns+` FROM bastion_host_accounts a
		WHERE a.instance_id = $1 AND a.id = $2`, instanceID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return a, bhNotFound("host account", id)
	}
	return a, err
}

// CreateBastionHostAccount assigns the next account id.
func (st *Store) CreateBastionHostAccount(ctx context.Context, a localyun.BastionHostAccount, s localyun.BastionSecret) (localyun.BastionHostAccount, error) {
	host, ok := parseBastionID(a.HostID)
	if !ok {
		return a, bhNotFound("host", a.HostID)
	}
	var out localyun.BastionHostAccount
	err := st.withTx(ctx, func(tx *sql.Tx) error {
		if ok, err := bhExists(ctx, tx, `SELECT 1 FROM bastion_hosts WHERE instance_id = $1 AND id = $2`+bhLockKeep,
			a.InstanceID, host); err != nil || !ok {
			if err == nil {
				err = bhNotFound("host", host)
			}
			return err
		}
		id, err := nextBastionID(ctx, tx, a.InstanceID, "host_account")
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO bastion_host_accounts (instance_id, id, host_id, created_at, name,
			protocol_name, privilege_type, rotation_mode, host_share_key_id, private_key_fingerprint)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			append([]any{a.InstanceID, id, host, ms(a.CreatedAt)}, sqlstore.BastionHostAccountValues(a)...)...); err != nil {
			return err
		}
		if err := st.writeHostAccountSecret(ctx, tx, a.InstanceID, id, sqlstore.SetSecret(s)); err != nil {
			return err
		}
		out, err = findBHHostAccount(ctx, tx, a.InstanceID, id)
		return err
	})
	return out, err
}

// FindBastionHostAccount returns ErrNotFound.
func (st *Store) FindBastionHostAccount(ctx context.Context, instanceID, id string) (localyun.BastionHostAccount, error) {
	n, ok := parseBastionID(id)
	if !ok {
		return localyun.BastionHostAccount{}, bhNotFound("host account", id)
	}
	a, err := findBHHostAccount(ctx, st.db, instanceID, n)
	return a, formatError(err)
}

func hostAccountWhere(f localyun.BastionHostAccountFilter, a *args) string {
	where := []string{"a.instance_id = " + a.add(f.InstanceID)}
	if f.HostIDs != nil {
		if ids := bhParseIDs(f.HostIDs); len(ids) == 0 {
			where = append(where, "FALSE")
		} else {
			where = append(where, "a.host_id = ANY("+a.add(ids)+")")
		}
	}
	if f.Name != "" {
		where = append(where, "a.name = "+a.add(f.Name))
	}
	if f.ProtocolName != "" {
		where = append(where, "a.protocol_name = "+a.add(f.ProtocolName))
	}
	return strings.Join(where, " AND ")
}

// FindBastionHostAccounts lists accounts in id order and the total.
func (st *Store) FindBastionHostAccounts(ctx context.Context, f localyun.BastionHostAccountFilter) ([]localyun.BastionHostAccount, int, error) {
	var a args
	cond := hostAccountWhere(f, &a)
	var out []localyun.BastionHostAccount
	total, err := bhPage(ctx, st.db, "bastion_host_accounts a", "a", cond, a, bhHostAccountColumns,
		f.Offset, f.Limit, func(rows *sql.Rows) error {
			a, err := scanBHHostAccount(rows)
			out = append(out, a)
			return err
		})
	return out, total, err
}

// UpdateBastionHostAccount writes to over the account from if it is
// unchanged, and the credentials s sets.
func (st *Store) UpdateBastionHostAccount(ctx context.Context, from, to localyun.BastionHostAccount, s localyun.BastionSecretUpdate) error {
	n, ok := parseBastionID(from.ID)
	if !ok {
		return bhNotFound("host account", from.ID)
	}
	return st.withTx(ctx, func(tx *sql.Tx) error {
		changed, err := bhRowsChanged(tx.ExecContext(ctx, `UPDATE bastion_host_accounts SET name = $1, protocol_name = $2,
			privilege_type = $3, rotation_mode = $4, host_share_key_id = $5, private_key_fingerprint = $6
			WHERE instance_id = $7 AND id = $8 AND name = $9 AND protocol_name = $10
			AND privilege_type = $11 AND rotation_mode = $12 AND host_share_key_id = $13 AND private_key_fingerprint = $14`,
			sqlstore.CASArgs(sqlstore.BastionHostAccountValues(to), from.InstanceID, n, sqlstore.BastionHostAccountValues(from))...))
		if err := sqlstore.Swapped(changed, err, func() (bool, error) {
			return bhExists(ctx, tx, `SELECT 1 FROM bastion_host_accounts WHERE instance_id = $1 AND id = $2`, from.InstanceID, n)
		}, "host account", from.ID); err != nil {
			return err
		}
		return st.writeHostAccountSecret(ctx, tx, from.InstanceID, n, s)
	})
}

// DeleteBastionHostAccount deletes an account and its grants.
func (st *Store) DeleteBastionHostAccount(ctx context.Context, instanceID, id string) error {
	return st.deleteBastionObject(ctx, `DELETE FROM bastion_host_accounts WHERE instance_id = $1 AND id = $2`, "host account", instanceID, id)
}
