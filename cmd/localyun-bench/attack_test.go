package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestAttackSmoke builds localyun-bench and runs `attack` with tiny
// numbers: every attack runs and gets a row, and the probe is answered. It
// asserts no figure.
func TestAttackSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the bench, the server and the attackers")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "localyun-bench")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "attack", "--duration", "300ms", "--ramp", "200ms", "--conns", "20", "--flood", "300",
		"--bodies", "4", "--nofile", "256", "--trickle", "100ms", "--pause", "50ms", "--dir", dir)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("attack: %v\n%s", err, out)
	}
	for _, a := range attacks {
		row := ""
		for _, line := range strings.Split(string(out), "\n") {
			if strings.HasPrefix(line, "| "+a.name+" |") {
				row = line
			}
		}
		cells := strings.Split(row, " | ")
		if len(cells) < 11 || cells[2] == "0" {
			t.Errorf("attack %s: row %q, want one with probe requests", a.name, row)
		}
	}
}

func TestP99Since(t *testing.T) {
	before := latencyBuckets{"0.001": 10, "0.01": 10, "0.1": 10, "+Inf": 10}
	tests := []struct {
		after latencyBuckets
		want  string
	}{
		{latencyBuckets{"0.001": 110, "0.01": 110, "0.1": 110, "+Inf": 110}, "≤ 1.00 ms"},
		{latencyBuckets{"0.001": 100, "0.01": 110, "0.1": 110, "+Inf": 110}, "≤ 10.0 ms"},
		{latencyBuckets{"0.001": 100, "0.01": 100, "0.1": 100, "+Inf": 110}, "> 100.0 ms"},
		{before, "–"},
	}
	for _, tt := range tests {
		if got := tt.after.p99Since(before); got != tt.want {
			t.Errorf("p99Since(%v) = %q, want %q", tt.after, got, tt.want)
		}
	}
}
