package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/sqlstore"
)

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
	ids := ""
	if f.IDs != nil {
		if len(f.IDs) == 0 {
			return nil, 0, nil
		}
		b, err := json.Marshal(f.IDs)
		if err != nil {
			return nil, 0, err
		}
		ids = string(b)
	}
	var out []localyun.BastionInstance
	total, err := bastionPage(ctx, cachedRead{st}, "bastion_instances", `account_id = ? AND (? = '' OR region_id = ?)
		AND (? = '' OR id IN (SELECT value FROM json_each(?))) AND (? = '' OR status = ?)`,
		[]any{f.AccountID, f.RegionID, f.RegionID, ids, ids, f.Status, f.Status},
		sqlstore.BastionInstanceColumns, "id", f.Offset, f.Limit, func(rows *sql.Rows) error {
			b, err := sqlstore.ScanBastionInstance(rows)
			out = append(out, b)
			return err
		})
	return out, total, err
}
