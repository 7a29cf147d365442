package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/sqlstore"
)

// UpdateInstance changes the attributes upd sets of one instance of an
// account. Returns ErrNotFound.
func (st *Store) UpdateInstance(ctx context.Context, accountID, id string, upd localyun.InstanceUpdate) error {
	defer st.instances.forget(id)
	args, err := sqlstore.InstanceUpdateArgs(upd, accountID, id)
	if err != nil {
		return err
	}
	return st.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE instances SET name = coalesce(?, name),
			description = coalesce(?, description), host_name = coalesce(?, host_name),
			http_endpoint = coalesce(?, http_endpoint), http_tokens = coalesce(?, http_tokens),
			hop_limit = coalesce(?, hop_limit), security_group_ids = coalesce(?, security_group_ids)
			WHERE account_id = ? AND id = ?`,
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

// retag rewrites the tags of the instances ids in one transaction: each
// gets change(its tags); ErrConflict when change refuses one.
func (st *Store) retag(ctx context.Context, accountID, regionID string, ids []string, change func([]localyun.Tag) ([]localyun.Tag, bool)) error {
	defer st.instances.forgetAll(ids)
	return st.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		list, err := jsonStrings(ids)
		if err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT id, tags FROM instances WHERE +account_id = ? AND +region_id = ?
			AND id IN (SELECT value FROM json_each(?))`, accountID, regionID, list)
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
			if _, err := tx.ExecContext(ctx, `UPDATE instances SET tags = ? WHERE id = ?`, col, id); err != nil {
				return err
			}
		}
		return nil
	})
}
