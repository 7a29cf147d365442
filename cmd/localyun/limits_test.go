package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	sdkecs "github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"

	"github.com/localyun/localyun/internal/protocol"
)

// The tests of this file attack a real `localyun serve` the way issue 11
// measured: slow bodies, chunked bodies without an end, a connection flood
// and greedy bodies, from 127.0.0.2, while a well-behaved client on
// 127.0.0.1 must still be served. Limits are set through LOCALYUN_*
// variables, which an older binary ignores (so these tests fail on it
// rather than refuse to start). Timeouts below only detect a hang; no test
// asserts a speed.

// hangTimeout is how long a test waits for an answer before it calls the
// server hung.
const hangTimeout = 20 * time.Second

// serveLimited starts `localyun serve` with the seed, the environment
// variables env and, when nofile > 0, a descriptor limit of nofile (set
// with the shell's ulimit), and waits until /healthz answers.
func serveLimited(tb testing.TB, nofile int, env ...string) *proc {
	tb.Helper()
	bin := mustBuild(tb)
	p := &proc{addr: freeAddr(tb), stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan error, 1)}
	args := []string{"serve", "--addr", p.addr, "--tls-addr", "127.0.0.1:0", "--data-dir", tb.TempDir(), "--seed", mustWriteSeed(tb)}
	if nofile > 0 {
		p.cmd = exec.Command("/bin/sh", append([]string{"-c", "ulimit -n " + strconv.Itoa(nofile) + ` && exec "$0" "$@"`, bin}, args...)...)
	} else {
		p.cmd = exec.Command(bin, args...)
	}
	p.cmd.Env = append(append(os.Environ(), "LOCALYUN_QUIET=", "LOCALYUN_MEMORY=", "LOCALYUN_STORE="), env...)
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	if err := p.cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	tb.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
		p.done <- nil
	})
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if res, err := http.Get("http://" + p.addr + "/healthz"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return p
			}
		}
		select {
		case err := <-p.done:
			p.done <- err
			tb.Fatalf("localyun exited before serving: %v\nstderr:\n%s", err, p.stderr)
		case <-time.After(20 * time.Millisecond):
		}
	}
	tb.Fatalf("localyun did not answer /healthz\nstderr:\n%s", p.stderr)
	return nil
}

// dialFrom opens a TCP connection from the loopback address src to addr.
func dialFrom(tb testing.TB, src, addr string) net.Conn {
	tb.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: hangTimeout}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

// answer is what the server said on a connection: an HTTP response (its
// status, error code and Connection: close) or the error that ended the
// wait for one.
type answer struct {
	status int
	code   string
	close  bool
	err    error
}

func (a answer) String() string {
	if a.err != nil {
		return fmt.Sprintf("%d %s (close %t): %v", a.status, a.code, a.close, a.err)
	}
	return fmt.Sprintf("%d %s (close %t)", a.status, a.code, a.close)
}

// readAnswer reads one response from c, waiting at most hangTimeout.
func readAnswer(c net.Conn) answer {
	c.SetReadDeadline(time.Now().Add(hangTimeout))
	br := bufio.NewReader(c)
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		return answer{err: err}
	}
	defer res.Body.Close()
	var body struct{ Code string }
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
		return answer{status: res.StatusCode, err: err}
	}
	return answer{status: res.StatusCode, code: body.Code, close: res.Close}
}

// closedByServer reports whether the server closes c (after whatever it
// answered) within hangTimeout.
func closedByServer(c net.Conn) bool {
	c.SetReadDeadline(time.Now().Add(hangTimeout))
	_, err := io.Copy(io.Discard, c)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		return false
	}
	return true // EOF or reset
}

// trickle writes one byte of b to c every interval until b is written, c
// fails or stop is closed.
func trickle(c net.Conn, b string, interval time.Duration, stop <-chan struct{}) {
	for i := 0; i < len(b); i++ {
		if _, err := c.Write([]byte{b[i]}); err != nil {
			return
		}
		select {
		case <-stop:
			return
		case <-time.After(interval):
		}
	}
}

const unsignedPost = "POST /?Action=DescribeRegions&Version=2014-05-26 HTTP/1.1\r\nHost: localyun\r\n" +
	"Content-Type: application/x-www-form-urlencoded\r\n"

// TestServeSlowBodyTimesOut: a body that trickles in, announced or chunked
// without its final chunk, is answered 408 RequestTimeout in the error
// envelope and its connection closed, once --read-timeout has passed.
func TestServeSlowBodyTimesOut(t *testing.T) {
	p := serveLimited(t, 0, "LOCALYUN_READ_TIMEOUT=1s", "LOCALYUN_WRITE_TIMEOUT=10s")
	tests := []struct {
		name, header, first, rest string
	}{
		{"content-length 100000, a byte every 100ms", "Content-Length: 100000\r\n", "A", strings.Repeat("a", 99_999)},
		{"chunked, no final chunk", "Transfer-Encoding: chunked\r\n", "5\r\nA=abc\r\n", strings.Repeat("1\r\nb\r\n", 1000)},
		{"chunked, nothing after one chunk", "Transfer-Encoding: chunked\r\n", "5\r\nA=abc\r\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := dialFrom(t, "127.0.0.2", p.addr)
			if _, err := io.WriteString(c, unsignedPost+tt.header+"\r\n"+tt.first); err != nil {
				t.Fatal(err)
			}
			stop := make(chan struct{})
			defer close(stop)
			go trickle(c, tt.rest, 100*time.Millisecond, stop)
			a := readAnswer(c)
			if a.err != nil || a.status != http.StatusRequestTimeout || a.code != "RequestTimeout" || !a.close {
				t.Fatalf("answer %v, want 408 RequestTimeout with Connection: close", a)
			}
			if !closedByServer(c) {
				t.Fatal("the connection is still open after the 408")
			}
		})
	}
}

// TestServeConnectionFlood: an attacker on 127.0.0.2 opens more
// connections than the server has descriptors and holds each with a slow
// body. The server closes the excess at once instead of running out of
// descriptors, and every signed request of a client on 127.0.0.1 is
// answered.
func TestServeConnectionFlood(t *testing.T) {
	const nofile, attackers = 256, 400
	p := serveLimited(t, nofile)
	conns := make([]net.Conn, attackers)
	for i := range conns {
		conns[i] = dialFrom(t, "127.0.0.2", p.addr)
		// Written into the socket buffer even if never accepted. The body
		// is short, so that the body budget does not turn it away: only
		// the connection caps stand between it and the descriptors.
		io.WriteString(conns[i], unsignedPost+"Content-Length: 10\r\n\r\nA")
	}
	var closed sync.WaitGroup
	var mu sync.Mutex
	n := 0
	for _, c := range conns {
		closed.Add(1)
		go func() {
			defer closed.Done()
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			if _, err := c.Read(make([]byte, 1)); err == io.EOF || (err != nil && !isTimeout(err)) {
				mu.Lock()
				n++
				mu.Unlock()
			}
		}()
	}

	c := p.ecs(t, seedKey, seedSecret)
	c.SetReadTimeout(hangTimeout)
	c.SetConnectTimeout(hangTimeout)
	for i := range 10 {
		req := sdkecs.CreateDescribeInstanceRamRoleRequest()
		req.RegionId, req.InstanceIds = "cn-hangzhou", `["i-instance1"]`
		if _, err := c.DescribeInstanceRamRole(req); err != nil {
			t.Fatalf("signed request %d during the flood: %v", i+1, err)
		}
	}
	closed.Wait()
	if n < attackers-nofile {
		t.Fatalf("the server closed %d of %d flooding connections, want at least the %d it has no descriptors for",
			n, attackers, attackers-nofile)
	}
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

// TestServeGreedyBodies: with --max-body-memory 4MiB, twelve clients on
// 127.0.0.2 send 1 MiB bodies and hold the last byte. No more than four
// bodies are ever buffered: the others are answered 503
// ServiceUnavailable, and the buffered ones 408 once --read-timeout
// passes. Meanwhile a signed request without a body and one with a small
// body are served.
func TestServeGreedyBodies(t *testing.T) {
	const greedy, budget = 12, 4
	p := serveLimited(t, 0, "LOCALYUN_MAX_BODY_MEMORY="+strconv.Itoa(budget)+"MiB", "LOCALYUN_READ_TIMEOUT=8s")
	answers := make(chan answer, greedy)
	for range greedy {
		c := dialFrom(t, "127.0.0.2", p.addr)
		go func() {
			io.WriteString(c, unsignedPost+"Content-Length: "+strconv.Itoa(protocol.MaxBodyBytes)+"\r\n\r\n"+
				strings.Repeat("a", protocol.MaxBodyBytes-1))
		}()
		go func() { answers <- readAnswer(c) }()
	}
	count := map[int]int{}
	var got []answer
	for len(got) < greedy-budget {
		a := <-answers
		got = append(got, a)
		count[a.status]++
		if a.status != http.StatusServiceUnavailable {
			t.Fatalf("greedy body answered %v before the budget ran out, want 503 ServiceUnavailable", a)
		}
	}

	c := p.ecs(t, seedKey, seedSecret)
	c.SetReadTimeout(hangTimeout)
	req := sdkecs.CreateDescribeInstanceRamRoleRequest()
	req.RegionId, req.InstanceIds = "cn-hangzhou", `["i-instance1"]`
	if _, err := c.DescribeInstanceRamRole(req); err != nil {
		t.Fatalf("signed request while the body budget is taken: %v", err)
	}
	if status, body := postSignedForm(t, p.addr, "DescribeInstanceRamRole", "RegionId", "cn-hangzhou", "InstanceIds", `["i-instance1"]`); status != http.StatusOK {
		t.Fatalf("signed request with a small body while the body budget is taken: %d %s", status, body)
	}

	for len(got) < greedy {
		a := <-answers
		got = append(got, a)
		count[a.status]++
	}
	if count[http.StatusServiceUnavailable]+count[http.StatusRequestTimeout] != greedy || count[http.StatusRequestTimeout] > budget {
		t.Fatalf("answers %v: want at most %d bodies buffered (408 later) and the rest 503", got, budget)
	}
	for _, a := range got {
		if !a.close || (a.code != "ServiceUnavailable" && a.code != "RequestTimeout") {
			t.Fatalf("answer %v, want ServiceUnavailable or RequestTimeout with Connection: close", a)
		}
	}
}

// postSignedForm sends a V1-signed POST whose parameters are all in a form
// body, and returns the status and body of the answer.
func postSignedForm(tb testing.TB, addr, action string, kv ...string) (int, string) {
	tb.Helper()
	v := url.Values{"AccessKeyId": {seedKey}, "Action": {action}, "Format": {"JSON"}, "SignatureMethod": {"HMAC-SHA1"},
		"SignatureNonce": {strconv.FormatInt(time.Now().UnixNano(), 36)}, "SignatureVersion": {"1.0"},
		"Timestamp": {time.Now().UTC().Format("2006-01-02T15:04:05Z")}, "Version": {"2014-05-26"}}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	v.Set("Signature", protocol.SignV1(protocol.StringToSignV1(http.MethodPost, v), seedSecret))
	ctx, cancel := context.WithTimeout(context.Background(), hangTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+addr+"/", strings.NewReader(v.Encode()))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}
