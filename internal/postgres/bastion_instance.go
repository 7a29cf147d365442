package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/localyun/localyun"
)

const bastionInstanceColumns = `id, account_id, region_id, status, description, plan_code, vpc_id, vswitch_id, created_at, expires_at`

func scanBastionInstance(row interface{ Scan(...any) error }) (localyun.BastionInstance, error) {
	var b localyun.BastionInstance
	var created, expires int64
	err := row.Scan(&b.ID, &b.AccountID, &b.RegionID, &b.Status, &b.Description, &b.PlanCode, &b.VpcID,
		&b.VSwitchID, &created, &expires)
	b.CreatedAt, b.ExpiresAt = fromMS(created), fromMS(expires)
	return b, err
}

// CreateBastionInstance returns ErrAlreadyExists if the id is taken.
func (st *Store) CreateBastionInstance(ctx context.Context, b localyun.BastionInstance) error {
	return st.withTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO bastion_instances (`+bastionInstanceColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, b.ID, b.AccountID, b.RegionID, b.Status, b.Description,
			b.PlanCode, b.VpcID, b.VSwitchID, ms(b.CreatedAt), ms(b.ExpiresAt))
		return err
	})
}

// FindBastionInstance returns ErrNotFound unless the instance exists in the account.
func (st *Store) FindBastionInstance(ctx context.Context, accountID, id string) (localyun.BastionInstance, error) {
	b, err := scanBastionInstance(st.db.QueryRowContext(ctx, `SELECT `+bastionInstanceColumns+`
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
	cond := strings.Join(where, " AND ")
	var total int
	if err := st.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM bastion_instances WHERE `+cond, a...).Scan(&total); err != nil {
		return nil, 0, formatError(err)
	}
	q := `SELECT ` + bastionInstanceColumns + ` FROM bastion_instances WHERE ` + cond + ` ORDER BY id`
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
	var out []localyun.BastionInstance
	for rows.Next() {
		b, err := scanBastionInstance(rows)
		if err != nil {
			return nil, 0, formatError(err)
		}
		out = append(out, b)
	}
	return out, total, formatError(rows.Err())
}
