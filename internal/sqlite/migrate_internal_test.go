package sqlite

import (
	"context"
	"io/fs"
	"path/filepath"
	"slices"
	"sort"
	"testing"
	"testing/fstest"
	"time"

	"github.com/localyun/localyun"
)

// baseMigrations is the set a data file made before the numbering was put
// in step with PostgreSQL has applied: 0001 to 0003 (their files are
// unchanged since).
func baseMigrations(t *testing.T) fs.FS {
	t.Helper()
	set := fstest.MapFS{}
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
	rows, err := st.read.Query(`SELECT name FROM migrations`)
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

// TestUpgradeFromBaseNumbering opens a data file migrated by the old set
// with today's runner: it applies what is new, keeps the data, and the old
// set still opens the upgraded file (an older binary finds nothing to do).
func TestUpgradeFromBaseNumbering(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	old, err := open(ctx, path, baseMigrations(t))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	if err := old.CreateAccount(ctx, localyun.Account{ID: "1234567890123456", Name: "a", CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	key := localyun.AccessKey{ID: "LTAI5tUpgrade00000001", Secret: "s", AccountID: "1234567890123456",
		Status: localyun.AccessKeyActive, CreatedAt: now}
	if err := old.CreateAccessKey(ctx, key); err != nil {
		t.Fatal(err)
	}
	old.Close()

	st, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("open a file of the old numbering: %v", err)
	}
	if got, err := st.FindAccessKey(ctx, key.ID); err != nil || got.Secret != key.Secret {
		t.Fatalf("after the upgrade: %+v, %v", got, err)
	}
	want, _ := fs.Glob(migrations, "migrations/*.sql")
	if got := appliedMigrations(t, st); !slices.Equal(got, want) {
		t.Fatalf("applied %q, want %q", got, want)
	}
	st.Close()

	again, err := open(ctx, path, baseMigrations(t))
	if err != nil {
		t.Fatalf("the old set on an upgraded file: %v", err)
	}
	again.Close()
}
