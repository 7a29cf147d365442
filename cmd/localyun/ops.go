package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/sshgw"
)

// sshStats returns the SSH gateway's counts for /metrics, nil when the
// gateway is off.
func (m *Main) sshStats() func() sshgw.Stats {
	if m.ssh == nil {
		return nil
	}
	return m.ssh.Stats
}

// opsCommand runs export, import and reset (args[0]).
func opsCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var err error
	switch args[0] {
	case "export":
		err = exportCommand(ctx, args[1:], getenv, stdout, stderr)
	case "import":
		err = importCommand(ctx, args[1:], getenv, stdout, stderr)
	default:
		err = resetCommand(ctx, args[1:], getenv, stdout, stderr)
	}
	if h, ok := errors.AsType[*helpRequest](err); ok {
		fmt.Fprint(stdout, h.text)
		return nil
	}
	return err
}

// resetCommand is `localyun reset [--account ID] [--clear-events]`:
// offline, the store's ResetAccount (the same as the Localyun ResetAccount
// action) for the account, or for every account one after the other.
func resetCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fset := flag.NewFlagSet("reset", flag.ContinueOnError)
	fset.SetOutput(stderr)
	var o offlineStore
	o.flags(fset)
	account := fset.String("account", "", "the account to reset; default: every account")
	clear := fset.Bool("clear-events", false, "delete the accounts' audit events too")
	const usage = "localyun reset [--account ID] [--clear-events] [--data-dir D | --store sqlite:PATH|postgres://...]"
	if err := parseFlags(fset, args, usage); err != nil {
		return err
	}
	if fset.NArg() > 0 {
		return usageError("usage: " + usage)
	}
	o.fromEnv(fset, getenv)
	st, db, err := o.open(ctx, false)
	if err != nil {
		return fmt.Errorf("reset: %w", err)
	}
	defer st.Close()
	defer db.Close()
	ids := []string{*account}
	if *account == "" {
		if ids, err = accountIDs(ctx, db); err != nil {
			return fmt.Errorf("reset: %w", err)
		}
	}
	rows := 0
	for _, id := range ids {
		counts, err := st.ResetAccount(ctx, id, localyun.ResetOptions{ClearEvents: *clear})
		if err != nil {
			return fmt.Errorf("reset: account %s: %w (%d rows of the accounts before it were deleted)", id, err, rows)
		}
		for _, c := range counts {
			rows += c.Rows
		}
	}
	what := "every account"
	if *account != "" {
		what = "account " + *account
	}
	fmt.Fprintf(stdout, "reset %s: deleted %d rows; the accounts and their root AccessKeys are kept\n", what, rows)
	return nil
}

// accountIDs lists the ids of the store's accounts.
func accountIDs(ctx context.Context, db *sql.DB) ([]string, error) {
	rows, err := db.QueryContext(ctx, `SELECT id FROM accounts ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}
