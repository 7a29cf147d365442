package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/sqlstore"
)

// CreateBastionInstance returns ErrAlreadyExists if the id is taken.
func (st *Store) CreateBastionInstance(ctx context.Context, b localyun.BastionInstance) error {
	return st.withTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO bastion_instances (`+sqlstore.BastionInstanceColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, b.ID, b.AccountID, b.RegionID, b.Status, b.Description,
			b.PlanCode, b.VpcID, b.VSwitchID, ms(b.CreatedAt), ms(b.ExpiresAt))
		return err
	})
}

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
	if f.Status != "" {
		where = append(where, "status = "+a.add(f.Status))
	}
	var out []localyun.BastionInstance
	total, err := bhPage(ctx, st.db, "bastion_instances b", "b", strings.Join(where, " AND "), a,
		sqlstore.BastionInstanceColumns, f.Offset, f.Limit, func(rows *sql.Rows) error {
			b, err := sqlstore.ScanBastionInstance(rows)
			out = append(out, b)
			return err
		})
	return out, total, err
}
