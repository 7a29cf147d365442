package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

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
			http_tokens, hop_limit) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
			$18, $19, $20, $21, $22, $23)`, insts)
}

// FindInstanceByID returns the instance id, of any account. Returns
// ErrNotFound.
func (st *Store) FindInstanceByID(ctx context.Context, id string) (localyun.Instance, error) {
	in, err := sqlstore.One(st.db.QueryRowContext(ctx, `SELECT `+sqlstore.InstanceColumns+` FROM instances WHERE id = $1`, id),
		func(r sqlstore.Scanner) (localyun.Instance, error) { return sqlstore.ScanInstance(r) },
		fmt.Errorf("instance %s: %w", id, localyun.ErrNotFound))
	return in, formatError(err)
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
	where = modelCond(f, where, &a)
	cond := strings.Join(where, " AND ")
	var total int
	if err := st.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM instances WHERE `+cond, a...).Scan(&total); err != nil {
		return nil, 0, formatError(err)
	}
	if f.AfterSeq > 0 {
		cond += " AND seq > " + a.add(f.AfterSeq)
	}
	q := `SELECT ` + sqlstore.InstanceColumns + ` FROM instances WHERE ` + cond + ` ORDER BY seq`
	if f.Limit > 0 {
		q += " LIMIT " + a.add(f.Limit)
	}
	if f.Offset > 0 {
		q += " OFFSET " + a.add(f.Offset)
	}
	out, err := sqlstore.ScanInstances(st.db.QueryContext(ctx, q, a...))
	return out, total, formatError(err)
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

// lockInstances locks the rows of the instances ids of an account and
// region in id order (so that overlapping batches cannot deadlock) and
// returns the set of ids found; *MissingIDsError unless it holds them all.
func lockInstances(ctx context.Context, tx *sql.Tx, accountID, regionID string, ids []string) (map[string]bool, error) {
	found, err := sqlstore.ScanIDs(tx.QueryContext(ctx, `SELECT id FROM instances WHERE account_id = $1 AND region_id = $2
		AND id = ANY($3) ORDER BY id FOR UPDATE`, accountID, regionID, ids))
	if err != nil {
		return nil, err
	}
	return found, sqlstore.MissingIDs(ids, found)
}

// SetInstancesRAMRole sets the roles of instances as a compare-and-set: one
// UPDATE per (From, To) pair, each of which must change every one of its
// instances. Under READ COMMITTED, an UPDATE that waited for another
// transaction's change of a row checks the row again as that change left
// it, so a compare-and-set that lost a race changes fewer rows. No SELECT
// locks the rows first: each UPDATE locks its rows in the order of the
// index it scans, the same for every batch, and a deadlock between batches
// of several groups is retried (withTx). Returns *MissingIDsError
// (ErrNotFound) or ErrConflict, and then writes nothing.
func (st *Store) SetInstancesRAMRole(ctx context.Context, accountID, regionID string, changes []localyun.InstanceRoleChange) error {
	if len(changes) == 0 {
		return nil
	}
	return st.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		for _, g := range sqlstore.GroupRoleChanges(changes) {
			res, err := tx.ExecContext(ctx, `UPDATE instances SET ram_role_name = $1 WHERE account_id = $2 AND region_id = $3
				AND id = ANY($4) AND ram_role_name = $5`, g.To, accountID, regionID, g.IDs, g.From)
			if err != nil {
				return err
			}
			if changed, err := res.RowsAffected(); err != nil || changed != int64(len(g.IDs)) {
				return whyUnchanged(ctx, tx, accountID, regionID, sqlstore.ChangedIDs(changes), err)
			}
		}
		return nil
	})
}

// whyUnchanged explains, inside the transaction of a compare-and-set on
// instances that changed fewer rows than it named, why (see
// sqlstore.Unchanged): it reads which of ids are there.
func whyUnchanged(ctx context.Context, tx *sql.Tx, accountID, regionID string, ids []string, err error) error {
	if err != nil {
		return err
	}
	found, err := sqlstore.ScanIDs(tx.QueryContext(ctx, `SELECT id FROM instances WHERE account_id = $1 AND region_id = $2
		AND id = ANY($3)`, accountID, regionID, ids))
	return sqlstore.Unchanged(ids, found, err)
}

// SetInstanceStatus moves one instance from status from to to. Returns
// ErrNotFound or ErrConflict.
func (st *Store) SetInstanceStatus(ctx context.Context, accountID, regionID, id, from, to string) error {
	return st.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE instances SET status = $1 WHERE account_id = $2 AND region_id = $3 AND id = $4
			AND status = $5`, to, accountID, regionID, id, from)
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
// they all exist (and, with status set, all have it); it locks their rows
// first. Returns *MissingIDsError (ErrNotFound) or ErrConflict.
func (st *Store) DeleteInstances(ctx context.Context, accountID, regionID string, ids []string, status string) error {
	return st.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		found, err := lockInstances(ctx, tx, accountID, regionID, ids)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM instances WHERE account_id = $1 AND region_id = $2 AND id = ANY($3)
			AND ($4 = '' OR status = $4)`, accountID, regionID, ids, status)
		if err != nil {
			return err
		}
		if deleted, err := res.RowsAffected(); err != nil || deleted != int64(len(ids)) {
			return sqlstore.Unchanged(ids, found, err)
		}
		return nil
	})
}

// modelCond adds to where (and a) the conditions of the DescribeInstances
// filters of f.
func modelCond(f localyun.InstanceFilter, where []string, a *args) []string {
	for _, c := range []struct{ column, value string }{{"zone_id", f.ZoneID}, {"vpc_id", f.VpcID},
		{"vswitch_id", f.VSwitchID}, {"instance_type", f.InstanceType}, {"image_id", f.ImageID},
		{"charge_type", f.ChargeType}, {"http_endpoint", f.HTTPEndpoint}, {"http_tokens", f.HTTPTokens}} {
		if c.value != "" {
			where = append(where, c.column+" = "+a.add(c.value))
		}
	}
	if f.TypeFamily != "" {
		// The family is the type up to its last period: "ecs.g7" of "ecs.g7.large".
		p := a.add(f.TypeFamily)
		where = append(where, "left(instance_type, length("+p+") + 1) = "+p+" || '.' AND strpos(substr(instance_type, length("+p+") + 2), '.') = 0")
	}
	if f.PrivateIPs != nil {
		where = append(where, "private_ip = ANY("+a.add(f.PrivateIPs)+")")
	}
	if f.SecurityGroupID != "" {
		where = append(where, "security_group_ids::jsonb @> jsonb_build_array("+a.add(f.SecurityGroupID)+"::text)")
	}
	for _, t := range f.Tags {
		if t.AnyValue {
			where = append(where, "tags::jsonb @> jsonb_build_array(jsonb_build_object('Key', "+a.add(t.Key)+"::text))")
		} else {
			where = append(where, "tags::jsonb @> jsonb_build_array(jsonb_build_object('Key', "+a.add(t.Key)+"::text, 'Value', "+
				a.add(t.Value)+"::text))")
		}
	}
	if f.Tagged {
		where = append(where, "tags <> '[]'")
	}
	if f.HopLimit != 0 {
		where = append(where, "hop_limit = "+a.add(f.HopLimit))
	}
	for _, c := range []struct {
		cond string
		at   time.Time
	}{{"created_at >= ", f.CreatedFrom}, {"created_at <= ", f.CreatedTo}, {"expires_at >= ", f.ExpiresFrom},
		{"expires_at <= ", f.ExpiresTo}} {
		if !c.at.IsZero() {
			where = append(where, c.cond+a.add(c.at.UnixMilli()))
		}
	}
	return where
}

// UpdateInstance changes the attributes upd sets of one instance of an
// account. Returns ErrNotFound.
func (st *Store) UpdateInstance(ctx context.Context, accountID, id string, upd localyun.InstanceUpdate) error {
	args, err := sqlstore.InstanceUpdateArgs(upd, accountID, id)
	if err != nil {
		return err
	}
	return st.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE instances SET name = coalesce($1, name),
			description = coalesce($2, description), host_name = coalesce($3, host_name),
			http_endpoint = coalesce($4, http_endpoint), http_tokens = coalesce($5, http_tokens),
			hop_limit = coalesce($6::integer, hop_limit), security_group_ids = coalesce($7, security_group_ids)
			WHERE account_id = $8 AND id = $9`,
			args...)
		return sqlstore.Changed(res, err, fmt.Errorf("instance %q: %w", id, localyun.ErrNotFound))
	})
}

// TagInstances adds tags to the instances ids of one account and region,
// all or none. Returns *MissingIDsError (ErrNotFound) or ErrConflict (an
// instance would hold more than maxTags tags).
func (st *Store) TagInstances(ctx context.Context, accountID, regionID string, ids []string, tags []localyun.Tag, maxTags int) error {
	return st.retag(ctx, accountID, regionID, ids, func(have []localyun.Tag) ([]localyun.Tag, bool) {
		return sqlstore.MergeTags(have, tags, maxTags)
	})
}

// UntagInstances removes the tags keys (all of them when all) from the
// instances ids of one account and region, all or none. Returns
// *MissingIDsError (ErrNotFound).
func (st *Store) UntagInstances(ctx context.Context, accountID, regionID string, ids []string, keys []string, all bool) error {
	return st.retag(ctx, accountID, regionID, ids, func(have []localyun.Tag) ([]localyun.Tag, bool) {
		return sqlstore.RemoveTags(have, keys, all), true
	})
}

// retag rewrites the tags of the instances ids in one transaction, their
// rows locked in id order (as lockInstances): each gets change(its tags);
// ErrConflict when change refuses one.
func (st *Store) retag(ctx context.Context, accountID, regionID string, ids []string, change func([]localyun.Tag) ([]localyun.Tag, bool)) error {
	return st.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id, tags FROM instances WHERE account_id = $1 AND region_id = $2
			AND id = ANY($3) ORDER BY id FOR UPDATE`, accountID, regionID, ids)
		if err != nil {
			return err
		}
		have, err := sqlstore.ScanTagColumns(rows)
		if err != nil {
			return err
		}
		if err := sqlstore.MissingIDs(ids, sqlstore.KeySet(have)); err != nil {
			return err
		}
		for _, id := range ids {
			tags, ok := change(have[id])
			if !ok {
				return fmt.Errorf("instance %q: too many tags: %w", id, localyun.ErrConflict)
			}
			col, err := sqlstore.EncodeTags(tags)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE instances SET tags = $1 WHERE id = $2`, col, id); err != nil {
				return err
			}
		}
		return nil
	})
}
