package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/sqlstore"
)

// FindBastionInstance returns ErrNotFound unless the instance exists in the account.
func (st *Store) FindBastionInstance(ctx context.Context, accountID, id string) (localyun.BastionInstance, error) {
	b, err := sqlstore.ScanBastionInstance(st.db.QueryRowContext(ctx, `SELECT `+sqlstore.BastionInstanceColumns+`
		FROM bastion_instances WHERE account_id = $1 AND id = $2`, accountID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return b, fmt.Errorf("bastion instance %s: %w", id, localyun.ErrNotFound)
	}
	return b, formatError(err)
}

// FindBastionInstances lists the instances of an account matching f and the total.
func (st *Store) FindBastionInstances(ctx context.Context, f localyun.BastionInstanceFilter) ([]localyun.BastionInstance, int, error) {
	var ids any // NULL: every instance
	if f.IDs != nil {
		if len(f.IDs) == 0 {
			return nil, 0, nil
		}
		ids = f.IDs
	}
	var out []localyun.BastionInstance
	total, err := bhPage(ctx, st.db, "bastion_instances b", "b", `b.account_id = $1 AND ($2 = '' OR b.region_id = $2)
		AND ($3::text[] IS NULL OR b.id = ANY($3)) AND ($4 = '' OR b.status = $4)`, args{f.AccountID, f.RegionID, ids, f.Status},
		sqlstore.BastionInstanceColumns, f.Offset, f.Limit, func(rows *sql.Rows) error {
			b, err := sqlstore.ScanBastionInstance(rows)
			out = append(out, b)
			return err
		})
	return out, total, err
}
