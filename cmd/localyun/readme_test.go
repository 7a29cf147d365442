package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestREADMESeedExample keeps the README's seed example loadable.
func TestREADMESeedExample(t *testing.T) {
	buf, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(buf)
	i := strings.Index(s, "```yaml\n")
	if i < 0 {
		t.Fatal("README has no yaml example")
	}
	s = s[i+len("```yaml\n"):]
	s = s[:strings.Index(s, "```")]
	seed, err := ParseSeed([]byte(s))
	if err != nil {
		t.Fatalf("README seed example: %v", err)
	}
	if len(seed.Accounts) != 1 || len(seed.Accounts[0].ECS.Instances) != 2 {
		t.Fatalf("parsed %+v", seed)
	}
}

// readmeProgram is a complete Go program of the README and the output it
// says the program prints (the ```text block that follows it, if any).
type readmeProgram struct {
	source, output string
}

// readmePrograms returns the README's ```go blocks that are whole programs.
func readmePrograms(t *testing.T) []readmeProgram {
	t.Helper()
	buf, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var progs []readmeProgram
	rest := string(buf)
	for {
		_, after, ok := strings.Cut(rest, "```go\n")
		if !ok {
			return progs
		}
		src, tail, _ := strings.Cut(after, "```\n")
		rest = tail
		if !strings.HasPrefix(src, "package main\n") {
			continue
		}
		p := readmeProgram{source: src}
		// The output block is the next fenced block, if it is ```text.
		if next := strings.Index(tail, "```"); next >= 0 && strings.HasPrefix(tail[next:], "```text\n") {
			out, _, _ := strings.Cut(tail[next+len("```text\n"):], "```\n")
			p.output = out
		}
		progs = append(progs, p)
	}
}

// TestREADMEPrograms runs every Go program of the README, as a reader
// would, against a server started with --demo, and checks the output it
// shows. The programs address 127.0.0.1:8080; the test's server is
// elsewhere, so the address is replaced.
func TestREADMEPrograms(t *testing.T) {
	progs := readmePrograms(t)
	if len(progs) < 2 {
		t.Fatalf("README has %d Go programs, want the V1 and the Tea one", len(progs))
	}
	t.Setenv("LOCALYUN_DEMO", "true")
	p := mustServe(t, t.TempDir(), "")
	dir := t.TempDir()
	for i, prog := range progs {
		if !strings.Contains(prog.source, "127.0.0.1:8080") {
			t.Fatalf("README program %d does not address 127.0.0.1:8080:\n%s", i, prog.source)
		}
		file := filepath.Join(dir, fmt.Sprintf("readme%d.go", i))
		if err := os.WriteFile(file, []byte(strings.ReplaceAll(prog.source, "127.0.0.1:8080", p.addr)), 0o600); err != nil {
			t.Fatal(err)
		}
		for run := range 2 { // a second run finds the world as the first left it
			out, err := exec.Command("go", "run", file).CombinedOutput()
			if err != nil {
				t.Fatalf("README program %d, run %d: %v\n%s\n%s", i, run+1, err, out, prog.source)
			}
			if prog.output != "" && string(out) != prog.output {
				t.Fatalf("README program %d, run %d printed\n%s\nthe README says\n%s", i, run+1, out, prog.output)
			}
		}
	}
}
