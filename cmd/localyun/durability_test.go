package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ram"
)

// TestAcknowledgedWritesFsynced proves, for power loss, that every write
// the server acknowledges is on disk first: it runs `localyun serve` under
// strace, drives concurrent CreateGroup requests (each with a unique group
// name), and checks in the trace, for every request that got its 200, that
// an fsync or fdatasync of the WAL file began after the WAL write of its
// transaction's commit frame and returned before the response carrying the
// name was written to the socket (see checkFsynced for how the trace is
// read).
//
// What it proves is the order of system calls: the server asked the kernel
// to flush the WAL, the kernel said done, and only then did the server
// answer. It does not prove that the disk honours the flush (a drive with a
// volatile write cache that ignores flushes, or a file system mounted with
// barriers off, loses data anyway), nor that SQLite's recovery reads back
// what was flushed; the SIGKILL test (crash_test.go) covers the recovery.
func TestAcknowledgedWritesFsynced(t *testing.T) {
	straceBin := requireStrace(t)
	dir, seed := t.TempDir(), mustWriteSeed(t)
	trace := filepath.Join(t.TempDir(), "trace")
	p := mustServeTraced(t, straceBin, trace, dir, seed)

	run := make([]byte, 4)
	rand.Read(run)
	prefix := "fsync-" + hex.EncodeToString(run) + "-"
	const workers, each = 8, 25
	var mu sync.Mutex
	var acked []string
	var wg sync.WaitGroup
	for w := range workers {
		c := ramClient(t, p.addr)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				name := fmt.Sprintf("%s%02d-%03d", prefix, w, i)
				req := ram.CreateCreateGroupRequest()
				req.Domain, req.GroupName = p.addr, name
				if _, err := c.CreateGroup(req); err != nil {
					t.Errorf("CreateGroup %s: %v", name, err)
					return
				}
				mu.Lock()
				acked = append(acked, name)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	writes, commits, merr := storeCommitMetrics(p.addr)
	p.stopTraced(t)
	if t.Failed() {
		t.FailNow()
	}

	f, err := os.Open(trace)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	calls, err := parseTrace(f)
	if err != nil {
		t.Fatal(err)
	}
	wal := filepath.Join(dir, "localyun.db") + "-wal"
	syncs, bad := checkFsynced(calls, wal, acked)
	for i, msg := range bad {
		if i == 10 {
			t.Errorf("... and %d more", len(bad)-10)
			break
		}
		t.Error(msg)
	}
	if len(bad) > 0 {
		t.Fatalf("%d of %d acknowledged writes were answered before an fsync of the WAL covered them (%d WAL fsyncs in the trace of %d lines; trace kept in %s)",
			len(bad), len(acked), syncs, len(calls), keepTrace(t, trace))
	}
	if merr != nil {
		t.Fatal(merr)
	}
	if writes < uint64(len(acked)) || commits == 0 || commits > writes {
		t.Fatalf("/metrics: %d write transactions, %d commits; want at least %d writes, 1 to %[1]d commits", writes, commits, len(acked))
	}
	t.Logf("%d acknowledged writes, each fsync'd before its answer: %d WAL fsyncs in the trace; /metrics: %d write transactions in %d commits (%.1f a commit)",
		len(acked), syncs, writes, commits, float64(writes)/float64(commits))
}

// requireStrace returns the path of strace, or skips the test without it
// unless LOCALYUN_REQUIRE_STRACE or CI is set (then it fails: CI installs
// strace, see .ci/run).
func requireStrace(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("strace")
	if err == nil {
		// strace needs ptrace, which some containers refuse.
		if out, err2 := exec.Command(path, "-o", os.DevNull, "true").CombinedOutput(); err2 != nil {
			err = fmt.Errorf("strace cannot trace here: %v: %s", err2, out)
		}
	}
	if err != nil {
		if os.Getenv("LOCALYUN_REQUIRE_STRACE") != "" || os.Getenv("CI") != "" {
			t.Fatalf("strace is required (LOCALYUN_REQUIRE_STRACE or CI is set): %v", err)
		}
		t.Skipf("skipping the fsync-ordering proof: %v (install strace; CI does and sets LOCALYUN_REQUIRE_STRACE=1)", err)
	}
	return path
}

// ramClient is a RAM client of the seed account's key.
func ramClient(tb testing.TB, addr string) *ram.Client {
	tb.Helper()
	c, err := ram.NewClientWithOptions("cn-hangzhou", sdk.NewConfig().WithAutoRetry(false),
		credentials.NewAccessKeyCredential(seedKey, seedSecret))
	if err != nil {
		tb.Fatal(err)
	}
	c.Domain = addr
	return c
}

// tracedSyscalls are the system calls the trace keeps: every way Go and
// SQLite (modernc's libc) write a file or a socket, and flush a file.
const tracedSyscalls = "write,pwrite64,writev,pwritev,pwritev2,sendto,sendmsg,sendmmsg,fsync,fdatasync,sync_file_range,syncfs,sync"

// mustServeTraced is mustServe under `strace -f -tt -yy`: every thread of
// the server is traced, and every descriptor argument is annotated with the
// file or socket it names. The trace keeps up to 64 KiB of each buffer
// (a WAL page is 4 KiB).
func mustServeTraced(tb testing.TB, straceBin, trace, dir, seed string) *proc {
	tb.Helper()
	bin := mustBuild(tb)
	p := &proc{addr: freeAddr(tb), stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan error, 1)}
	p.cmd = exec.Command(straceBin, "-f", "-tt", "-yy", "-s", "65536", "-e", "trace="+tracedSyscalls, "-o", trace,
		bin, "serve", "--addr", p.addr, "--tls-addr", "127.0.0.1:0", "--data-dir", dir, "--seed", seed)
	p.cmd.Env = append(os.Environ(), "LOCALYUN_QUIET=", "LOCALYUN_MEMORY=", "LOCALYUN_STORE=")
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	if err := p.cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	tb.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			if pid, err := tracedChild(p.cmd.Process.Pid); err == nil {
				syscall.Kill(pid, syscall.SIGKILL)
			}
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+p.addr+"/healthz", nil)
		if res, err := http.DefaultClient.Do(req); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return p
			}
		}
		select {
		case err := <-p.done:
			p.done <- err
			tb.Fatalf("strace or localyun exited before serving: %v\nstdout:\n%s\nstderr:\n%s", err, p.stdout, p.stderr)
		case <-ctx.Done():
			tb.Fatalf("localyun did not answer /healthz under strace\nstdout:\n%s\nstderr:\n%s", p.stdout, p.stderr)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// tracedChild returns the pid of the process strace started.
func tracedChild(stracePid int) (int, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", stracePid, stracePid))
	if err != nil {
		return 0, err
	}
	f := strings.Fields(string(b))
	if len(f) != 1 {
		return 0, fmt.Errorf("strace has children %q", f)
	}
	return strconv.Atoi(f[0])
}

// stopTraced stops the server with SIGTERM (strace, signalled itself, would
// detach and leave it running) and waits for strace to write the whole
// trace and exit.
func (p *proc) stopTraced(tb testing.TB) {
	tb.Helper()
	pid, err := tracedChild(p.cmd.Process.Pid)
	if err != nil {
		tb.Fatal(err)
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		tb.Fatal(err)
	}
	if err := <-p.done; err != nil {
		tb.Fatalf("strace: %v\nstderr:\n%s", err, p.stderr)
	}
}

// storeCommitMetrics reads the store's commit counters from /metrics.
func storeCommitMetrics(addr string) (writes, commits uint64, err error) {
	res, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return 0, 0, err
	}
	defer res.Body.Close()
	page, err := io.ReadAll(res.Body)
	if err != nil {
		return 0, 0, err
	}
	value := func(name string) uint64 {
		m := regexp.MustCompile(`(?m)^` + name + ` (\S+)$`).FindSubmatch(page)
		if m == nil {
			err = fmt.Errorf("/metrics lacks %s", name)
			return 0
		}
		f, perr := strconv.ParseFloat(string(m[1]), 64)
		if perr != nil {
			err = fmt.Errorf("%s %s: %v", name, m[1], perr)
		}
		return uint64(f)
	}
	writes, commits = value("localyun_store_write_transactions_total"), value("localyun_store_commits_total")
	return writes, commits, err
}

// keepTrace copies a failed run's trace out of the test's temporary
// directory and returns where it is.
func keepTrace(tb testing.TB, trace string) string {
	b, err := os.ReadFile(trace)
	if err != nil {
		return trace + " (" + err.Error() + ")"
	}
	f, err := os.CreateTemp("", "localyun-fsync-trace-*.txt")
	if err != nil {
		return trace + " (" + err.Error() + ")"
	}
	defer f.Close()
	f.Write(b)
	return f.Name()
}

// syscallEvent is one system call of a trace: where in the trace (line
// numbers) it entered the kernel and where it returned, and its arguments.
type syscallEvent struct {
	name        string
	entry, exit int    // lines of the trace
	fd          string // the descriptor's annotation (-yy): a path, or TCP:[...]
	data        string // the buffer as strace quoted it, for the write calls
	args        string // the whole argument list as printed
}

var (
	traceLine   = regexp.MustCompile(`^(?:(\d+) +)?(?:\d\d:\d\d:\d\d\.\d+ +)?(.*)$`)
	traceCall   = regexp.MustCompile(`^([a-z0-9_]+)\((.*)$`)
	traceResume = regexp.MustCompile(`^<\.\.\. ([a-z0-9_]+) resumed>(.*)$`)
	traceFD     = regexp.MustCompile(`^\d+<([^>]*)>`)
)

// parseTrace reads the output of `strace -f -tt -yy -o` into its system
// calls. strace stops each thread at a call's entry and at its return and
// writes what it sees as it sees it: a call interrupted by another
// thread's is written as "<unfinished ...>" at its entry and
// "<... name resumed>" at its return. A thread stopped at an entry does
// not run the call until strace has written that line, and a thread
// stopped at a return has finished the call before strace writes it, so
// if one call's return line comes before another's entry line, the first
// returned before the second began.
func parseTrace(r io.Reader) ([]syscallEvent, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	var calls []syscallEvent
	open := map[string]int{} // pid → index in calls of its unfinished call
	for line := 0; sc.Scan(); line++ {
		m := traceLine.FindStringSubmatch(sc.Text())
		pid, rest := m[1], m[2]
		if rm := traceResume.FindStringSubmatch(rest); rm != nil {
			i, ok := open[pid]
			if !ok || calls[i].name != rm[1] {
				return nil, fmt.Errorf("trace line %d resumes a %s that pid %s did not start", line+1, rm[1], pid)
			}
			calls[i].exit = line
			delete(open, pid)
			continue
		}
		cm := traceCall.FindStringSubmatch(rest)
		if cm == nil {
			continue // +++ exited, --- SIGNAL ---, ...
		}
		ev := syscallEvent{name: cm[1], entry: line, exit: line, args: cm[2]}
		if fm := traceFD.FindStringSubmatch(ev.args); fm != nil {
			ev.fd = fm[1]
		}
		if i := strings.IndexByte(ev.args, '"'); i >= 0 {
			ev.data = quoted(ev.args[i:])
		}
		if strings.HasSuffix(rest, "<unfinished ...>") {
			open[pid] = len(calls)
			ev.exit = -1
		}
		calls = append(calls, ev)
	}
	return calls, sc.Err()
}

// quoted returns the strace-quoted string s starts with, quotes and
// escapes as they are.
func quoted(s string) string {
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			return s[:i+1]
		}
	}
	return s
}

// unquote decodes a string strace printed ("\0\1abc\n\377", octal or \x
// escapes).
func unquote(q string) []byte {
	q = strings.TrimPrefix(strings.TrimSuffix(q, `"`), `"`)
	var b []byte
	for i := 0; i < len(q); i++ {
		if q[i] != '\\' || i+1 == len(q) {
			b = append(b, q[i])
			continue
		}
		i++
		switch c := q[i]; {
		case c >= '0' && c <= '7':
			n, j := 0, i
			for ; j < len(q) && j < i+3 && q[j] >= '0' && q[j] <= '7'; j++ {
				n = n*8 + int(q[j]-'0')
			}
			b, i = append(b, byte(n)), j-1
		case c == 'x' && i+2 < len(q):
			n, _ := strconv.ParseUint(q[i+1:i+3], 16, 8)
			b, i = append(b, byte(n)), i+2
		default:
			if e, ok := traceEscapes[c]; ok {
				c = e
			}
			b = append(b, c)
		}
	}
	return b
}

var traceEscapes = map[byte]byte{'n': '\n', 't': '\t', 'r': '\r', 'v': '\v', 'f': '\f'}

// isWrite reports whether a call writes a buffer.
func isWrite(name string) bool {
	switch name {
	case "write", "pwrite64", "writev", "pwritev", "pwritev2", "sendto", "sendmsg", "sendmmsg":
		return true
	}
	return false
}

// checkFsynced checks, for every name in acked, that in calls:
//
//  1. the response carrying it (R: the first write to a TCP socket whose
//     buffer holds the name) exists;
//  2. a WAL write holding the name (W: the first write to the file wal whose
//     buffer holds it, a page of the row or its index) returned before R
//     began;
//  3. the commit frame of W's transaction was written: C, the first WAL
//     frame header (a 24-byte write) from W's own on (the WAL write just
//     before W) whose "database size after commit" field is not zero, and
//     P, the WAL write after C (the frame's page), returned;
//  4. an fsync or fdatasync of wal (F) began after P returned and returned
//     before R began.
//
// WAL frames are written by the one write connection, one after the other,
// so the WAL writes after C in the trace's order start with C's page. It
// returns the number of WAL flushes in the trace and one message per name
// that fails.
func checkFsynced(calls []syscallEvent, wal string, acked []string) (syncs int, bad []string) {
	var walWrites, flushes []int // indexes in calls
	for i, c := range calls {
		switch {
		case c.fd == wal && isWrite(c.name):
			walWrites = append(walWrites, i)
		case c.fd == wal && (c.name == "fsync" || c.name == "fdatasync"):
			flushes = append(flushes, i)
		}
	}
	for _, name := range acked {
		if msg := checkOne(calls, walWrites, flushes, name); msg != "" {
			bad = append(bad, name+": "+msg)
		}
	}
	return len(flushes), bad
}

func checkOne(calls []syscallEvent, walWrites, flushes []int, name string) string {
	r := -1
	for i, c := range calls {
		if isWrite(c.name) && strings.HasPrefix(c.fd, "TCP") && strings.Contains(c.data, name) {
			r = i
			break
		}
	}
	if r < 0 {
		return "no response carrying it in the trace"
	}
	respAt := calls[r].entry
	w := -1 // in walWrites
	for k, i := range walWrites {
		if strings.Contains(calls[i].data, name) {
			w = k
			break
		}
	}
	if w < 0 || calls[walWrites[w]].exit < 0 || calls[walWrites[w]].exit > respAt {
		return fmt.Sprintf("no WAL write holding it returned before its response (trace line %d)", respAt+1)
	}
	// W is a page; its frame's header is the WAL write before it.
	pageDone := -1
	for k := max(w-1, 0); k+1 < len(walWrites); k++ {
		h := unquote(calls[walWrites[k]].data)
		if len(h) == 24 && (h[4]|h[5]|h[6]|h[7]) != 0 {
			pageDone = calls[walWrites[k+1]].exit
			break
		}
	}
	if pageDone < 0 {
		return fmt.Sprintf("the commit frame of its WAL write (trace line %d) is not in the trace", calls[walWrites[w]].entry+1)
	}
	for _, i := range flushes {
		if f := calls[i]; f.entry > pageDone && f.exit >= 0 && f.exit < respAt {
			return ""
		}
	}
	return fmt.Sprintf("no fsync of the WAL between its commit frame (trace line %d) and its response (trace line %d)", pageDone+1, respAt+1)
}

// TestCheckFsynced runs the trace check on made-up traces: one where the
// flush of the WAL returns before the answer (split by strace into
// unfinished and resumed lines by another thread's call), and ones where it
// does not.
func TestCheckFsynced(t *testing.T) {
	const (
		wal = "/d/localyun.db-wal"
		// A transaction of two frames: the row's page, then the index's
		// in the commit frame (its header's second field is not zero).
		frames = `10 12:00:00.000001 pwrite64(9</d/localyun.db-wal>, "\0\0\0\2\0\0\0\0abc\0\0\0\0\0\0\0\0\0\0\0\0\0", 24, 32) = 24
10 12:00:00.000002 pwrite64(9</d/localyun.db-wal>, "\r\0\0\0\1page of g-1\0", 4096, 56) = 4096
`
		commit = `10 12:00:00.000003 pwrite64(9</d/localyun.db-wal>, "\0\0\0\3\0\0\0\3abc\0\0\0\0\0\0\0\0\0\0\0\0\0", 24, 4152) = 24
10 12:00:00.000004 pwrite64(9</d/localyun.db-wal>, "\n\0\0\0\1index of g-1", 4096, 4176) = 4096
`
		flushStart = "10 12:00:00.000005 fsync(9</d/localyun.db-wal> <unfinished ...>\n"
		other      = `12 12:00:00.000006 write(1<pipe:[1]>, "log", 3) = 3
`
		flushEnd = "10 12:00:00.000007 <... fsync resumed>) = 0\n"
		answer   = `11 12:00:00.000009 write(15<TCP:[127.0.0.1:1->127.0.0.1:2]>, "HTTP/1.1 200 OK\r\n\r\n{\"GroupName\":\"g-1\"}", 40) = 40
`
	)
	for _, tt := range []struct {
		name  string
		trace string
		ok    bool
	}{
		{"flushed", frames + commit + flushStart + other + flushEnd + answer, true},
		{"no flush", frames + commit + answer, false},
		{"flush of another file", frames + commit + "10 12:00:00.000005 fsync(8</d/localyun.db>) = 0\n" + answer, false},
		{"flush returns after the answer", frames + commit + flushStart + answer + flushEnd, false},
		{"flush before the commit frame", frames + flushStart + flushEnd + commit + answer, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			calls, err := parseTrace(strings.NewReader(tt.trace))
			if err != nil {
				t.Fatal(err)
			}
			_, bad := checkFsynced(calls, wal, []string{"g-1"})
			if (len(bad) == 0) != tt.ok {
				t.Fatalf("problems %q, want ok=%v", bad, tt.ok)
			}
		})
	}
}
