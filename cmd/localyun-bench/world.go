package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/localyun/localyun/internal/postgres"
	"github.com/localyun/localyun/internal/sqlite"
)

// WorldResult is everything measured on one world.
type WorldResult struct {
	World      World
	Store      string
	Seed       SeedReport
	DBBytes    int64
	Startup    time.Duration // of the first node
	PeakRSS    int64         // bytes, VmHWM of the server process (max over nodes)
	Nodes      int
	Concs      []int      // client counts asked of every operation
	WriteConcs []int      // and of the writing ones
	Run, Runs  int        // this is run Run of Runs of the world (--repeat)
	Durability string     // how the store syncs, as the server says (durability)
	Fsync      fsyncState // whether that means fsync'd writes
	Duration   time.Duration
	Warmup     time.Duration
	Rows       []Row
	Notes      []string
	ServerArgs []string
}

// Row is one step of one operation on both servers.
type Row struct {
	Op       string
	Step     int   // index of the step's label in the operation
	Asked    []int // the concurrencies asked that gave Server.Conc workers
	Write    bool  // the operation writes
	Server   Measurement
	Baseline Measurement
	Commits  commitDelta // the store's group-commit counters over the run (localyun)
}

// Counters reports whether any run of the world read the store's
// group-commit counters.
func (r *WorldResult) Counters() bool {
	for _, row := range r.Rows {
		if row.Commits.OK {
			return true
		}
	}
	return false
}

// Errors is the number of failed requests on either server.
func (r *WorldResult) Errors() int {
	n := 0
	for _, row := range r.Rows {
		n += row.Server.Errors + row.Baseline.Errors
	}
	return n
}

func buildServer(ctx context.Context, out string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "github.com/localyun/localyun/cmd/localyun")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build ./cmd/localyun: %w", err)
	}
	return nil
}

// proc is a child server process.
type proc struct {
	cmd     *exec.Cmd
	base    string
	stdout  *syncBuffer // its first 64 KiB: the start-up banner
	stderr  *bytes.Buffer
	exited  chan error
	startup time.Duration
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// startProc starts bin with args (where "ADDR" is replaced by a free
// loopback address) and waits for the first 200 on /healthz. startup is
// measured from exec to that answer.
func startProc(ctx context.Context, bin string, args, env []string) (*proc, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	for i, a := range args {
		args[i] = strings.ReplaceAll(a, "ADDR", addr)
	}
	p := &proc{base: "http://" + addr, stdout: &syncBuffer{max: 64 << 10}, stderr: new(bytes.Buffer), exited: make(chan error, 1)}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout = p.stdout
	p.cmd.Stderr = p.stderr
	start := time.Now()
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { p.exited <- p.cmd.Wait() }()
	hc := &http.Client{Timeout: time.Second}
	deadline := start.Add(2 * time.Minute)
	for {
		select {
		case err := <-p.exited:
			return nil, fmt.Errorf("%s exited before answering /healthz (%v): %s", filepath.Base(bin), err, strings.TrimSpace(p.stderr.String()))
		case <-ctx.Done():
			p.stop()
			return nil, ctx.Err()
		default:
		}
		resp, err := hc.Get(p.base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				p.startup = time.Since(start)
				return p, nil
			}
		}
		if time.Now().After(deadline) {
			p.stop()
			return nil, fmt.Errorf("%s did not answer /healthz within 2 minutes", filepath.Base(bin))
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// peakRSS returns VmHWM of the process, in bytes.
func (p *proc) peakRSS() int64 {
	f, err := os.Open("/proc/" + strconv.Itoa(p.cmd.Process.Pid) + "/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// stop ends the process gracefully (SIGTERM), then forcibly after 30 s.
func (p *proc) stop() {
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		p.cmd.Process.Kill()
		<-p.exited
	}
}

func setSizes(base string, sizes map[string]int) error {
	q := make([]string, 0, len(sizes))
	for k, v := range sizes {
		q = append(q, k+"="+strconv.Itoa(v))
	}
	resp, err := http.Post(base+"/_size?"+strings.Join(q, "&"), "text/plain", nil)
	if err != nil {
		return err
	}
	resp.Body.Close()
	return nil
}

func worldFile(dir string, w World) string {
	return filepath.Join(dir, fmt.Sprintf("world-%d-%d-%d-%d-%d-%d.db", w.Instances, w.Roles, w.Hosts, w.AccountsPerHost, w.Groups, w.HostsPerGroup))
}

func removeDB(path string) {
	for _, s := range []string{"", "-wal", "-shm", ".json"} {
		os.Remove(path + s)
	}
}

// runWorld seeds (or reuses) a world, then cfg.Repeat times starts both
// servers, runs every operation on each and stops them, handing each
// run's result to emit as it completes.
func runWorld(ctx context.Context, cfg Config, tmp string, logf func(string, ...any), emit func(*WorldResult)) error {
	w := cfg.World
	proto := WorldResult{World: w, Concs: cfg.Concs, WriteConcs: cfg.WriteConcs, Duration: cfg.Duration, Warmup: cfg.Warmup,
		Nodes: max(cfg.Nodes, 1), Runs: max(cfg.Repeat, 1)}
	logf("world: %s", w)
	var serverArgs []string
	var err error
	if cfg.Store == "" {
		serverArgs, err = prepareSQLite(ctx, cfg, tmp, &proto, logf)
	} else {
		serverArgs, err = preparePostgres(ctx, cfg, &proto, logf)
	}
	if err != nil {
		return err
	}
	if proto.Seed.Note != "" {
		proto.Notes = append(proto.Notes, proto.Seed.Note)
	}
	// Without --quiet the server prints its banner, whose store line says
	// how it syncs.
	proto.ServerArgs = slices.DeleteFunc(serverArgs, func(a string) bool { return a == "--quiet" })
	for i := 1; i <= proto.Runs; i++ {
		res := proto
		res.Run, res.Notes = i, slices.Clone(proto.Notes)
		if proto.Runs > 1 {
			logf("world %d instances: run %d of %d", w.Instances, i, proto.Runs)
		}
		rc := cfg
		if rc.CPUProfile != "" && proto.Runs > 1 {
			rc.CPUProfile = fmt.Sprintf("%s.run%d", cfg.CPUProfile, i)
		}
		err := measureWorld(ctx, rc, &res, logf)
		if res.Rows != nil || err == nil {
			emit(&res)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// measureWorld starts the baseline and the localyun nodes on the prepared
// store, runs the operations and stops them, filling res.
func measureWorld(ctx context.Context, cfg Config, res *WorldResult, logf func(string, ...any)) error {
	base, err := startProc(ctx, cfg.BaselineBin, []string{baselineMode, "--addr", "ADDR", "--master-key-file", cfg.KeyFile}, nil)
	if err != nil {
		return fmt.Errorf("baseline: %w", err)
	}
	defer base.stop()
	srvs, err := startNodes(ctx, cfg, res.ServerArgs, res.Nodes, logf)
	if err != nil {
		return err
	}
	defer func() {
		for _, p := range srvs {
			p.stop()
		}
	}()
	res.Startup = srvs[0].startup
	var bases []string
	for _, p := range srvs {
		bases = append(bases, p.base)
	}
	err = runOps(ctx, cfg, res, bases, base.base, logf)
	res.Durability, res.Fsync = durability(srvs[0].stdout.String(), cfg.Store == "")
	if err != nil {
		return err
	}
	for _, p := range srvs {
		res.PeakRSS = max(res.PeakRSS, p.peakRSS())
	}
	for _, p := range srvs {
		p.stop()
	}
	srvs = nil
	return nil
}

// prepareSQLite seeds the world into a fresh SQLite file (or, with --keep,
// reuses the file seeded before), records the seed and the file's size in
// res and returns the server's arguments for it.
func prepareSQLite(ctx context.Context, cfg Config, tmp string, res *WorldResult, logf func(string, ...any)) ([]string, error) {
	w := cfg.World
	path := filepath.Join(tmp, "world.db")
	if cfg.Keep {
		path = worldFile(cfg.Dir, w)
	}
	res.Store = "sqlite: " + path
	m, ok := readManifest(path + ".json")
	if _, err := os.Stat(path); err == nil && ok && cfg.Keep && m.World == w {
		logf("reusing seeded %s (--keep)", path)
		res.Seed = SeedReport{Reused: true, Bastioned: m.Bastioned}
	} else {
		removeDB(path)
		st, err := sqlite.Open(ctx, path)
		if err != nil {
			return nil, err
		}
		logf("seeding %s", path)
		res.Seed, err = seed(ctx, st, w, logf, sqliteBulkHosts(path))
		if err == nil && res.Seed.Bastioned {
			err = checkBastion(ctx, st, w)
		}
		if cerr := st.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, fmt.Errorf("seed: %w", err)
		}
		if cfg.Keep {
			if err := writeManifest(path+".json", manifest{World: w, Bastioned: res.Seed.Bastioned}); err != nil {
				return nil, err
			}
		}
		logf("seeded in %s", res.Seed.Total.Round(time.Millisecond))
	}
	for _, s := range []string{"", "-wal"} {
		if fi, err := os.Stat(path + s); err == nil {
			res.DBBytes += fi.Size()
		}
	}
	return []string{"serve", "--addr", "ADDR", "--store", "sqlite:" + path, "--master-key-file", cfg.KeyFile, "--tls-addr", "off", "--quiet"}, nil
}

// preparePostgres checks that the server accepts the PostgreSQL store,
// seeds the world into it, records the seed in res and returns the
// server's arguments for it.
func preparePostgres(ctx context.Context, cfg Config, res *WorldResult, logf func(string, ...any)) ([]string, error) {
	res.Store = "postgres: " + redactDSN(cfg.Store)
	serverArgs := []string{"serve", "--addr", "ADDR", "--store", cfg.Store, "--master-key-file", cfg.KeyFile, "--tls-addr", "off", "--quiet"}
	// Ask the server first: there is no point seeding a store it refuses.
	p, err := startProc(ctx, cfg.ServerBin, append([]string(nil), serverArgs...), nil)
	if err != nil {
		return nil, fmt.Errorf("the server refused --store %s: %w", redactDSN(cfg.Store), err)
	}
	p.stop()
	st, err := postgres.Open(ctx, cfg.Store)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", redactDSN(cfg.Store), err)
	}
	logf("seeding %s", redactDSN(cfg.Store))
	res.Seed, err = seed(ctx, st, cfg.World, logf, nil)
	st.Close()
	if err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	return serverArgs, nil
}

// startNodes starts n localyun nodes with serverArgs. Node 0 alone gets
// the CPU profile (one file); the nodes start one after the other, so the
// first start-up is not slowed by the others. If a node fails to start,
// the ones started are stopped.
func startNodes(ctx context.Context, cfg Config, serverArgs []string, n int, logf func(string, ...any)) ([]*proc, error) {
	var env []string
	if cfg.CPUProfile != "" {
		env = append(env, "LOCALYUN_CPUPROFILE="+cfg.CPUProfile)
	}
	var srvs []*proc
	for i := 0; i < n; i++ {
		p, err := startProc(ctx, cfg.ServerBin, append([]string(nil), serverArgs...), env)
		if err != nil {
			for _, p := range srvs {
				p.stop()
			}
			return nil, fmt.Errorf("localyun node %d: %w", i+1, err)
		}
		env = nil
		srvs = append(srvs, p)
		logf("localyun node %d/%d answered /healthz %s after exec", i+1, n, p.startup.Round(time.Millisecond))
	}
	return srvs, nil
}

// runOps runs each operation --ops selects (all without it) at each of its
// runs (opRuns) on the localyun nodes at bases, then on the baseline at
// baseline with the response sizes localyun gave, and appends a Row per
// step to res (or a note saying why an operation was skipped). The
// store's group-commit counters are read around every measured run on
// localyun.
func runOps(ctx context.Context, cfg Config, res *WorldResult, bases []string, baseline string, logf func(string, ...any)) error {
	w := cfg.World
	selected := map[string]bool{}
	for _, name := range strings.Split(cfg.Ops, ",") {
		if name = strings.TrimSpace(name); name != "" {
			selected[name] = true
		}
	}
	concs := cfg.Concs
	if len(concs) == 0 {
		concs = []int{cfg.Concurrency}
	}
	scraper := &http.Client{Timeout: 10 * time.Second}
	scrape := func() storeCounters { return scrapeStore(scraper, bases) }
	for _, op := range ops {
		if len(selected) > 0 && !selected[op.Name] {
			continue
		}
		runs := opRuns(op, w, concs, cfg.WriteConcs)
		if len(runs) == 0 {
			res.Notes = append(res.Notes, fmt.Sprintf("%s skipped: the world is too small for one worker", op.Name))
			continue
		}
		if op.Bastion && !res.Seed.Bastioned {
			res.Notes = append(res.Notes, fmt.Sprintf("%s skipped: the bastion world was not seeded", op.Name))
			continue
		}
		for _, r := range runs {
			served, err := runPair(ctx, cfg, res, op, r, bases, baseline, scrape, logf)
			if err != nil {
				return err
			}
			if !served {
				break
			}
		}
	}
	return nil
}

// runPair runs op with r.Conc workers on localyun, then on the baseline,
// and appends its rows to res. served is false (and a note says why) when
// the server does not route the operation.
func runPair(ctx context.Context, cfg Config, res *WorldResult, op Op, r opRun, bases []string, baseline string,
	scrape func() storeCounters, logf func(string, ...any)) (served bool, err error) {
	logf("%s: localyun, %d clients, %s", op.Name, r.Conc, cfg.Duration)
	sm, moved, err := runOp(ctx, bases, op, cfg.World, r.Conc, cfg.Warmup, cfg.Duration, scrape)
	if err != nil {
		return false, err
	}
	if sm[0].NotServed != "" {
		res.Notes = append(res.Notes, fmt.Sprintf("%s skipped: the server does not serve it yet (%s)", op.Name, sm[0].NotServed))
		return false, nil
	}
	if err := setSizes(baseline, sm[0].Sizes); err != nil {
		return false, err
	}
	logf("%s: baseline, %d clients, %s", op.Name, r.Conc, cfg.Duration)
	bm, _, err := runOp(ctx, []string{baseline}, op, cfg.World, r.Conc, cfg.Warmup, cfg.Duration, nil)
	if err != nil {
		return false, err
	}
	for i := range sm {
		res.Rows = append(res.Rows, Row{Op: op.Name, Step: i, Asked: r.Asked, Write: op.Write, Server: sm[i], Baseline: bm[i], Commits: moved})
		logf("  %-55s %8.0f req/s  p50 %-9s p99 %-9s ratio %.2f  commits/fsync %s  errors %d", sm[i].Label, sm[i].RPS,
			fmtDur(sm[i].P50), fmtDur(sm[i].P99), sm[i].RPS/max(bm[i].RPS, 1e-9), moved, sm[i].Errors)
	}
	return true, nil
}

func redactDSN(dsn string) string {
	if i := strings.Index(dsn, "@"); i >= 0 {
		if j := strings.Index(dsn, "://"); j >= 0 && j < i {
			return dsn[:j+3] + "***" + dsn[i:]
		}
	}
	return dsn
}

func fmtDur(d time.Duration) string {
	switch {
	case d == 0:
		return "–"
	case d < time.Millisecond:
		return fmt.Sprintf("%.0f µs", float64(d)/1e3)
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.2f ms", float64(d)/1e6)
	case d < time.Second:
		return fmt.Sprintf("%.1f ms", float64(d)/1e6)
	}
	return fmt.Sprintf("%.2f s", d.Seconds())
}

// Print writes the Markdown report of one run of the world.
func (r *WorldResult) Print(w io.Writer) {
	if r.Runs > 1 {
		fmt.Fprintf(w, "\n## %d instances, run %d of %d\n\n", r.World.Instances, r.Run, r.Runs)
	} else {
		fmt.Fprintf(w, "\n## %d instances\n\n", r.World.Instances)
	}
	r.printHeader(w)
	fmt.Fprintln(w, "| Operation | clients | req/s | p50 | p99 | p99.9 | errors | baseline req/s | baseline p50 | ratio |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, row := range r.Rows {
		s, b := row.Server, row.Baseline
		fmt.Fprintf(w, "| %s | %d | %.0f | %s | %s | %s | %d | %.0f | %s | %.2f |\n", s.Label, s.Conc, s.RPS,
			fmtDur(s.P50), fmtDur(s.P99), fmtDur(s.P999), s.Errors+b.Errors, b.RPS, fmtDur(b.P50), s.RPS/max(b.RPS, 1e-9))
	}
	if n := r.Errors(); n > 0 {
		fmt.Fprintf(w, "\n**%d requests failed.** First errors:\n\n", n)
		for _, row := range r.Rows {
			for _, m := range []Measurement{row.Server, row.Baseline} {
				if m.Errors > 0 {
					fmt.Fprintf(w, "- %s: %s\n", m.Label, m.FirstErr)
				}
			}
		}
	} else {
		fmt.Fprintln(w, "\nNo request failed.")
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "- note: %s\n", n)
	}
	r.printWritePath(w)
	printGoals(w, []*WorldResult{r})
}

// printHeader writes the bullet list above the table.
func (r *WorldResult) printHeader(w io.Writer) {
	fmt.Fprintf(w, "- world: %s\n", r.World)
	fmt.Fprintf(w, "- store: %s, %.0f MB on disk\n", r.Store, float64(r.DBBytes)/1e6)
	counters := "absent from /metrics (an older server build): commits/fsync –"
	if r.Counters() {
		counters = "read from /metrics around each measured run (" + metricWriteTx + " ÷ " + metricCommits + ")"
	}
	fmt.Fprintf(w, "- durability: %s; group-commit counters %s\n", orDash(r.Durability), counters)
	switch {
	case r.Run > 1:
		fmt.Fprintf(w, "- seeding: as for run 1\n")
	case r.Seed.Reused:
		fmt.Fprintf(w, "- seeding: reused a kept file (--keep)\n")
	default:
		fmt.Fprintf(w, "- seeding: %s (instances %s, bastion %s)\n", r.Seed.Total.Round(time.Millisecond),
			r.Seed.Instances.Round(time.Millisecond), r.Seed.Bastion.Round(time.Millisecond))
	}
	if r.Nodes > 1 {
		fmt.Fprintf(w, "- localyun nodes: **%d** `localyun serve` processes on the one store, client k pinned to node k mod %d (the baseline is one process)\n", r.Nodes, r.Nodes)
		fmt.Fprintf(w, "- server start-up of the first node with the seeded store (exec → first 200 on /healthz): **%s**\n", fmtDur(r.Startup))
		fmt.Fprintf(w, "- server peak RSS per node (VmHWM, whole run, max over the nodes): **%.0f MB**\n", float64(r.PeakRSS)/(1<<20))
	} else {
		fmt.Fprintf(w, "- localyun nodes: 1\n")
		fmt.Fprintf(w, "- server start-up with the seeded store (exec → first 200 on /healthz): **%s**\n", fmtDur(r.Startup))
		fmt.Fprintf(w, "- server peak RSS (VmHWM, whole run): **%.0f MB**\n", float64(r.PeakRSS)/(1<<20))
	}
	clients := joinInts(r.Concs)
	if len(r.WriteConcs) > 0 {
		clients += " (writing operations also " + joinInts(r.WriteConcs) + ")"
	}
	fmt.Fprintf(w, "- load: %s keep-alive clients (fewer where the world has fewer disjoint objects: see \"clients\"), %s per operation per server after %s of unmeasured warm-up, V1-signed POSTs\n\n",
		clients, r.Duration, r.Warmup)
}

// printWritePath writes the write path's table: latency and requests per
// commit of every run of a writing operation.
func (r *WorldResult) printWritePath(w io.Writer) {
	header := false
	for _, row := range r.Rows {
		if !row.Write {
			continue
		}
		if !header {
			fmt.Fprintf(w, "\n### Write path (durability: %s)\n\n", orDash(r.Durability))
			fmt.Fprintln(w, "| Operation | clients | req/s | p50 | p99 | write transactions | commits | commits/fsync |")
			fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|")
			header = true
		}
		s, c := row.Server, row.Commits
		tx, commits, per := "–", "–", c.String()
		if c.OK {
			tx, commits = strconv.FormatFloat(c.Tx, 'f', 0, 64), strconv.FormatFloat(c.Commits, 'f', 0, 64)
		}
		if row.Step > 0 {
			tx, commits, per = "↑", "↑", "↑" // the counters are per run: both steps of the cycle
		}
		fmt.Fprintf(w, "| %s | %d | %.0f | %s | %s | %s | %s | %s |\n", s.Label, s.Conc, s.RPS, fmtDur(s.P50), fmtDur(s.P99), tx, commits, per)
	}
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}
