package main

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/localyun/localyun/internal/protocol"
)

// attackMode is the first argument of `localyun-bench attack`: the latency
// of a well-behaved probe while hostile clients attack the server.
//
//	go run ./cmd/localyun-bench attack [flags]
//
// It seeds a small world, starts `localyun serve` under a descriptor limit
// (--nofile), and runs a probe (--probes keep-alive clients sending signed
// DescribeInstanceRamRole from 127.0.0.1) alone, then during each attack,
// from 127.0.0.2 onwards: slow headers, slow bodies, chunked bodies without
// an end, a connection flood, and concurrent 1 MiB bodies. Each attack
// runs --ramp before the probe starts and until it ends. It prints the
// probe's p50/p99 and errors, the server's peak RSS and descriptors, and
// what the attackers saw, per attack.
const attackMode = "attack"

// AttackConfig is the configuration of `localyun-bench attack`.
type AttackConfig struct {
	ServerBin  string
	Dir        string
	Duration   time.Duration // of the probe, per attack
	Ramp       time.Duration // of each attack before the probe starts
	Probes     int           // probe clients
	Conns      int           // connections of each slow attack
	Flood      int           // connections of the flood
	Bodies     int           // concurrent 1 MiB bodies
	IPs        int           // attacker source addresses, 127.0.0.2 onwards
	Nofile     int           // descriptor limit of the server
	Trickle    time.Duration // between the bytes of a slow attack
	Pause      time.Duration // before an attacker connects again
	Attacks    string        // comma-separated attack names; "": all
	ServeFlags string        // extra `localyun serve` flags, space-separated

	// Worker and Target make the process an attacker: it runs the attack
	// named Worker against Target until SIGTERM, then prints what it saw
	// (JSON). The bench starts one per attack, so that the attack's CPU and
	// garbage do not slow the probe inside its own process.
	Worker, Target string
}

// attack is one hostile load: n workers, each sending over one connection
// at a time what send writes, and connecting again once it is answered or
// closed (after pause, when again is true).
type attack struct {
	name, desc string
	n          func(c AttackConfig) int
	again      bool
	send       func(ctx context.Context, c AttackConfig, conn net.Conn)
}

var attacks = []attack{
	{name: "none", desc: "the probe alone", n: func(AttackConfig) int { return 0 }},
	{name: "slow-headers", desc: "%d connections sending a header a byte per %s", n: func(c AttackConfig) int { return c.Conns }, again: true,
		send: func(ctx context.Context, c AttackConfig, conn net.Conn) {
			trickleTo(ctx, conn, "GET / HTTP/1.1\r\nHost: localyun\r\nX-Slow: ", strings.Repeat("a", 60_000), c.Trickle)
		}},
	{name: "slow-body", desc: "%d connections announcing Content-Length 100000, sending a byte per %s",
		n: func(c AttackConfig) int { return c.Conns }, again: true,
		send: func(ctx context.Context, c AttackConfig, conn net.Conn) {
			trickleTo(ctx, conn, attackPost+"Content-Length: 100000\r\n\r\n", strings.Repeat("a", 100_000), c.Trickle)
		}},
	{name: "chunked", desc: "%d connections sending one chunk and no final chunk", n: func(c AttackConfig) int { return c.Conns }, again: true,
		send: func(ctx context.Context, c AttackConfig, conn net.Conn) {
			trickleTo(ctx, conn, attackPost+"Transfer-Encoding: chunked\r\n\r\n5\r\nA=abc\r\n", "", c.Trickle)
		}},
	{name: "flood", desc: "%d connections opened and held silent", n: func(c AttackConfig) int { return c.Flood }, again: true,
		send: func(ctx context.Context, c AttackConfig, conn net.Conn) { trickleTo(ctx, conn, "", "", c.Trickle) }},
	{name: "bodies", desc: "%d concurrent 1 MiB bodies, one after the other", n: func(c AttackConfig) int { return c.Bodies },
		send: func(ctx context.Context, c AttackConfig, conn net.Conn) {
			if _, err := io.WriteString(conn, attackPost+"Content-Length: "+strconv.Itoa(len(attackBody))+"\r\n\r\n"); err == nil {
				conn.Write(attackBody)
			}
		}},
}

// attackPost opens an unsigned STS request: the server's ECS latency
// histogram then holds only the probe's requests.
const attackPost = "POST /?Action=GetCallerIdentity&Version=2015-04-01 HTTP/1.1\r\nHost: localyun\r\n" +
	"Content-Type: application/x-www-form-urlencoded\r\n"

var attackBody = []byte("A=" + strings.Repeat("x", protocol.MaxBodyBytes-2))

// trickleTo writes head, then rest a byte per interval, then nothing until
// ctx ends or a write fails.
func trickleTo(ctx context.Context, conn net.Conn, head, rest string, interval time.Duration) {
	if _, err := io.WriteString(conn, head); err != nil {
		return
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if i < len(rest) {
			if _, err := conn.Write([]byte{rest[i]}); err != nil {
				return
			}
		}
	}
}

func parseAttackFlags(args []string, stderr io.Writer) (AttackConfig, error) {
	c := AttackConfig{}
	fs := flag.NewFlagSet("localyun-bench attack", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.ServerBin, "server-bin", "", "localyun binary to attack (default: go build ./cmd/localyun)")
	fs.StringVar(&c.Dir, "dir", filepath.Join(os.TempDir(), "localyun-bench"), "directory for the seeded SQLite file")
	fs.DurationVar(&c.Duration, "duration", 10*time.Second, "how long the probe runs during each attack")
	fs.DurationVar(&c.Ramp, "ramp", 3*time.Second, "how long each attack runs before the probe starts")
	fs.IntVar(&c.Probes, "probes", 4, "probe clients (keep-alive, from 127.0.0.1)")
	fs.IntVar(&c.Conns, "conns", 2000, "connections of each slow attack")
	fs.IntVar(&c.Flood, "flood", 0, "connections of the flood (default: twice --nofile)")
	fs.IntVar(&c.Bodies, "bodies", 64, "concurrent 1 MiB bodies")
	fs.IntVar(&c.IPs, "ips", 4, "attacker source addresses, 127.0.0.2 onwards")
	fs.IntVar(&c.Nofile, "nofile", 4096, "descriptor limit of the server (ulimit -n)")
	fs.DurationVar(&c.Trickle, "trickle", time.Second, "time between the bytes of a slow attack")
	fs.DurationVar(&c.Pause, "pause", 500*time.Millisecond, "pause before an attacker connects again")
	fs.StringVar(&c.Attacks, "attacks", "", "comma-separated attacks (default: all): "+strings.Join(attackNames(), ","))
	fs.StringVar(&c.ServeFlags, "serve-flags", "", "extra `localyun serve` flags, space-separated")
	fs.StringVar(&c.Worker, "worker", "", "internal: run this attack against --target until SIGTERM")
	fs.StringVar(&c.Target, "target", "", "internal: the address --worker attacks")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if c.Flood == 0 {
		c.Flood = 2 * c.Nofile
	}
	if fs.NArg() > 0 || c.Probes < 1 || c.Duration <= 0 || c.Trickle <= 0 || c.IPs < 1 || c.IPs > 250 || c.Nofile < 64 {
		return c, fmt.Errorf("attack: want no arguments, --probes ≥ 1, --duration and --trickle > 0, --ips 1..250, --nofile ≥ 64")
	}
	return c, nil
}

func attackNames() []string {
	var out []string
	for _, a := range attacks {
		out = append(out, a.name)
	}
	return out
}

// attackWorld is seeded for the probe: it reads instance roles.
var attackWorld = World{Instances: 1_000, Roles: 10, Hosts: 10, AccountsPerHost: 1, Groups: 1, HostsPerGroup: 1}

// runAttackCommand is `localyun-bench attack`; it returns the exit code.
func runAttackCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := parseAttackFlags(args, stderr)
	if err != nil {
		if err != flag.ErrHelp {
			fmt.Fprintln(stderr, "localyun-bench:", err)
		}
		return 2
	}
	if cfg.Worker != "" {
		err = runWorker(ctx, cfg, stdout)
	} else {
		err = runAttacks(ctx, cfg, stdout, stderr)
	}
	if err != nil {
		fmt.Fprintln(stderr, "localyun-bench attack:", err)
		return 1
	}
	return 0
}

// runAttacks seeds the world, starts the server and runs each attack.
func runAttacks(ctx context.Context, cfg AttackConfig, stdout, stderr io.Writer) error {
	logf := func(format string, args ...any) { fmt.Fprintf(stderr, format+"\n", args...) }
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(cfg.Dir, "attack-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	bc := Config{World: attackWorld, Dir: cfg.Dir}
	if bc.KeyFile, err = benchMasterKey(cfg.Dir); err != nil {
		return err
	}
	if cfg.ServerBin == "" {
		cfg.ServerBin = filepath.Join(tmp, "localyun")
		logf("building localyun → %s", cfg.ServerBin)
		if err := buildServer(ctx, cfg.ServerBin); err != nil {
			return err
		}
	}
	serveArgs, err := prepareSQLite(ctx, bc, tmp, &WorldResult{}, logf)
	if err != nil {
		return err
	}
	serveArgs = append(serveArgs, strings.Fields(cfg.ServeFlags)...)
	script := "ulimit -n " + strconv.Itoa(cfg.Nofile) + ` && exec "$0" "$@"`
	p, err := startProc(ctx, "/bin/sh", append([]string{"-c", script, cfg.ServerBin}, serveArgs...), nil)
	if err != nil {
		return err
	}
	defer p.stop()
	fmt.Fprintf(stdout, "# localyun-bench attack\n\n%s, %d CPUs; server: `localyun %s` under `ulimit -n %d`; "+
		"probe: %d keep-alive clients from 127.0.0.1, signed DescribeInstanceRamRole, 5 s timeout, %s per attack after %s of attack alone; "+
		"attackers from %d addresses (127.0.0.2 onwards), reconnecting %s after an answer or a close.\n\n",
		runtime.Version(), runtime.NumCPU(), strings.Join(serveArgs, " "), cfg.Nofile, cfg.Probes, cfg.Duration, cfg.Ramp, cfg.IPs, cfg.Pause)
	fmt.Fprintln(stdout, "| Attack | attackers | probe requests | p50 | p99 | max | probe errors | server-side p99 | server RSS peak | server fds peak | attackers saw |")
	fmt.Fprintln(stdout, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
	_, baseFds := procUsage(p.cmd.Process.Pid)
	selected := map[string]bool{}
	for _, name := range strings.Split(cfg.Attacks, ",") {
		if name = strings.TrimSpace(name); name != "" {
			selected[name] = true
		}
	}
	for _, a := range attacks {
		if len(selected) > 0 && !selected[a.name] {
			continue
		}
		logf("%s: %s", a.name, a.describe(cfg))
		r := runAttack(ctx, cfg, p, a, baseFds)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		fmt.Fprintf(stdout, "| %s | %s | %d | %s | %s | %s | %d | %s | %.0f MB | %d | %s |\n", a.name, a.describe(cfg), r.probe.N,
			fmtDur(r.probe.P50), fmtDur(r.probe.P99), fmtDur(r.max), r.probe.Errors, r.serverP99, float64(r.rss)/(1<<20), r.fds, cmp.Or(r.saw, "–"))
		if r.probe.Errors > 0 {
			logf("  first probe error: %s", r.probe.FirstErr)
		}
	}
	fmt.Fprintf(stdout, "\nServer peak RSS over the whole run (VmHWM): %.0f MB.\n", float64(p.peakRSS())/(1<<20))
	return nil
}

func (a attack) describe(c AttackConfig) string {
	if strings.Contains(a.desc, "%s") {
		return fmt.Sprintf(a.desc, a.n(c), c.Trickle)
	}
	if strings.Contains(a.desc, "%d") {
		return fmt.Sprintf(a.desc, a.n(c))
	}
	return a.desc
}

// attackResult is what one attack measured.
type attackResult struct {
	probe Measurement
	max   time.Duration // slowest probe request
	rss   int64         // peak VmRSS of the server during the attack
	fds   int           // peak open descriptors of the server
	saw   string        // what the attackers saw
	// serverP99 is the bucket bound of /metrics holding the p99 of the
	// probe's requests as the server timed them (from their header).
	serverP99 string
}

// runAttack runs a against the server p with the probe, then waits for the
// server to let go of the attackers' connections (to baseFds descriptors
// and the probe's).
func runAttack(ctx context.Context, cfg AttackConfig, p *proc, a attack, baseFds int) attackResult {
	var r attackResult
	actx, stop := context.WithCancel(ctx)
	attackers, err := startAttackers(cfg, a, strings.TrimPrefix(p.base, "http://"))
	if err != nil {
		r.saw = err.Error()
	}
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for actx.Err() == nil {
			rss, fds := procUsage(p.cmd.Process.Pid)
			r.rss, r.fds = max(r.rss, rss), max(r.fds, fds)
			sleepCtx(actx, 200*time.Millisecond)
		}
	}()
	sleepCtx(ctx, cfg.Ramp)
	before := ecsLatency(p.base)
	r.probe, r.max = runProbe(ctx, p.base, cfg)
	r.serverP99 = ecsLatency(p.base).p99Since(before)
	stop()
	<-sampled
	if attackers != nil {
		r.saw = attackers()
	}
	// Let the server close what the attackers left before the next attack.
	for end := time.Now().Add(30 * time.Second); time.Now().Before(end) && ctx.Err() == nil; {
		if _, fds := procUsage(p.cmd.Process.Pid); fds <= baseFds+cfg.Probes+16 {
			break
		}
		sleepCtx(ctx, 200*time.Millisecond)
	}
	return r
}

// runProbe runs the describe1 operation with cfg.Probes keep-alive
// clients for cfg.Duration and returns its measurement and slowest request.
func runProbe(ctx context.Context, base string, cfg AttackConfig) (Measurement, time.Duration) {
	tr := &http.Transport{MaxIdleConnsPerHost: cfg.Probes, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 5 * time.Second}
	op := ops[0] // describe1: signed DescribeInstanceRamRole of one instance
	callers := make([]*caller, cfg.Probes)
	for k := range callers {
		callers[k] = newCaller(base, client, k, len(op.Labels))
	}
	start := time.Now()
	runCallers(ctx, callers, op, attackWorld, cfg.Probes, start, start.Add(cfg.Duration))
	m := measurements(op.Labels, cfg.Probes, time.Since(start), callers[0], callers)[0]
	var slowest int64
	for _, c := range callers {
		if len(c.st.lat[0]) > 0 {
			slowest = max(slowest, slices.Max(c.st.lat[0]))
		}
	}
	return m, time.Duration(slowest)
}

// startAttackers starts a worker process running a against addr and
// returns the function that stops it and says what it saw (nil, nil for
// an attack without attackers).
func startAttackers(cfg AttackConfig, a attack, addr string) (func() string, error) {
	if a.n(cfg) == 0 {
		return nil, nil
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, attackMode, "--worker", a.name, "--target", addr, "--conns", strconv.Itoa(cfg.Conns),
		"--flood", strconv.Itoa(cfg.Flood), "--bodies", strconv.Itoa(cfg.Bodies), "--ips", strconv.Itoa(cfg.IPs),
		"--trickle", cfg.Trickle.String(), "--pause", cfg.Pause.String())
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return func() string {
		cmd.Process.Signal(syscall.SIGTERM)
		if err := cmd.Wait(); err != nil {
			return "attacker failed: " + err.Error()
		}
		seen := &outcomes{}
		if err := json.Unmarshal(out.Bytes(), &seen.counts); err != nil {
			return "attacker output: " + err.Error()
		}
		return seen.String()
	}, nil
}

// runWorker runs the attack cfg.Worker against cfg.Target until ctx ends,
// then prints what the attackers saw as a JSON object of counts.
func runWorker(ctx context.Context, cfg AttackConfig, stdout io.Writer) error {
	i := slices.IndexFunc(attacks, func(a attack) bool { return a.name == cfg.Worker })
	if i < 0 {
		return fmt.Errorf("no attack %q", cfg.Worker)
	}
	seen := &outcomes{counts: map[string]int{}}
	var wg sync.WaitGroup
	for k := range attacks[i].n(cfg) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			hostile(ctx, cfg, attacks[i], cfg.Target, "127.0.0."+strconv.Itoa(2+k%cfg.IPs), seen)
		}()
	}
	wg.Wait()
	seen.mu.Lock()
	defer seen.mu.Unlock()
	return json.NewEncoder(stdout).Encode(seen.counts)
}

// latencyBuckets are the cumulative counts of the server's
// localyun_request_duration_seconds histogram for ECS, by upper bound.
type latencyBuckets map[string]float64

// ecsLatency scrapes the ECS latency histogram from base's /metrics.
func ecsLatency(base string) latencyBuckets {
	b := latencyBuckets{}
	res, err := http.Get(base + "/metrics")
	if err != nil {
		return b
	}
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), `localyun_request_duration_seconds_bucket{product="Ecs",le="`)
		if le, count, ok2 := strings.Cut(rest, `"} `); ok && ok2 {
			b[le], _ = strconv.ParseFloat(count, 64)
		}
	}
	return b
}

// p99Since returns the smallest bucket bound holding 99 % of the requests
// counted since before ("> the largest" when none does).
func (b latencyBuckets) p99Since(before latencyBuckets) string {
	total := b["+Inf"] - before["+Inf"]
	if total == 0 {
		return "–"
	}
	var les []float64
	for le := range b {
		if v, err := strconv.ParseFloat(le, 64); err == nil && le != "+Inf" {
			les = append(les, v)
		}
	}
	slices.Sort(les)
	for _, v := range les {
		le := strconv.FormatFloat(v, 'g', -1, 64)
		if b[le]-before[le] >= 0.99*total {
			return "≤ " + fmtDur(time.Duration(v*float64(time.Second)))
		}
	}
	return "> " + fmtDur(time.Duration(les[len(les)-1]*float64(time.Second)))
}

// outcomes counts what attackers saw.
type outcomes struct {
	mu     sync.Mutex
	counts map[string]int
}

func (o *outcomes) add(what string) {
	o.mu.Lock()
	o.counts[what]++
	o.mu.Unlock()
}

func (o *outcomes) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.counts) == 0 {
		return "–"
	}
	keys := make([]string, 0, len(o.counts))
	for k := range o.counts {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s ×%d", k, o.counts[k])
	}
	return strings.Join(parts, "; ")
}

// hostile is one attacker from the address src: it connects, sends what
// a sends, waits for an answer or a close, and starts again until ctx
// ends.
func hostile(ctx context.Context, cfg AttackConfig, a attack, addr, src string, seen *outcomes) {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 5 * time.Second}
	for ctx.Err() == nil {
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			if ctx.Err() == nil {
				seen.add("connect failed")
				sleepCtx(ctx, cfg.Pause)
			}
			continue
		}
		seen.add("connections")
		cctx, cancel := context.WithCancel(ctx)
		go a.send(cctx, cfg, conn)
		unblock := context.AfterFunc(cctx, func() { conn.Close() })
		res, err := http.ReadResponse(bufio.NewReader(conn), nil)
		switch {
		case ctx.Err() != nil:
		case err == nil:
			seen.add("answered " + strconv.Itoa(res.StatusCode))
		default:
			seen.add("closed unanswered")
		}
		cancel()
		unblock()
		conn.Close()
		if a.again {
			sleepCtx(ctx, cfg.Pause)
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// procUsage returns the resident memory (VmRSS, bytes) and the open
// descriptors of process pid; -1 for what cannot be read.
func procUsage(pid int) (rss int64, fds int) {
	rss, fds = -1, -1
	if kb := procStatusKB(pid, "VmRSS"); kb >= 0 {
		rss = kb << 10
	}
	if ents, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/fd"); err == nil {
		fds = len(ents)
	}
	return rss, fds
}
