package sshtest

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"sync"
	"time"

	"github.com/creack/pty"
)

// Term runs a client on a pseudo-terminal, as a person at a terminal
// would: what it writes is collected, keys are sent to it.
type Term struct {
	cmd  *exec.Cmd
	pty  *os.File
	mu   sync.Mutex
	out  bytes.Buffer  // everything read, raw
	mark int           // Expect searches from here
	more chan struct{} // closed and replaced whenever output arrives
	done chan struct{} // closed when the output ends
	wait chan error    // the process's exit, once
}

// Keys that menus take.
const (
	KeyUp    = "\x1b[A"
	KeyDown  = "\x1b[B"
	KeyEnter = "\r"
	KeyCtrlC = "\x03"
	KeyCtrlD = "\x04"
)

// StartTerm starts cmd on a new pseudo-terminal of rows×cols.
func StartTerm(cmd *exec.Cmd, rows, cols uint16) (*Term, error) {
	f, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: rows, Cols: cols})
	if err != nil {
		return nil, err
	}
	t := &Term{cmd: cmd, pty: f, more: make(chan struct{}), done: make(chan struct{}), wait: make(chan error, 1)}
	go t.read()
	go func() { t.wait <- cmd.Wait() }()
	return t, nil
}

func (t *Term) read() {
	buf := make([]byte, 32*1024)
	for {
		n, err := t.pty.Read(buf)
		t.mu.Lock()
		t.out.Write(buf[:n])
		close(t.more)
		t.more = make(chan struct{})
		t.mu.Unlock()
		if err != nil {
			close(t.done)
			return
		}
	}
}

// Send types s.
func (t *Term) Send(s string) error {
	_, err := t.pty.WriteString(s)
	return err
}

// Resize changes the terminal's size (the client sends a window change).
func (t *Term) Resize(rows, cols uint16) error {
	return pty.Setsize(t.pty, &pty.Winsize{Rows: rows, Cols: cols})
}

// ansiRE matches terminal control sequences: CSI, OSC and two-byte escapes.
var ansiRE = regexp.MustCompile(`\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)|\x1b[()][0-9A-Za-z]|\x1b[=>78c]`)

// Plain strips terminal control sequences and carriage returns from s.
func Plain(s string) string {
	return string(bytes.ReplaceAll(ansiRE.ReplaceAll([]byte(s), nil), []byte("\r"), nil))
}

// Output is everything the client wrote so far, control sequences removed.
func (t *Term) Output() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return Plain(t.out.String())
}

// Expect waits up to timeout for output, after what the last Expect
// matched, whose plain text matches re; it returns that plain text (from
// the previous match to the end of this one) and moves past the match.
func (t *Term) Expect(re string, timeout time.Duration) (string, error) {
	rx, err := regexp.Compile(re)
	if err != nil {
		return "", err
	}
	deadline := time.After(timeout)
	for {
		ended := false
		select {
		case <-t.done:
			ended = true
		default:
		}
		t.mu.Lock()
		more := t.more
		if p, ok := t.match(rx); ok {
			t.mu.Unlock()
			return p, nil
		}
		t.mu.Unlock()
		if ended {
			return "", fmt.Errorf("output ended without %q; after the last match: %q", re, t.Pending())
		}
		select {
		case <-more:
		case <-t.done:
		case <-deadline:
			return "", fmt.Errorf("no %q within %v; after the last match: %q", re, timeout, t.Pending())
		}
	}
}

// match finds rx in the plain text after the mark and moves the mark to
// the shortest raw prefix whose plain text matches. t.mu is held.
func (t *Term) match(rx *regexp.Regexp) (string, bool) {
	raw := t.out.Bytes()[t.mark:]
	if !rx.MatchString(Plain(string(raw))) {
		return "", false
	}
	for end := 1; end <= len(raw); end++ {
		if p := Plain(string(raw[:end])); rx.MatchString(p) {
			t.mark += end
			return p, true
		}
	}
	return "", false
}

// Pending is the plain output after the last match.
func (t *Term) Pending() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return Plain(string(t.out.Bytes()[t.mark:]))
}

// Wait waits up to timeout for the client to exit and returns its exit
// code (-1 when it was killed by a signal).
func (t *Term) Wait(timeout time.Duration) (int, error) {
	select {
	case err := <-t.wait:
		t.wait <- err
		<-t.done
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode(), nil
		}
		return 0, err
	case <-time.After(timeout):
		return 0, fmt.Errorf("client still running after %v", timeout)
	}
}

// Done is closed when the client's output ends (it exited, or closed the
// terminal).
func (t *Term) Done() <-chan struct{} { return t.done }

// Close kills the client if it still runs and releases the terminal.
func (t *Term) Close() {
	if t.cmd.Process != nil {
		t.cmd.Process.Kill()
	}
	t.pty.Close()
}
