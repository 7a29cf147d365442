package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/localyun/localyun/internal/migrate"
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

// resetCommand is `localyun reset [--account ID]`: offline, every resource
// of the account (of every account without --account) deleted, the
// accounts and their root AccessKeys kept (migrate.Reset).
func resetCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fset := flag.NewFlagSet("reset", flag.ContinueOnError)
	fset.SetOutput(stderr)
	var o offlineStore
	o.flags(fset)
	account := fset.String("account", "", "the account to reset; default: every account")
	if err := parseFlags(fset, args, "localyun reset [--account ID] [--data-dir D | --store sqlite:PATH|postgres://...]"); err != nil {
		return err
	}
	if fset.NArg() > 0 {
		return usageError("usage: localyun reset [--account ID] [--data-dir D | --store ...]")
	}
	o.fromEnv(fset, getenv)
	st, db, err := o.open(ctx, false)
	if err != nil {
		return fmt.Errorf("reset: %w", err)
	}
	defer st.Close()
	defer db.Close()
	if *account != "" {
		if _, err := st.FindAccountByID(ctx, *account); err != nil {
			return fmt.Errorf("reset: account %s: %w", *account, err)
		}
	}
	res, err := migrate.Reset(ctx, db, o.dialect(), *account)
	if err != nil {
		return fmt.Errorf("reset: %w (nothing was deleted)", err)
	}
	what := "every account"
	if *account != "" {
		what = "account " + *account
	}
	fmt.Fprintf(stdout, "reset %s: deleted %d rows; the accounts and their root AccessKeys are kept\n", what, total(res))
	return nil
}
