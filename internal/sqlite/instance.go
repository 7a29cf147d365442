package sqlite

import (
	"context"
	"database/sql"
	"strings"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/sqlstore"
)

// CreateInstances creates all instances or none. Returns ErrAlreadyExists.
func (st *Store) CreateInstances(ctx context.Context, insts []localyun.Instance) error {
	return st.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return sqlstore.InsertInstances(ctx, tx, `INSERT INTO instances (id, account_id, region_id, zone_id, name,
			description, status, network_type, vpc_id, vswitch_id, private_ip, image_id, instance_type,
			ram_role_name, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, insts)
	})
}

// FindInstances lists instances matching f in creation order, and the total
// number of matches (ignoring Offset/Limit/AfterSeq).
func (st *Store) FindInstances(ctx context.Context, f localyun.InstanceFilter) ([]localyun.Instance, int, error) {
	if f.IDs != nil && len(f.IDs) == 0 {
		return nil, 0, nil
	}
	cond, args := instanceCond(f)
	if f.IDs != nil {
		// At most one row per id: one query serves the total and the page,
		// cut here exactly as COUNT(*) and LIMIT/OFFSET would.
		all, err := sqlstore.ScanInstances(st.readQuery(ctx, `SELECT `+sqlstore.InstanceColumns+` FROM instances WHERE `+cond+
			` ORDER BY seq`, args...))
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
	return strings.Join(where, " AND "), args
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

// setRolesSQL is the compare-and-set of SetInstancesRAMRole for an IN list
// of n ids. The role compares exactly (the column is NOCASE); "+" keeps the
// planner on the unique id index (see FindInstances).
func setRolesSQL(n int) string {
	return `UPDATE instances SET ram_role_name = ? WHERE +account_id = ? AND +region_id = ? AND id IN (` +
		placeholders(n) + `) AND +ram_role_name = ? COLLATE BINARY`
}

// SetInstancesRAMRole sets the roles of instances as a compare-and-set: one
// UPDATE per (From, To) pair, each of which must change every one of its
// instances. Returns *MissingIDsError (ErrNotFound) or ErrConflict, and then
// writes nothing.
func (st *Store) SetInstancesRAMRole(ctx context.Context, accountID, regionID string, changes []localyun.InstanceRoleChange) error {
	if len(changes) == 0 {
		return nil
	}
	// Every group's id list is padded to len(changes) with its own last id
	// (a repeated id matches its row once), so that one statement, prepared
	// once per batch size, serves every group.
	n := len(changes)
	query := setRolesSQL(n)
	return st.withPreparedTx(ctx, []string{query}, func(ctx context.Context, tx *preparedTx) error {
		for _, g := range sqlstore.GroupRoleChanges(changes) {
			args := []any{g.To, accountID, regionID}
			for i := range n {
				args = append(args, g.IDs[min(i, len(g.IDs)-1)])
			}
			args = append(args, g.From)
			res, err := tx.ExecContext(ctx, query, args...)
			if err != nil {
				return err
			}
			if changed, err := res.RowsAffected(); err != nil || changed != int64(len(g.IDs)) {
				return whyUnchanged(ctx, tx.tx, accountID, regionID, sqlstore.ChangedIDs(changes), err)
			}
		}
		return nil
	})
}

// whyUnchanged explains, inside the transaction of an UPDATE compare-and-set
// that changed fewer rows than it named, why (see sqlstore.Unchanged): it
// reads which of ids are there.
func whyUnchanged(ctx context.Context, tx *sql.Tx, accountID, regionID string, ids []string, err error) error {
	if err != nil {
		return err
	}
	found, err := sqlstore.ScanIDs(tx.QueryContext(ctx, `SELECT id FROM instances WHERE +account_id = ? AND +region_id = ?
		AND id IN (`+placeholders(len(ids))+`)`, append([]any{accountID, regionID}, anys(ids)...)...))
	return sqlstore.Unchanged(ids, found, err)
}

// SetInstanceStatus moves one instance from status from to to. Returns
// ErrNotFound or ErrConflict.
func (st *Store) SetInstanceStatus(ctx context.Context, accountID, regionID, id, from, to string) error {
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
