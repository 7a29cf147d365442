package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/localyun/localyun"
)

// Row locks of the Bastionhost store (READ COMMITTED; withTx retries
// deadlocks and serialization failures):
//
//   - the row a method reads, changes and writes back: FOR UPDATE;
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
// groups), then accounts.
const (
	bhLockRow       = " FOR UPDATE"
	bhLockSerialize = " FOR NO KEY UPDATE"
	bhLockKeep      = " FOR KEY SHARE"
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

func bhNotFound(what string, id any) error {
	return fmt.Errorf("bastion %s %v: %w", what, id, localyun.ErrNotFound)
}

// bhRowsChanged reports whether an Exec changed a row.
func bhRowsChanged(res sql.Result, err error) (bool, error) {
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

func bhOutcome(changed bool) string {
	if changed {
		return localyun.OutcomeChanged
	}
	return localyun.OutcomeUnchanged
}

// bastionExists reports whether table has the object, taking lock (one of
// the bhLock* clauses, or "" outside a transaction) on its row.
func bastionExists(ctx context.Context, q queryer, table, instanceID string, id int64, lock string) (bool, error) {
	var one int
	err := q.QueryRowContext(ctx, `SELECT 1 FROM `+table+` WHERE instance_id = $1 AND id = $2`+lock, instanceID, id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
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

const bhHostColumns = `h.instance_id, h.id, h.name, h.comment, h.os_type, h.source, h.source_instance_id,
	h.source_instance_state, h.instance_region_id, h.instance_member_id, h.active_address_type, h.public_address,
	h.private_address, h.network_domain_id, h.pref_kex, h.created_at,
	(SELECT COUNT(*) FROM bastion_host_accounts a WHERE a.instance_id = h.instance_id AND a.host_id = h.id)`

// bhHostBriefColumns are the columns of BastionHostFilter.Brief: no
// account count.
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

func scanBHHost(row interface{ Scan(...any) error }) (localyun.BastionHost, error) {
	var h localyun.BastionHost
	var id, created int64
	err := row.Scan(&h.InstanceID, &id, &h.Name, &h.Comment, &h.OSType, &h.Source, &h.SourceInstanceID,
		&h.SourceInstanceState, &h.InstanceRegionID, &h.InstanceMemberID, &h.ActiveAddressType, &h.PublicAddress,
		&h.PrivateAddress, &h.NetworkDomainID, &h.PrefKex, &created, &h.AccountCount)
	h.ID, h.CreatedAt = formatBastionID(id), fromMS(created)
	return h, err
}

func findBHHost(ctx context.Context, q queryer, instanceID string, id int64) (localyun.BastionHost, error) {
	h, err := scanBHHost(q.QueryRowContext(ctx, `SELECT `+bhHostColumns+` FROM bastion_hosts h
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
		if _, err := tx.ExecContext(ctx, `INSERT INTO bastion_hosts (instance_id, id, name, comment, os_type, source,
			source_instance_id, source_instance_state, instance_region_id, instance_member_id, active_address_type,
			public_address, private_address, network_domain_id, pref_kex, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`, h.InstanceID, id, h.Name,
			h.Comment, h.OSType, h.Source, h.SourceInstanceID, h.SourceInstanceState, h.InstanceRegionID,
			h.InstanceMemberID, h.ActiveAddressType, h.PublicAddress, h.PrivateAddress, h.NetworkDomainID, h.PrefKex,
			ms(h.CreatedAt)); err != nil {
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
	if f.Grantee != nil {
		gid, t, err := findGrantee(ctx, st.db, f.InstanceID, *f.Grantee, "")
		if err != nil {
			return nil, 0, formatError(err)
		}
		if f.Authorized {
			from += ` JOIN ` + t.hosts + ` g ON g.instance_id = h.instance_id AND g.host_id = h.id
				AND g.grantee_id = ` + a.add(gid)
		} else {
			where = append(where, `NOT EXISTS (SELECT 1 FROM `+t.hosts+` g
				WHERE g.instance_id = h.instance_id AND g.grantee_id = `+a.add(gid)+` AND g.host_id = h.id)`)
		}
	}
	cols, scan := bhHostColumns, scanBHHost
	if f.Brief {
		cols, scan = bhHostBriefColumns, scanBHHostBrief
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

// UpdateBastionHost applies fn to the host (its row locked) and writes it back.
func (st *Store) UpdateBastionHost(ctx context.Context, instanceID, id string, fn func(*localyun.BastionHost) error) (localyun.BastionHost, error) {
	var h localyun.BastionHost
	n, ok := parseBastionID(id)
	if !ok {
		return h, bhNotFound("host", id)
	}
	err := st.withTx(ctx, func(tx *sql.Tx) error {
		if ok, err := bastionExists(ctx, tx, "bastion_hosts", instanceID, n, bhLockRow); err != nil || !ok {
			if err == nil {
				err = bhNotFound("host", id)
			}
			return err
		}
		var err error
		if h, err = findBHHost(ctx, tx, instanceID, n); err != nil {
			return err
		}
		if err := fn(&h); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE bastion_hosts SET name = $1, comment = $2, os_type = $3, source = $4,
			source_instance_id = $5, source_instance_state = $6, instance_region_id = $7, instance_member_id = $8,
			active_address_type = $9, public_address = $10, private_address = $11, network_domain_id = $12,
			pref_kex = $13 WHERE instance_id = $14 AND id = $15`, h.Name, h.Comment, h.OSType, h.Source,
			h.SourceInstanceID, h.SourceInstanceState, h.InstanceRegionID, h.InstanceMemberID, h.ActiveAddressType,
			h.PublicAddress, h.PrivateAddress, h.NetworkDomainID, h.PrefKex, instanceID, n); err != nil {
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
		changed, err := bhRowsChanged(tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE instance_id = $1 AND id = $2`, instanceID, n))
		if err == nil && !changed {
			return bhNotFound(what, id)
		}
		return err
	})
}

// DeleteBastionHost deletes a host with its accounts, memberships and grants.
func (st *Store) DeleteBastionHost(ctx context.Context, instanceID, id string) error {
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
		if ok, err := bastionExists(ctx, tx, "bastion_hosts", a.InstanceID, host, bhLockKeep); err != nil || !ok {
			if err == nil {
				err = bhNotFound("host", host)
			}
			return err
		}
		id, err := nextBastionID(ctx, tx, a.InstanceID, "host_account")
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO bastion_host_accounts (instance_id, id, host_id, name, protocol_name,
			privilege_type, rotation_mode, host_share_key_id, private_key_fingerprint, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, a.InstanceID, id, host, a.Name, a.ProtocolName, a.PrivilegeType,
			a.RotationMode, a.HostShareKeyID, a.PrivateKeyFingerprint, ms(a.CreatedAt)); err != nil {
			return err
		}
		if err := st.writeHostAccountSecret(ctx, tx, a.InstanceID, id, s); err != nil {
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

// UpdateBastionHostAccount applies fn to the account and its secret, the
// account's row locked.
func (st *Store) UpdateBastionHostAccount(ctx context.Context, instanceID, id string,
	fn func(*localyun.BastionHostAccount, *localyun.BastionSecret) error) (localyun.BastionHostAccount, error) {
	var a localyun.BastionHostAccount
	n, ok := parseBastionID(id)
	if !ok {
		return a, bhNotFound("host account", id)
	}
	err := st.withTx(ctx, func(tx *sql.Tx) error {
		s, err := st.readHostAccountSecret(ctx, tx, instanceID, n, bhLockRow)
		if err != nil {
			return err
		}
		if a, err = findBHHostAccount(ctx, tx, instanceID, n); err != nil {
			return err
		}
		if err := fn(&a, &s); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE bastion_host_accounts SET name = $1, protocol_name = $2,
			privilege_type = $3, rotation_mode = $4, host_share_key_id = $5, private_key_fingerprint = $6
			WHERE instance_id = $7 AND id = $8`, a.Name, a.ProtocolName, a.PrivilegeType, a.RotationMode,
			a.HostShareKeyID, a.PrivateKeyFingerprint, instanceID, n); err != nil {
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
