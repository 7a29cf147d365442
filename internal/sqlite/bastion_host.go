package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/sqlstore"
)

// pageQueryer runs the queries of bastionPage: st.read, a *sql.Tx, or the
// read pool's statement cache (cachedRead).
type pageQueryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// cachedRead runs queries on the read pool through the statement cache.
type cachedRead struct{ st *Store }

func (c cachedRead) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return c.st.readQuery(ctx, query, args...)
}

// bastionPage runs a count query and a page query sharing cond and args.
func bastionPage(ctx context.Context, q pageQueryer, from, cond string, args []any, cols, order string, offset, limit int,
	scan func(*sql.Rows) error) (int, error) {
	return bhPage{from: from, cond: cond, args: args, cols: cols, order: order, offset: offset, limit: limit}.run(ctx, q, scan)
}

// bhPage is one page of a listing: a count statement and a page statement
// sharing cond and args.
type bhPage struct {
	from, cond    string
	args          []any
	cols, order   string
	offset, limit int
	// countFrom, when set, replaces from in the count: a cheaper FROM whose
	// rows cond selects one for one with those of from.
	countFrom string
	// mustExist, when set, is checked by the count statement: the page of a
	// missing object is its not-found error, not an empty page.
	mustExist *bhObject
}

// bhObject names one row of a Bastionhost object table.
type bhObject struct {
	exists     string // its literal count statement, on (instance_id, id)
	what       string
	instanceID string
	id         int64
	name       string // as the caller gave it, for the error
}

// count runs the count statement of p (and its mustExist check).
func (p bhPage) count(ctx context.Context, q pageQueryer) (int, error) {
	countFrom := p.countFrom
	if countFrom == "" {
		countFrom = p.from
	}
	count, args := `SELECT 1, COUNT(*) FROM `+countFrom+` WHERE `+p.cond, p.args
	if o := p.mustExist; o != nil {
		count = `SELECT (` + o.exists + `), (SELECT COUNT(*) FROM ` + countFrom + ` WHERE ` + p.cond + `)`
		args = append([]any{o.instanceID, o.id}, p.args...)
	}
	var exists, total int
	rows, err := q.QueryContext(ctx, count, args...)
	if err := (rowScanner{rows: rows, err: err}).Scan(&exists, &total); err != nil {
		return 0, err
	}
	if exists == 0 {
		return 0, sqlstore.BastionNotFound(p.mustExist.what, p.mustExist.name)
	}
	return total, nil
}

func (p bhPage) run(ctx context.Context, q pageQueryer, scan func(*sql.Rows) error) (int, error) {
	total, err := p.count(ctx, q)
	if err != nil {
		return 0, err
	}
	limit := p.limit
	if limit <= 0 {
		limit = -1
	}
	// "?+0": see FindInstances (a bare "LIMIT ?" re-prepares on every binding).
	rows, err := q.QueryContext(ctx, `SELECT `+p.cols+` FROM `+p.from+` WHERE `+p.cond+` ORDER BY `+p.order+` LIMIT ?+0 OFFSET ?`,
		append(append([]any{}, p.args...), limit, p.offset)...)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return 0, err
		}
	}
	return total, rows.Err()
}

// bhGrantee holds the SQL of the listings filtered by a grantee
// (FindBastionHosts, FindBastionGroups), per grantee kind.
type bhGrantee struct {
	what   string
	exists string // the grantee's count statement
	// hostGrants is the FROM of its host grants alone; grantedHosts joins
	// them to their hosts; notGrantedHost is the condition on a host h.
	hostGrants, grantedHosts, notGrantedHost string
	// hostIDs (instance, grantee, limit) lists the ids of the hosts it
	// holds, in order: what the grant cache keeps.
	hostIDs string
	// grantedHostGroup and notGrantedHostGroup are conditions on a host group g.
	grantedHostGroup, notGrantedHostGroup string
}

var bhGrantees = map[string]bhGrantee{
	localyun.GranteeUserGroup: {what: "user group",
		exists:       `SELECT COUNT(*) FROM bastion_user_groups WHERE instance_id = ? AND id = ?`,
		hostGrants:   `bastion_group_host_grants g`,
		grantedHosts: `bastion_group_host_grants g JOIN bastion_hosts h ON h.instance_id = g.instance_id AND h.id = g.host_id`,
		notGrantedHost: `NOT EXISTS (SELECT 1 FROM bastion_group_host_grants g
			WHERE g.instance_id = h.instance_id AND g.grantee_id = ? AND g.host_id = h.id)`,
		hostIDs: `SELECT host_id FROM bastion_group_host_grants WHERE instance_id = ? AND grantee_id = ?
			ORDER BY host_id LIMIT ?+0`,
		grantedHostGroup: `EXISTS (SELECT 1 FROM bastion_group_host_group_grants x
			WHERE x.instance_id = g.instance_id AND x.grantee_id = ? AND x.host_group_id = g.id)`,
		notGrantedHostGroup: `NOT EXISTS (SELECT 1 FROM bastion_group_host_group_grants x
			WHERE x.instance_id = g.instance_id AND x.grantee_id = ? AND x.host_group_id = g.id)`},
	localyun.GranteeUser: {what: "user",
		exists:       `SELECT COUNT(*) FROM bastion_users WHERE instance_id = ? AND id = ?`,
		hostGrants:   `bastion_user_host_grants g`,
		grantedHosts: `bastion_user_host_grants g JOIN bastion_hosts h ON h.instance_id = g.instance_id AND h.id = g.host_id`,
		notGrantedHost: `NOT EXISTS (SELECT 1 FROM bastion_user_host_grants g
			WHERE g.instance_id = h.instance_id AND g.grantee_id = ? AND g.host_id = h.id)`,
		hostIDs: `SELECT host_id FROM bastion_user_host_grants WHERE instance_id = ? AND grantee_id = ?
			ORDER BY host_id LIMIT ?+0`,
		grantedHostGroup: `EXISTS (SELECT 1 FROM bastion_user_host_group_grants x
			WHERE x.instance_id = g.instance_id AND x.grantee_id = ? AND x.host_group_id = g.id)`,
		notGrantedHostGroup: `NOT EXISTS (SELECT 1 FROM bastion_user_host_group_grants x
			WHERE x.instance_id = g.instance_id AND x.grantee_id = ? AND x.host_group_id = g.id)`},
}

// bhGranteeOf returns the SQL of a grantee's kind and the page check that
// it exists.
func bhGranteeOf(instanceID string, g localyun.BastionGrantee) (bhGrantee, *bhObject, error) {
	t, ok := bhGrantees[g.Kind]
	if !ok {
		return t, nil, fmt.Errorf("grantee kind %q: %w", g.Kind, localyun.ErrInvalid)
	}
	n, ok := localyun.ParseBastionID(g.ID)
	if !ok {
		return t, nil, sqlstore.BastionNotFound(t.what, g.ID)
	}
	return t, &bhObject{exists: t.exists, what: t.what, instanceID: instanceID, id: n, name: g.ID}, nil
}

// FindBastionHosts lists hosts in id order and the total of matches.
func (st *Store) FindBastionHosts(ctx context.Context, f localyun.BastionHostFilter) ([]localyun.BastionHost, int, error) {
	if isGrantListing(f) {
		if hosts, total, ok, err := st.grantedHostsPage(ctx, f); ok || err != nil {
			return hosts, total, err
		}
	}
	where := []string{"h.instance_id = ?"}
	args := []any{f.InstanceID}
	eq := func(col, v string) {
		if v != "" {
			where = append(where, col+" = ?")
			args = append(args, v)
		}
	}
	eq("h.name", f.Name)
	eq("h.os_type", f.OSType)
	eq("h.source", f.Source)
	eq("h.source_instance_id", f.SourceInstanceID)
	eq("h.source_instance_state", f.SourceInstanceState)
	if f.Address != "" {
		where = append(where, "(h.public_address = ? OR h.private_address = ?)")
		args = append(args, f.Address, f.Address)
	}
	if f.HostGroupID != "" {
		gid, _ := localyun.ParseBastionID(f.HostGroupID)
		where = append(where, `EXISTS (SELECT 1 FROM bastion_host_group_members m
			WHERE m.instance_id = h.instance_id AND m.host_group_id = ? AND m.host_id = h.id)`)
		args = append(args, gid)
	}
	p := bhPage{from: "bastion_hosts h", order: "h.id", cols: sqlstore.BastionHostColumns, offset: f.Offset, limit: f.Limit}
	scan := sqlstore.ScanBastionHost
	if f.Brief {
		p.cols, scan = sqlstore.BastionHostBriefColumns, sqlstore.ScanBastionHostBrief
	}
	if f.Grantee != nil {
		t, grantee, err := bhGranteeOf(f.InstanceID, *f.Grantee)
		if err != nil {
			return nil, 0, err
		}
		p.mustExist = grantee
		if !f.Authorized {
			where = append(where, t.notGrantedHost)
			args = append(args, grantee.id)
		} else {
			// Driven by the grantee's grants (in primary-key order), so the
			// cost follows the grants, not the number of hosts.
			p.from, p.order = t.grantedHosts, "g.host_id"
			where[0] = "g.instance_id = ? AND g.grantee_id = ?"
			args = append([]any{f.InstanceID, grantee.id}, args[1:]...)
			if len(where) == 1 {
				// Only the grant condition: a grant names an existing host
				// (foreign key), so the grants alone give the total, and
				// the page's host ids.
				p.countFrom = t.hostGrants
				if f.Brief && f.Limit > 0 && f.Limit <= maxBriefPage {
					p.cond, p.args = where[0], args
					return st.briefHostPage(ctx, p)
				}
			}
		}
	}
	p.cond, p.args = strings.Join(where, " AND "), args
	var out []localyun.BastionHost
	total, err := p.run(ctx, cachedRead{st}, func(rows *sql.Rows) error {
		h, err := scan(rows)
		out = append(out, h)
		return err
	})
	return out, total, err
}

// bhHostKey identifies a cached host.
type bhHostKey struct {
	instanceID string
	id         int64
}

// bhBrief is what the host cache keeps of a host: its id, formatted, and
// the other brief columns. It is a pointer that the grant cache's lists
// share (bhGranted); the row it points to is never modified.
type bhBrief = *bhBriefRow

type bhBriefRow struct {
	id, name, comment, osType, activeAddressType, publicAddress, privateAddress string
}

func briefOf(h localyun.BastionHost) bhBrief {
	return &bhBriefRow{h.ID, h.Name, h.Comment, h.OSType, h.ActiveAddressType, h.PublicAddress, h.PrivateAddress}
}

func (b *bhBriefRow) host(instanceID string) localyun.BastionHost {
	return localyun.BastionHost{InstanceID: instanceID, ID: b.id, Name: b.name, Comment: b.comment,
		OSType: b.osType, ActiveAddressType: b.activeAddressType, PublicAddress: b.publicAddress, PrivateAddress: b.privateAddress}
}

// hostsOf returns the hosts of rows, of an instance, with their brief columns.
func hostsOf(instanceID string, rows []bhBrief) []localyun.BastionHost {
	out := make([]localyun.BastionHost, len(rows))
	for i, b := range rows {
		out[i] = b.host(instanceID)
	}
	return out
}

// maxBriefPage is the largest page the grant listing serves from the
// caches or briefHostPage (the API's largest PageSize).
const maxBriefPage = 100

// maxCachedHosts bounds the host cache: the default world's 100,000 hosts
// fit, at about 200 bytes each.
const maxCachedHosts = 200_000

// isGrantListing reports whether f is a page of the hosts a grantee holds
// with their brief columns and no other condition, the listing of
// ListHostsForUserGroup and ListHostsForUser: what grantedHostsPage serves.
func isGrantListing(f localyun.BastionHostFilter) bool {
	return f.Grantee != nil && f.Authorized && f.Brief && f.Limit > 0 && f.Limit <= maxBriefPage &&
		f.Name == "" && f.OSType == "" && f.Source == "" && f.SourceInstanceID == "" && f.SourceInstanceState == "" &&
		f.Address == "" && f.HostGroupID == ""
}

// bhGranteeKey identifies the cached host grants of a grantee.
type bhGranteeKey struct {
	instanceID, kind string
	id               int64
}

// maxCachedHostGrants is the most hosts the grant cache keeps for one
// grantee (2 KB of pointers); the pages of a grantee holding more are read
// with SQL (briefHostPage).
const maxCachedHostGrants = 256

// bhGranted is what the grant cache keeps of a grantee: the hosts it
// holds, in id order, with the brief rows the host cache had for them.
// Shared by every listing: never modified.
type bhGranted []bhBrief

// forgetHostGrants forgets the cached host list of g (and makes lists read
// before now unstorable); a write to g's grants calls it once it has ended.
func (st *Store) forgetHostGrants(instanceID string, g localyun.BastionGrantee) {
	n, _ := localyun.ParseBastionID(g.ID)
	st.hostGrants.forget(bhGranteeKey{instanceID, g.Kind, n})
}

// grantedHostsPage serves a grant listing (isGrantListing) from the hosts
// the grantee holds as the grant cache keeps them (grantedHosts): no
// statement and no other lookup once the list is cached. ok is false, with
// no error, when the grantee holds more hosts than the grant cache keeps.
func (st *Store) grantedHostsPage(ctx context.Context, f localyun.BastionHostFilter) (_ []localyun.BastionHost, total int, ok bool, _ error) {
	t, grantee, err := bhGranteeOf(f.InstanceID, *f.Grantee)
	if err != nil {
		return nil, 0, true, err
	}
	list, ok, err := st.grantedHosts(ctx, t, grantee, f.Grantee.Kind)
	if err != nil || !ok {
		return nil, 0, ok, err
	}
	total = len(list)
	lo := min(max(f.Offset, 0), total)
	hi := min(lo+f.Limit, total)
	if lo == hi {
		return nil, total, true, nil
	}
	return hostsOf(f.InstanceID, list[lo:hi]), total, true, nil
}

// grantedHosts returns the hosts grantee g holds, in id order: from the
// grant cache, or else read (t.hostIDs, then the hosts through the host
// cache) and kept there. ok is false when g holds more than
// maxCachedHostGrants. Returns ErrNotFound when g does not exist.
//
// The cache follows every write that changes what a grantee holds or what
// its list shows: the grant batches forget their grantee's list
// (ApplyBastionHostGrants); the deletions and membership batches whose
// cascades reach grants (sqlstore.BastionConfig.GrantsChanged) and every
// change to a host (HostChanged: a list holds the host's brief row) forget
// every list; all of them once their transaction has ended. A list read
// before such a write is not kept (rowCache's generation check: the
// generation is taken before both reads).
func (st *Store) grantedHosts(ctx context.Context, t bhGrantee, g *bhObject, kind string) (_ bhGranted, ok bool, _ error) {
	key := bhGranteeKey{g.instanceID, kind, g.id}
	list, gen, ok := st.hostGrants.get(key)
	if ok {
		return list, true, nil
	}
	rows, err := st.readQuery(ctx, t.hostIDs, g.instanceID, g.id, maxCachedHostGrants+1)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	var ids []int64
	var id int64
	for rows.Next() {
		if err := rows.Scan(&id); err != nil {
			return nil, false, err
		}
		ids = append(ids, id)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, false, err
	}
	if len(ids) > maxCachedHostGrants {
		return nil, false, nil
	}
	if len(ids) == 0 {
		// A grant names an existing grantee (foreign key): only a grantee
		// without grants needs its existence checked.
		var n int
		if err := st.readRow(ctx, g.exists, g.instanceID, g.id).Scan(&n); err != nil {
			return nil, false, err
		}
		if n == 0 {
			return nil, false, sqlstore.BastionNotFound(g.what, g.name)
		}
	}
	if list, err = st.briefRows(ctx, g.instanceID, ids); err != nil {
		return nil, false, err
	}
	st.hostGrants.put(key, list, gen)
	return list, true, nil
}

// briefHostPage returns the page p of the hosts granted to a grantee (no
// other condition) with their brief columns, from the host cache where it
// has them: the SQL path of a grantee whose grants the grant cache does not
// keep. One statement gives the page's host ids and the total; a grant
// names an existing grantee (foreign key), so only an empty page needs p's
// count statement, to tell an unknown grantee from no grants.
func (st *Store) briefHostPage(ctx context.Context, p bhPage) ([]localyun.BastionHost, int, error) {
	instanceID := p.args[0].(string)
	limit := p.limit
	if limit <= 0 {
		limit = -1
	}
	// The count is not correlated: SQLite runs it once per execution.
	rows, err := st.readQuery(ctx, `SELECT g.host_id, (SELECT COUNT(*) FROM `+p.countFrom+` WHERE `+p.cond+`)
		FROM `+p.countFrom+` WHERE `+p.cond+` ORDER BY g.host_id LIMIT ?+0 OFFSET ?`,
		append(append(append([]any{}, p.args...), p.args...), limit, p.offset)...)
	if err != nil {
		return nil, 0, err
	}
	var ids []int64
	var total int
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id, &total); err != nil {
			rows.Close()
			return nil, 0, err
		}
		ids = append(ids, id)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, 0, err
	}
	if len(ids) == 0 {
		total, err := p.count(ctx, cachedRead{st})
		return nil, total, err
	}
	list, err := st.briefRows(ctx, instanceID, ids)
	if err != nil {
		return nil, 0, err
	}
	return hostsOf(instanceID, list), total, nil
}

// briefRows returns the brief rows of the hosts ids of an instance, in
// their order, from the host cache where it has them (it keeps those it
// reads there); a host deleted since ids were read is left out.
func (st *Store) briefRows(ctx context.Context, instanceID string, ids []int64) ([]bhBrief, error) {
	keys, list, cached := make([]bhHostKey, len(ids)), make([]bhBrief, len(ids)), make([]bool, len(ids))
	for i, id := range ids {
		keys[i] = bhHostKey{instanceID, id}
	}
	gen := st.hosts.getAll(keys, list, cached) // before the read below, as put requires
	var missing []int64
	for i, id := range ids {
		if !cached[i] {
			missing = append(missing, id)
		}
	}
	if missing == nil {
		return list, nil
	}
	// One statement whatever the number of ids (a JSON array): a lookup by
	// primary key per id.
	rows, err := st.readQuery(ctx, `SELECT `+sqlstore.BastionHostBriefColumns+`
		FROM json_each(?2) j CROSS JOIN bastion_hosts h ON h.instance_id = ?1 AND h.id = j.value`, instanceID, jsonIDs(missing))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	found := make(map[int64]bhBrief, len(missing))
	for rows.Next() {
		h, err := sqlstore.ScanBastionHostBrief(rows)
		if err != nil {
			return nil, err
		}
		n, _ := localyun.ParseBastionID(h.ID)
		found[n] = briefOf(h)
		st.hosts.put(bhHostKey{instanceID, n}, found[n], gen)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := list[:0]
	for i, id := range ids {
		b := list[i]
		if !cached[i] {
			if b = found[id]; b == nil {
				continue
			}
		}
		out = append(out, b)
	}
	return out, nil
}

func hostAccountWhere(f localyun.BastionHostAccountFilter) (string, []any) {
	where := []string{"a.instance_id = ?"}
	args := []any{f.InstanceID}
	if f.HostIDs != nil {
		var ids []any
		for _, n := range sqlstore.BastionIDs(f.HostIDs) {
			ids = append(ids, n)
		}
		if len(ids) == 0 {
			where = append(where, "0")
		} else {
			where = append(where, "a.host_id IN ("+placeholders(len(ids))+")")
			args = append(args, ids...)
		}
	}
	if f.Name != "" {
		where = append(where, "a.name = ?")
		args = append(args, f.Name)
	}
	if f.ProtocolName != "" {
		where = append(where, "a.protocol_name = ?")
		args = append(args, f.ProtocolName)
	}
	return strings.Join(where, " AND "), args
}

// FindBastionHostAccounts lists accounts in id order and the total.
func (st *Store) FindBastionHostAccounts(ctx context.Context, f localyun.BastionHostAccountFilter) ([]localyun.BastionHostAccount, int, error) {
	cond, args := hostAccountWhere(f)
	var out []localyun.BastionHostAccount
	total, err := bastionPage(ctx, cachedRead{st}, "bastion_host_accounts a", cond, args, sqlstore.BastionHostAccountColumns, "a.id",
		f.Offset, f.Limit, func(rows *sql.Rows) error {
			a, err := sqlstore.ScanBastionHostAccount(rows)
			out = append(out, a)
			return err
		})
	return out, total, err
}
