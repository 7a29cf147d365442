package e2e_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/pgtest"
	"github.com/localyun/localyun/internal/postgres"
	"github.com/localyun/localyun/internal/sqlite"
)

// backendEnv selects the store of the in-process e2e servers.
const backendEnv = "LOCALYUN_E2E_BACKEND"

// TestMain runs the suite as a backend matrix: on SQLite, then (in a child
// process of this same test binary, with the same flags) on PostgreSQL.
// PostgreSQL is skipped only where it is unavailable and not required.
func TestMain(m *testing.M) {
	code := pgtest.Main(m)
	if os.Getenv(backendEnv) == "" && code == 0 {
		code = runOnPostgres()
	}
	os.Exit(code)
}

func runOnPostgres() int {
	if os.Getenv("LOCALYUN_TEST_POSTGRES") == "" {
		if _, err := pgtest.FindBinaries(); err != nil {
			if pgtest.Required() {
				fmt.Fprintln(os.Stderr, "e2e: PostgreSQL is required but unavailable:", err)
				return 1
			}
			fmt.Fprintln(os.Stderr, "e2e: skipping the PostgreSQL pass: no PostgreSQL installed")
			return 0
		}
	}
	fmt.Println("=== e2e suite on PostgreSQL")
	cmd := exec.Command(os.Args[0], os.Args[1:]...)
	cmd.Env = append(os.Environ(), backendEnv+"=postgres")
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e on PostgreSQL:", err)
		return 1
	}
	return 0
}

// openTestStore opens a fresh store on the matrix's backend.
func openTestStore(t testing.TB) localyun.Store {
	t.Helper()
	ctx := context.Background()
	if os.Getenv(backendEnv) == "postgres" {
		st, err := postgres.Open(ctx, pgtest.NewDatabase(t))
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "localyun.db"))
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// processLevel marks a test that starts localyun processes on stores of its
// own (PostgreSQL included): it runs once, in the matrix's first pass.
func processLevel(t *testing.T) {
	t.Helper()
	if os.Getenv(backendEnv) != "" {
		t.Skip("process-level test: runs in the matrix's first pass")
	}
}
