package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// TestMain lets the test binary serve as the baseline process, as the bench
// binary does: run re-executes os.Executable() in baseline mode.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == baselineMode {
		if err := runBaseline(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	os.Exit(m.Run())
}

// TestBenchSmoke runs the whole bench on a tiny world: seeding, both
// servers, every operation, the table. It checks that the table is there and
// that no request failed; it asserts no figure.
func TestBenchSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs two servers")
	}
	cfg, err := parseFlags([]string{"--instances", "200", "--roles", "10", "--hosts", "50", "--accounts-per-host", "3",
		"--groups", "5", "--hosts-per-group", "5", "--concurrency", "4", "--duration", "300ms", "--warmup", "100ms", "--dir", t.TempDir()}, os.Stderr)
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
	if len(res) != 1 {
		t.Fatalf("%d world results, want 1", len(res))
	}
	r := res[0]
	if n := r.Errors(); n > 0 {
		t.Errorf("%d requests failed:\n%s", n, out.String())
	}
	if r.Startup <= 0 || r.PeakRSS <= 0 {
		t.Errorf("start-up %s, peak RSS %d: not measured", r.Startup, r.PeakRSS)
	}
	table := out.String()
	for _, op := range ops {
		for _, label := range op.Labels {
			if !strings.Contains(table, "| "+label+" |") {
				t.Errorf("the table has no row %q", label)
			}
		}
	}
	for _, row := range r.Rows {
		if row.Server.N == 0 || row.Baseline.N == 0 {
			t.Errorf("%s: %d requests on localyun, %d on the baseline", row.Server.Label, row.Server.N, row.Baseline.N)
		}
	}
	if t.Failed() {
		t.Logf("output:\n%s\nlog:\n%s", table, log.String())
	}
}

// TestNodesFlag checks that more than one node is refused on SQLite and
// accepted on PostgreSQL (parsing only: nothing is started).
func TestNodesFlag(t *testing.T) {
	var stderr bytes.Buffer
	if _, err := parseFlags([]string{"--nodes", "2"}, &stderr); err == nil || !strings.Contains(err.Error(), "SQLite") {
		t.Errorf("--nodes 2 on SQLite: err %v, want a refusal naming SQLite", err)
	}
	for _, args := range [][]string{
		{"--nodes", "2", "--store", "postgres://127.0.0.1/x"},
		{"--nodes", "2", "--pg-throwaway"},
	} {
		cfg, err := parseFlags(args, &stderr)
		if err != nil || cfg.Nodes != 2 {
			t.Errorf("%v: nodes %d, err %v", args, cfg.Nodes, err)
		}
	}
}
