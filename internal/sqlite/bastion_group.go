package sqlite

import (
	"context"
	"database/sql"
	"strings"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/sqlstore"
)

// FindBastionGroups lists groups in id order and the total.
func (st *Store) FindBastionGroups(ctx context.Context, f localyun.BastionGroupFilter) ([]localyun.BastionGroup, int, error) {
	k, err := bastionSQL.GroupListing(f)
	if err != nil {
		return nil, 0, err
	}
	p := bhPage{from: k.From, cols: k.Columns, order: "g.id", offset: f.Offset, limit: f.Limit}
	where := []string{"g.instance_id = ?"}
	p.args = []any{f.InstanceID}
	if f.Name != "" {
		where = append(where, "g.name = ?")
		p.args = append(p.args, f.Name)
	}
	if f.Grantee != nil {
		t, grantee, err := bhGranteeOf(f.InstanceID, *f.Grantee)
		if err != nil {
			return nil, 0, err
		}
		cond := t.grantedHostGroup
		if !f.Authorized {
			cond = t.notGrantedHostGroup
		}
		where = append(where, cond)
		p.args, p.mustExist = append(p.args, grantee.id), grantee
	}
	p.cond = strings.Join(where, " AND ")
	var out []localyun.BastionGroup
	total, err := p.run(ctx, cachedRead{st}, func(rows *sql.Rows) error {
		g, err := sqlstore.ScanBastionGroup(rows, f.Kind)
		out = append(out, g)
		return err
	})
	return out, total, err
}

// findBHMembers runs g.Members, "SELECT id ... IN", with the list of ids
// (sqlstore.BastionConfig.FindMembers).
func findBHMembers(ctx context.Context, tx *sql.Tx, g sqlstore.GroupSQL, instanceID string, ids []int64) (map[int64]bool, error) {
	if len(ids) == 0 {
		return map[int64]bool{}, nil
	}
	args := []any{instanceID}
	for _, n := range ids {
		args = append(args, n)
	}
	return sqlstore.FoundIDs(tx.QueryContext(ctx, g.Members+` (`+placeholders(len(ids))+`)`, args...))
}
