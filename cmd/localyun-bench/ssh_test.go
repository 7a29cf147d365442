package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/localyun/localyun/internal/sshtest"
)

// TestSSHBenchSmoke runs `localyun-bench ssh` for a second per measurement
// against the harness's sshd: the table is there and nothing failed; it
// asserts no figure (the lead measures).
func TestSSHBenchSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a server and an sshd")
	}
	sshtest.Available(t)
	cfg, err := parseSSHFlags([]string{"--duration", "1s", "--concurrency", "2", "--scp-size", "1MiB", "--dir", t.TempDir()}, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var out, log bytes.Buffer
	if err := runSSHBench(ctx, cfg, &out, &log); err != nil {
		t.Fatalf("runSSHBench: %v\n%s", err, log.String())
	}
	table := out.String()
	for _, row := range []string{"| logins/s (`ssh … true`) | 2 |", "| scp upload MiB/s (1 MiB file) | 1 |"} {
		if !strings.Contains(table, row) {
			t.Errorf("no row %q", row)
		}
	}
	for _, line := range strings.Split(table, "\n") {
		if strings.HasPrefix(line, "| logins") || strings.HasPrefix(line, "| scp") {
			if !strings.Contains(line, "| 0 / 0 |") {
				t.Errorf("errors: %s", line)
			}
		}
	}
	if t.Failed() {
		t.Logf("output:\n%s\nlog:\n%s", table, log.String())
	}
}

// TestSSHFlags checks the ssh mode's flag checks.
func TestSSHFlags(t *testing.T) {
	var stderr bytes.Buffer
	for _, args := range [][]string{{"--scp-size", "0"}, {"--scp-size", "9GiB"}, {"--concurrency", "0"}, {"--ops", "latency"}} {
		if _, err := parseSSHFlags(args, &stderr); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
	cfg, err := parseSSHFlags([]string{"--scp-size", "512KiB", "--ops", "scp"}, &stderr)
	if err != nil || cfg.SCPSize != 512<<10 || cfg.Ops != "scp" {
		t.Errorf("--scp-size 512KiB --ops scp: %+v, %v", cfg, err)
	}
}
