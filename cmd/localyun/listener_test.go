package main

import (
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"
)

// limitedHTTP serves 200 "ok" through a connLimiter of max and perIP
// connections and returns its address.
func limitedHTTP(t *testing.T, max, perIP int) (string, *connLimiter) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cl := newConnLimiter(ln, max, perIP, slog.New(slog.DiscardHandler))
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		io.WriteString(w, "ok")
	}), ConnState: cl.track}
	go srv.Serve(cl)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String(), cl
}

// open reports whether the server keeps c open for a moment (false: it
// closed c).
func stillOpen(c net.Conn) bool {
	c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	_, err := c.Read(make([]byte, 1))
	return isTimeout(err)
}

// get sends one request on c and reports whether it was answered 200.
func getOK(c net.Conn) bool {
	if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		return false
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 512)
	n, _ := c.Read(buf)
	return n > 12 && string(buf[9:12]) == "200"
}

func (l *connLimiter) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.n
}

func TestConnLimiterPerIP(t *testing.T) {
	addr, cl := limitedHTTP(t, 10, 2)
	a1, a2 := dialFrom(t, "127.0.0.2", addr), dialFrom(t, "127.0.0.2", addr)
	// a1 and a2 are busy: a request each, keep-alive.
	if !getOK(a1) || !getOK(a2) {
		t.Fatal("the first two connections are not served")
	}
	if a3 := dialFrom(t, "127.0.0.2", addr); stillOpen(a3) {
		t.Fatal("a third connection from 127.0.0.2 is kept open, want it closed at once")
	}
	if b := dialFrom(t, "127.0.0.3", addr); !getOK(b) {
		t.Fatal("another address is not served")
	}
	a1.Close()
	a2.Close()
	for cl.count() > 1 {
		time.Sleep(10 * time.Millisecond)
	}
	if a4 := dialFrom(t, "127.0.0.2", addr); !getOK(a4) {
		t.Fatal("127.0.0.2 is not served after closing its connections")
	}
}

// TestConnLimiterEvictsFresh: at the cap, the oldest connection that has
// not sent a request header makes room for a new one at once.
func TestConnLimiterEvictsFresh(t *testing.T) {
	addr, _ := limitedHTTP(t, 3, 3)
	silent := dialFrom(t, "127.0.0.2", addr)
	time.Sleep(50 * time.Millisecond) // accepted in this order
	slow := dialFrom(t, "127.0.0.2", addr)
	io.WriteString(slow, "GET / HTTP/1.1\r\nHost: x\r\n")
	busy := dialFrom(t, "127.0.0.3", addr)
	io.WriteString(busy, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nA")
	time.Sleep(50 * time.Millisecond)
	if c := dialFrom(t, "127.0.0.4", addr); !getOK(c) {
		t.Fatal("a new connection at the cap is not served")
	}
	if stillOpen(silent) {
		t.Fatal("the oldest silent connection is still open")
	}
	if c := dialFrom(t, "127.0.0.4", addr); !getOK(c) {
		t.Fatal("a second new connection at the cap is not served")
	}
	if stillOpen(slow) {
		t.Fatal("the connection with half a header is still open")
	}
	if !stillOpen(busy) {
		t.Fatal("the connection in the middle of a request was closed")
	}
}

// TestConnLimiterEvictsIdle: at the cap, a keep-alive connection idle for
// evictAfter makes room for a new one.
func TestConnLimiterEvictsIdle(t *testing.T) {
	addr, _ := limitedHTTP(t, 2, 2)
	silent := dialFrom(t, "127.0.0.2", addr)
	idle := dialFrom(t, "127.0.0.3", addr)
	if !getOK(idle) {
		t.Fatal("not served")
	}
	time.Sleep(evictAfter + 200*time.Millisecond)
	if c := dialFrom(t, "127.0.0.4", addr); !getOK(c) {
		t.Fatal("a new connection at the cap is not served, want the oldest idle one closed for it")
	}
	if stillOpen(silent) {
		t.Fatal("the connection silent longest is still open")
	}
	if c := dialFrom(t, "127.0.0.4", addr); !getOK(c) {
		t.Fatal("a new connection at the cap is not served, want the idle keep-alive one closed for it")
	}
	if stillOpen(idle) {
		t.Fatal("the idle keep-alive connection is still open")
	}
}

// TestConnLimiterKeepsBusy: at the cap, connections in the middle of a
// request are not closed; the new connection is.
func TestConnLimiterKeepsBusy(t *testing.T) {
	addr, _ := limitedHTTP(t, 2, 2)
	for range 2 {
		c := dialFrom(t, "127.0.0.2", addr)
		io.WriteString(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nA")
	}
	time.Sleep(evictAfter + 200*time.Millisecond)
	if c := dialFrom(t, "127.0.0.3", addr); stillOpen(c) {
		t.Fatal("a connection beyond the cap is kept open while the others are busy")
	}
}
