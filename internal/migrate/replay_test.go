package migrate_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/migrate"
	"github.com/localyun/localyun/internal/pgtest"
	"github.com/localyun/localyun/internal/postgres"
	"github.com/localyun/localyun/internal/sqlite"
)

// TestCopyReplayKeys: the replay keys SQLite recorded with its writes move
// into PostgreSQL's shared window, so those writes cannot be replayed
// against the new database either.
func TestCopyReplayKeys(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "src.db")
	src, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	key := localyun.NewReplayKey("LTAIkey000001", "nonce-of-the-write", now.Add(15*time.Minute))
	wctx := localyun.WithReplayKey(ctx, key, now)
	must(t, src.CreateAccount(wctx, localyun.Account{ID: "1234567890123456", Name: "dev", CreatedAt: now}))
	src.Close()

	dsn := pgtest.NewDatabase(t)
	dst, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	sdb, err := sql.Open("sqlite", "file:"+path+"?_pragma=query_only(1)")
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	pdb, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer pdb.Close()
	res, err := migrate.Copy(ctx, sdb, pdb)
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows["replay_keys"] != 1 || res.Rows["accounts"] != 1 {
		t.Fatalf("copied %v", res.Rows)
	}
	if err := dst.UseNonce(ctx, key, now.Add(time.Minute)); !errors.Is(err, localyun.ErrAlreadyExists) {
		t.Fatalf("replay against PostgreSQL after the copy: %v, want ErrAlreadyExists", err)
	}
}
