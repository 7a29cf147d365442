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

// nextBastionID takes the next id of a kind in an instance. It fails with
// ErrNotFound (a foreign key) when the instance does not exist.
func nextBastionID(ctx context.Context, tx *sql.Tx, instanceID, kind string) (int64, error) {
	var n int64
	err := tx.QueryRowContext(ctx, `INSERT INTO bastion_id_seqs (instance_id, kind, last_id) VALUES (?, ?, 1)
		ON CONFLICT (instance_id, kind) DO UPDATE SET last_id = last_id + 1 RETURNING last_id`, instanceID, kind).Scan(&n)
	return n, err
}

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

// bhExists runs count, a literal "SELECT COUNT(*) FROM ... WHERE ..." of
// one object, and reports whether it found it.
func bhExists(ctx context.Context, q pageQueryer, count string, args ...any) (bool, error) {
	var n int
	rows, err := q.QueryContext(ctx, count, args...)
	err = rowScanner{rows: rows, err: err}.Scan(&n)
	return n > 0, err
}

// bastionExistsSQL and bastionExists are bhExists for the object id of
// table (the grant code's form).
func bastionExistsSQL(table string) string {
	return `SELECT COUNT(*) FROM ` + table + ` WHERE instance_id = ? AND id = ?`
}

func bastionExists(ctx context.Context, q pageQueryer, table, instanceID string, id int64) (bool, error) {
	return bhExists(ctx, q, bastionExistsSQL(table), instanceID, id)
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
		return 0, bhNotFound(p.mustExist.what, p.mustExist.name)
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
	n, ok := parseBastionID(g.ID)
	if !ok {
		return t, nil, bhNotFound(t.what, g.ID)
	}
	return t, &bhObject{exists: t.exists, what: t.what, instanceID: instanceID, id: n, name: g.ID}, nil
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
		WHERE h.instance_id = ? AND h.id = ?`, instanceID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return h, bhNotFound("host", id)
	}
	return h, err
}

// CreateBastionHost assigns the next host id and returns the host.
func (st *Store) CreateBastionHost(ctx context.Context, h localyun.BastionHost) (localyun.BastionHost, error) {
	err := st.withTx(ctx, func(tx *sql.Tx) error {
		id, err := nextBastionID(ctx, tx, h.InstanceID, "host")
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO bastion_hosts (instance_id, id, created_at, name, comment, os_type,
			source, source_instance_id, source_instance_state, instance_region_id, instance_member_id, active_address_type,
			public_address, private_address, network_domain_id, pref_kex)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			append([]any{h.InstanceID, id, ms(h.CreatedAt)}, sqlstore.BastionHostValues(h)...)...); err != nil {
			return err
		}
		h, err = findBHHost(ctx, tx, h.InstanceID, id)
		return err
	})
	return h, err
}

// FindBastionHost returns ErrNotFound if there is no such host.
func (st *Store) FindBastionHost(ctx context.Context, instanceID, id string) (localyun.BastionHost, error) {
	n, ok := parseBastionID(id)
	if !ok {
		return localyun.BastionHost{}, bhNotFound("host", id)
	}
	return findBHHost(ctx, st.read, instanceID, n)
}

// FindBastionHosts lists hosts in id order and the total of matches.
func (st *Store) FindBastionHosts(ctx context.Context, f localyun.BastionHostFilter) ([]localyun.BastionHost, int, error) {
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
		gid, _ := parseBastionID(f.HostGroupID)
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

// bhBrief is what the host cache keeps of a host: the brief columns.
type bhBrief struct {
	name, comment, osType, activeAddressType, publicAddress, privateAddress string
}

func briefOf(h localyun.BastionHost) bhBrief {
	return bhBrief{h.Name, h.Comment, h.OSType, h.ActiveAddressType, h.PublicAddress, h.PrivateAddress}
}

func (b bhBrief) host(k bhHostKey) localyun.BastionHost {
	return localyun.BastionHost{InstanceID: k.instanceID, ID: formatBastionID(k.id), Name: b.name, Comment: b.comment,
		OSType: b.osType, ActiveAddressType: b.activeAddressType, PublicAddress: b.publicAddress, PrivateAddress: b.privateAddress}
}

// maxBriefPage is the largest page briefHostPage serves (the API's largest
// PageSize): it reads the page's missing hosts with one "IN (...)" list.
const maxBriefPage = 100

// maxCachedHosts bounds the host cache: the default world's 100,000 hosts
// fit, at about 200 bytes each.
const maxCachedHosts = 200_000

// briefHostPage returns the page p of the hosts granted to a grantee (no
// other condition) with their brief columns, from the host cache where it
// has them. One statement gives the page's host ids and the total; a grant
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
	return st.briefHosts(ctx, instanceID, ids, total)
}

// briefHosts returns the hosts ids of an instance with their brief
// columns, from the host cache where it has them; total goes through.
func (st *Store) briefHosts(ctx context.Context, instanceID string, ids []int64, total int) ([]localyun.BastionHost, int, error) {
	keys := make([]bhHostKey, len(ids))
	for i, id := range ids {
		keys[i] = bhHostKey{instanceID, id}
	}
	briefs, cached := make([]bhBrief, len(ids)), make([]bool, len(ids))
	gen := st.hosts.getAll(keys, briefs, cached) // before the read below, as put requires
	out := make([]localyun.BastionHost, len(ids))
	var missing []any
	for i, id := range ids {
		if cached[i] {
			out[i] = briefs[i].host(keys[i])
		} else {
			missing = append(missing, id)
		}
	}
	if missing == nil {
		return out, total, nil
	}
	rows, err := st.readQuery(ctx, `SELECT `+sqlstore.BastionHostBriefColumns+` FROM bastion_hosts h
		WHERE h.instance_id = ? AND h.id IN (`+placeholders(len(missing))+`)`, append([]any{instanceID}, missing...)...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	found := make(map[string]localyun.BastionHost, len(missing))
	for rows.Next() {
		h, err := sqlstore.ScanBastionHostBrief(rows)
		if err != nil {
			return nil, 0, err
		}
		found[h.ID] = h
		n, _ := parseBastionID(h.ID)
		st.hosts.put(bhHostKey{instanceID, n}, briefOf(h), gen)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	// A host deleted since the page was read (its grants went with it) is
	// left out.
	page := out[:0]
	for i, id := range ids {
		h := out[i]
		if !cached[i] {
			var ok bool
			if h, ok = found[formatBastionID(id)]; !ok {
				continue
			}
		}
		page = append(page, h)
	}
	return page, total, nil
}

// UpdateBastionHost writes to over the host from if it is unchanged.
func (st *Store) UpdateBastionHost(ctx context.Context, from, to localyun.BastionHost) error {
	n, ok := parseBastionID(from.ID)
	if !ok {
		return bhNotFound("host", from.ID)
	}
	defer st.hosts.forget(bhHostKey{from.InstanceID, n})
	return st.withTx(ctx, func(tx *sql.Tx) error {
		changed, err := bhRowsChanged(tx.ExecContext(ctx, `UPDATE bastion_hosts SET name = ?, comment = ?, os_type = ?,
			source = ?, source_instance_id = ?, source_instance_state = ?, instance_region_id = ?, instance_member_id = ?,
			active_address_type = ?, public_address = ?, private_address = ?, network_domain_id = ?, pref_kex = ?
			WHERE instance_id = ? AND id = ? AND name = ? AND comment = ? AND os_type = ?
			AND source = ? AND source_instance_id = ? AND source_instance_state = ? AND instance_region_id = ? AND instance_member_id = ?
			AND active_address_type = ? AND public_address = ? AND private_address = ? AND network_domain_id = ? AND pref_kex = ?`,
			sqlstore.CASArgs(sqlstore.BastionHostValues(to), from.InstanceID, n, sqlstore.BastionHostValues(from))...))
		return sqlstore.Swapped(changed, err, func() (bool, error) {
			return bhExists(ctx, tx, `SELECT COUNT(*) FROM bastion_hosts WHERE instance_id = ? AND id = ?`, from.InstanceID, n)
		}, "host", from.ID)
	})
}

// DeleteBastionHost deletes a host with its accounts, memberships and grants.
func (st *Store) DeleteBastionHost(ctx context.Context, instanceID, id string) error {
	if n, ok := parseBastionID(id); ok {
		defer st.hosts.forget(bhHostKey{instanceID, n})
	}
	return st.deleteBastionObject(ctx, `DELETE FROM bastion_hosts WHERE instance_id = ? AND id = ?`, "host", instanceID, id)
}

func findBHHostAccount(ctx context.Context, q queryer, instanceID string, id int64) (localyun.BastionHostAccount, error) {
	a, err := scanBHHostAccount(q.QueryRowContext(ctx, `SELECT `+bhHostAccountColumns+` FROM bastion_host_accounts a
		WHERE a.instance_id = ? AND a.id = ?`, instanceID, id))
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
	err := st.withTx(ctx, func(tx *sql.Tx) error {
		if _, err := findBHHost(ctx, tx, a.InstanceID, host); err != nil {
			return err
		}
		id, err := nextBastionID(ctx, tx, a.InstanceID, "host_account")
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO bastion_host_accounts (instance_id, id, host_id, created_at, name,
			protocol_name, privilege_type, rotation_mode, host_share_key_id, private_key_fingerprint)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			append([]any{a.InstanceID, id, host, ms(a.CreatedAt)}, sqlstore.BastionHostAccountValues(a)...)...); err != nil {
			return err
		}
		if err := st.writeHostAccountSecret(ctx, tx, a.InstanceID, id, sqlstore.SetSecret(s)); err != nil {
			return err
		}
		a, err = findBHHostAccount(ctx, tx, a.InstanceID, id)
		return err
	})
	return a, err
}

// FindBastionHostAccount returns ErrNotFound.
func (st *Store) FindBastionHostAccount(ctx context.Context, instanceID, id string) (localyun.BastionHostAccount, error) {
	n, ok := parseBastionID(id)
	if !ok {
		return localyun.BastionHostAccount{}, bhNotFound("host account", id)
	}
	return findBHHostAccount(ctx, st.read, instanceID, n)
}

func hostAccountWhere(f localyun.BastionHostAccountFilter) (string, []any) {
	where := []string{"a.instance_id = ?"}
	args := []any{f.InstanceID}
	if f.HostIDs != nil {
		var ids []any
		for _, s := range f.HostIDs {
			if n, ok := parseBastionID(s); ok {
				ids = append(ids, n)
			}
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
	total, err := bastionPage(ctx, cachedRead{st}, "bastion_host_accounts a", cond, args, bhHostAccountColumns, "a.id",
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
		changed, err := bhRowsChanged(tx.ExecContext(ctx, `UPDATE bastion_host_accounts SET name = ?, protocol_name = ?,
			privilege_type = ?, rotation_mode = ?, host_share_key_id = ?, private_key_fingerprint = ?
			WHERE instance_id = ? AND id = ? AND name = ? AND protocol_name = ?
			AND privilege_type = ? AND rotation_mode = ? AND host_share_key_id = ? AND private_key_fingerprint = ?`,
			sqlstore.CASArgs(sqlstore.BastionHostAccountValues(to), from.InstanceID, n, sqlstore.BastionHostAccountValues(from))...))
		if err := sqlstore.Swapped(changed, err, func() (bool, error) {
			return bhExists(ctx, tx, `SELECT COUNT(*) FROM bastion_host_accounts WHERE instance_id = ? AND id = ?`, from.InstanceID, n)
		}, "host account", from.ID); err != nil {
			return err
		}
		return st.writeHostAccountSecret(ctx, tx, from.InstanceID, n, s)
	})
}

// DeleteBastionHostAccount deletes an account and its grants.
func (st *Store) DeleteBastionHostAccount(ctx context.Context, instanceID, id string) error {
	return st.deleteBastionObject(ctx, `DELETE FROM bastion_host_accounts WHERE instance_id = ? AND id = ?`, "host account", instanceID, id)
}
