package postgres

import (
	"context"
	"database/sql"
	"sort"
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
			ram_role_name, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`)
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
	var a args
	where := []string{"account_id = " + a.add(f.AccountID)}
	if f.RegionID != "" {
		where = append(where, "region_id = "+a.add(f.RegionID))
	}
	if f.IDs != nil {
		if len(f.IDs) == 0 {
			return nil, 0, nil
		}
		where = append(where, "id IN ("+a.in(f.IDs)+")")
	}
	if f.NetworkType != "" {
		where = append(where, "network_type = "+a.add(f.NetworkType))
	}
	if f.Status != "" {
		where = append(where, "status = "+a.add(f.Status))
	}
	if f.NamePattern != "" {
		where = append(where, "name LIKE "+a.add(likePattern(f.NamePattern))+` ESCAPE '\'`)
	}
	if f.RAMRoleName != "" {
		where = append(where, "lower(ram_role_name) = "+a.add(strings.ToLower(f.RAMRoleName)))
	} else if f.HasRAMRole {
		where = append(where, "ram_role_name <> ''")
	}
	cond := strings.Join(where, " AND ")
	var total int
	if err := st.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM instances WHERE `+cond, a...).Scan(&total); err != nil {
		return nil, 0, formatError(err)
	}
	if f.AfterSeq > 0 {
		cond += " AND seq > " + a.add(f.AfterSeq)
	}
	q := `SELECT ` + instanceColumns + ` FROM instances WHERE ` + cond + ` ORDER BY seq`
	if f.Limit > 0 {
		q += " LIMIT " + a.add(f.Limit)
	}
	if f.Offset > 0 {
		q += " OFFSET " + a.add(f.Offset)
	}
	rows, err := st.db.QueryContext(ctx, q, a...)
	if err != nil {
		return nil, 0, formatError(err)
	}
	defer rows.Close()
	var out []localyun.Instance
	for rows.Next() {
		in, err := scanInstance(rows)
		if err != nil {
			return nil, 0, formatError(err)
		}
		out = append(out, in)
	}
	return out, total, formatError(rows.Err())
}

// likePattern turns an ECS name pattern (only * is special) into a LIKE
// pattern with \ as the escape character.
func likePattern(p string) string {
	var b strings.Builder
	for _, c := range p {
		switch c {
		case '*':
			b.WriteByte('%')
		case '%', '_', '\\':
			b.WriteByte('\\')
			b.WriteRune(c)
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}

// lockInstances reads and row-locks the named instances inside tx, in id
// order (so that overlapping batches cannot deadlock), and returns them in
// the order of ids.
func lockInstances(ctx context.Context, tx *sql.Tx, accountID, regionID string, ids []string) ([]localyun.Instance, error) {
	sorted := append([]string(nil), ids...)
	sort.Strings(sorted)
	var a args
	q := `SELECT ` + instanceColumns + ` FROM instances WHERE account_id = ` + a.add(accountID) +
		` AND region_id = ` + a.add(regionID) + ` AND id IN (` + a.in(sorted) + `) ORDER BY id FOR UPDATE`
	rows, err := tx.QueryContext(ctx, q, a...)
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

// UpdateInstances runs fn over the named instances in one transaction with
// their rows locked, and writes back what it returns. Returns
// *MissingIDsError (ErrNotFound).
func (st *Store) UpdateInstances(ctx context.Context, accountID, regionID string, ids []string,
	fn func([]localyun.Instance) ([]localyun.Instance, error)) error {
	return st.withTx(ctx, func(tx *sql.Tx) error {
		insts, err := lockInstances(ctx, tx, accountID, regionID, ids)
		if err != nil {
			return err
		}
		changed, err := fn(insts)
		if err != nil || len(changed) == 0 {
			return err
		}
		stmt, err := tx.PrepareContext(ctx, `UPDATE instances SET name = $1, description = $2, status = $3,
			ram_role_name = $4 WHERE account_id = $5 AND id = $6`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, in := range changed {
			if _, err := stmt.ExecContext(ctx, in.Name, in.Description, in.Status, in.RAMRoleName, accountID, in.ID); err != nil {
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
	return st.withTx(ctx, func(tx *sql.Tx) error {
		insts, err := lockInstances(ctx, tx, accountID, regionID, ids)
		if err != nil {
			return err
		}
		if fn != nil {
			if err := fn(insts); err != nil {
				return err
			}
		}
		var a args
		_, err = tx.ExecContext(ctx, `DELETE FROM instances WHERE account_id = `+a.add(accountID)+
			` AND region_id = `+a.add(regionID)+` AND id IN (`+a.in(ids)+`)`, a...)
		return err
	})
}
