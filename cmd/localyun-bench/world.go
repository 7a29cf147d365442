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
	Conc       int
	Duration   time.Duration
	Warmup     time.Duration
	Rows       []Row
	Notes      []string
	ServerArgs []string
}

// Row is one step of one operation on both servers.
type Row struct {
	Op       string
	Server   Measurement
	Baseline Measurement
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
	p := &proc{base: "http://" + addr, stderr: new(bytes.Buffer), exited: make(chan error, 1)}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout = io.Discard
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

// runWorld seeds (or reuses) a world, starts both servers, runs every
// operation on each and stops them.
func runWorld(ctx context.Context, cfg Config, tmp string, logf func(string, ...any)) (*WorldResult, error) {
	w := cfg.World
	res := &WorldResult{World: w, Conc: cfg.Concurrency, Duration: cfg.Duration, Warmup: cfg.Warmup, Nodes: max(cfg.Nodes, 1)}
	logf("world: %s", w)
	var serverArgs []string
	var err error
	if cfg.Store == "" {
		serverArgs, err = prepareSQLite(ctx, cfg, tmp, res, logf)
	} else {
		serverArgs, err = preparePostgres(ctx, cfg, res, logf)
	}
	if err != nil {
		return nil, err
	}
	if res.Seed.Note != "" {
		res.Notes = append(res.Notes, res.Seed.Note)
	}

	base, err := startProc(ctx, cfg.BaselineBin, []string{baselineMode, "--addr", "ADDR"}, nil)
	if err != nil {
		return nil, fmt.Errorf("baseline: %w", err)
	}
	defer base.stop()
	res.ServerArgs = serverArgs
	srvs, err := startNodes(ctx, cfg, serverArgs, res.Nodes, logf)
	if err != nil {
		return nil, err
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
	if err := runOps(ctx, cfg, res, bases, base.base, logf); err != nil {
		return res, err
	}
	for _, p := range srvs {
		res.PeakRSS = max(res.PeakRSS, p.peakRSS())
	}
	for _, p := range srvs {
		p.stop()
	}
	srvs = nil
	return res, nil
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
	res.Store = "sqlite (WAL, synchronous=NORMAL): " + path
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
	return []string{"serve", "--addr", "ADDR", "--store", "sqlite:" + path, "--master-key-file", cfg.KeyFile, "--quiet"}, nil
}

// preparePostgres checks that the server accepts the PostgreSQL store,
// seeds the world into it, records the seed in res and returns the
// server's arguments for it.
func preparePostgres(ctx context.Context, cfg Config, res *WorldResult, logf func(string, ...any)) ([]string, error) {
	res.Store = "postgres: " + redactDSN(cfg.Store)
	serverArgs := []string{"serve", "--addr", "ADDR", "--store", cfg.Store, "--master-key-file", cfg.KeyFile, "--quiet"}
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

// runOps runs each operation --ops selects (all without it) on the
// localyun nodes at bases, then on the baseline at baseline with the
// response sizes localyun gave, and appends a Row per step to res (or a
// note saying why an operation was skipped).
func runOps(ctx context.Context, cfg Config, res *WorldResult, bases []string, baseline string, logf func(string, ...any)) error {
	w := cfg.World
	selected := map[string]bool{}
	for _, name := range strings.Split(cfg.Ops, ",") {
		if name = strings.TrimSpace(name); name != "" {
			selected[name] = true
		}
	}
	for _, op := range ops {
		if len(selected) > 0 && !selected[op.Name] {
			continue
		}
		conc := op.Conc(w, cfg.Concurrency)
		if conc < 1 {
			res.Notes = append(res.Notes, fmt.Sprintf("%s skipped: the world is too small for one worker", op.Name))
			continue
		}
		if op.Bastion && !res.Seed.Bastioned {
			res.Notes = append(res.Notes, fmt.Sprintf("%s skipped: the bastion world was not seeded", op.Name))
			continue
		}
		logf("%s: localyun, %d clients, %s", op.Name, conc, cfg.Duration)
		sm, err := runOp(ctx, bases, op, w, conc, cfg.Warmup, cfg.Duration)
		if err != nil {
			return err
		}
		if sm[0].NotServed != "" {
			res.Notes = append(res.Notes, fmt.Sprintf("%s skipped: the server does not serve it yet (%s)", op.Name, sm[0].NotServed))
			continue
		}
		if err := setSizes(baseline, sm[0].Sizes); err != nil {
			return err
		}
		logf("%s: baseline, %d clients, %s", op.Name, conc, cfg.Duration)
		bm, err := runOp(ctx, []string{baseline}, op, w, conc, cfg.Warmup, cfg.Duration)
		if err != nil {
			return err
		}
		for i := range sm {
			res.Rows = append(res.Rows, Row{Op: op.Name, Server: sm[i], Baseline: bm[i]})
			logf("  %-55s %8.0f req/s  p50 %-9s ratio %.2f  errors %d", sm[i].Label, sm[i].RPS, fmtDur(sm[i].P50), sm[i].RPS/max(bm[i].RPS, 1e-9), sm[i].Errors)
		}
	}
	return nil
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

// Print writes the Markdown report of the world.
func (r *WorldResult) Print(w io.Writer) {
	fmt.Fprintf(w, "\n## %d instances\n\n", r.World.Instances)
	fmt.Fprintf(w, "- world: %s\n", r.World)
	fmt.Fprintf(w, "- store: %s, %.0f MB on disk\n", r.Store, float64(r.DBBytes)/1e6)
	if r.Seed.Reused {
		fmt.Fprintf(w, "- seeding: reused a kept file (--keep)\n")
	} else {
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
	fmt.Fprintf(w, "- load: %d keep-alive clients (fewer where noted), %s per operation per server after %s of unmeasured warm-up, V1-signed POSTs\n\n",
		r.Conc, r.Duration, r.Warmup)
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
}
