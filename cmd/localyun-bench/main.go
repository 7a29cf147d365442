// Command localyun-bench measures a localyun server against the physical
// limit of a signed round trip on the same machine.
//
//	go run ./cmd/localyun-bench [flags]
//	go run ./cmd/localyun-bench attack [flags]   (see attack.go)
//
// It seeds a large world into a store file, starts `localyun serve` on it as
// a separate process (so the server's RSS and start-up time are its own),
// starts a bare baseline server (this binary re-executed in a hidden
// "baseline" mode: it verifies the same V1 signature and writes a fixed
// body of the same size), drives the same signed load against both and
// prints one Markdown table per world. Every request goes to 127.0.0.1 and
// every load stops after --duration.
//
// Every server process of a run gets --master-key-file <--dir>/bench-master.key
// (created once, mode 0600, 32 random bytes): a PostgreSQL store requires it
// and every node of one store must share it. --nodes N starts N server
// processes on the same PostgreSQL store and pins client k to node k mod N;
// --pg-throwaway runs each world on a throwaway local PostgreSQL cluster
// (internal/pgtest: initdb + pg_ctl on 127.0.0.1, fsync=off), stopped and
// removed after the world.
//
// Each operation runs once per distinct client count that
// --concurrency-list (default: --concurrency) gives it, the writing ones
// also at each of --write-concurrency; an operation that needs disjoint
// objects per client runs with fewer where the world has fewer (the
// "clients" column). Around every measured run on localyun the bench reads
// the store's group-commit counters from /metrics
// (localyun_store_write_transactions_total, localyun_store_commits_total,
// summed over the nodes) and prints their ratio, the write transactions
// per commit, as "commits/fsync" in a table of the writing runs ("–" where
// a server build has no such counters). The store's durability is what
// the "store:" line of the server's start-up banner says of its sync mode,
// else "sqlite (WAL)". The issue 12 goals table compares the figures that
// measure issue 12's goals with them; --goals selects exactly those runs.
// --repeat N runs the whole selection N times per world, back to back
// (fresh server processes, the same seeded store), and then prints the
// spread (min–max) of every figure and of the goals.
//
//	go run ./cmd/localyun-bench ssh [flags]
//
// measures the bastion SSH gateway against a real sshd (ssh.go).
//
//	go run ./cmd/localyun-bench soak [flags]
//
// is the soak (soak.go): the same world and server, then a mix of signed
// reads and writes (ECS, RAM, STS, Bastionhost; each attach has its detach)
// at a fixed rate for --duration (default 15m): --rate req/s, or
// --rate-of-peak (default 0.8) times the peak req/s of the same mix,
// measured first. Every --sample (10s) it reads the server's RSS and
// descriptors from /proc/<pid> and goroutines, heap and replay-window size
// from its /metrics, and prints one table row per sample and a summary.
// The load is open loop: request i is due at start + i/rate whether or not
// the earlier ones have answered, and its latency counts from that time,
// so a stall shows in the percentiles instead of slowing the load down
// (coordinated omission). At most --concurrency requests are in flight;
// those due meanwhile go out late, and any due before the end but still
// waiting 30 s after it are not sent and count as errors. RSS is judged
// where the replay window is warm: the window keeps each nonce until 15
// minutes past its timestamp, so for the first 15 minutes of load it
// grows, and RSS with it. The judged part starts at
// --warm; by default at the first sample at which the window grew less
// than 2 % in a minute, or, if it never stopped growing (a 15-minute
// soak), over the last third. Straight lines are fitted to RSS and to the
// window's size over the judged part; the growth is RSS's rise less
// --window-bytes per nonce the window gained, as a percentage of RSS at
// its start. The soak exits 1 if any request failed (any non-200, transport
// error or unexpected body, the peak's included) or the growth exceeds
// --max-rss-growth.
package main

import (
	"context"
	crand "crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/localyun/localyun/internal/pgtest"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == baselineMode {
		if err := runBaseline(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "localyun-bench baseline:", err)
			os.Exit(1)
		}
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch {
	case len(os.Args) > 1 && os.Args[1] == soakMode:
		os.Exit(soakMain(ctx, os.Args[2:], os.Stdout, os.Stderr))
	case len(os.Args) > 1 && os.Args[1] == sshMode:
		os.Exit(runSSHCommand(ctx, os.Args[2:], os.Stdout, os.Stderr))
	case len(os.Args) > 1 && os.Args[1] == attackMode:
		code := runAttackCommand(ctx, os.Args[2:], os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	cfg, err := parseBenchFlags(os.Args[1:], os.Stderr)
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "localyun-bench:", err)
		}
		os.Exit(2)
	}
	if _, err := run(ctx, cfg, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "localyun-bench:", err)
		os.Exit(1)
	}
}

// Config is the configuration of one bench run.
type Config struct {
	World       World
	Concurrency int
	Duration    time.Duration
	Warmup      time.Duration // unmeasured load before each measured run
	Store       string        // "" (SQLite file in Dir) or a postgres:// DSN
	Dir         string        // where the seeded SQLite file lives
	Keep        bool          // keep the seeded file and reuse it when its world matches
	ServerBin   string        // "": built with go build
	BaselineBin string        // "": os.Executable()
	Ops         string        // comma-separated op names; "": all
	CPUProfile  string        // write the server's CPU profile here
	Both        bool          // --small and the default world in one run
	Nodes       int           // localyun serve processes on the one store
	PGThrowaway bool          // run each world on a throwaway local PostgreSQL cluster
	KeyFile     string        // master key file of every server process (set by run)
	Concs       []int         // each operation runs at each (nil: Concurrency alone)
	WriteConcs  []int         // writing operations also run at each
	Repeat      int           // runs of the whole selection per world, back to back (0: 1)
}

// World is what is seeded.
type World struct {
	Instances       int
	Roles           int
	Hosts           int
	AccountsPerHost int
	Groups          int
	HostsPerGroup   int
}

// DefaultWorld is the world of issue #6.
var DefaultWorld = World{Instances: 1_000_000, Roles: 1_000, Hosts: 100_000, AccountsPerHost: 10, Groups: 10_000, HostsPerGroup: 25}

// SmallWorld is --small: 1,000 instances (the bastion scaled alike).
var SmallWorld = World{Instances: 1_000, Roles: 1_000, Hosts: 1_000, AccountsPerHost: 10, Groups: 100, HostsPerGroup: 25}

// String describes the world in one line (the benchmark logs it).
func (w World) String() string {
	return fmt.Sprintf("%d instances (half with a role), %d roles, 1 bastion instance with %d hosts × %d accounts, %d user groups × %d host grants (+%d account grants on the first)",
		w.Instances, w.Roles, w.Hosts, w.AccountsPerHost, w.Groups, w.HostsPerGroup, w.AccountsPerHost)
}

// parseFlags parses the bench's flags; extra defines more flags (a mode's
// own) on the same set before it is parsed.
func parseFlags(args []string, stderr io.Writer, extra ...func(*flag.FlagSet)) (Config, error) {
	c := Config{World: DefaultWorld}
	fs := flag.NewFlagSet("localyun-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: localyun-bench [flags]\n       localyun-bench soak [flags]   (soak -h lists its flags)\n\n")
		fs.PrintDefaults()
	}
	w := &c.World
	fs.IntVar(&w.Instances, "instances", w.Instances, "ECS instances to seed (half get a role)")
	fs.IntVar(&w.Roles, "roles", w.Roles, "RAM roles to seed")
	fs.IntVar(&w.Hosts, "hosts", w.Hosts, "bastion hosts to seed")
	fs.IntVar(&w.AccountsPerHost, "accounts-per-host", w.AccountsPerHost, "host accounts per bastion host")
	fs.IntVar(&w.Groups, "groups", w.Groups, "bastion user groups to seed")
	fs.IntVar(&w.HostsPerGroup, "hosts-per-group", w.HostsPerGroup, "hosts granted to each user group")
	small := fs.Bool("small", false, "seed the small world (1,000 instances, 1,000 hosts, 100 groups) instead")
	fs.BoolVar(&c.Both, "both", false, "run the small world, then the default world, in one run")
	fs.IntVar(&c.Concurrency, "concurrency", 64, "concurrent keep-alive clients per operation")
	fs.DurationVar(&c.Duration, "duration", 10*time.Second, "how long each operation runs, on each server")
	fs.DurationVar(&c.Warmup, "warmup", 2*time.Second, "unmeasured load of the same operation before each measured run (0: none)")
	fs.StringVar(&c.Store, "store", "", "store: empty for the embedded SQLite store, or a postgres:// DSN")
	fs.StringVar(&c.Dir, "dir", filepath.Join(os.TempDir(), "localyun-bench"), "directory for the seeded SQLite file")
	fs.BoolVar(&c.Keep, "keep", false, "keep the seeded file and reuse it on the next run with the same world")
	fs.StringVar(&c.ServerBin, "server-bin", "", "localyun binary to run (default: go build ./cmd/localyun)")
	fs.StringVar(&c.Ops, "ops", "", "comma-separated operations to run (default: all): "+strings.Join(opNames(), ","))
	fs.StringVar(&c.CPUProfile, "cpuprofile", "", "write the server's CPU profile (whole run) to this file (first node; with --repeat, to <file>.run<i>)")
	fs.IntVar(&c.Nodes, "nodes", 1, "localyun serve processes sharing the store, client k pinned to node k mod N (N > 1 needs PostgreSQL)")
	fs.BoolVar(&c.PGThrowaway, "pg-throwaway", false, "run each world on a throwaway local PostgreSQL cluster (initdb/pg_ctl on 127.0.0.1, fsync=off), removed after")
	for _, f := range extra {
		f(fs)
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *small {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		def := SmallWorld
		keep := func(name string, dst *int, v int) {
			if !set[name] {
				*dst = v
			}
		}
		keep("instances", &w.Instances, def.Instances)
		keep("roles", &w.Roles, def.Roles)
		keep("hosts", &w.Hosts, def.Hosts)
		keep("accounts-per-host", &w.AccountsPerHost, def.AccountsPerHost)
		keep("groups", &w.Groups, def.Groups)
		keep("hosts-per-group", &w.HostsPerGroup, def.HostsPerGroup)
	}
	if c.Concurrency < 1 || c.Duration <= 0 || c.Warmup < 0 {
		return c, errors.New("--concurrency and --duration must be positive")
	}
	if w.Instances < 4 || w.Roles < 1 || w.Hosts < 1 || w.AccountsPerHost < 1 || w.Groups < 1 || w.HostsPerGroup < 1 {
		return c, errors.New("the world needs at least 4 instances, 1 role, 1 host, 1 account per host, 1 group and 1 host per group")
	}
	if c.Store != "" && !strings.HasPrefix(c.Store, "postgres://") && !strings.HasPrefix(c.Store, "postgresql://") {
		return c, fmt.Errorf("--store %q: want a postgres:// DSN (empty: embedded SQLite)", c.Store)
	}
	if c.PGThrowaway && c.Store != "" {
		return c, errors.New("--pg-throwaway and --store are exclusive")
	}
	if c.Nodes < 1 || c.Nodes > 16 {
		return c, fmt.Errorf("--nodes %d: want 1 to 16", c.Nodes)
	}
	if c.Nodes > 1 && c.Store == "" && !c.PGThrowaway {
		return c, fmt.Errorf("--nodes %d needs --store postgres://... (or --pg-throwaway): the SQLite store is one process", c.Nodes)
	}
	return c, nil
}

// goalOps are the operations --goals selects: those of issue 12's table.
const goalOps = "describe1,listhosts,attach1,detach100"

// parseBenchFlags parses the flags of the bench itself: parseFlags's and
// those of the measured runs alone (not the soak's or the attack's).
func parseBenchFlags(args []string, stderr io.Writer) (Config, error) {
	var concList, writeConc string
	var goals bool
	var fset *flag.FlagSet
	repeat := 1
	cfg, err := parseFlags(args, stderr, func(fs *flag.FlagSet) {
		fset = fs
		fs.StringVar(&concList, "concurrency-list", "", "comma-separated client counts: each operation runs at each (exclusive with --concurrency; default: --concurrency)")
		fs.StringVar(&writeConc, "write-concurrency", "", "comma-separated client counts at which the writing operations also run (attach1, detach100, detach100-c1, bhcycle)")
		fs.IntVar(&repeat, "repeat", repeat, "run the whole selection this many times per world, back to back, and print the spread (min–max) of every figure")
		fs.BoolVar(&goals, "goals", false, "measure issue 12's table: --ops "+goalOps+" --concurrency-list 32,64 --write-concurrency 1,8,64 (each unless given)")
	})
	if err != nil {
		return cfg, err
	}
	set := map[string]bool{}
	fset.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if set["concurrency"] && set["concurrency-list"] {
		return cfg, errors.New("--concurrency and --concurrency-list are exclusive")
	}
	if goals {
		if !set["ops"] {
			cfg.Ops = goalOps
		}
		if !set["concurrency"] && !set["concurrency-list"] {
			concList = "32,64"
		}
		if !set["write-concurrency"] {
			writeConc = "1,8,64"
		}
	}
	if cfg.Concs, err = parseConcList("--concurrency-list", concList); err != nil {
		return cfg, err
	}
	if cfg.Concs == nil {
		cfg.Concs = []int{cfg.Concurrency}
	}
	if cfg.WriteConcs, err = parseConcList("--write-concurrency", writeConc); err != nil {
		return cfg, err
	}
	if repeat < 1 || repeat > 100 {
		return cfg, fmt.Errorf("--repeat %d: want 1 to 100", repeat)
	}
	cfg.Repeat = repeat
	return cfg, nil
}

// parseConcList parses a comma-separated list of client counts (1 to
// 4096) into ascending distinct values; "" is nil.
func parseConcList(flagName, s string) ([]int, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > 4096 {
			return nil, fmt.Errorf("%s %q: want client counts from 1 to 4096, comma-separated", flagName, s)
		}
		out = append(out, n)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// joinInts is "32,64".
func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ",")
}

// run executes the bench and prints the tables; it returns the results of
// the worlds it ran, --repeat of each, in the order they ran.
func run(ctx context.Context, cfg Config, stdout, stderr io.Writer) ([]*WorldResult, error) {
	logf := func(format string, args ...any) { fmt.Fprintf(stderr, format+"\n", args...) }
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(cfg.Dir, "run-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	if cfg.KeyFile, err = benchMasterKey(cfg.Dir); err != nil {
		return nil, err
	}
	if err := loadIMDSKey(cfg.KeyFile); err != nil {
		return nil, err
	}
	if cfg.ServerBin == "" {
		cfg.ServerBin = filepath.Join(tmp, "localyun")
		logf("building localyun → %s", cfg.ServerBin)
		if err := buildServer(ctx, cfg.ServerBin); err != nil {
			return nil, err
		}
	}
	if cfg.BaselineBin == "" {
		if cfg.BaselineBin, err = os.Executable(); err != nil {
			return nil, err
		}
	}
	worlds := []World{cfg.World}
	if cfg.Both {
		worlds = []World{SmallWorld, DefaultWorld}
	}
	if len(cfg.Concs) == 0 {
		cfg.Concs = []int{cfg.Concurrency}
	}
	cfg.Repeat = max(cfg.Repeat, 1)
	fmt.Fprintf(stdout, "# localyun-bench\n\n%s, %d CPUs, GOMAXPROCS %d; %s per operation per server.\n",
		runtime.Version(), runtime.NumCPU(), runtime.GOMAXPROCS(0), cfg.Duration)
	var out []*WorldResult
	for _, w := range worlds {
		wc := cfg
		wc.World = w
		var cl *pgtest.Cluster
		if cfg.PGThrowaway {
			logf("starting a throwaway PostgreSQL cluster")
			if cl, err = pgtest.StartCluster(); err != nil {
				return out, fmt.Errorf("--pg-throwaway: %w", err)
			}
			wc.Store = cl.DSN("postgres")
		}
		var runs []*WorldResult
		err := runWorld(ctx, wc, tmp, logf, func(res *WorldResult) {
			if cl != nil {
				res.Store += " (throwaway cluster, fsync=off)"
				res.Durability, res.Fsync = "postgres, throwaway cluster with fsync=off", fsyncNo
			}
			runs = append(runs, res)
			res.Print(stdout)
		})
		if cl != nil {
			cl.Stop()
		}
		out = append(out, runs...)
		if len(runs) > 1 {
			printSpread(stdout, runs)
		}
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

// benchMasterKey returns <dir>/bench-master.key, creating it (32 random
// bytes, mode 0600) when absent: one key for every server process of a run.
// The bench seeds secrets unsealed, which a server opens under any key.
func benchMasterKey(dir string) (string, error) {
	path := filepath.Join(dir, "bench-master.key")
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	key := make([]byte, 32)
	if _, err := crand.Read(key); err != nil {
		return "", err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return path, nil // another run created it meanwhile
	}
	if err != nil {
		return "", fmt.Errorf("master key: %w", err)
	}
	if _, err := f.Write(key); err != nil {
		f.Close()
		return "", err
	}
	return path, f.Close()
}
