package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/localyun/localyun"
)

// parseBastionID parses a per-instance object id: a canonical positive
// decimal number. Anything else names no object.
func parseBastionID(s string) (int64, bool) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || strconv.FormatInt(n, 10) != s {
		return 0, false
	}
	return n, true
}

func formatBastionID(n int64) string { return strconv.FormatInt(n, 10) }

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
	table, what, instanceID string
	id                      int64
	name                    string // as the caller gave it, for the error
}

// count runs the count statement of p (and its mustExist check).
func (p bhPage) count(ctx context.Context, q pageQueryer) (int, error) {
	countFrom := p.countFrom
	if countFrom == "" {
		countFrom = p.from
	}
	count, args := `SELECT 1, COUNT(*) FROM `+countFrom+` WHERE `+p.cond, p.args
	if o := p.mustExist; o != nil {
		count = `SELECT (SELECT COUNT(*) FROM ` + o.table + ` WHERE instance_id = ? AND id = ?),
			(SELECT COUNT(*) FROM ` + countFrom + ` WHERE ` + p.cond + `)`
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

func bhNotFound(what string, id any) error {
	return fmt.Errorf("bastion %s %v: %w", what, id, localyun.ErrNotFound)
}

// rowsChanged reports whether an Exec changed a row.
func bhRowsChanged(res sql.Result, err error) (bool, error) {
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

const bhHostColumns = `h.instance_id, h.id, h.name, h.comment, h.os_type, h.source, h.source_instance_id,
	h.source_instance_state, h.instance_region_id, h.instance_member_id, h.active_address_type, h.public_address,
	h.private_address, h.network_domain_id, h.pref_kex, h.created_at,
	(SELECT COUNT(*) FROM bastion_host_accounts a WHERE a.instance_id = h.instance_id AND a.host_id = h.id)`

func scanBHHost(row interface{ Scan(...any) error }) (localyun.BastionHost, error) {
	var h localyun.BastionHost
	var id, created int64
	err := row.Scan(&h.InstanceID, &id, &h.Name, &h.Comment, &h.OSType, &h.Source, &h.SourceInstanceID,
		&h.SourceInstanceState, &h.InstanceRegionID, &h.InstanceMemberID, &h.ActiveAddressType, &h.PublicAddress,
		&h.PrivateAddress, &h.NetworkDomainID, &h.PrefKex, &created, &h.AccountCount)
	h.ID, h.CreatedAt = formatBastionID(id), fromMS(created)
	return h, err
}

// bhHostBriefColumns are the columns of BastionHostFilter.Brief.
const bhHostBriefColumns = `h.instance_id, h.id, h.name, h.comment, h.os_type, h.active_address_type, h.public_address,
	h.private_address`

func scanBHHostBrief(row interface{ Scan(...any) error }) (localyun.BastionHost, error) {
	var h localyun.BastionHost
	var id int64
	err := row.Scan(&h.InstanceID, &id, &h.Name, &h.Comment, &h.OSType, &h.ActiveAddressType, &h.PublicAddress,
		&h.PrivateAddress)
	h.ID = formatBastionID(id)
	return h, err
}

func findBHHost(ctx context.Context, q queryer, instanceID string, id int64) (localyun.BastionHost, error) {
	h, err := scanBHHost(q.QueryRowContext(ctx, `SELECT `+bhHostColumns+` FROM bastion_hosts h
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
		if _, err := tx.ExecContext(ctx, `INSERT INTO bastion_hosts (instance_id, id, name, comment, os_type, source,
			source_instance_id, source_instance_state, instance_region_id, instance_member_id, active_address_type,
			public_address, private_address, network_domain_id, pref_kex, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, h.InstanceID, id, h.Name, h.Comment, h.OSType, h.Source,
			h.SourceInstanceID, h.SourceInstanceState, h.InstanceRegionID, h.InstanceMemberID, h.ActiveAddressType,
			h.PublicAddress, h.PrivateAddress, h.NetworkDomainID, h.PrefKex, ms(h.CreatedAt)); err != nil {
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
	p := bhPage{from: "bastion_hosts h", order: "h.id", cols: bhHostColumns, offset: f.Offset, limit: f.Limit}
	scan := scanBHHost
	if f.Brief {
		p.cols, scan = bhHostBriefColumns, scanBHHostBrief
	}
	if f.Grantee != nil {
		gid, t, err := granteeRef(*f.Grantee)
		if err != nil {
			return nil, 0, err
		}
		p.mustExist = &bhObject{table: t.object, what: t.what, instanceID: f.InstanceID, id: gid, name: f.Grantee.ID}
		if f.Authorized {
			// Driven by the grantee's grants (in primary-key order), so the
			// cost follows the grants, not the number of hosts.
			p.from = t.hosts + ` g JOIN bastion_hosts h ON h.instance_id = g.instance_id AND h.id = g.host_id`
			p.order = "g.host_id"
			where[0] = "g.instance_id = ? AND g.grantee_id = ?"
			args = append([]any{f.InstanceID, gid}, args[1:]...)
			if len(where) == 1 {
				// Only the grant condition: a grant names an existing host
				// (foreign key), so the grants alone give the total, and
				// the page's host ids.
				p.countFrom = t.hosts + " g"
				if f.Brief && f.Limit > 0 && f.Limit <= maxBriefPage {
					p.cond, p.args = where[0], args
					return st.briefHostPage(ctx, p)
				}
			}
		} else {
			where = append(where, `NOT EXISTS (SELECT 1 FROM `+t.hosts+` g
			WHERE g.instance_id = h.instance_id AND g.grantee_id = ? AND g.host_id = h.id)`)
			args = append(args, gid)
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
	rows, err = st.readQuery(ctx, `SELECT `+bhHostBriefColumns+` FROM bastion_hosts h
		WHERE h.instance_id = ? AND h.id IN (`+placeholders(len(missing))+`)`, append([]any{instanceID}, missing...)...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	found := make(map[string]localyun.BastionHost, len(missing))
	for rows.Next() {
		h, err := scanBHHostBrief(rows)
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

// UpdateBastionHost applies fn to the host and writes it back.
func (st *Store) UpdateBastionHost(ctx context.Context, instanceID, id string, fn func(*localyun.BastionHost) error) (localyun.BastionHost, error) {
	var h localyun.BastionHost
	n, ok := parseBastionID(id)
	if !ok {
		return h, bhNotFound("host", id)
	}
	defer st.hosts.forget(bhHostKey{instanceID, n})
	err := st.withTx(ctx, func(tx *sql.Tx) error {
		var err error
		if h, err = findBHHost(ctx, tx, instanceID, n); err != nil {
			return err
		}
		if err := fn(&h); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE bastion_hosts SET name = ?, comment = ?, os_type = ?, source = ?,
			source_instance_id = ?, source_instance_state = ?, instance_region_id = ?, instance_member_id = ?,
			active_address_type = ?, public_address = ?, private_address = ?, network_domain_id = ?, pref_kex = ?
			WHERE instance_id = ? AND id = ?`, h.Name, h.Comment, h.OSType, h.Source, h.SourceInstanceID,
			h.SourceInstanceState, h.InstanceRegionID, h.InstanceMemberID, h.ActiveAddressType, h.PublicAddress,
			h.PrivateAddress, h.NetworkDomainID, h.PrefKex, instanceID, n); err != nil {
			return err
		}
		h, err = findBHHost(ctx, tx, instanceID, n)
		return err
	})
	return h, err
}

// deleteBastionObject deletes one row of an object table; foreign keys
// cascade to everything that names it.
func (st *Store) deleteBastionObject(ctx context.Context, table, what, instanceID, id string) error {
	n, ok := parseBastionID(id)
	if !ok {
		return bhNotFound(what, id)
	}
	return st.withTx(ctx, func(tx *sql.Tx) error {
		changed, err := bhRowsChanged(tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE instance_id = ? AND id = ?`, instanceID, n))
		if err == nil && !changed {
			return bhNotFound(what, id)
		}
		return err
	})
}

// DeleteBastionHost deletes a host with its accounts, memberships and grants.
func (st *Store) DeleteBastionHost(ctx context.Context, instanceID, id string) error {
	if n, ok := parseBastionID(id); ok {
		defer st.hosts.forget(bhHostKey{instanceID, n})
	}
	return st.deleteBastionObject(ctx, "bastion_hosts", "host", instanceID, id)
}

const bhHostAccountColumns = `a.instance_id, a.id, a.host_id, a.name, a.protocol_name, a.privilege_type, a.rotation_mode,
	a.host_share_key_id, a.private_key_fingerprint, a.created_at, ` + hostAccountHasPasswordSQL

func scanBHHostAccount(row interface{ Scan(...any) error }, extra ...any) (localyun.BastionHostAccount, error) {
	var a localyun.BastionHostAccount
	var id, host, created int64
	err := row.Scan(append([]any{&a.InstanceID, &id, &host, &a.Name, &a.ProtocolName, &a.PrivilegeType, &a.RotationMode,
		&a.HostShareKeyID, &a.PrivateKeyFingerprint, &created, &a.HasPassword}, extra...)...)
	a.ID, a.HostID, a.CreatedAt = formatBastionID(id), formatBastionID(host), fromMS(created)
	return a, err
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
		if _, err := tx.ExecContext(ctx, `INSERT INTO bastion_host_accounts (instance_id, id, host_id, name, protocol_name,
			privilege_type, rotation_mode, host_share_key_id, private_key_fingerprint, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, a.InstanceID, id, host, a.Name, a.ProtocolName, a.PrivilegeType,
			a.RotationMode, a.HostShareKeyID, a.PrivateKeyFingerprint, ms(a.CreatedAt)); err != nil {
			return err
		}
		if err := st.writeHostAccountSecret(ctx, tx, a.InstanceID, id, s); err != nil {
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

// UpdateBastionHostAccount applies fn to the account and its secret.
func (st *Store) UpdateBastionHostAccount(ctx context.Context, instanceID, id string,
	fn func(*localyun.BastionHostAccount, *localyun.BastionSecret) error) (localyun.BastionHostAccount, error) {
	var a localyun.BastionHostAccount
	n, ok := parseBastionID(id)
	if !ok {
		return a, bhNotFound("host account", id)
	}
	err := st.withTx(ctx, func(tx *sql.Tx) error {
		var err error
		if a, err = findBHHostAccount(ctx, tx, instanceID, n); err != nil {
			return err
		}
		s, err := st.readHostAccountSecret(ctx, tx, instanceID, n)
		if err != nil {
			return err
		}
		if err := fn(&a, &s); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE bastion_host_accounts SET name = ?, protocol_name = ?, privilege_type = ?,
			rotation_mode = ?, host_share_key_id = ?, private_key_fingerprint = ? WHERE instance_id = ? AND id = ?`,
			a.Name, a.ProtocolName, a.PrivilegeType, a.RotationMode, a.HostShareKeyID, a.PrivateKeyFingerprint,
			instanceID, n); err != nil {
			return err
		}
		if err := st.writeHostAccountSecret(ctx, tx, instanceID, n, s); err != nil {
			return err
		}
		a, err = findBHHostAccount(ctx, tx, instanceID, n)
		return err
	})
	return a, err
}

// DeleteBastionHostAccount deletes an account and its grants.
func (st *Store) DeleteBastionHostAccount(ctx context.Context, instanceID, id string) error {
	return st.deleteBastionObject(ctx, "bastion_host_accounts", "host account", instanceID, id)
}
