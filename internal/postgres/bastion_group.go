package postgres

import (
	"context"
	"database/sql"
	"strings"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/sqlstore"
)

// FindBastionGroups lists groups in id order and the total; a grantee's
// host groups are joined from its grants.
func (st *Store) FindBastionGroups(ctx context.Context, f localyun.BastionGroupFilter) ([]localyun.BastionGroup, int, error) {
	k, err := bastionSQL.GroupListing(f)
	if err != nil {
		return nil, 0, err
	}
	var a args
	from := k.From
	var where []string
	if f.Grantee != nil {
		t, ga, err := st.bhFindGrantee(ctx, f.InstanceID, *f.Grantee)
		if err != nil {
			return nil, 0, err
		}
		a = ga
		if f.Authorized {
			from += t.grantedHostGroups
		} else {
			where = append(where, t.notGrantedHostGroup)
		}
	}
	where = append(where, "g.instance_id = "+a.add(f.InstanceID))
	if f.Name != "" {
		where = append(where, "g.name = "+a.add(f.Name))
	}
	var out []localyun.BastionGroup
	total, err := bhPage(ctx, st.db, from, "g", strings.Join(where, " AND "), a, k.Columns,
		f.Offset, f.Limit, func(rows *sql.Rows) error {
			g, err := sqlstore.ScanBastionGroup(rows, f.Kind)
			out = append(out, g)
			return err
		})
	return out, total, err
}

// findBHMembers runs g.Members, which locks the members among the ids $2
// (an array) in id order (sqlstore.BastionConfig.FindMembers).
func findBHMembers(ctx context.Context, tx *sql.Tx, g sqlstore.GroupSQL, instanceID string, ids []int64) (map[int64]bool, error) {
	if len(ids) == 0 {
		return map[int64]bool{}, nil
	}
	return sqlstore.FoundIDs(tx.QueryContext(ctx, g.Members, instanceID, ids))
}
