package sqlite

import (
	"context"
	"database/sql"
	"slices"
	"strings"

	"github.com/localyun/localyun"
)

const instanceColumns = `seq, id, account_id, region_id, zone_id, name, description, status, network_type,
	vpc_id, vswitch_id, private_ip, image_id, instance_type, ram_role_name, created_at`

func scanInstance(row interface{ Scan(...any) error }) (localyun.Instance, error) {
	var in localyun.Instance
	var created int64
	err := row.Scan(&in.Seq, &in.ID, &in.AccountID, &in.RegionID, &in.ZoneID, &in.Name, &in.Description,
		&in.Status, &in.NetworkType, &in.VpcID, &in.VSwitchID, &in.PrivateIP, &in.ImageID,
		&in.InstanceType, &in.RAMRoleName, &created)
	in.CreatedAt = fromMS(created)
	return in, err
}

// CreateInstances creates all instances or none. Returns ErrAlreadyExists.
func (st *Store) CreateInstances(ctx context.Context, insts []localyun.Instance) error {
	return st.withTx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO instances (id, account_id, region_id, zone_id, name,
			description, status, network_type, vpc_id, vswitch_id, private_ip, image_id, instance_type,
			ram_role_name, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, in := range insts {
			if _, err := stmt.ExecContext(ctx, in.ID, in.AccountID, in.RegionID, in.ZoneID, in.Name,
				in.Description, in.Status, in.NetworkType, in.VpcID, in.VSwitchID, in.PrivateIP, in.ImageID,
				in.InstanceType, in.RAMRoleName, ms(in.CreatedAt)); err != nil {
				return err
			}
		}
		return nil
	})
}

// FindInstances lists instances matching f in creation order, and the total
// number of matches (ignoring Offset/Limit/AfterSeq).
func (st *Store) FindInstances(ctx context.Context, f localyun.InstanceFilter) ([]localyun.Instance, int, error) {
	where := []string{"account_id = ?"}
	args := []any{f.AccountID}
	if f.RegionID != "" {
		where = append(where, "region_id = ?")
		args = append(args, f.RegionID)
	}
	if f.IDs != nil {
		if len(f.IDs) == 0 {
			return nil, 0, nil
		}
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
	cond := strings.Join(where, " AND ")
	if f.IDs != nil {
		// At most one row per id: one query serves the total and the page,
		// cut here exactly as COUNT(*) and LIMIT/OFFSET would.
		rows, err := st.readQuery(ctx, `SELECT `+instanceColumns+` FROM instances WHERE `+cond+` ORDER BY seq`, args...)
		if err != nil {
			return nil, 0, err
		}
		defer rows.Close()
		var all []localyun.Instance
		for rows.Next() {
			in, err := scanInstance(rows)
			if err != nil {
				return nil, 0, err
			}
			all = append(all, in)
		}
		if err := rows.Err(); err != nil {
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
	rows, err := st.readQuery(ctx, `SELECT `+instanceColumns+` FROM instances WHERE `+cond+
		` ORDER BY seq LIMIT ?+0 OFFSET ?`, args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []localyun.Instance
	for rows.Next() {
		in, err := scanInstance(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, in)
	}
	return out, total, rows.Err()
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

// lockInstancesSQL is the query of lockInstances for n ids.
func lockInstancesSQL(n int) string {
	return `SELECT ` + instanceColumns + ` FROM instances
		WHERE +account_id = ? AND +region_id = ? AND id IN (` + placeholders(n) + `)` // "+": see FindInstances
}

// lockInstances reads the named instances inside tx in the order of ids
// (prepare tx with lockInstancesSQL(len(ids))).
func lockInstances(ctx context.Context, tx *preparedTx, accountID, regionID string, ids []string) ([]localyun.Instance, error) {
	args := append([]any{accountID, regionID}, anys(ids)...)
	rows, err := tx.QueryContext(ctx, lockInstancesSQL(len(ids)), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	byID := make(map[string]localyun.Instance, len(ids))
	for rows.Next() {
		in, err := scanInstance(rows)
		if err != nil {
			return nil, err
		}
		byID[in.ID] = in
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]localyun.Instance, 0, len(ids))
	var missing []string
	for _, id := range ids {
		in, ok := byID[id]
		if !ok {
			missing = append(missing, id)
			continue
		}
		out = append(out, in)
	}
	if missing != nil {
		return nil, &localyun.MissingIDsError{IDs: missing}
	}
	return out, nil
}

const updateInstanceSQL = `UPDATE instances SET name = ?, description = ?, status = ?,
	ram_role_name = ? WHERE account_id = ? AND id = ?`

// setRoleSQL sets the role of n instances by seq (the rowid: no text key
// to descend, the rows were just read by lockInstances).
func setRoleSQL(n int) string {
	return `UPDATE instances SET ram_role_name = ? WHERE +account_id = ? AND seq IN (` + placeholders(n) + `)` // "+": see FindInstances
}

// onlyRoleChanged reports whether the changed instances are distinct locked
// ones that differ from their originals in their RAM role alone, and all get
// the same role.
func onlyRoleChanged(orig, changed []localyun.Instance) (string, bool) {
	if len(changed) > len(orig) {
		return "", false
	}
	byID := make(map[string]localyun.Instance, len(orig))
	for _, in := range orig {
		byID[in.ID] = in
	}
	role := changed[0].RAMRoleName
	for _, in := range changed {
		was, ok := byID[in.ID]
		if !ok || in.RAMRoleName != role {
			return "", false
		}
		delete(byID, in.ID) // a second copy of it is not "distinct"
		was.RAMRoleName = in.RAMRoleName
		if was != in {
			return "", false
		}
	}
	return role, true
}

// UpdateInstances runs fn over the named instances in one transaction and
// writes back what it returns. Returns *MissingIDsError (ErrNotFound).
func (st *Store) UpdateInstances(ctx context.Context, accountID, regionID string, ids []string,
	fn func([]localyun.Instance) ([]localyun.Instance, error)) error {
	prepared := []string{lockInstancesSQL(len(ids)), updateInstanceSQL, setRoleSQL(len(ids))}
	return st.withPreparedTx(ctx, prepared, func(tx *preparedTx) error {
		insts, err := lockInstances(ctx, tx, accountID, regionID, ids)
		if err != nil {
			return err
		}
		orig := slices.Clone(insts) // fn may change insts in place
		changed, err := fn(insts)
		if err != nil {
			return err
		}
		if len(changed) == 0 {
			return nil
		}
		if role, ok := onlyRoleChanged(orig, changed); ok {
			// Attach and Detach: one statement for the whole batch. The
			// list is padded to len(ids) with a repeated instance so that
			// the statement prepared above fits.
			args := []any{role, accountID}
			for i := range ids {
				args = append(args, changed[min(i, len(changed)-1)].Seq)
			}
			_, err := tx.ExecContext(ctx, setRoleSQL(len(ids)), args...)
			return err
		}
		for _, in := range changed {
			if _, err := tx.ExecContext(ctx, updateInstanceSQL, in.Name, in.Description, in.Status, in.RAMRoleName, accountID, in.ID); err != nil {
				return err
			}
		}
		return nil
	})
}

// DeleteInstances deletes the named instances in one transaction after fn
// approves them. Returns *MissingIDsError (ErrNotFound).
func (st *Store) DeleteInstances(ctx context.Context, accountID, regionID string, ids []string,
	fn func([]localyun.Instance) error) error {
	return st.withPreparedTx(ctx, []string{lockInstancesSQL(len(ids))}, func(tx *preparedTx) error {
		insts, err := lockInstances(ctx, tx, accountID, regionID, ids)
		if err != nil {
			return err
		}
		if fn != nil {
			if err := fn(insts); err != nil {
				return err
			}
		}
		args := append([]any{accountID, regionID}, anys(ids)...)
		_, err = tx.ExecContext(ctx, `DELETE FROM instances WHERE account_id = ? AND region_id = ? AND id IN (`+
			placeholders(len(ids))+`)`, args...)
		return err
	})
}
