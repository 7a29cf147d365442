package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestParseBenchFlags checks the flags of the measured runs: the
// concurrency lists, --goals and what it leaves to flags given, --repeat,
// and the refusals.
func TestParseBenchFlags(t *testing.T) {
	for _, tc := range []struct {
		args        []string
		ops         string
		concs, wrts []int
		repeat      int
	}{
		{nil, "", []int{64}, nil, 1},
		{[]string{"--concurrency", "16"}, "", []int{16}, nil, 1},
		{[]string{"--concurrency-list", "64, 32,32"}, "", []int{32, 64}, nil, 1},
		{[]string{"--write-concurrency", "8,1", "--repeat", "3"}, "", []int{64}, []int{1, 8}, 3},
		{[]string{"--goals"}, goalOps, []int{32, 64}, []int{1, 8, 64}, 1},
		{[]string{"--goals", "--ops", "describe1", "--concurrency-list", "8", "--repeat", "2"}, "describe1", []int{8}, []int{1, 8, 64}, 2},
		{[]string{"--goals", "--concurrency", "16", "--write-concurrency", "4"}, goalOps, []int{16}, []int{4}, 1},
	} {
		cfg, err := parseBenchFlags(tc.args, new(bytes.Buffer))
		if err != nil {
			t.Errorf("%v: %v", tc.args, err)
			continue
		}
		if cfg.Ops != tc.ops || !reflect.DeepEqual(cfg.Concs, tc.concs) || !reflect.DeepEqual(cfg.WriteConcs, tc.wrts) || cfg.Repeat != tc.repeat {
			t.Errorf("%v: ops %q concs %v writes %v repeat %d, want %q %v %v %d", tc.args, cfg.Ops, cfg.Concs, cfg.WriteConcs, cfg.Repeat,
				tc.ops, tc.concs, tc.wrts, tc.repeat)
		}
	}
	for _, args := range [][]string{
		{"--concurrency", "8", "--concurrency-list", "8,16"},
		{"--concurrency-list", "0"},
		{"--concurrency-list", "a"},
		{"--concurrency-list", ","},
		{"--write-concurrency", "5000"},
		{"--repeat", "0"},
	} {
		if _, err := parseBenchFlags(args, new(bytes.Buffer)); err == nil {
			t.Errorf("%v: accepted", args)
		}
	}
	// The soak and the attack keep their own flags.
	if _, err := parseSoakFlags([]string{"--repeat", "2"}, new(bytes.Buffer)); err == nil {
		t.Error("soak accepted --repeat")
	}
}

// TestOpRuns checks that an operation runs once per distinct worker count,
// the writing ones at --write-concurrency too.
func TestOpRuns(t *testing.T) {
	byName := map[string]Op{}
	for _, op := range ops {
		byName[op.Name] = op
	}
	for _, tc := range []struct {
		op   string
		want []opRun
	}{
		{"describe1", []opRun{{32, []int{32}}, {64, []int{64}}}},
		{"attach1", []opRun{{1, []int{1}}, {8, []int{8}}, {32, []int{32}}, {64, []int{64}}}},
		// 500 role-holding instances make 5 blocks of 100: 8, 32 and 64 give 5 workers.
		{"detach100", []opRun{{1, []int{1}}, {5, []int{8, 32, 64}}}},
		{"detach100-c1", []opRun{{1, []int{1, 8, 32, 64}}}},
	} {
		got := opRuns(byName[tc.op], SmallWorld, []int{32, 64}, []int{1, 8, 64})
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.op, got, tc.want)
		}
	}
	if got := opRuns(byName["attach1"], World{Instances: 1}, []int{64}, nil); len(got) != 0 {
		t.Errorf("a world without a role-less instance: %v, want no run", got)
	}
}

const exposition = `# HELP localyun_store_write_transactions_total Write transactions.
# TYPE localyun_store_write_transactions_total counter
localyun_store_write_transactions_total 1200
# HELP localyun_store_commits_total Commits.
# TYPE localyun_store_commits_total counter
localyun_store_commits_total{store="sqlite"} 100
localyun_store_commits_total{store="other",x="a}b"} 20 1700000000000
localyun_store_commits_total_created 5
go_goroutines 12
`

// TestCommitsPerFsync checks the metrics arithmetic: the series of a
// counter are summed, the delta of two scrapes divided, and any missing
// part gives "–".
func TestCommitsPerFsync(t *testing.T) {
	m, err := sumSeries(strings.NewReader(exposition), metricWriteTx, metricCommits)
	if err != nil {
		t.Fatal(err)
	}
	if m[metricWriteTx] != 1200 || m[metricCommits] != 120 || len(m) != 2 {
		t.Errorf("sums %v, want 1200 write transactions and 120 commits", m)
	}
	before := storeCounters{Tx: 1200, Commits: 120, OK: true}
	for _, tc := range []struct {
		after storeCounters
		want  string
	}{
		{storeCounters{Tx: 1500, Commits: 150, OK: true}, "10.0"},
		{storeCounters{Tx: 1201, Commits: 123, OK: true}, "0.3"},
		{storeCounters{Tx: 1200, Commits: 120, OK: true}, "–"}, // no commit in the run
		{storeCounters{Tx: 1500, Commits: 100, OK: true}, "–"}, // went back: a restart
		{storeCounters{}, "–"},                                 // absent (an older server)
	} {
		if got := before.delta(tc.after).String(); got != tc.want {
			t.Errorf("%+v → %+v: %q, want %q", before, tc.after, got, tc.want)
		}
	}
	if got := (storeCounters{}).delta(storeCounters{Tx: 10, Commits: 1, OK: true}).String(); got != "–" {
		t.Errorf("without the first scrape: %q, want –", got)
	}

	withCounters := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(exposition)) }))
	defer withCounters.Close()
	without := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("go_goroutines 3\n")) }))
	defer without.Close()
	c := withCounters.Client()
	if got := scrapeStore(c, []string{withCounters.URL, withCounters.URL}); got != (storeCounters{Tx: 2400, Commits: 240, OK: true}) {
		t.Errorf("two nodes: %+v, want the sums", got)
	}
	if got := scrapeStore(c, []string{withCounters.URL, without.URL}); got.OK {
		t.Errorf("a node without the counters: %+v, want not OK", got)
	}
}

// TestDurability checks how the store line reads the server's banner.
func TestDurability(t *testing.T) {
	const head = "localyun dev listening on http://127.0.0.1:1234\n"
	for _, tc := range []struct {
		banner string
		sqlite bool
		want   string
		state  fsyncState
	}{
		{head + "  store: sqlite:/tmp/world.db\n  seed:  no seed file\n", true, "sqlite (WAL)", fsyncUnstated},
		{"", true, "sqlite (WAL)", fsyncUnstated},
		{head + "  store: postgres postgres://***@h/db\n", false, "postgres", fsyncUnstated},
		{head + "  store: sqlite:/tmp/w.db (WAL, synchronous=FULL, group commit)\n", true,
			"`sqlite:/tmp/w.db (WAL, synchronous=FULL, group commit)` (the server's banner)", fsyncYes},
		{head + "  store: sqlite:/tmp/w.db (WAL, synchronous=NORMAL)\n", true, "`sqlite:/tmp/w.db (WAL, synchronous=NORMAL)` (the server's banner)", fsyncNo},
		{head + "  store: sqlite:/tmp/w.db (group commit, fsync before each answer)\n", true,
			"`sqlite:/tmp/w.db (group commit, fsync before each answer)` (the server's banner)", fsyncUnstated},
	} {
		got, state := durability(tc.banner, tc.sqlite)
		if got != tc.want || state != tc.state {
			t.Errorf("%q: %q %d, want %q %d", tc.banner, got, state, tc.want, tc.state)
		}
	}
}

// goalWorld is a world's result with the rows that measure issue 12's
// goals: Describe at 32 and 64, the attach cycle at 64, the 100-batch with
// 1 and (capped) 5 workers; ListHosts is not measured.
func goalWorld(describe32, cycle64, batchP50ms float64, fsync fsyncState) *WorldResult {
	row := func(op string, step, conc int, asked []int, rps, base float64, p50 time.Duration) Row {
		return Row{Op: op, Step: step, Asked: asked, Server: Measurement{Conc: conc, N: 100, RPS: rps, P50: p50}, Baseline: Measurement{Conc: conc, N: 100, RPS: base}}
	}
	return &WorldResult{Fsync: fsync, Rows: []Row{
		row("describe1", 0, 32, []int{32}, describe32*1000, 1000, 0),
		row("describe1", 0, 64, []int{64}, 800, 1000, 0),
		row("attach1", 0, 64, []int{64}, cycle64*1000, 1000, 0),
		row("attach1", 1, 64, []int{64}, cycle64*1000, 1000, 0),
		row("detach100", 0, 1, []int{1}, 100, 1000, time.Duration(batchP50ms*1e6)),
		row("detach100", 1, 1, []int{1}, 100, 1000, time.Millisecond),
		row("detach100", 0, 5, []int{8, 32, 64}, 200, 1000, 0),
		row("detach100", 1, 5, []int{8, 32, 64}, 100, 1000, 0),
	}}
}

// TestGoalsTable checks the goals table over one run and over two: the
// figures, the goals, met or not, the fsync proviso, "not measured".
func TestGoalsTable(t *testing.T) {
	var one bytes.Buffer
	printGoals(&one, []*WorldResult{goalWorld(0.72, 0.41, 1.5, fsyncUnstated)})
	want := `
### Issue 12 goals

| operation | figure | goal | met? |
|---|---:|---|---|
| DescribeInstanceRamRole (1 id), c=32 | 0.72 | ≥ 0.70 | yes |
| DescribeInstanceRamRole (1 id), c=64 | 0.80 | ≥ 0.70 | yes |
| ListHostsForUserGroup (page of 20), c=32 | not measured | ≥ 0.70 | – |
| ListHostsForUserGroup (page of 20), c=64 | not measured | ≥ 0.70 | – |
| Attach or Detach 1 instance, c=32 | not measured | ≥ 0.40, fsync'd | – |
| Attach or Detach 1 instance, c=64 | 0.41 | ≥ 0.40, fsync'd | yes; fsync not stated by the server |
| DetachInstanceRamRole of 100, 1 client, p50 | 1.50 ms | ≤ 2 ms, fsync'd | yes; fsync not stated by the server |
| DetachInstanceRamRole of 100, 64 clients, req/s ratio | 0.15 (5 clients) | ≥ 0.15, fsync'd | not judged: the world has disjoint objects for 5 clients only |
`
	if one.String() != want {
		t.Errorf("one run:\n%s\nwant:\n%s", one.String(), want)
	}

	var two bytes.Buffer
	printGoals(&two, []*WorldResult{goalWorld(0.72, 0.38, 2.5, fsyncYes), goalWorld(0.65, 0.45, 2.5, fsyncYes)})
	for _, line := range []string{
		"### Issue 12 goals over 2 runs (min–max)",
		"| DescribeInstanceRamRole (1 id), c=32 | 0.65–0.72 | ≥ 0.70 | no (1 of 2 runs) |",
		"| DescribeInstanceRamRole (1 id), c=64 | 0.80 | ≥ 0.70 | yes (2 of 2 runs) |",
		"| Attach or Detach 1 instance, c=64 | 0.38–0.45 | ≥ 0.40, fsync'd | no (1 of 2 runs) |",
		"| DetachInstanceRamRole of 100, 1 client, p50 | 2.50 ms | ≤ 2 ms, fsync'd | no (0 of 2 runs) |",
		"| DetachInstanceRamRole of 100, 64 clients, req/s ratio | 0.15 (5 clients) | ≥ 0.15, fsync'd | not judged: the world has disjoint objects for 5 clients only |",
		"| ListHostsForUserGroup (page of 20), c=32 | not measured | ≥ 0.70 | – |",
	} {
		if !strings.Contains(two.String(), line+"\n") {
			t.Errorf("two runs: no line %q in\n%s", line, two.String())
		}
	}

	var notFsynced bytes.Buffer
	printGoals(&notFsynced, []*WorldResult{goalWorld(0.72, 0.41, 1.5, fsyncNo)})
	if line := "| Attach or Detach 1 instance, c=64 | 0.41 | ≥ 0.40, fsync'd | no: writes not fsync'd (figure yes) |"; !strings.Contains(notFsynced.String(), line) {
		t.Errorf("writes not fsync'd: no line %q in\n%s", line, notFsynced.String())
	}

	var fsynced bytes.Buffer
	printGoals(&fsynced, []*WorldResult{goalWorld(0.72, 0.41, 1.5, fsyncYes)})
	if line := "| Attach or Detach 1 instance, c=64 | 0.41 | ≥ 0.40, fsync'd | yes |"; !strings.Contains(fsynced.String(), line) {
		t.Errorf("writes fsync'd: no line %q in\n%s", line, fsynced.String())
	}

	var none bytes.Buffer
	printGoals(&none, []*WorldResult{{Rows: []Row{{Op: "bhcycle", Server: Measurement{Conc: 64, N: 1, RPS: 1}}}}})
	if none.Len() != 0 {
		t.Errorf("no goal measured: printed %q, want nothing", none.String())
	}
}

// TestBenchRepeatSmoke runs the bench twice back to back on a tiny world
// with concurrency lists: both runs' tables, the write path, the goals
// and the spread are printed and no request fails. It asserts no figure.
func TestBenchRepeatSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs two servers")
	}
	cfg, err := parseBenchFlags([]string{"--instances", "200", "--roles", "10", "--hosts", "50", "--accounts-per-host", "3",
		"--groups", "5", "--hosts-per-group", "5", "--ops", "describe1,attach1,detach100", "--concurrency-list", "2,32",
		"--write-concurrency", "1", "--repeat", "2", "--duration", "200ms", "--warmup", "50ms", "--dir", t.TempDir()}, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out, log bytes.Buffer
	res, err := run(ctx, cfg, &out, &log)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, log.String())
	}
	if len(res) != 2 || res[0].Run != 1 || res[1].Run != 2 {
		t.Fatalf("%d world results, want runs 1 and 2", len(res))
	}
	for _, r := range res {
		if n := r.Errors(); n > 0 {
			t.Errorf("run %d: %d requests failed", r.Run, n)
		}
		// describe1 at 2 and 32, attach1 at 1, 2 and 32 (2 steps), detach100 at 1 (2 steps; 1 block).
		if len(r.Rows) != 2+6+2 {
			t.Errorf("run %d: %d rows, want 10", r.Run, len(r.Rows))
		}
	}
	for _, s := range []string{"## 200 instances, run 1 of 2", "## 200 instances, run 2 of 2", "- durability: ", "### Write path",
		"### Issue 12 goals\n", "## 200 instances: spread over 2 runs (min–max)", "### Issue 12 goals over 2 runs",
		"| DetachInstanceRamRole of 100, 1 client, p50 |"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("the output has no %q", s)
		}
	}
	if t.Failed() {
		t.Logf("output:\n%s\nlog:\n%s", out.String(), log.String())
	}
}

// TestRunOpReadsCounters runs the single-instance cycle against a bare
// signed server whose /metrics counts 3 write transactions and 1 commit per
// request, and checks that runOp reads the counters around the measured run
// (3.0 per commit) and reads nothing without a scrape function.
func TestRunOpReadsCounters(t *testing.T) {
	b := &baseline{secret: benchKeySecret, bodies: map[string][]byte{}}
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/metrics" {
			fmt.Fprintf(w, "%s %d\n%s{store=\"sqlite\"} %d\n", metricWriteTx, 3*n.Load(), metricCommits, n.Load())
			return
		}
		n.Add(1)
		b.ServeHTTP(w, r)
	}))
	defer srv.Close()
	var attach1 Op
	for _, op := range ops {
		if op.Name == "attach1" {
			attach1 = op
		}
	}
	w := World{Instances: 20, Roles: 2, Hosts: 1, AccountsPerHost: 1, Groups: 1, HostsPerGroup: 1}
	scrape := func() storeCounters { return scrapeStore(srv.Client(), []string{srv.URL}) }
	ms, moved, err := runOp(context.Background(), []string{srv.URL}, attach1, w, 2, 20*time.Millisecond, 100*time.Millisecond, scrape)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 2 || ms[0].N == 0 || ms[0].Errors+ms[1].Errors > 0 {
		t.Fatalf("measurements %+v", ms)
	}
	if !moved.OK || moved.Tx <= 0 || moved.String() != "3.0" {
		t.Errorf("counters moved %+v (%s), want 3 write transactions per commit", moved, moved)
	}
	if _, moved, _ := runOp(context.Background(), []string{srv.URL}, attach1, w, 1, 0, 20*time.Millisecond, nil); moved.OK {
		t.Errorf("without a scrape function: %+v, want nothing read", moved)
	}
}
