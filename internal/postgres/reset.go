package postgres

import (
	"context"
	"database/sql"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/sqlstore"
)

// newAccountReset gives ResetAccount PostgreSQL's catalog.
func newAccountReset() *sqlstore.AccountReset {
	return &sqlstore.AccountReset{
		AccountColumns: `SELECT c.table_name, c.data_type FROM information_schema.columns c
			JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
			WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' AND c.column_name = 'account_id'`,
		ForeignKeys: `SELECT c.conrelid::regclass::text, c.confrelid::regclass::text FROM pg_constraint c
			WHERE c.contype = 'f' AND c.connamespace = current_schema()::regnamespace`,
		Param: "$1", TextType: "text", ForUpdate: " FOR UPDATE",
	}
}

// ResetAccount deletes every resource of the account in one transaction
// (see localyun.AccountResetStore), READ COMMITTED like every write here,
// that first locks the account's row and rows (sqlstore.AccountReset's
// ForUpdate): a concurrent write commits before the reset's deletes read
// (and is deleted) or waits and then fails, its rows' parents gone; a
// deadlock between them is retried by withTx. With the NOTIFY of each bastion
// instance it deletes, so that every node's gateway re-checks its live
// sessions there once it commits. Returns ErrNotFound.
func (st *Store) ResetAccount(ctx context.Context, accountID string, opts localyun.ResetOptions) ([]localyun.ResetCount, error) {
	if opts.DryRun {
		tx, err := st.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true, Isolation: sql.LevelRepeatableRead})
		if err != nil {
			return nil, formatError(err)
		}
		defer tx.Rollback()
		counts, err := st.reset.Count(ctx, tx, accountID, opts)
		return counts, formatError(err)
	}
	var counts []localyun.ResetCount
	err := st.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		c, instances, err := st.reset.Run(ctx, tx, accountID, opts)
		if err != nil {
			return err
		}
		for _, id := range instances {
			if err := notifyAccess(ctx, tx, id); err != nil {
				return err
			}
		}
		counts = c
		return nil
	})
	if err != nil {
		return nil, err
	}
	return counts, nil
}
