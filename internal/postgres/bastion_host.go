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

// bhGrantee holds the SQL of the listings filtered by a grantee
// (FindBastionHosts, FindBastionGroups), per grantee kind. The fragments
// name the grantee's id $1: the listing adds it first.
type bhGrantee struct {
	what   string
	exists string // the grantee's existence, on (instance_id, id)
	// grantedHosts joins a host h to the grants; notGrantedHost is a condition on h.
	grantedHosts, notGrantedHost string
	// briefPage (instance, grantee, limit, offset) is a grant listing in
	// one statement: a page of the hosts the grantee holds, with their
	// brief columns and the total of its grants.
	briefPage string
	// grantTotal (instance, grantee) is whether the grantee exists and the
	// total of its grants.
	grantTotal string
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
		briefPage: `SELECT ` + sqlstore.BastionHostBriefColumns + `, p.total
			FROM (SELECT g.host_id, COUNT(*) OVER () AS total FROM bastion_group_host_grants g
				WHERE g.instance_id = $1 AND g.grantee_id = $2 ORDER BY g.host_id LIMIT $3 OFFSET $4) p
			JOIN bastion_hosts h ON h.instance_id = $1 AND h.id = p.host_id ORDER BY h.id`,
		grantTotal: `SELECT EXISTS (SELECT 1 FROM bastion_user_groups WHERE instance_id = $1 AND id = $2),
			(SELECT COUNT(*) FROM bastion_group_host_grants WHERE instance_id = $1 AND grantee_id = $2)`,
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
		briefPage: `SELECT ` + sqlstore.BastionHostBriefColumns + `, p.total
			FROM (SELECT g.host_id, COUNT(*) OVER () AS total FROM bastion_user_host_grants g
				WHERE g.instance_id = $1 AND g.grantee_id = $2 ORDER BY g.host_id LIMIT $3 OFFSET $4) p
			JOIN bastion_hosts h ON h.instance_id = $1 AND h.id = p.host_id ORDER BY h.id`,
		grantTotal: `SELECT EXISTS (SELECT 1 FROM bastion_users WHERE instance_id = $1 AND id = $2),
			(SELECT COUNT(*) FROM bastion_user_host_grants WHERE instance_id = $1 AND grantee_id = $2)`,
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
	n, ok := localyun.ParseBastionID(g.ID)
	if !ok {
		return t, nil, sqlstore.BastionNotFound(t.what, g.ID)
	}
	exists, err := bhExists(ctx, st.db, t.exists, instanceID, n)
	if err == nil && !exists {
		err = sqlstore.BastionNotFound(t.what, g.ID)
	}
	return t, args{n}, formatError(err)
}

// FindBastionHosts lists hosts in id order and the total of matches. A
// grantee's hosts and a host group's hosts are joined from the grant and
// member tables (by their primary keys), never found by a scan of every
// host of the instance.
func (st *Store) FindBastionHosts(ctx context.Context, f localyun.BastionHostFilter) ([]localyun.BastionHost, int, error) {
	if isGrantListing(f) {
		return st.grantListing(ctx, f)
	}
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
		gid, _ := localyun.ParseBastionID(f.HostGroupID) // 0 for a malformed id: no member
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

// isGrantListing reports whether f is a page of the hosts a grantee holds
// with their brief columns and no other condition, the listing of
// ListHostsForUserGroup and ListHostsForUser: what grantListing serves.
func isGrantListing(f localyun.BastionHostFilter) bool {
	return f.Grantee != nil && f.Authorized && f.Brief && f.Limit > 0 &&
		f.Name == "" && f.OSType == "" && f.Source == "" && f.SourceInstanceID == "" && f.SourceInstanceState == "" &&
		f.Address == "" && f.HostGroupID == ""
}

// grantListing serves a grant listing (isGrantListing) with one statement
// (briefPage): a grant names an existing grantee and host (foreign keys),
// so only an empty page needs a second one (grantTotal), to tell an
// unknown grantee from no grants or a page past the end.
func (st *Store) grantListing(ctx context.Context, f localyun.BastionHostFilter) ([]localyun.BastionHost, int, error) {
	t, ok := bhGrantees[f.Grantee.Kind]
	if !ok {
		return nil, 0, fmt.Errorf("grantee kind %q: %w", f.Grantee.Kind, localyun.ErrInvalid)
	}
	n, ok := localyun.ParseBastionID(f.Grantee.ID)
	if !ok {
		return nil, 0, sqlstore.BastionNotFound(t.what, f.Grantee.ID)
	}
	rows, err := st.db.QueryContext(ctx, t.briefPage, f.InstanceID, n, f.Limit, max(f.Offset, 0))
	if err != nil {
		return nil, 0, formatError(err)
	}
	defer rows.Close()
	var out []localyun.BastionHost
	var total int
	for rows.Next() {
		var h localyun.BastionHost
		var id int64
		// The BastionHostBriefColumns (sqlstore.ScanBastionHostBrief), then the total.
		if err := rows.Scan(&h.InstanceID, &id, &h.Name, &h.Comment, &h.OSType, &h.ActiveAddressType, &h.PublicAddress,
			&h.PrivateAddress, &total); err != nil {
			return nil, 0, formatError(err)
		}
		h.ID = localyun.FormatBastionID(id)
		out = append(out, h)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, 0, formatError(err)
	}
	if len(out) > 0 {
		return out, total, nil
	}
	var exists bool
	if err := st.db.QueryRowContext(ctx, t.grantTotal, f.InstanceID, n).Scan(&exists, &total); err != nil {
		return nil, 0, formatError(err)
	}
	if !exists {
		return nil, 0, sqlstore.BastionNotFound(t.what, f.Grantee.ID)
	}
	return nil, total, nil
}

func hostAccountWhere(f localyun.BastionHostAccountFilter, a *args) string {
	where := []string{"a.instance_id = " + a.add(f.InstanceID)}
	if f.HostIDs != nil {
		if ids := sqlstore.BastionIDs(f.HostIDs); len(ids) == 0 {
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
	total, err := bhPage(ctx, st.db, "bastion_host_accounts a", "a", cond, a, sqlstore.BastionHostAccountColumns,
		f.Offset, f.Limit, func(rows *sql.Rows) error {
			a, err := sqlstore.ScanBastionHostAccount(rows)
			out = append(out, a)
			return err
		})
	return out, total, err
}
