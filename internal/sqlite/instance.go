package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"
	"unique"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/sqlstore"
)

// CreateInstances creates all instances or none. Returns ErrAlreadyExists.
func (st *Store) CreateInstances(ctx context.Context, insts []localyun.Instance) error {
	return st.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error { return insertInstances(ctx, tx, insts) })
}

// insertInstances inserts insts in tx: CreateInstances and
// CreateInstancesWithClientToken.
func insertInstances(ctx context.Context, tx *sql.Tx, insts []localyun.Instance) error {
	return sqlstore.InsertInstances(ctx, tx, `INSERT INTO instances (id, account_id, region_id, zone_id, name,
			description, status, network_type, vpc_id, vswitch_id, private_ip, image_id, instance_type,
			ram_role_name, created_at, host_name, charge_type, expires_at, security_group_ids, tags, http_endpoint,
			http_tokens, hop_limit) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, insts)
}

// FindInstances lists instances matching f in creation order, and the total
// number of matches (ignoring Offset/Limit/AfterSeq).
func (st *Store) FindInstances(ctx context.Context, f localyun.InstanceFilter) ([]localyun.Instance, int, error) {
	if f.IDs != nil && len(f.IDs) == 0 {
		return nil, 0, nil
	}
	if f.IDs != nil {
		// At most one row per id: one read serves the total and the page,
		// cut here exactly as COUNT(*) and LIMIT/OFFSET would.
		all, err := st.findListedInstances(ctx, f)
		if err != nil {
			return nil, 0, err
		}
		total := len(all)
		if f.AfterSeq > 0 {
			kept := all[:0]
			for _, in := range all {
				if in.Seq > f.AfterSeq {
					kept = append(kept, in)
				}
			}
			all = kept
		}
		return pageSlice(all, f.Offset, f.Limit), total, nil
	}
	cond, args := instanceCond(f)
	var total int
	if err := st.readRow(ctx, `SELECT COUNT(*) FROM instances WHERE `+cond, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	if f.AfterSeq > 0 {
		cond += " AND seq > ?"
		args = append(args, f.AfterSeq)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = -1
	}
	args = append(args, limit, f.Offset)
	// "?+0": a bare "LIMIT ?" lets SQLite read the bound value while
	// planning, which marks the statement for re-preparation on every new
	// binding and defeats the statement cache; the value is the same.
	out, err := sqlstore.ScanInstances(st.readQuery(ctx, `SELECT `+sqlstore.InstanceColumns+` FROM instances WHERE `+cond+
		` ORDER BY seq LIMIT ?+0 OFFSET ?`, args...))
	return out, total, err
}

// FindInstanceByID returns the instance id, of any account, from the
// cache when it holds the row (see below). Returns ErrNotFound.
func (st *Store) FindInstanceByID(ctx context.Context, id string) (localyun.Instance, error) {
	in, gen, ok := st.instances.get(id)
	if ok {
		return in, nil
	}
	in, err := sqlstore.One(st.readRow(ctx, `SELECT `+sqlstore.InstanceColumns+` FROM instances WHERE id = ?`, id),
		func(r sqlstore.Scanner) (localyun.Instance, error) { return sqlstore.ScanInstance(r) },
		fmt.Errorf("instance %s: %w", id, localyun.ErrNotFound))
	if err == nil && !st.instances.full() {
		st.instances.put(id, shareStrings(in), gen)
	}
	return in, err
}

// Instances are cached by id (see rowCache; ids are unique in the table):
// the role actions read their instances by id on every request, and
// DescribeInstanceRamRole does nothing else. Every write of instances
// forgets, or changes (update), the cached rows of the ids it names once its
// transaction has ended; creating rows needs nothing (no absent row is
// cached). maxCachedInstances bounds the rows kept (about 300 bytes each,
// see shareStrings: 15 MB).
const maxCachedInstances = 50_000

// findListedInstances is FindInstances of f.IDs, without paging: the rows
// matching f, in creation order. When every id is cached and f filters on
// nothing but the account and the region, the cache answers (a cached
// row of another account or region is the one row of its id, so it does
// not match); otherwise one query does, and the rows it reads are cached.
func (st *Store) findListedInstances(ctx context.Context, f localyun.InstanceFilter) ([]localyun.Instance, error) {
	rows := make([]localyun.Instance, len(f.IDs))
	found := make([]bool, len(f.IDs))
	gen := st.instances.getAll(f.IDs, rows, found)
	if placeOnly(f) && !slices.Contains(found, false) {
		return matchCached(rows, f.AccountID, f.RegionID), nil
	}
	cond, args := instanceCond(f)
	all, err := sqlstore.ScanInstances(st.readQuery(ctx, `SELECT `+sqlstore.InstanceColumns+` FROM instances WHERE `+cond+
		` ORDER BY seq`, args...))
	if err != nil {
		return nil, err
	}
	if !st.instances.full() {
		for _, in := range all {
			st.instances.put(in.ID, shareStrings(in), gen)
		}
	}
	return all, nil
}

// placeOnly reports whether f selects by nothing but the account, the
// region and the ids (and pages), which the cache can answer.
func placeOnly(f localyun.InstanceFilter) bool {
	f.AccountID, f.RegionID, f.IDs, f.AfterSeq, f.Offset, f.Limit = "", "", nil, 0, 0, 0
	return reflect.ValueOf(f).IsZero()
}

// shareStrings returns in with the columns many instances hold alike in
// one canonical copy each (unique.Make), which makes a cached row about
// half the size.
func shareStrings(in localyun.Instance) localyun.Instance {
	for _, s := range []*string{&in.AccountID, &in.RegionID, &in.ZoneID, &in.Status, &in.NetworkType, &in.VpcID,
		&in.VSwitchID, &in.ImageID, &in.InstanceType, &in.RAMRoleName, &in.ChargeType, &in.Metadata.HTTPEndpoint,
		&in.Metadata.HTTPTokens} {
		*s = unique.Make(*s).Value()
	}
	return in
}

// matchCached keeps, of the cached rows of a list of ids, those of the
// account (and region, unless ""), each once, in creation order.
func matchCached(rows []localyun.Instance, accountID, regionID string) []localyun.Instance {
	kept := rows[:0]
	for _, in := range rows {
		if in.AccountID == accountID && (regionID == "" || in.RegionID == regionID) {
			kept = append(kept, in)
		}
	}
	bySeq := func(a, b localyun.Instance) int { return cmp.Compare(a.Seq, b.Seq) }
	if !slices.IsSortedFunc(kept, bySeq) { // ids are usually listed in creation order
		slices.SortFunc(kept, bySeq)
	}
	// A repeated id is the same row: neighbours once sorted.
	return slices.CompactFunc(kept, func(a, b localyun.Instance) bool { return a.Seq == b.Seq })
}

// instanceCond is the WHERE condition of FindInstances for f (ignoring
// paging) and its arguments.
func instanceCond(f localyun.InstanceFilter) (string, []any) {
	where := []string{"account_id = ?"}
	args := []any{f.AccountID}
	if f.RegionID != "" {
		where = append(where, "region_id = ?")
		args = append(args, f.RegionID)
	}
	if f.IDs != nil {
		// Only the unique id index is selective here: "+" keeps the planner
		// off the (account, region, ...) indexes, which it picks for long
		// id lists and which scan the whole region.
		for i := range where {
			where[i] = "+" + where[i]
		}
		where = append(where, "id IN ("+placeholders(len(f.IDs))+")")
		args = append(args, anys(f.IDs)...)
	}
	if f.NetworkType != "" {
		where = append(where, "network_type = ?")
		args = append(args, f.NetworkType)
	}
	if f.Status != "" {
		where = append(where, "status = ?")
		args = append(args, f.Status)
	}
	if f.NamePattern != "" {
		where = append(where, "name GLOB ?")
		args = append(args, globPattern(f.NamePattern))
	}
	if f.RAMRoleName != "" {
		where = append(where, "ram_role_name = ?")
		args = append(args, f.RAMRoleName)
	} else if f.HasRAMRole {
		where = append(where, "ram_role_name <> ''")
	}
	where, args = modelCond(f, where, args)
	return strings.Join(where, " AND "), args
}

// modelCond adds to where and args the conditions of the DescribeInstances
// filters of f.
func modelCond(f localyun.InstanceFilter, where []string, args []any) ([]string, []any) {
	for _, c := range []struct{ column, value string }{{"zone_id", f.ZoneID}, {"vpc_id", f.VpcID},
		{"vswitch_id", f.VSwitchID}, {"instance_type", f.InstanceType}, {"image_id", f.ImageID},
		{"charge_type", f.ChargeType}, {"http_endpoint", f.HTTPEndpoint}, {"http_tokens", f.HTTPTokens}} {
		if c.value != "" {
			where = append(where, c.column+" = ?")
			args = append(args, c.value)
		}
	}
	if f.TypeFamily != "" {
		// The family is the type up to its last period: "ecs.g7" of "ecs.g7.large".
		where = append(where, "substr(instance_type, 1, length(?) + 1) = ? || '.' AND instr(substr(instance_type, length(?) + 2), '.') = 0")
		args = append(args, f.TypeFamily, f.TypeFamily, f.TypeFamily)
	}
	if f.PrivateIPs != nil {
		where = append(where, "private_ip IN ("+placeholders(len(f.PrivateIPs))+")")
		args = append(args, anys(f.PrivateIPs)...)
	}
	if f.SecurityGroupID != "" {
		where = append(where, "EXISTS (SELECT 1 FROM json_each(security_group_ids) WHERE value = ?)")
		args = append(args, f.SecurityGroupID)
	}
	for _, t := range f.Tags {
		if t.AnyValue {
			where = append(where, "EXISTS (SELECT 1 FROM json_each(tags) WHERE value ->> 'Key' = ?)")
			args = append(args, t.Key)
		} else {
			where = append(where, "EXISTS (SELECT 1 FROM json_each(tags) WHERE value ->> 'Key' = ? AND value ->> 'Value' = ?)")
			args = append(args, t.Key, t.Value)
		}
	}
	if f.Tagged {
		where = append(where, "tags <> '[]'")
	}
	if f.HopLimit != 0 {
		where = append(where, "hop_limit = ?")
		args = append(args, f.HopLimit)
	}
	for _, c := range []struct {
		cond string
		at   time.Time
	}{{"created_at >= ?", f.CreatedFrom}, {"created_at <= ?", f.CreatedTo}, {"expires_at >= ?", f.ExpiresFrom},
		{"expires_at <= ?", f.ExpiresTo}} {
		if !c.at.IsZero() {
			where = append(where, c.cond)
			args = append(args, c.at.UnixMilli())
		}
	}
	return where, args
}

// pageSlice cuts s as LIMIT limit OFFSET offset would (limit <= 0: no
// limit; a negative offset counts as 0); nil when nothing is left.
func pageSlice[T any](s []T, offset, limit int) []T {
	if offset > 0 {
		if offset >= len(s) {
			return nil
		}
		s = s[offset:]
	}
	if limit > 0 && limit < len(s) {
		s = s[:limit]
	}
	if len(s) == 0 {
		return nil
	}
	return s
}

// globPattern turns an ECS name pattern (only * is special) into a GLOB.
func globPattern(p string) string {
	var b strings.Builder
	for _, c := range p {
		switch c {
		case '?':
			b.WriteString("[?]")
		case '[':
			b.WriteString("[[]")
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}

// setRoleSQL is the compare-and-set of SetInstancesRAMRole for one group of
// changes: the ids are a JSON array. The role compares exactly (the column
// is NOCASE); "+" keeps the planner on the unique id index (see
// FindInstances). OR FAIL: the only constraint the statement could break
// is the column's NOT NULL, and any error rolls back the whole transaction
// anyway (withTx), so SQLite need not keep a statement journal to undo the
// statement alone; with the default ABORT it writes one, which for 100
// rows (table and index pages) outgrows memory and goes to a temporary
// file on every call.
const setRoleSQL = `UPDATE OR FAIL instances SET ram_role_name = ? WHERE +account_id = ? AND +region_id = ?
	AND id IN (SELECT value FROM json_each(?)) AND +ram_role_name = ? COLLATE BINARY`

// setOneRoleSQL is setRoleSQL for a group of one instance (every
// one-instance request), without the JSON.
const setOneRoleSQL = `UPDATE OR FAIL instances SET ram_role_name = ? WHERE +account_id = ? AND +region_id = ?
	AND id = ? AND +ram_role_name = ? COLLATE BINARY`

// SetInstancesRAMRole sets the roles of instances as a compare-and-set: one
// UPDATE per (From, To) pair, each of which must change every one of its
// instances. Returns *MissingIDsError (ErrNotFound) or ErrConflict, and then
// writes nothing. The cached rows of the instances take their new roles.
func (st *Store) SetInstancesRAMRole(ctx context.Context, accountID, regionID string, changes []localyun.InstanceRoleChange) error {
	if len(changes) == 0 {
		return nil
	}
	ids := sqlstore.ChangedIDs(changes)
	var gen uint64
	err := st.withPreparedTx(ctx, []string{setRoleSQL, setOneRoleSQL}, func(ctx context.Context, tx *preparedTx) error {
		gen = st.instances.generation()
		for _, g := range sqlstore.GroupRoleChanges(changes) {
			query, arg := setOneRoleSQL, g.IDs[0] // the id, or the JSON of the ids
			if len(g.IDs) > 1 {
				var err error
				if arg, err = jsonStrings(g.IDs); err != nil {
					return err
				}
				query = setRoleSQL
			}
			res, err := tx.ExecContext(ctx, query, g.To, accountID, regionID, arg, g.From)
			if err != nil {
				return err
			}
			if changed, err := res.RowsAffected(); err != nil || changed != int64(len(g.IDs)) {
				return whyUnchanged(ctx, tx.tx, accountID, regionID, ids, err)
			}
		}
		return nil
	})
	if err != nil {
		st.instances.forgetAll(ids)
		return err
	}
	st.instances.update(gen, ids, func(i int, in localyun.Instance) (localyun.Instance, bool) {
		in.RAMRoleName = changes[i].To
		return in, true
	})
	return nil
}

// jsonStrings is ss as a JSON array, for json_each.
func jsonStrings(ss []string) (string, error) {
	b, err := json.Marshal(ss)
	return string(b), err
}

// whyUnchanged explains, inside the transaction of a compare-and-set on
// instances that changed fewer rows than it named, why (see
// sqlstore.Unchanged): it reads which of ids are there.
func whyUnchanged(ctx context.Context, tx *sql.Tx, accountID, regionID string, ids []string, err error) error {
	if err != nil {
		return err
	}
	list, err := jsonStrings(ids)
	if err != nil {
		return err
	}
	found, err := sqlstore.ScanIDs(tx.QueryContext(ctx, `SELECT id FROM instances WHERE +account_id = ? AND +region_id = ?
		AND id IN (SELECT value FROM json_each(?))`, accountID, regionID, list))
	return sqlstore.Unchanged(ids, found, err)
}

// SetInstanceStatus moves one instance from status from to to. Returns
// ErrNotFound or ErrConflict.
func (st *Store) SetInstanceStatus(ctx context.Context, accountID, regionID, id, from, to string) error {
	defer st.instances.forget(id)
	return st.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE instances SET status = ? WHERE account_id = ? AND region_id = ? AND id = ?
			AND status = ?`, to, accountID, regionID, id, from)
		if err != nil {
			return err
		}
		if changed, err := res.RowsAffected(); err != nil || changed != 1 {
			return whyUnchanged(ctx, tx, accountID, regionID, []string{id}, err)
		}
		return nil
	})
}

// DeleteInstances deletes the named instances in one transaction, only if
// they all exist (and, with status set, all have it). Returns
// *MissingIDsError (ErrNotFound) or ErrConflict.
func (st *Store) DeleteInstances(ctx context.Context, accountID, regionID string, ids []string, status string) error {
	defer st.instances.forgetAll(ids)
	defer func() { // their instance_sessions rows go with them
		keys := make([][2]string, len(ids))
		for i, id := range ids {
			keys[i] = [2]string{accountID, id}
		}
		st.instSessions.forgetAll(keys)
	}()
	return st.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		args := append([]any{accountID, regionID}, anys(ids)...)
		found, err := sqlstore.ScanIDs(tx.QueryContext(ctx, `SELECT id FROM instances WHERE +account_id = ? AND +region_id = ?
			AND id IN (`+placeholders(len(ids))+`)`, args...))
		if err != nil {
			return err
		}
		if err := sqlstore.MissingIDs(ids, found); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM instances WHERE +account_id = ? AND +region_id = ? AND id IN (`+
			placeholders(len(ids))+`) AND (? = '' OR status = ?)`, append(args, status, status)...)
		if err != nil {
			return err
		}
		if deleted, err := res.RowsAffected(); err != nil || deleted != int64(len(ids)) {
			return sqlstore.Unchanged(ids, found, err)
		}
		return nil
	})
}
