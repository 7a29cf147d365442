package sqlite

import (
	"context"
	"database/sql"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/sqlstore"
)

// newAccountReset gives ResetAccount SQLite's catalog.
func newAccountReset() *sqlstore.AccountReset {
	return &sqlstore.AccountReset{
		AccountColumns: `SELECT m.name, p.type FROM sqlite_master m, pragma_table_info(m.name) p
			WHERE m.type = 'table' AND p.name = 'account_id'`,
		ForeignKeys: `SELECT m.name, f."table" FROM sqlite_master m, pragma_foreign_key_list(m.name) f
			WHERE m.type = 'table'`,
		Param: "?", TextType: "TEXT",
	}
}

// ResetAccount deletes every resource of the account in one transaction
// (see localyun.AccountResetStore). Once it has ended it empties every row
// cache (a reset is rare: every account's rows are simply read again) and
// tells ListenAccessChanges of each bastion instance it deleted. Returns
// ErrNotFound.
func (st *Store) ResetAccount(ctx context.Context, accountID string, opts localyun.ResetOptions) ([]localyun.ResetCount, error) {
	if opts.DryRun {
		tx, err := st.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
		if err != nil {
			return nil, formatError(err)
		}
		defer tx.Rollback()
		counts, err := st.reset.Count(ctx, tx, accountID, opts)
		return counts, formatError(err)
	}
	var (
		counts    []localyun.ResetCount
		instances []string
	)
	err := st.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		counts, instances, err = st.reset.Run(ctx, tx, accountID, opts)
		return err
	})
	// Forgotten whatever the outcome, and before the listeners re-check.
	st.forgetCachedRows()
	if err != nil {
		return nil, err
	}
	for _, id := range instances {
		st.access.changed(id)
	}
	return counts, nil
}

// forgetCachedRows empties every row cache and makes every row read
// before now unstorable.
func (st *Store) forgetCachedRows() {
	st.keys.invalidate()
	st.bastions.invalidate()
	st.hosts.invalidate()
	st.hostGrants.invalidate()
	st.instances.invalidate()
	st.roles.invalidate()
	st.instSessions.invalidate()
}
