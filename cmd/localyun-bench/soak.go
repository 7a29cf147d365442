package main

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/localyun/localyun/internal/pgtest"
)

// soakMode is the first argument that runs the soak instead of the bench.
const soakMode = "soak"

// The soak's RAM and STS API versions, and the RAM users it creates for
// GetUser.
const (
	ramVersion = "2015-05-01"
	stsVersion = "2015-04-01"
	soakUsers  = 10
	// soakTimeout bounds each request, and how long after the end the
	// requests due before it may still be sent.
	soakTimeout = 30 * time.Second
)

// SoakConfig is the configuration of a soak: the bench's own (world, store,
// server binary; --duration is the soak's length, --concurrency the cap on
// requests in flight, --warmup the unmeasured load before the peak is
// measured, --ops the mix) and the soak's flags.
type SoakConfig struct {
	Config
	Rate         float64       // requests per second; 0: RateOfPeak × the measured peak
	RateOfPeak   float64       // fraction of the peak to soak at
	PeakFor      time.Duration // how long the peak is measured
	Sample       time.Duration // interval between samples
	Warm         time.Duration // judge RSS from here on; 0: automatic
	MaxRSSGrowth float64       // percent, over the judged part, net of the window
	WindowBytes  float64       // RSS allowed per nonce the window gains while judged
}

// soakMain runs `localyun-bench soak args` and returns the exit code: 0 when
// every request succeeded and RSS stayed flat, 1 when not, 2 for bad flags.
func soakMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	sc, err := parseSoakFlags(args, stderr)
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stderr, "localyun-bench soak:", err)
		}
		return 2
	}
	res, err := runSoak(ctx, sc, stdout, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "localyun-bench soak:", err)
		return 1
	}
	if f := res.Failures(); len(f) > 0 {
		fmt.Fprintln(stderr, "localyun-bench soak: FAILED:", strings.Join(f, "; "))
		return 1
	}
	return 0
}

// parseSoakFlags parses the bench's flags plus the soak's own; the bench
// flags whose meaning changes get the soak's usage (and --duration its
// default of 15 minutes).
func parseSoakFlags(args []string, stderr io.Writer) (SoakConfig, error) {
	var sc SoakConfig
	var fset *flag.FlagSet
	cfg, err := parseFlags(args, stderr, func(fs *flag.FlagSet) {
		fset = fs
		fs.Float64Var(&sc.Rate, "rate", 0, "soak at this fixed rate, requests per second (open loop); 0: --rate-of-peak × the measured peak")
		fs.Float64Var(&sc.RateOfPeak, "rate-of-peak", 0.8, "without --rate: measure the peak req/s of the same mix first (closed loop, --concurrency clients, --warmup then --peak-for), then soak at this fraction of it")
		fs.DurationVar(&sc.PeakFor, "peak-for", 10*time.Second, "how long the peak is measured (--rate-of-peak)")
		fs.DurationVar(&sc.Sample, "sample", 10*time.Second, "interval between samples: one table row each")
		fs.DurationVar(&sc.Warm, "warm", 0, "judge RSS from this time of the soak on (0: from the first sample at which the replay window stopped growing, else over the last third)")
		fs.Float64Var(&sc.MaxRSSGrowth, "max-rss-growth", 10, "fail if RSS grows more than this many percent over the judged part, net of --window-bytes")
		fs.Float64Var(&sc.WindowBytes, "window-bytes", 34, "RSS allowed per nonce the replay window gains over the judged part (issue 11's budget: 150 MB for 5,000 req/s held 15 min ≈ 34 B)")
		redefine(fs, "duration", "15m", "how long the soak runs at its fixed rate")
		redefine(fs, "concurrency", "", "most requests in flight at once: below it the schedule never waits for answers")
		redefine(fs, "warmup", "", "unmeasured closed-loop load before the peak is measured (--rate-of-peak)")
		redefine(fs, "ops", "", "comma-separated mix entries (default: all): "+strings.Join(soakOpNames(), ","))
		fs.Usage = func() {
			fmt.Fprintf(fs.Output(), "Usage: localyun-bench soak [flags]\n\nMixed signed load at a fixed rate against one localyun serve, sampling its RSS,\ndescriptors, goroutines and replay window; see go doc ./cmd/localyun-bench.\n\n")
			fs.PrintDefaults()
		}
	})
	sc.Config = cfg
	if err != nil {
		return sc, err
	}
	set := map[string]bool{}
	fset.Visit(func(f *flag.Flag) { set[f.Name] = true })
	switch {
	case set["rate"] && set["rate-of-peak"]:
		return sc, errors.New("--rate and --rate-of-peak are exclusive")
	case sc.Rate < 0 || (sc.Rate == 0 && (sc.RateOfPeak <= 0 || sc.PeakFor <= 0)):
		return sc, errors.New("want --rate > 0, or --rate-of-peak > 0 with --peak-for > 0")
	case sc.Sample <= 0 || sc.Warm < 0 || sc.MaxRSSGrowth < 0 || sc.WindowBytes < 0:
		return sc, errors.New("--sample must be positive; --warm, --max-rss-growth and --window-bytes not negative")
	case sc.Nodes > 1 || sc.Both:
		return sc, errors.New("the soak samples one server process on one world: no --nodes or --both")
	}
	_, err = soakMix(sc.Ops, true)
	return sc, err
}

// redefine gives the bench flag name a new usage and, if def is not
// empty, a new default.
func redefine(fs *flag.FlagSet, name, def, usage string) {
	f := fs.Lookup(name)
	f.Usage = usage
	if def != "" {
		f.Value.Set(def)
		f.DefValue = f.Value.String()
	}
}

// soakOp is one entry of the soak's mix: a request, or one step of a cycle
// over objects (attach then detach) that leaves the world as found.
type soakOp struct {
	name    string
	weight  int // requests in each round of the mix
	label   string
	bastion bool
	// objects is how many objects a cycle uses (nil: not a cycle); each is
	// used by one request at a time.
	objects func(w World, conc int) int
	req     func(w World, rng *rand.Rand, o soakObj) soakReq
}

// soakObj is an object of a cycle: its number and whether the first step
// of its cycle is done.
type soakObj struct {
	n       int
	flipped bool
}

// soakReq is one signed request and the check of its 200 body.
type soakReq struct {
	version, action string
	kv              []string
	check           func([]byte) error
}

var soakOps = []soakOp{
	{name: "describe", weight: 3, label: "ECS DescribeInstanceRamRole (1 id)",
		req: func(w World, rng *rand.Rand, _ soakObj) soakReq {
			id := instanceID(rng.IntN(w.Instances))
			return soakReq{ecsVersion, "DescribeInstanceRamRole", []string{"InstanceIds", `["` + id + `"]`}, wantContains(`"TotalCount":1,`)}
		}},
	{name: "attach-cycle", weight: 2, label: "ECS AttachInstanceRamRole / DetachInstanceRamRole, alternately, on role-less instances",
		objects: func(w World, conc int) int { return min(conc, w.Instances/2) },
		req: func(w World, _ *rand.Rand, o soakObj) soakReq {
			id := `["` + instanceID(2*o.n+1) + `"]`
			if o.flipped {
				return soakReq{ecsVersion, "DetachInstanceRamRole", []string{"InstanceIds", id}, wantContains(`"FailCount":0`)}
			}
			return soakReq{ecsVersion, "AttachInstanceRamRole", []string{"InstanceIds", id, "RamRoleName", roleName(o.n % w.Roles)}, wantContains(`"FailCount":0`)}
		}},
	{name: "listhosts", weight: 2, label: "Bastionhost ListHostsForUserGroup (page of 20)", bastion: true,
		req: func(w World, rng *rand.Rand, _ soakObj) soakReq {
			g := strconv.Itoa(rng.IntN(w.Groups) + 1)
			return soakReq{bastionVersion, "ListHostsForUserGroup", []string{"InstanceId", benchBastion, "UserGroupId", g,
				"PageNumber", "1", "PageSize", "20"}, wantContains(`"HostId"`)}
		}},
	{name: "grant-cycle", weight: 1, label: "Bastionhost DetachHostAccountsFromUserGroup / AttachHostAccountsToUserGroup, alternately", bastion: true,
		objects: func(w World, conc int) int { return min(conc, w.Groups) },
		req: func(w World, _ *rand.Rand, o soakObj) soakReq {
			g := o.n + 1
			h := w.hostsOfGroup(g)[0]
			hosts := `[{"HostId":"` + hostID(h) + `","HostAccountIds":["` + strings.Join(w.accountIDs(h), `","`) + `"]}]`
			action := "DetachHostAccountsFromUserGroup"
			if o.flipped {
				action = "AttachHostAccountsToUserGroup"
			}
			return soakReq{bastionVersion, action, []string{"InstanceId", benchBastion, "UserGroupId", strconv.Itoa(g), "Hosts", hosts}, allCodesOK}
		}},
	{name: "ram-getuser", weight: 1, label: "RAM GetUser",
		req: func(w World, rng *rand.Rand, _ soakObj) soakReq {
			u := soakUser(rng.IntN(soakUsers))
			return soakReq{ramVersion, "GetUser", []string{"UserName", u}, wantContains(`"UserName":"` + u + `"`)}
		}},
	{name: "ram-listusers", weight: 1, label: "RAM ListUsers",
		req: func(World, *rand.Rand, soakObj) soakReq {
			return soakReq{ramVersion, "ListUsers", nil, wantContains(`"Users"`)}
		}},
	{name: "sts-identity", weight: 1, label: "STS GetCallerIdentity",
		req: func(World, *rand.Rand, soakObj) soakReq {
			return soakReq{stsVersion, "GetCallerIdentity", nil, wantContains(`"AccountId":"` + benchAccount + `"`)}
		}},
}

func soakUser(n int) string { return fmt.Sprintf("soak-user-%02d", n) }

func soakOpNames() []string {
	out := make([]string, len(soakOps))
	for i, op := range soakOps {
		out[i] = op.name
	}
	return out
}

// soakMix returns the mix --ops selects ("": all); without bastion, the
// Bastionhost entries are left out.
func soakMix(sel string, bastion bool) ([]soakOp, error) {
	want := map[string]bool{}
	for _, name := range strings.Split(sel, ",") {
		if name = strings.TrimSpace(name); name != "" {
			if !slices.Contains(soakOpNames(), name) {
				return nil, fmt.Errorf("--ops: no mix entry %q (want %s)", name, strings.Join(soakOpNames(), ","))
			}
			want[name] = true
		}
	}
	var out []soakOp
	for _, op := range soakOps {
		if (len(want) == 0 || want[op.name]) && (bastion || !op.bastion) {
			out = append(out, op)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("the mix is empty")
	}
	return out, nil
}

// mixPattern is one round of the mix: each entry's index weight times, in
// an order shuffled once (fixed seed) so that no entry comes in bursts.
func mixPattern(mix []soakOp) []int {
	var p []int
	for i, op := range mix {
		for range op.weight {
			p = append(p, i)
		}
	}
	rand.New(rand.NewPCG(1, 1)).Shuffle(len(p), func(i, j int) { p[i], p[j] = p[j], p[i] })
	return p
}

// recorder collects the outcomes of the soak's requests: per sampling
// interval (swapped out by each sample) and for the whole run.
type recorder struct {
	mu       sync.Mutex
	sent     int
	ok       int
	failed   int
	lat      []int64 // nanoseconds, of the requests completed in this interval
	all      []int64 // every latency since keepAll was set
	keepAll  bool
	errs     map[string]int    // by error key, whole run
	examples map[string]string // first message of each key
}

func newRecorder() *recorder {
	return &recorder{errs: map[string]int{}, examples: map[string]string{}}
}

// issued counts a request sent.
func (r *recorder) issued() {
	r.mu.Lock()
	r.sent++
	r.mu.Unlock()
}

// done records a completed request: its latency and, if it failed, its
// error key and message.
func (r *recorder) done(lat time.Duration, key, msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lat = append(r.lat, int64(lat))
	if r.keepAll {
		r.all = append(r.all, int64(lat))
	}
	if key == "" {
		r.ok++
		return
	}
	r.failed++
	r.fail(key, msg, 1)
}

// fail counts n failures under key; the caller holds r.mu.
func (r *recorder) fail(key, msg string, n int) {
	if r.errs[key] == 0 {
		r.examples[key] = msg
	}
	r.errs[key] += n
}

// failure counts n failures that are not completed requests (requests
// never sent, failed scrapes).
func (r *recorder) failure(key, msg string, n int) {
	r.mu.Lock()
	r.fail(key, msg, n)
	r.mu.Unlock()
}

// interval returns the counts and latencies since the last call and starts
// a new interval.
func (r *recorder) interval() (sent, ok, failed int, lat []int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	sent, ok, failed, lat = r.sent, r.ok, r.failed, r.lat
	r.sent, r.ok, r.failed, r.lat = 0, 0, 0, make([]int64, 0, len(lat))
	return sent, ok, failed, lat
}

// startSoak starts a fresh interval and keeps every latency from now on.
func (r *recorder) startSoak() {
	r.interval()
	r.mu.Lock()
	r.keepAll = true
	r.mu.Unlock()
}

// errorCount is the number of failures recorded so far.
func (r *recorder) errorCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, v := range r.errs {
		n += v
	}
	return n
}

// latencyStats are the nearest-rank p50 and p99 and the maximum of lat,
// which it sorts.
func latencyStats(lat []int64) (p50, p99, maxLat time.Duration) {
	if len(lat) == 0 {
		return 0, 0, 0
	}
	slices.Sort(lat)
	return pct(lat, 0.50), pct(lat, 0.99), time.Duration(lat[len(lat)-1])
}

// soakRun is a mix entry during a run, with its cycle's objects.
type soakRun struct {
	soakOp
	objs chan soakObj // nil: not a cycle
}

// soakDriver sends the mix to one server. Its pool holds one caller per
// request that may be in flight: taking one is the admission to send.
type soakDriver struct {
	base    string
	client  *http.Client
	world   World
	conc    int
	ops     []*soakRun
	pattern []int // indexes into ops, one round of the mix
	pool    chan *caller
	rec     *recorder
	pid     int // of the server, for /proc
	scrape  *http.Client
}

func newSoakDriver(base string, pid int, w World, conc int, mix []soakOp) *soakDriver {
	tr := &http.Transport{MaxIdleConns: conc + 4, MaxIdleConnsPerHost: conc + 4, MaxConnsPerHost: conc,
		DisableCompression: true, IdleConnTimeout: 90 * time.Second}
	d := &soakDriver{base: base, client: &http.Client{Transport: tr, Timeout: soakTimeout}, world: w, conc: conc,
		pool: make(chan *caller, conc), rec: newRecorder(), pid: pid, scrape: &http.Client{Timeout: 5 * time.Second}}
	for _, op := range mix {
		r := &soakRun{soakOp: op}
		if op.objects != nil {
			n := max(op.objects(w, conc), 1)
			r.objs = make(chan soakObj, n)
			for i := range n {
				r.objs <- soakObj{n: i}
			}
		}
		d.ops = append(d.ops, r)
	}
	d.pattern = mixPattern(mix)
	for k := range conc {
		d.pool <- newCaller(base, d.client, k, 1)
	}
	return d
}

// send signs and sends r with c and returns "" if it succeeded, else an
// error key (the HTTP status and error code, a transport error or a failed
// check) and a message.
func (d *soakDriver) send(c *caller, r soakReq) (key, msg string) {
	q := c.signedQuery(r.version, r.action, r.kv)
	req, err := http.NewRequest(http.MethodPost, d.base+"/?"+q, http.NoBody)
	if err != nil {
		return "request: " + r.action, err.Error()
	}
	h := req.Header
	h["Content-Type"] = []string{"application/x-www-form-urlencoded"}
	h["Accept-Encoding"] = []string{"identity"}
	h["User-Agent"] = []string{"AlibabaCloud (linux; amd64) Golang/go1.26 Core/0.01 localyun-bench"}
	resp, err := d.client.Do(req)
	if err == nil {
		c.buf.Reset()
		_, err = c.buf.ReadFrom(resp.Body)
		resp.Body.Close()
	}
	if err != nil {
		return transportKey(err), r.action + ": " + err.Error()
	}
	body := c.buf.Bytes()
	if resp.StatusCode != http.StatusOK {
		return fmt.Sprintf("HTTP %d %s", resp.StatusCode, errorCode(body)), fmt.Sprintf("%s: %.300s", r.action, body)
	}
	if r.check != nil {
		if err := r.check(body); err != nil {
			return "unexpected 200 body: " + r.action, err.Error()
		}
	}
	return "", ""
}

// transportKey names a transport error by its last part ("connection
// reset by peer", "EOF", "timeout"): addresses and ports differ each time.
func transportKey(err error) string {
	var te interface{ Timeout() bool }
	if (errors.As(err, &te) && te.Timeout()) || errors.Is(err, context.DeadlineExceeded) {
		return "transport: timeout"
	}
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 {
		s = s[i+2:]
	}
	return "transport: " + s
}

// errorCode is the Code of a JSON error body, or "(no code)".
func errorCode(body []byte) string {
	s := string(body)
	i := strings.Index(s, `"Code":"`)
	if i < 0 {
		return "(no code)"
	}
	s = s[i+len(`"Code":"`):]
	if j := strings.IndexByte(s, '"'); j >= 0 {
		return s[:j]
	}
	return "(no code)"
}

// exec sends slot i of the mix with c, and records its latency from at,
// the time it was due.
func (d *soakDriver) exec(c *caller, i int, at time.Time) {
	op := d.ops[d.pattern[i%len(d.pattern)]]
	var o soakObj
	if op.objs != nil {
		o = <-op.objs
	}
	key, msg := d.send(c, op.req(d.world, c.rng, o))
	if op.objs != nil {
		if key == "" {
			o.flipped = !o.flipped
		}
		op.objs <- o
	}
	d.rec.done(time.Since(at), key, msg)
}

// slotAt is when request i of a schedule of rate requests per second from
// start is due.
func slotAt(start time.Time, rate float64, i int) time.Time {
	return start.Add(time.Duration(float64(i) * 1e9 / rate))
}

// slotsBefore is how many requests of that schedule are due before end.
func slotsBefore(start, end time.Time, rate float64) int {
	n := max(int(end.Sub(start).Seconds()*rate), 0)
	for n > 0 && !slotAt(start, rate, n-1).Before(end) {
		n--
	}
	for slotAt(start, rate, n).Before(end) {
		n++
	}
	return n
}

// openLoop sends request i at slotAt(start, rate, i) until end, each in
// its own goroutine, whether or not the earlier ones have answered: the
// load does not slow down when the server does. Only when every caller is
// busy (--concurrency requests in flight) does it wait, and then sends the
// requests that fell due meanwhile at once, late. Requests due before end
// but still waiting grace after it are not sent; their number is returned.
func (d *soakDriver) openLoop(ctx context.Context, start, end time.Time, rate float64, grace time.Duration) (unsent int) {
	n := slotsBefore(start, end, rate)
	tick := time.NewTimer(0)
	defer tick.Stop()
	over := time.NewTimer(time.Until(end.Add(grace)))
	defer over.Stop()
	for i := range n {
		at := slotAt(start, rate, i)
		if wait := time.Until(at); wait > 0 {
			tick.Reset(wait)
			select {
			case <-tick.C:
			case <-ctx.Done():
				return n - i
			}
		}
		var c *caller
		select {
		case c = <-d.pool:
		case <-over.C:
			return n - i
		case <-ctx.Done():
			return n - i
		}
		d.rec.issued()
		go func() {
			d.exec(c, i, at)
			d.pool <- c
		}()
	}
	return 0
}

// drain waits until no request is in flight.
func (d *soakDriver) drain() {
	cs := make([]*caller, 0, d.conc)
	for range d.conc {
		cs = append(cs, <-d.pool)
	}
	for _, c := range cs {
		d.pool <- c
	}
}

// peak runs the mix closed loop (each caller sends its next request when
// the last one answered) for warmup, then for dur, and returns the
// requests per second that succeeded during dur.
func (d *soakDriver) peak(ctx context.Context, warmup, dur time.Duration) float64 {
	var next atomic.Int64
	deadline := time.Now().Add(warmup + dur)
	var wg sync.WaitGroup
	for range d.conc {
		c := <-d.pool
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) && ctx.Err() == nil {
				d.exec(c, int(next.Add(1)-1), time.Now())
			}
			d.pool <- c
		}()
	}
	sleepCtx(ctx, warmup)
	t0 := time.Now()
	d.rec.interval()
	sleepCtx(ctx, dur)
	_, ok, _, _ := d.rec.interval()
	el := time.Since(t0)
	wg.Wait()
	return float64(ok) / el.Seconds()
}

// soakSample is one row of the table: the load of one interval and the
// server's state at its end. Server figures the server did not give are -1.
type soakSample struct {
	T          time.Duration // since the soak started
	Elapsed    time.Duration // of the interval
	Sent       int
	OK         int
	Errors     int
	P50, P99   time.Duration
	Max        time.Duration
	RSS        int64 // bytes
	Heap       int64 // bytes, go_memstats_heap_inuse_bytes
	FDs        int
	Goroutines int
	Nonces     int64 // localyun_replay_window_nonces
}

// sample closes the interval that began at last and reads the server's
// state.
func (d *soakDriver) sample(start, last time.Time) soakSample {
	now := time.Now()
	sent, ok, failed, lat := d.rec.interval()
	s := soakSample{T: now.Sub(start), Elapsed: now.Sub(last), Sent: sent, OK: ok, Errors: failed,
		RSS: -1, Heap: -1, FDs: -1, Goroutines: -1, Nonces: -1}
	s.P50, s.P99, s.Max = latencyStats(lat)
	s.RSS, s.FDs = procUsage(d.pid)
	m, err := d.metrics()
	if err != nil {
		d.rec.failure("scrape /metrics", err.Error(), 1)
		return s
	}
	get := func(name string) int64 {
		if v, ok := m[name]; ok {
			return int64(v)
		}
		return -1
	}
	s.Goroutines, s.Heap, s.Nonces = int(get("go_goroutines")), get("go_memstats_heap_inuse_bytes"), get("localyun_replay_window_nonces")
	if s.RSS < 0 {
		s.RSS = get("process_resident_memory_bytes")
	}
	if s.FDs < 0 {
		s.FDs = int(get("process_open_fds"))
	}
	return s
}

// procStatusKB is the value of key (e.g. VmRSS) in /proc/pid/status, in
// kB, or -1.
func procStatusKB(pid int, key string) int64 {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), key+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				return -1
			}
			return kb
		}
	}
	return -1
}

// metrics scrapes the server's /metrics.
func (d *soakDriver) metrics() (map[string]float64, error) {
	resp, err := d.scrape.Get(d.base + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("/metrics: HTTP %d", resp.StatusCode)
	}
	return parseMetrics(resp.Body)
}

// parseMetrics reads the unlabelled series of a Prometheus text exposition
// ("name value [timestamp]"); comments and labelled series are skipped.
func parseMetrics(r io.Reader) (map[string]float64, error) {
	out := map[string]float64{}
	err := eachSeries(r, func(_ string, labelled bool) bool { return !labelled },
		func(name string, v float64) { out[name] = v })
	if err != nil {
		return nil, err
	}
	return out, nil
}

// sampleLoop takes a sample every interval from start until done is
// closed, then one for the rest, however short.
func (d *soakDriver) sampleLoop(start time.Time, every time.Duration, done <-chan struct{}, logf func(string, ...any)) []soakSample {
	t := time.NewTicker(every)
	defer t.Stop()
	var out []soakSample
	last := start
	for {
		select {
		case <-t.C:
		case <-done:
			// Always: the requests completed since the last tick count.
			return append(out, d.sample(start, last))
		}
		s := d.sample(start, last)
		last = start.Add(s.T)
		out = append(out, s)
		logf("  %7s  sent %6d  ok %6d  errors %d  %6.0f req/s  p99 %-9s  RSS %s MB  fds %d  goroutines %d  window %s",
			fmtT(s.T), s.Sent, s.OK, s.Errors, float64(s.OK+s.Errors)/s.Elapsed.Seconds(), fmtDur(s.P99), fmtMB(s.RSS), s.FDs, s.Goroutines, fmtCount(s.Nonces))
	}
}

// rssJudgement is the verdict on RSS over the judged part of a soak: the
// samples from From on, where a straight line is fitted to RSS and to the
// window's nonces over time.
type rssJudgement struct {
	From          int    // first judged sample; -1: not judged
	How           string // why the judged part starts where it does
	RSS0, RSS1    float64
	SlopeMBMin    float64 // MB (2^20 bytes) per minute
	NoncesGained  float64 // by the window over the judged part (0: unknown or none)
	BytesPerNonce float64 // RSS gained per nonce gained (0: the window did not grow)
	Growth        float64 // percent of RSS0, net of the window allowance
}

// judge fits RSS (and the window's size) over the judged part of ss and
// returns the growth less windowBytes per nonce gained. warm > 0 starts
// the judged part there; otherwise it starts where the window is warm.
func judge(ss []soakSample, warm time.Duration, windowBytes float64) rssJudgement {
	j := rssJudgement{From: -1, How: "too few samples to judge RSS"}
	from, how := judgedFrom(ss, warm)
	var ts, rs, ns []float64
	nonces := true
	for _, s := range ss[from:] {
		if s.RSS < 0 {
			continue
		}
		ts, rs, ns = append(ts, s.T.Seconds()), append(rs, float64(s.RSS)), append(ns, float64(s.Nonces))
		nonces = nonces && s.Nonces >= 0
	}
	if len(ts) < 2 || ts[len(ts)-1] <= ts[0] {
		return j
	}
	j.From, j.How = from, how
	first, last := ts[0], ts[len(ts)-1]
	a, b := fitLine(ts, rs)
	j.RSS0, j.RSS1, j.SlopeMBMin = a+b*first, a+b*last, b*60/(1<<20)
	if nonces {
		_, bn := fitLine(ts, ns)
		j.NoncesGained = max(0, bn*(last-first))
	}
	if j.NoncesGained > 0 {
		j.BytesPerNonce = (j.RSS1 - j.RSS0) / j.NoncesGained
	}
	j.Growth = 100 * (j.RSS1 - j.RSS0 - windowBytes*j.NoncesGained) / j.RSS0
	return j
}

// judgedFrom is the first sample of the judged part and why: the first at
// or after warm if it is set; else the first at which the window grew less
// than 2 % over the minute before (it is warm: nonces expire as fast as
// they come); else the start of the last third.
func judgedFrom(ss []soakSample, warm time.Duration) (int, string) {
	if len(ss) == 0 {
		return 0, ""
	}
	if warm > 0 {
		i, _ := slices.BinarySearchFunc(ss, warm, func(s soakSample, t time.Duration) int { return cmp.Compare(s.T, t) })
		return i, "from --warm " + warm.String()
	}
	for i, s := range ss {
		if s.T < time.Minute || s.Nonces < 0 {
			continue
		}
		k := -1 // the last sample at least a minute before s
		for j := i - 1; j >= 0 && k < 0; j-- {
			if ss[j].T <= s.T-time.Minute {
				k = j
			}
		}
		if k >= 0 && ss[k].Nonces >= 0 && float64(s.Nonces) <= 1.02*float64(ss[k].Nonces) {
			return i, "from the first sample at which the replay window grew less than 2 % in a minute (warm)"
		}
	}
	last := ss[len(ss)-1].T
	i, _ := slices.BinarySearchFunc(ss, last*2/3, func(s soakSample, t time.Duration) int { return cmp.Compare(s.T, t) })
	if ss[len(ss)-1].Nonces < 0 {
		return i, "over the last third (the server does not report its replay window)"
	}
	return i, "over the last third (the replay window was still growing: not warm)"
}

// fitLine is the least-squares line y = a + b·x.
func fitLine(x, y []float64) (a, b float64) {
	var mx, my float64
	for i := range x {
		mx += x[i]
		my += y[i]
	}
	n := float64(len(x))
	mx, my = mx/n, my/n
	var sxx, sxy float64
	for i := range x {
		sxx += (x[i] - mx) * (x[i] - mx)
		sxy += (x[i] - mx) * (y[i] - my)
	}
	if sxx > 0 {
		b = sxy / sxx
	}
	return my - b*mx, b
}

// SoakResult is everything a soak measured.
type SoakResult struct {
	World        World
	Store        string
	Mix          []soakOp
	Conc         int
	Peak         float64 // closed-loop req/s; 0: not measured (--rate)
	RateOfPeak   float64
	PeakFor      time.Duration
	Rate         float64
	Duration     time.Duration
	Sample       time.Duration
	Samples      []soakSample
	Sent, OK     int
	Failed       int               // every failure of the run: requests (the peak's too), unsent requests, scrapes
	Errs         map[string]int    // failures by key
	Examples     map[string]string // first message by key
	P50, P99     time.Duration
	Max          time.Duration
	Judge        rssJudgement
	MaxRSSGrowth float64
	WindowBytes  float64
	Interrupted  bool
	Notes        []string
}

// Failures says why the soak failed; empty: it passed.
func (r *SoakResult) Failures() []string {
	var f []string
	if r.Interrupted {
		f = append(f, "interrupted")
	}
	if r.Failed > 0 {
		f = append(f, fmt.Sprintf("%d errors", r.Failed))
	}
	if r.Judge.From >= 0 && r.Judge.Growth > r.MaxRSSGrowth {
		f = append(f, fmt.Sprintf("RSS grew %.1f %% over the judged part, net of the window allowance (limit %g %%)", r.Judge.Growth, r.MaxRSSGrowth))
	}
	return f
}

// runSoak prepares the world as the bench does, starts one server on it,
// soaks it and prints the report.
func runSoak(ctx context.Context, sc SoakConfig, stdout, stderr io.Writer) (*SoakResult, error) {
	logf := func(format string, args ...any) { fmt.Fprintf(stderr, format+"\n", args...) }
	cfg := &sc.Config
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(cfg.Dir, "soak-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	if cfg.KeyFile, err = benchMasterKey(cfg.Dir); err != nil {
		return nil, err
	}
	if cfg.ServerBin == "" {
		cfg.ServerBin = filepath.Join(tmp, "localyun")
		logf("building localyun → %s", cfg.ServerBin)
		if err := buildServer(ctx, cfg.ServerBin); err != nil {
			return nil, err
		}
	}
	if cfg.PGThrowaway {
		logf("starting a throwaway PostgreSQL cluster")
		cl, err := pgtest.StartCluster()
		if err != nil {
			return nil, fmt.Errorf("--pg-throwaway: %w", err)
		}
		defer cl.Stop()
		cfg.Store = cl.DSN("postgres")
	}
	wr := &WorldResult{World: cfg.World, Nodes: 1}
	logf("world: %s", cfg.World)
	var args []string
	if cfg.Store == "" {
		args, err = prepareSQLite(ctx, *cfg, tmp, wr, logf)
	} else {
		args, err = preparePostgres(ctx, *cfg, wr, logf)
	}
	if err != nil {
		return nil, err
	}
	srvs, err := startNodes(ctx, *cfg, args, 1, logf)
	if err != nil {
		return nil, err
	}
	defer srvs[0].stop()
	res, err := soakOn(ctx, sc, srvs[0], wr.Seed.Bastioned, logf)
	if res != nil {
		res.Store = wr.Store
		res.Print(stdout)
	}
	return res, err
}

// soakOn soaks the server p: RAM users and one round of the mix first
// (any failure stops there), the peak if the rate is a fraction of it,
// then the soak itself, and last the cycles' objects put back as seeded.
func soakOn(ctx context.Context, sc SoakConfig, p *proc, bastion bool, logf func(string, ...any)) (*SoakResult, error) {
	mix, err := soakMix(sc.Ops, bastion)
	if err != nil {
		return nil, err
	}
	d := newSoakDriver(p.base, p.cmd.Process.Pid, sc.World, sc.Concurrency, mix)
	res := &SoakResult{World: sc.World, Mix: mix, Conc: sc.Concurrency, Rate: sc.Rate, RateOfPeak: sc.RateOfPeak, PeakFor: sc.PeakFor,
		Duration: sc.Duration, Sample: sc.Sample, MaxRSSGrowth: sc.MaxRSSGrowth, WindowBytes: sc.WindowBytes}
	if !bastion {
		res.Notes = append(res.Notes, "the Bastionhost entries were left out of the mix: the bastion world was not seeded")
	}
	if err := d.setup(); err != nil {
		return nil, err
	}
	if res.Rate == 0 {
		logf("measuring the peak of the mix: %d clients, closed loop, %s unmeasured then %s", sc.Concurrency, sc.Warmup, sc.PeakFor)
		res.Peak = d.peak(ctx, sc.Warmup, sc.PeakFor)
		res.Rate = sc.RateOfPeak * res.Peak
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if res.Rate < 1 {
			return nil, fmt.Errorf("peak %.1f req/s: too low to soak at (%d errors)", res.Peak, d.rec.errorCount())
		}
		logf("peak %.0f req/s", res.Peak)
	}
	logf("soaking at %.0f req/s for %s (at most %d in flight), a sample every %s", res.Rate, sc.Duration, sc.Concurrency, sc.Sample)
	d.rec.startSoak()
	start := time.Now()
	done, samples := make(chan struct{}), make(chan []soakSample, 1)
	go func() { samples <- d.sampleLoop(start, sc.Sample, done, logf) }()
	unsent := d.openLoop(ctx, start, start.Add(sc.Duration), res.Rate, soakTimeout)
	d.drain()
	close(done)
	res.Samples = <-samples
	res.Interrupted = ctx.Err() != nil
	if unsent > 0 && !res.Interrupted {
		d.rec.failure("not sent: every caller was busy", fmt.Sprintf("%d requests due before the end were still waiting %s after it (--concurrency %d in flight)",
			unsent, soakTimeout, sc.Concurrency), unsent)
	}
	rerr := d.restore()
	res.collect(d.rec)
	res.Judge = judge(res.Samples, sc.Warm, sc.WindowBytes)
	return res, rerr
}

// setup creates the RAM users GetUser reads (an existing one is fine: a
// kept world) and sends one round of the mix, unmeasured.
func (d *soakDriver) setup() error {
	c := <-d.pool
	defer func() { d.pool <- c }()
	for u := range soakUsers {
		r := soakReq{version: ramVersion, action: "CreateUser", kv: []string{"UserName", soakUser(u)}}
		if key, msg := d.send(c, r); key != "" && !strings.HasSuffix(key, " EntityAlreadyExists.User") {
			return fmt.Errorf("create RAM user: %s: %s", key, msg)
		}
	}
	for i := range d.pattern {
		d.exec(c, i, time.Now())
	}
	if d.rec.errorCount() > 0 {
		var msgs []string
		for k, m := range d.rec.examples {
			msgs = append(msgs, k+": "+m)
		}
		return fmt.Errorf("a round of the mix failed before the soak: %s", strings.Join(msgs, "; "))
	}
	return nil
}

// restore puts every cycle object whose first step is done back as
// seeded. No request is in flight.
func (d *soakDriver) restore() error {
	c := <-d.pool
	defer func() { d.pool <- c }()
	var errs []error
	for _, op := range d.ops {
		for range cap(op.objs) {
			o := <-op.objs
			if o.flipped {
				if key, msg := d.send(c, op.req(d.world, c.rng, o)); key != "" {
					errs = append(errs, fmt.Errorf("restoring %s object %d: %s: %s", op.name, o.n, key, msg))
				} else {
					o.flipped = false
				}
			}
			op.objs <- o
		}
	}
	return errors.Join(errs...)
}

// collect copies the recorder's totals into r.
func (r *SoakResult) collect(rec *recorder) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for _, s := range r.Samples {
		r.Sent += s.Sent
		r.OK += s.OK
	}
	r.Errs, r.Examples = maps(rec.errs), map[string]string{}
	for k, v := range rec.errs {
		r.Failed += v
		r.Examples[k] = rec.examples[k]
	}
	r.P50, r.P99, r.Max = latencyStats(rec.all)
}

// Print writes the Markdown report: the setting, one row per sample and
// the summary.
func (r *SoakResult) Print(w io.Writer) {
	fmt.Fprintf(w, "# localyun-bench soak\n\n%s, %d CPUs, GOMAXPROCS %d\n\n", runtime.Version(), runtime.NumCPU(), runtime.GOMAXPROCS(0))
	fmt.Fprintf(w, "- world: %s\n- store: %s\n", r.World, r.Store)
	var parts []string
	n := 0
	for _, op := range r.Mix {
		parts = append(parts, fmt.Sprintf("%d × %s", op.weight, op.label))
		n += op.weight
	}
	fmt.Fprintf(w, "- mix, each round of %d requests: %s; every request V1-signed with a fresh nonce\n", n, strings.Join(parts, "; "))
	if r.Peak > 0 {
		fmt.Fprintf(w, "- rate: **%.0f req/s** = %g × the peak of the mix, %.0f req/s (closed loop, %d clients, measured over %s)\n",
			r.Rate, r.RateOfPeak, r.Peak, r.Conc, r.PeakFor)
	} else {
		fmt.Fprintf(w, "- rate: **%.0f req/s** (--rate)\n", r.Rate)
	}
	fmt.Fprintf(w, "- open loop for %s: request i is due at start + i/rate and its latency counts from then; at most %d in flight; a sample every %s\n\n",
		r.Duration, r.Conc, r.Sample)
	r.printTable(w)
	r.printSummary(w)
}

func (r *SoakResult) printTable(w io.Writer) {
	fmt.Fprintln(w, "| t | sent | ok | errors | req/s | p50 | p99 | max | RSS MB | heap MB | fds | goroutines | window nonces | RSS judged |")
	fmt.Fprintln(w, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---:|")
	for i, s := range r.Samples {
		judged := ""
		if r.Judge.From >= 0 && i >= r.Judge.From {
			judged = "yes"
		}
		fmt.Fprintf(w, "| %s | %d | %d | %d | %.0f | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", fmtT(s.T), s.Sent, s.OK, s.Errors,
			float64(s.OK+s.Errors)/s.Elapsed.Seconds(), fmtDur(s.P50), fmtDur(s.P99), fmtDur(s.Max), fmtMB(s.RSS), fmtMB(s.Heap),
			fmtCount(int64(s.FDs)), fmtCount(int64(s.Goroutines)), fmtCount(s.Nonces), judged)
	}
}

func (r *SoakResult) printSummary(w io.Writer) {
	fmt.Fprintf(w, "\n- requests: %d sent, %d ok, mean %.0f req/s; latency from the due time over the whole soak: p50 %s, p99 **%s**, max %s\n",
		r.Sent, r.OK, float64(r.Sent)/r.Duration.Seconds(), fmtDur(r.P50), fmtDur(r.P99), fmtDur(r.Max))
	if r.Failed == 0 {
		fmt.Fprintln(w, "- errors: **none**")
	} else {
		fmt.Fprintf(w, "- errors: **%d**\n", r.Failed)
		keys := make([]string, 0, len(r.Errs))
		for k := range r.Errs {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			fmt.Fprintf(w, "  - `%s` × %d, first: %.300s\n", k, r.Errs[k], r.Examples[k])
		}
	}
	var maxRSS, maxFDs, maxG, maxN int64 = -1, -1, -1, -1
	for _, s := range r.Samples {
		maxRSS, maxFDs, maxG, maxN = max(maxRSS, s.RSS), max(maxFDs, int64(s.FDs)), max(maxG, int64(s.Goroutines)), max(maxN, s.Nonces)
	}
	fmt.Fprintf(w, "- server maxima: RSS %s MB, fds %s, goroutines %s, window nonces %s\n", fmtMB(maxRSS), fmtCount(maxFDs), fmtCount(maxG), fmtCount(maxN))
	j := r.Judge
	if j.From < 0 {
		fmt.Fprintf(w, "- RSS: not judged (%s)\n", j.How)
	} else {
		first, last := r.Samples[j.From], r.Samples[len(r.Samples)-1]
		fmt.Fprintf(w, "- RSS, judged %s: %s MB at %s, %s MB at %s (fitted line %.1f → %.1f MB), slope **%+.2f MB/min**; the window gained %.0f nonces",
			j.How, fmtMB(first.RSS), fmtT(first.T), fmtMB(last.RSS), fmtT(last.T), j.RSS0/(1<<20), j.RSS1/(1<<20), j.SlopeMBMin, j.NoncesGained)
		if j.BytesPerNonce != 0 {
			fmt.Fprintf(w, " (%.0f bytes of RSS per nonce gained)", j.BytesPerNonce)
		}
		fmt.Fprintf(w, "; growth net of %g bytes per nonce gained: **%+.1f %%** (limit %g %%)\n", r.WindowBytes, j.Growth, r.MaxRSSGrowth)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "- note: %s\n", n)
	}
	if f := r.Failures(); len(f) > 0 {
		fmt.Fprintf(w, "\n**FAILED**: %s.\n", strings.Join(f, "; "))
	} else {
		fmt.Fprintln(w, "\n**PASSED**: no error, RSS flat.")
	}
}

// fmtT is a time of the soak, to the second.
func fmtT(d time.Duration) string { return d.Round(time.Second).String() }

// fmtMB is bytes in MB (2^20), or "–" if unknown.
func fmtMB(b int64) string {
	if b < 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f", float64(b)/(1<<20))
}

// fmtCount is n, or "–" if unknown.
func fmtCount(n int64) string {
	if n < 0 {
		return "–"
	}
	return strconv.FormatInt(n, 10)
}
