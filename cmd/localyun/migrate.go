package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"

	"github.com/localyun/localyun/internal/migrate"
	"github.com/localyun/localyun/internal/postgres"
	"github.com/localyun/localyun/internal/sqlite"
)

// migrateCommand is `localyun migrate --from sqlite:PATH --to postgres://...`:
// it copies all state of an embedded store into an empty PostgreSQL
// database, in one transaction.
func migrateCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	from := fs.String("from", "", "source store: sqlite:PATH")
	to := fs.String("to", "", "destination store: postgres://... (an empty database)")
	if err := parseFlags(fs, args, "localyun migrate --from sqlite:PATH --to postgres://..."); err != nil {
		return err
	}
	if !strings.HasPrefix(*from, "sqlite:") || !isPostgres(*to) {
		return fmt.Errorf("migrate: want --from sqlite:PATH --to postgres://URL")
	}
	path := strings.TrimPrefix(*from, "sqlite:")
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	// Bring the source schema up to date first, then read it read-only. The
	// open store holds the file's lock until the copy is over, so no server
	// can start on it meanwhile.
	src, err := sqlite.Open(ctx, path)
	if err != nil {
		return fmt.Errorf("open %s: %w", *from, err)
	}
	defer src.Close()
	dst, err := postgres.Open(ctx, *to) // creates and migrates the schema
	if err != nil {
		return fmt.Errorf("open %s: %w", redact(*to), err)
	}
	dst.Close()
	sdb, err := sql.Open("sqlite", "file:"+path+"?_pragma=query_only(1)&_pragma=busy_timeout(10000)")
	if err != nil {
		return err
	}
	defer sdb.Close()
	pdb, err := sql.Open("pgx", *to)
	if err != nil {
		return err
	}
	defer pdb.Close()
	res, err := migrate.Copy(ctx, sdb, pdb)
	if err != nil {
		return fmt.Errorf("migrate: %w (nothing was written)", err)
	}
	total := 0
	for _, t := range res.Tables {
		fmt.Fprintf(stdout, "  %-32s %d rows\n", t, res.Rows[t])
		total += res.Rows[t]
	}
	fmt.Fprintf(stdout, "migrated %d rows from %s to %s\n", total, *from, redact(*to))
	return nil
}
