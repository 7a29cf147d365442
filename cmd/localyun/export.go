package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/migrate"
	"github.com/localyun/localyun/internal/postgres"
	"github.com/localyun/localyun/internal/sqlite"
)

// offlineStore is the store an offline command (export, import, reset)
// works on: --data-dir's SQLite file, --store sqlite:PATH or a
// postgres:// database, as serve names it, and the master key that seals
// its secrets.
type offlineStore struct {
	dataDir, store, keyFile string
}

func (o *offlineStore) flags(fs *flag.FlagSet) {
	fs.StringVar(&o.dataDir, "data-dir", ".localyun", "data directory of the SQLite store and its master.key (env LOCALYUN_DATA_DIR)")
	fs.StringVar(&o.store, "store", "", "store: sqlite:PATH or postgres://... (env LOCALYUN_STORE); default <data-dir>/localyun.db")
	fs.StringVar(&o.keyFile, "master-key-file", "", "the master key sealing the store's secrets (env LOCALYUN_MASTER_KEY_FILE); default <data-dir>/master.key")
}

// fromEnv fills what the flags left unset from LOCALYUN_* variables.
func (o *offlineStore) fromEnv(fs *flag.FlagSet, getenv func(string) string) {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for name, p := range map[string]*string{"data-dir": &o.dataDir, "store": &o.store, "master-key-file": &o.keyFile} {
		if v := getenv("LOCALYUN_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))); v != "" && !set[name] {
			*p = v
		}
	}
}

// dialect is the store's dialect.
func (o *offlineStore) dialect() migrate.Dialect {
	if isPostgres(o.store) {
		return migrate.Postgres
	}
	return migrate.SQLite
}

// masterKey reads the master key, which must exist: a new one would not
// open the secrets of any store.
func (o *offlineStore) masterKey() ([]byte, error) {
	path := o.keyFile
	if path == "" {
		if isPostgres(o.store) {
			return nil, errors.New("--store postgres://...: also pass --master-key-file (the one its nodes use)")
		}
		path = filepath.Join(o.dataDir, "master.key")
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no master key at %s: pass the --master-key-file that seals the store's secrets "+
			"(for an import, the exported store's: copy it into the data directory or name it)", path)
	}
	return LoadMasterKey(path)
}

// open opens the store (which migrates its schema and, for SQLite, holds
// its lock so that no server starts on it meanwhile) and a database handle
// on the same database for the copy. create allows a new SQLite file.
func (o *offlineStore) open(ctx context.Context, create bool) (localyun.Store, *sql.DB, error) {
	if o.dialect() == migrate.Postgres {
		st, err := postgres.Open(ctx, o.store)
		if err != nil {
			return nil, nil, fmt.Errorf("open %s: %w", redact(o.store), err)
		}
		db, err := sql.Open("pgx", o.store)
		if err != nil {
			st.Close()
			return nil, nil, err
		}
		return st, db, nil
	}
	path := strings.TrimPrefix(o.store, "sqlite:")
	if path == "" {
		path = filepath.Join(o.dataDir, "localyun.db")
	}
	if _, err := os.Stat(path); err != nil && !create {
		return nil, nil, err
	} else if err != nil {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, nil, err
		}
	}
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		return nil, nil, fmt.Errorf("open sqlite:%s: %w", path, err)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)")
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	db.SetMaxOpenConns(1)
	return st, db, nil
}

// exportCommand is `localyun export --out FILE`: the whole state of a
// store, secrets still sealed by its master key, to a file.
func exportCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fset := flag.NewFlagSet("export", flag.ContinueOnError)
	fset.SetOutput(stderr)
	var o offlineStore
	o.flags(fset)
	out := fset.String("out", "", "the file to write (- for standard output)")
	if err := parseFlags(fset, args, "localyun export --out FILE [--data-dir D | --store sqlite:PATH|postgres://...] [--master-key-file F]"); err != nil {
		return err
	}
	if *out == "" || fset.NArg() > 0 {
		return usageError("usage: localyun export --out FILE [--data-dir D | --store ...] [--master-key-file F]")
	}
	o.fromEnv(fset, getenv)
	key, err := o.masterKey()
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	st, db, err := o.open(ctx, false)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	defer st.Close()
	defer db.Close()
	w, info := io.Writer(stdout), stderr
	var f *os.File
	if *out != "-" {
		if f, err = os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600); err != nil {
			return fmt.Errorf("export: %w", err)
		}
		defer f.Close()
		w, info = f, stdout
	}
	res, err := migrate.Export(ctx, db, o.dialect(), migrate.KeyID(key), w)
	if err == nil && f != nil {
		err = f.Sync()
	}
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	fmt.Fprintf(info, "exported %d rows of %d tables to %s (secrets sealed: import with the same master key)\n",
		total(res), len(res.Tables), *out)
	return nil
}

// importCommand is `localyun import --in FILE [--replace]`: an export into
// a store, whole or not at all.
func importCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fset := flag.NewFlagSet("import", flag.ContinueOnError)
	fset.SetOutput(stderr)
	var o offlineStore
	o.flags(fset)
	in := fset.String("in", "", "the export to read (- for standard input)")
	replace := fset.Bool("replace", false, "replace the whole state of a store that is not empty")
	if err := parseFlags(fset, args, "localyun import --in FILE [--replace] [--data-dir D | --store sqlite:PATH|postgres://...] [--master-key-file F]"); err != nil {
		return err
	}
	if *in == "" || fset.NArg() > 0 {
		return usageError("usage: localyun import --in FILE [--replace] [--data-dir D | --store ...] [--master-key-file F]")
	}
	o.fromEnv(fset, getenv)
	key, err := o.masterKey()
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	r := io.Reader(os.Stdin)
	if *in != "-" {
		f, err := os.Open(*in)
		if err != nil {
			return fmt.Errorf("import: %w", err)
		}
		defer f.Close()
		r = f
	}
	st, db, err := o.open(ctx, true)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	defer st.Close()
	defer db.Close()
	res, err := migrate.Import(ctx, db, o.dialect(), migrate.KeyID(key), r, *replace)
	if err != nil {
		return fmt.Errorf("import: %w (nothing was written)", err)
	}
	fmt.Fprintf(stdout, "imported %d rows of %d tables from %s\n", total(res), len(res.Tables), *in)
	return nil
}

func total(res migrate.Result) int {
	n := 0
	for _, t := range res.Tables {
		n += res.Rows[t]
	}
	return n
}
