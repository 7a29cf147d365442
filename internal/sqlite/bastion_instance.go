package sqlite

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
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, b.ID, b.AccountID, b.RegionID, b.Status, b.Description,
			b.PlanCode, b.VpcID, b.VSwitchID, ms(b.CreatedAt), ms(b.ExpiresAt))
		return err
	})
}

// FindBastionInstance returns ErrNotFound unless the instance exists in the
// account. Every Bastionhost request reads its instance, so instances are
// cached (see rowCache). No store method changes or deletes an instance; one
// that does must forget it from st.bastions.
func (st *Store) FindBastionInstance(ctx context.Context, accountID, id string) (localyun.BastionInstance, error) {
	key := [2]string{accountID, id}
	b, gen, ok := st.bastions.get(key)
	if ok {
		return b, nil
	}
	b, err := sqlstore.ScanBastionInstance(st.readRow(ctx, `SELECT `+sqlstore.BastionInstanceColumns+`
		FROM bastion_instances WHERE account_id = ? AND id = ?`, accountID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return b, fmt.Errorf("bastion instance %s: %w", id, localyun.ErrNotFound)
	}
	if err == nil {
		st.bastions.put(key, b, gen)
	}
	return b, err
}

// FindBastionInstances lists the instances of an account matching f and the total.
func (st *Store) FindBastionInstances(ctx context.Context, f localyun.BastionInstanceFilter) ([]localyun.BastionInstance, int, error) {
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
		where = append(where, "id IN ("+placeholders(len(f.IDs))+")")
		args = append(args, anys(f.IDs)...)
	}
	if f.Status != "" {
		where = append(where, "status = ?")
		args = append(args, f.Status)
	}
	var out []localyun.BastionInstance
	total, err := bastionPage(ctx, cachedRead{st}, "bastion_instances", strings.Join(where, " AND "), args,
		sqlstore.BastionInstanceColumns, "id", f.Offset, f.Limit, func(rows *sql.Rows) error {
			b, err := sqlstore.ScanBastionInstance(rows)
			out = append(out, b)
			return err
		})
	return out, total, err
}
