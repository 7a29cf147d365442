package migrate_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/migrate"
	"github.com/localyun/localyun/internal/pgtest"
	"github.com/localyun/localyun/internal/postgres"
	"github.com/localyun/localyun/internal/sqlite"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// TestCopyCore populates a SQLite store through the store API, copies it
// into PostgreSQL and reads back identical answers.
func TestCopyCore(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "src.db")
	src, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
	const acct = "1234567890123456"
	must(t, src.CreateAccount(ctx, localyun.Account{ID: acct, Name: "dev", CreatedAt: now}))
	must(t, src.CreateAccessKey(ctx, localyun.AccessKey{ID: "LTAIkey000001", Secret: "s3cret", AccountID: acct, Status: localyun.AccessKeyActive, CreatedAt: now}))
	must(t, src.CreateRole(ctx, localyun.Role{ID: "3001", AccountID: acct, Name: "EcsRole", AssumeRolePolicyDocument: "{}", MaxSessionDuration: 3600, CreatedAt: now, UpdatedAt: now}))
	var insts []localyun.Instance
	for i, id := range []string{"i-a", "i-b", "i-c"} {
		role := ""
		if i != 1 {
			role = "EcsRole"
		}
		insts = append(insts, localyun.Instance{ID: id, AccountID: acct, RegionID: "cn-hangzhou", ZoneID: "cn-hangzhou-a",
			Name: id, Status: localyun.StatusRunning, NetworkType: localyun.NetworkVPC, RAMRoleName: role, CreatedAt: now})
	}
	must(t, src.CreateInstances(ctx, insts))
	must(t, src.CreateBastionInstance(ctx, localyun.BastionInstance{ID: "bastionhost-cn-1", AccountID: acct, RegionID: "cn-hangzhou", Status: "RUNNING", CreatedAt: now, ExpiresAt: now}))
	src.Close()

	dsn := pgtest.NewDatabase(t)
	dst, err := postgres.Open(ctx, dsn) // creates the schema
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
	if res.Rows["instances"] != 3 || res.Rows["roles"] != 1 || res.Rows["access_keys"] != 1 {
		t.Fatalf("copied %v", res.Rows)
	}

	// Same answers from both stores.
	src, err = sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	for _, f := range []localyun.InstanceFilter{
		{AccountID: acct}, {AccountID: acct, RAMRoleName: "ecsrole"}, {AccountID: acct, RegionID: "cn-hangzhou", Limit: 1, Offset: 1},
	} {
		a, an, err1 := src.FindInstances(ctx, f)
		b, bn, err2 := dst.FindInstances(ctx, f)
		if err1 != nil || err2 != nil || an != bn || !reflect.DeepEqual(a, b) {
			t.Fatalf("FindInstances(%+v):\n sqlite %d %+v %v\n pg     %d %+v %v", f, an, a, err1, bn, b, err2)
		}
	}
	ra, _ := src.FindRoleByName(ctx, acct, "ecsrole")
	rb, _ := dst.FindRoleByName(ctx, acct, "ecsrole")
	if !reflect.DeepEqual(ra, rb) {
		t.Fatalf("role: %+v vs %+v", ra, rb)
	}
	ka, _ := src.FindAccessKey(ctx, "LTAIkey000001")
	kb, _ := dst.FindAccessKey(ctx, "LTAIkey000001")
	if !reflect.DeepEqual(ka, kb) {
		t.Fatalf("key: %+v vs %+v", ka, kb)
	}
	// New rows after the copy continue the sequence.
	must(t, dst.CreateInstances(ctx, []localyun.Instance{{ID: "i-d", AccountID: acct, RegionID: "cn-hangzhou", Status: "Running", NetworkType: "vpc", CreatedAt: now}}))
	all, _, _ := dst.FindInstances(ctx, localyun.InstanceFilter{AccountID: acct})
	if len(all) != 4 || all[3].ID != "i-d" || all[3].Seq <= all[2].Seq {
		t.Fatalf("sequence after copy: %+v", all)
	}
	// A second copy into the now non-empty database is refused whole.
	if _, err := migrate.Copy(ctx, sdb, pdb); err == nil {
		t.Fatal("copy into a non-empty database accepted")
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
