// Package pgtest gives tests a real PostgreSQL server: the one named by
// LOCALYUN_TEST_POSTGRES (a DSN), or else a throwaway cluster it starts
// from the installed PostgreSQL binaries. Without either the tests skip
// with a log line, unless LOCALYUN_REQUIRE_POSTGRES or CI is set, in which
// case they fail: CI never skips PostgreSQL.
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
)

var (
	once     sync.Once
	baseDSN  string
	cluster  *Cluster
	startErr error
)

// Required reports whether PostgreSQL tests must run (CI).
func Required() bool {
	return os.Getenv("LOCALYUN_REQUIRE_POSTGRES") != "" || os.Getenv("CI") != ""
}

// Main wraps testing.M.Run for packages that use PostgreSQL: it stops the
// throwaway cluster, if one was started, after the tests.
func Main(m *testing.M) int {
	code := m.Run()
	if cluster != nil {
		cluster.Stop()
	}
	return code
}

// Server returns the DSN of a PostgreSQL server's maintenance database,
// skipping (or failing, when Required) if none can be had.
func Server(tb testing.TB) string {
	tb.Helper()
	once.Do(func() {
		if dsn := os.Getenv("LOCALYUN_TEST_POSTGRES"); dsn != "" {
			baseDSN = dsn
			return
		}
		cluster, startErr = StartCluster()
		if startErr == nil {
			baseDSN = cluster.DSN("postgres")
		}
	})
	if baseDSN == "" {
		if Required() {
			tb.Fatalf("PostgreSQL is required here but unavailable: %v", startErr)
		}
		tb.Skipf("skipping: no PostgreSQL (set LOCALYUN_TEST_POSTGRES or install PostgreSQL): %v", startErr)
	}
	return baseDSN
}

// NewDatabase creates a fresh, empty database for one test and drops it
// when the test ends. It returns the database's DSN.
func NewDatabase(tb testing.TB) string {
	tb.Helper()
	base := Server(tb)
	name := "t_" + randomHex(8)
	db, err := sql.Open("pgx", base)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("CREATE DATABASE " + name); err != nil {
		tb.Fatalf("create database: %v", err)
	}
	tb.Cleanup(func() {
		db, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer db.Close()
		db.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
	})
	return withDatabase(base, name)
}

// withDatabase returns dsn (a postgres:// URL) naming database name.
func withDatabase(dsn, name string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return dsn
	}
	u.Path = "/" + name
	return u.String()
}

// Cluster is a throwaway PostgreSQL cluster in a temporary directory.
type Cluster struct {
	Dir  string
	Port int
	bin  string
	user string
}

// DSN returns the URL of database db on the cluster.
func (c *Cluster) DSN(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.Port, db)
}

// FindBinaries returns the directory holding initdb and pg_ctl.
func FindBinaries() (string, error) {
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		if _, err := exec.LookPath("initdb"); err == nil {
			return filepath.Dir(p), nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Sort(sort.Reverse(sort.StringSlice(dirs)))
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	return "", errors.New("no initdb/pg_ctl found")
}

// StartCluster initializes and starts a cluster on a free loopback port.
// As root it runs the server as the "postgres" user, since PostgreSQL
// refuses to run as root.
func StartCluster() (*Cluster, error) {
	bin, err := FindBinaries()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "localyun-pg-")
	if err != nil {
		return nil, err
	}
	c := &Cluster{Dir: dir, bin: bin}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("running as root and no postgres user: %w", err)
		}
		c.user = u.Username
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			return nil, err
		}
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	c.Port = port
	data := filepath.Join(dir, "data")
	if out, err := c.run("initdb", "-D", data, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8", "--locale=C").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("initdb: %v: %s", err, out)
	}
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200", port, dir)
	if out, err := c.run("pg_ctl", "-D", data, "-o", opts, "-l", filepath.Join(dir, "log"), "-w", "-t", "60", "start").CombinedOutput(); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "log"))
		return nil, fmt.Errorf("pg_ctl start: %v: %s %s", err, out, log)
	}
	return c, nil
}

// Stop stops the cluster and removes its directory.
func (c *Cluster) Stop() {
	c.run("pg_ctl", "-D", filepath.Join(c.Dir, "data"), "-m", "immediate", "-w", "stop").Run()
	os.RemoveAll(c.Dir)
}

// Restart stops and starts the server (for connection-loss tests).
func (c *Cluster) Restart() error {
	data := filepath.Join(c.Dir, "data")
	// -l keeps the new server's output out of our pipe (or CombinedOutput
	// would wait for the server to exit).
	if out, err := c.run("pg_ctl", "-D", data, "-l", filepath.Join(c.Dir, "log"), "-m", "fast", "-w", "-t", "60", "restart").CombinedOutput(); err != nil {
		return fmt.Errorf("pg_ctl restart: %v: %s", err, out)
	}
	return nil
}

// Ctl runs pg_ctl with args against the cluster's data directory.
func (c *Cluster) Ctl(args ...string) error {
	full := append([]string{"-D", filepath.Join(c.Dir, "data")}, args...)
	if out, err := c.run("pg_ctl", full...).CombinedOutput(); err != nil {
		return fmt.Errorf("pg_ctl %v: %v: %s", args, err, out)
	}
	return nil
}

func (c *Cluster) run(tool string, args ...string) *exec.Cmd {
	path := filepath.Join(c.bin, tool)
	if c.user != "" {
		return exec.Command("runuser", append([]string{"-u", c.user, "--", path}, args...)...)
	}
	return exec.Command(path, args...)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Wait polls db until it answers or the timeout passes.
func Wait(ctx context.Context, db *sql.DB, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		err := db.PingContext(ctx)
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
}
