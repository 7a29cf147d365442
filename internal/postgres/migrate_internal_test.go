package postgres

import (
	"context"
	"io/fs"
	"slices"
	"sort"
	"testing"
	"testing/fstest"
	"time"

	"github.com/localyun/localyun/internal/pgtest"
)

// base0005 is the rate-limit migration as it was numbered before the
// numbering was put in step with SQLite.
const base0005 = `-- Token buckets of --rate-limit, shared by every node (PostgreSQL only:
-- an embedded SQLite store has one node, which keeps its buckets in memory).
CREATE TABLE rate_limits (
	key     TEXT PRIMARY KEY,
	tokens  DOUBLE PRECISION NOT NULL,
	at      BIGINT NOT NULL,
	allowed BOOLEAN NOT NULL
);
`

// baseMigrations is the set a database migrated by an older binary has
// applied: 0001 to 0003 (unchanged since) and 0005_rate_limits.
func baseMigrations(t *testing.T) fs.FS {
	t.Helper()
	set := fstest.MapFS{"migrations/0005_rate_limits.sql": &fstest.MapFile{Data: []byte(base0005)}}
	for _, name := range []string{"migrations/0001_core.sql", "migrations/0002_bastionhost.sql", "migrations/0003_iam.sql"} {
		buf, err := fs.ReadFile(migrations, name)
		if err != nil {
			t.Fatal(err)
		}
		set[name] = &fstest.MapFile{Data: buf}
	}
	return set
}

func appliedMigrations(t *testing.T, st *Store) []string {
	t.Helper()
	rows, err := st.db.Query(`SELECT name FROM migrations`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func mustOpen(t *testing.T, dsn string, set fs.FS) *Store {
	t.Helper()
	st, err := open(context.Background(), dsn, set)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestUpgradeFromBaseNumbering opens a database migrated by the old set
// (0005_rate_limits) with today's runner (0004_rate_limits): the bucket
// table and its rows are kept, and an older binary still starts on the
// upgraded database, and on one created by today's runner.
func TestUpgradeFromBaseNumbering(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	dsn := pgtest.NewDatabase(t)
	old := mustOpen(t, dsn, baseMigrations(t))
	for i := 0; i < 2; i++ {
		if ok, _, err := old.TakeToken(ctx, "k", now, 0.001, 2); err != nil || !ok {
			t.Fatalf("take %d on the old numbering: %v %v", i, ok, err)
		}
	}
	old.Close()

	st := mustOpen(t, dsn, migrations)
	// The bucket kept its state: its two tokens are spent.
	if ok, _, err := st.TakeToken(ctx, "k", now, 0.001, 2); err != nil || ok {
		t.Fatalf("take after the upgrade: %v %v, want a spent bucket", ok, err)
	}
	want, _ := fs.Glob(migrations, "migrations/*.sql")
	want = append(want, "migrations/0005_rate_limits.sql")
	sort.Strings(want)
	if got := appliedMigrations(t, st); !slices.Equal(got, want) {
		t.Fatalf("applied %q, want %q", got, want)
	}
	st.Close()
	mustOpen(t, dsn, baseMigrations(t)).Close()

	fresh := pgtest.NewDatabase(t)
	mustOpen(t, fresh, migrations).Close()
	mustOpen(t, fresh, baseMigrations(t)).Close()
}
