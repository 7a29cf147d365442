package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"
)

// TestSlotSchedule checks the open loop's schedule: request i is due at
// start + i/rate, and exactly the requests due before the end are sent.
func TestSlotSchedule(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, c := range []struct {
		rate float64
		d    time.Duration
		want int
	}{
		{3, time.Second, 3},                  // 0, 1/3, 2/3
		{3, 1010 * time.Millisecond, 4},      // and 1.0
		{2.5, 2 * time.Second, 5},            // 0, 0.4, ... 1.6
		{1000, time.Millisecond, 1},          // 0 only
		{1000, 0, 0},                         // nothing
		{0.5, 10 * time.Second, 5},           // 0, 2, 4, 6, 8
		{1e6 / 3, 30 * time.Microsecond, 10}, // rounding of 3 µs steps
	} {
		if got := slotsBefore(start, start.Add(c.d), c.rate); got != c.want {
			t.Errorf("slotsBefore(%s at %g/s) = %d, want %d", c.d, c.rate, got, c.want)
		}
	}
	if got := slotAt(start, 4, 6).Sub(start); got != 1500*time.Millisecond {
		t.Errorf("slot 6 at 4/s is due after %s, want 1.5s", got)
	}
}

// TestLatencyStats checks the interval's percentiles (nearest rank) and
// maximum.
func TestLatencyStats(t *testing.T) {
	var lat []int64
	for i := 100; i >= 1; i-- {
		lat = append(lat, int64(i)*int64(time.Millisecond))
	}
	p50, p99, mx := latencyStats(lat)
	if p50 != 50*time.Millisecond || p99 != 99*time.Millisecond || mx != 100*time.Millisecond {
		t.Errorf("p50 %s p99 %s max %s, want 50ms 99ms 100ms", p50, p99, mx)
	}
	if p50, p99, mx := latencyStats(nil); p50 != 0 || p99 != 0 || mx != 0 {
		t.Errorf("no latencies: %s %s %s, want zeros", p50, p99, mx)
	}
}

const sampleMetrics = `# HELP go_goroutines Number of goroutines that currently exist.
# TYPE go_goroutines gauge
go_goroutines 42
go_memstats_heap_inuse_bytes 2.90816e+06
localyun_replay_window_nonces 1.234567e+06
localyun_requests_total{action="GetUser",product="Ram",status="200"} 17
localyun_request_duration_seconds_bucket{product="Ram",le="+Inf"} 17
process_resident_memory_bytes 1.9648512e+07 1700000000000
process_start_time_seconds NaN

`

// TestParseMetrics checks the few lines of text-format parsing: unlabelled
// series, exponents, a timestamp, NaN; comments and labelled series skipped.
func TestParseMetrics(t *testing.T) {
	m, err := parseMetrics(strings.NewReader(sampleMetrics))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{"go_goroutines": 42, "go_memstats_heap_inuse_bytes": 2908160,
		"localyun_replay_window_nonces": 1234567, "process_resident_memory_bytes": 19648512}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %g, want %g", k, m[k], v)
		}
	}
	if !math.IsNaN(m["process_start_time_seconds"]) {
		t.Errorf("NaN: got %g", m["process_start_time_seconds"])
	}
	if len(m) != len(want)+1 {
		t.Errorf("%d series, want %d (labelled ones skipped): %v", len(m), len(want)+1, m)
	}
	if _, err := parseMetrics(strings.NewReader("go_goroutines many\n")); err == nil {
		t.Error("a value that is not a number: no error")
	}
}

// TestErrorKeys checks how failures are grouped: by status and code, or by
// the last part of a transport error.
func TestErrorKeys(t *testing.T) {
	if got := errorCode([]byte(`{"RequestId":"x","HostId":"ecs","Code":"ServiceUnavailable","Message":"m"}`)); got != "ServiceUnavailable" {
		t.Errorf("errorCode = %q", got)
	}
	if got := errorCode([]byte(`<html>`)); got != "(no code)" {
		t.Errorf("errorCode(no code) = %q", got)
	}
	err := fmt.Errorf(`Post "http://127.0.0.1:1/": read tcp 127.0.0.1:5->127.0.0.1:1: read: %w`, errors.New("connection reset by peer"))
	if got := transportKey(err); got != "transport: connection reset by peer" {
		t.Errorf("transportKey = %q", got)
	}
	if got := transportKey(fmt.Errorf("post: %w", context.DeadlineExceeded)); got != "transport: timeout" {
		t.Errorf("transportKey(deadline) = %q", got)
	}
}

// samplesOf builds one sample a minute; rss and nonces give each one's RSS
// (MB) and window size.
func samplesOf(n int, rss func(i int) float64, nonces func(i int) int64) []soakSample {
	ss := make([]soakSample, n)
	for i := range ss {
		ss[i] = soakSample{T: time.Duration(i+1) * time.Minute, RSS: int64(rss(i) * (1 << 20)), Nonces: nonces(i)}
	}
	return ss
}

// TestJudge checks where the judged part starts and the growth net of the
// window allowance.
func TestJudge(t *testing.T) {
	const perMin = 100_000 // nonces the window gains per minute until warm
	warmAt := func(i int) int64 { return int64(min(i+1, 15)) * perMin }
	flat := func(int) float64 { return 100 }
	j := judge(samplesOf(25, flat, warmAt), 0, 34)
	if j.From != 15 || !strings.Contains(j.How, "warm") || math.Abs(j.Growth) > 1e-9 || j.NoncesGained != 0 {
		t.Errorf("window warm at 15 min, RSS flat: %+v", j)
	}
	leak := func(i int) float64 { return 100 + 2*float64(max(0, i-15)) } // +2 MB/min once warm
	j = judge(samplesOf(25, leak, warmAt), 0, 34)
	if j.From != 15 || math.Abs(j.SlopeMBMin-2) > 1e-9 || math.Abs(j.Growth-18) > 1e-9 {
		t.Errorf("RSS +2 MB/min after warm: %+v, want slope 2, growth 18 %%", j)
	}

	// Never warm: the window grows all along and RSS with it, 200 bytes
	// per nonce; judged over the last third with the allowance.
	growing := func(i int) int64 { return int64(i+1) * perMin }
	withWindow := func(i int) float64 { return 50 + float64(i+1)*perMin*200/(1<<20) }
	j = judge(samplesOf(15, withWindow, growing), 0, 200)
	if j.From != 9 || !strings.Contains(j.How, "last third") || math.Abs(j.BytesPerNonce-200) > 1e-6 || math.Abs(j.Growth) > 1e-6 {
		t.Errorf("never warm, 200 B per nonce, allowance 200: %+v", j)
	}
	if j = judge(samplesOf(15, withWindow, growing), 0, 34); j.Growth < 10 {
		t.Errorf("never warm, 200 B per nonce, allowance 34: growth %.1f %%, want > 10", j.Growth)
	}

	// --warm, and a server without the window gauge.
	unknown := func(int) int64 { return -1 }
	j = judge(samplesOf(10, flat, unknown), 4*time.Minute+time.Second, 34)
	if j.From != 4 || !strings.Contains(j.How, "--warm") {
		t.Errorf("--warm 4m1s: %+v, want from sample 4", j)
	}
	if j = judge(samplesOf(10, flat, unknown), 0, 34); j.From != 6 || !strings.Contains(j.How, "does not report") {
		t.Errorf("no window gauge: %+v", j)
	}
	if j = judge(samplesOf(1, flat, unknown), 0, 34); j.From != -1 {
		t.Errorf("one sample: judged %+v", j)
	}
}

// TestSoakMix checks the mix: each entry weight times per round, --ops
// selects, and without the bastion world its entries are left out.
func TestSoakMix(t *testing.T) {
	mix, err := soakMix("", true)
	if err != nil || len(mix) != len(soakOps) {
		t.Fatalf("all: %d entries, %v", len(mix), err)
	}
	counts := map[int]int{}
	for _, i := range mixPattern(mix) {
		counts[i]++
	}
	for i, op := range mix {
		if counts[i] != op.weight {
			t.Errorf("%s: %d per round, want %d", op.name, counts[i], op.weight)
		}
	}
	if mix, err := soakMix("describe, sts-identity", true); err != nil || len(mix) != 2 {
		t.Errorf("--ops describe,sts-identity: %d entries, %v", len(mix), err)
	}
	if _, err := soakMix("describe,nope", true); err == nil {
		t.Error("--ops nope: no error")
	}
	mix, _ = soakMix("", false)
	for _, op := range mix {
		if op.bastion {
			t.Errorf("no bastion world: %s in the mix", op.name)
		}
	}
}

// TestSoakFlags checks the soak's defaults and refusals (nothing runs).
func TestSoakFlags(t *testing.T) {
	var stderr bytes.Buffer
	sc, err := parseSoakFlags([]string{"--small"}, &stderr)
	if err != nil || sc.Duration != 15*time.Minute || sc.RateOfPeak != 0.8 || sc.Rate != 0 || sc.Sample != 10*time.Second || sc.World != SmallWorld {
		t.Errorf("defaults: %+v, %v", sc, err)
	}
	for _, args := range [][]string{
		{"--rate", "100", "--rate-of-peak", "0.5"},
		{"--rate", "-1"},
		{"--rate-of-peak", "0"},
		{"--nodes", "2", "--pg-throwaway"},
		{"--ops", "nope"},
		{"--sample", "0"},
	} {
		if _, err := parseSoakFlags(args, &stderr); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
	stderr.Reset()
	if _, err := parseSoakFlags([]string{"-h"}, &stderr); !errors.Is(err, flag.ErrHelp) || !strings.Contains(stderr.String(), "localyun-bench soak") ||
		!strings.Contains(stderr.String(), "-rate-of-peak") || !strings.Contains(stderr.String(), "(default 15m0s)") {
		t.Errorf("-h: %v\n%s", err, stderr.String())
	}
}

// TestOpenLoop checks that the schedule does not wait for answers: with
// every answer held back, all --concurrency callers are sent at once and
// the requests due after them, still waiting past the grace, are counted
// as not sent; latency counts from the due time.
func TestOpenLoop(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/metrics" {
			w.Write([]byte(sampleMetrics))
			return
		}
		<-release
		w.Write([]byte(`{"AccountId":"` + benchAccount + `"}`))
	}))
	defer srv.Close()
	mix, _ := soakMix("sts-identity", true)
	d := newSoakDriver(srv.URL, os.Getpid(), SmallWorld, 4, mix)
	start := time.Now()
	unsent := d.openLoop(context.Background(), start, start.Add(20*time.Millisecond), 1000, 5*time.Millisecond)
	close(release)
	d.drain()
	if unsent != 16 {
		t.Errorf("%d of 20 not sent, want 16 (4 in flight, none answered)", unsent)
	}
	s := d.sample(start, start)
	if s.Sent != 4 || s.OK != 4 || s.Errors != 0 {
		t.Errorf("sample: sent %d ok %d errors %d, want 4 4 0", s.Sent, s.OK, s.Errors)
	}
	if s.Goroutines != 42 || s.Nonces != 1234567 || s.RSS <= 0 || s.FDs <= 0 || s.Heap != 2908160 {
		t.Errorf("server state: %+v", s)
	}
	c := <-d.pool
	d.exec(c, 0, time.Now().Add(-time.Hour))
	d.pool <- c
	if _, _, _, lat := d.rec.interval(); len(lat) != 1 || time.Duration(lat[0]) < time.Hour {
		t.Errorf("latency of a request due an hour ago: %v, want ≥ 1h", lat)
	}
}

// TestSoakSmoke soaks a real server on a tiny world for a few seconds at a
// low rate (a fraction of the measured peak): the table is printed and no
// request failed. It asserts no figure (RSS growth is not judged here).
func TestSoakSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a server")
	}
	sc, err := parseSoakFlags([]string{"--instances", "200", "--roles", "10", "--hosts", "50", "--accounts-per-host", "3",
		"--groups", "5", "--hosts-per-group", "5", "--concurrency", "4", "--rate-of-peak", "0.05", "--warmup", "200ms",
		"--peak-for", "1s", "--duration", "3s", "--sample", "1s", "--max-rss-growth", "1000", "--dir", t.TempDir()}, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out, log bytes.Buffer
	res, err := runSoak(ctx, sc, &out, &log)
	if err != nil {
		t.Fatalf("runSoak: %v\n%s\n%s", err, out.String(), log.String())
	}
	if f := res.Failures(); len(f) > 0 || res.Failed > 0 {
		t.Errorf("failures: %v", f)
	}
	if res.Peak <= 0 || res.Rate <= 0 || res.Sent == 0 || res.OK != res.Sent {
		t.Errorf("peak %.0f, rate %.0f, sent %d, ok %d", res.Peak, res.Rate, res.Sent, res.OK)
	}
	table := out.String()
	if !strings.Contains(table, "| t | sent | ok | errors | req/s | p50 | p99 | max | RSS MB |") || len(res.Samples) < 2 ||
		strings.Count(table, "\n| ") < 1+len(res.Samples) || !strings.Contains(table, "**PASSED**") {
		t.Errorf("table: %d samples", len(res.Samples))
	}
	for _, s := range res.Samples {
		if s.RSS <= 0 || s.FDs <= 0 || s.Goroutines <= 0 {
			t.Errorf("sample at %s: RSS %d, fds %d, goroutines %d", s.T, s.RSS, s.FDs, s.Goroutines)
		}
	}
	if t.Failed() {
		t.Logf("output:\n%s\nlog:\n%s", table, log.String())
	}
}
