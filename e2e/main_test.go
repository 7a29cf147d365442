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

// backendEnv selects the store of the in-process e2e servers: "" (the
// first pass) is SQLite on a file, "memory" SQLite's ":memory:" store (one
// connection for reads and writes, as `localyun serve --memory` runs), and
// "postgres" PostgreSQL.
const backendEnv = "LOCALYUN_E2E_BACKEND"

// TestMain runs the suite as a backend matrix: on SQLite (a file), then in
// child processes of this same test binary, with the same flags, on the
// in-memory SQLite store and on PostgreSQL. PostgreSQL is skipped only
// where it is unavailable and not required.
func TestMain(m *testing.M) {
	code := pgtest.Main(m)
	if os.Getenv(backendEnv) == "" && code == 0 {
		code = runPass("memory")
	}
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
	return runPass("postgres")
}

// runPass re-runs this test binary with the same flags on a backend.
func runPass(backend string) int {
	fmt.Println("=== e2e suite on " + backend)
	cmd := exec.Command(os.Args[0], os.Args[1:]...)
	cmd.Env = append(os.Environ(), backendEnv+"="+backend)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e on %s: %v\n", backend, err)
		return 1
	}
	return 0
}

// openTestStore opens a fresh store on the matrix's backend.
func openTestStore(t testing.TB) localyun.Store {
	t.Helper()
	ctx := context.Background()
	var (
		st  localyun.Store
		err error
	)
	switch os.Getenv(backendEnv) {
	case "postgres":
		st, err = postgres.Open(ctx, pgtest.NewDatabase(t))
	case "memory":
		st, err = sqlite.Open(ctx, ":memory:")
	default:
		st, err = sqlite.Open(ctx, filepath.Join(t.TempDir(), "localyun.db"))
	}
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
