package protocol_test

import (
	"bufio"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/localyun/localyun/internal/protocol"
)

// limitedServer serves ParseRequest behind a BodyLimiter: 200 with the
// length of the parsed body, or the error in the envelope.
func limitedServer(t *testing.T, budget int64, timeout time.Duration) *httptest.Server {
	t.Helper()
	l := protocol.NewBodyLimiter(budget, timeout, 200*time.Millisecond)
	s := httptest.NewServer(l.Handler(http.HandlerFunc(func(w http.ResponseWriter, hr *http.Request) {
		r, err := protocol.ParseRequest(hr)
		if err != nil {
			protocol.WriteError(w, slog.New(slog.DiscardHandler), protocol.ErrorInfo{RequestID: "R", Format: protocol.FormatJSON}, err)
			return
		}
		if hr.URL.Query().Get("hold") != "" {
			time.Sleep(time.Second) // keeps its budget meanwhile
		}
		io.WriteString(w, strconv.Itoa(len(r.Body)))
	})))
	t.Cleanup(s.Close)
	return s
}

type reply struct {
	status int
	code   string
	body   string
	close  bool
}

// rawPost writes a request with header and body on a new connection and
// reads the reply (hang detection: 10 s).
func rawPost(t *testing.T, addr, target, header, body string) reply {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	go io.WriteString(c, "POST "+target+" HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"+header+"\r\n"+body)
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var e struct{ Code string }
	json.Unmarshal(b, &e)
	return reply{status: res.StatusCode, code: e.Code, body: string(b), close: res.Close}
}

func chunked(s string, size int) string {
	var b strings.Builder
	for len(s) > 0 {
		n := min(size, len(s))
		b.WriteString(strconv.FormatInt(int64(n), 16) + "\r\n" + s[:n] + "\r\n")
		s = s[n:]
	}
	return b.String() + "0\r\n\r\n"
}

func TestBodyLimiter(t *testing.T) {
	s := limitedServer(t, 4<<20, 500*time.Millisecond)
	addr := s.Listener.Addr().String()
	full := "A=" + strings.Repeat("x", protocol.MaxBodyBytes-2)
	tests := []struct {
		name, header, body string
		want               reply
	}{
		{"small", "Content-Length: 3\r\n", "A=b", reply{status: 200, body: "3"}},
		{"at the limit", "Content-Length: " + strconv.Itoa(len(full)) + "\r\n", full, reply{status: 200, body: strconv.Itoa(len(full))}},
		{"chunked at the limit", "Transfer-Encoding: chunked\r\n", chunked(full, 100_000), reply{status: 200, body: strconv.Itoa(len(full))}},
		{"chunked over the limit", "Transfer-Encoding: chunked\r\n", chunked(full+"y", 100_000),
			reply{status: 413, code: "RequestEntityTooLarge", close: true}},
		{"announced over the limit", "Content-Length: " + strconv.Itoa(len(full)+1) + "\r\n", "",
			reply{status: 413, code: "RequestEntityTooLarge", close: true}},
		{"slow body", "Content-Length: 10\r\n", "A=", reply{status: 408, code: "RequestTimeout", close: true}},
		{"chunked without an end", "Transfer-Encoding: chunked\r\n", "3\r\nA=b\r\n", reply{status: 408, code: "RequestTimeout", close: true}},
		{"bad chunk", "Transfer-Encoding: chunked\r\n", "zz\r\n", reply{status: 400, code: "InvalidParameter", close: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := rawPost(t, addr, "/", tt.header, tt.body)
			if tt.want.body == "" {
				got.body = ""
			}
			if got != tt.want {
				t.Fatalf("reply %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestBodyLimiterBudget: bodies that do not fit in the budget wait, then
// get 503; a small body is served while a large one waits.
func TestBodyLimiterBudget(t *testing.T) {
	s := limitedServer(t, 3<<20, time.Minute) // three quarters hold two bodies of the largest size
	addr := s.Listener.Addr().String()
	big := "A=" + strings.Repeat("x", protocol.MaxBodyBytes-2)
	header := "Content-Length: " + strconv.Itoa(len(big)) + "\r\n"
	held := make(chan reply, 2)
	for range 2 { // two bodies of the largest size take the large-body share for a second
		go func() { held <- rawPost(t, addr, "/?hold=1", header, big) }()
	}
	time.Sleep(300 * time.Millisecond)
	if got := rawPost(t, addr, "/", header, big); got.status != 503 || got.code != "ServiceUnavailable" || !got.close {
		t.Fatalf("third large body: %+v, want 503 ServiceUnavailable, Connection: close", got)
	}
	for range 2 {
		if got := <-held; got.status != 200 {
			t.Fatalf("held body: %+v", got)
		}
	}
	// The budget is whole again.
	if got := rawPost(t, addr, "/", header, big); got.status != 200 {
		t.Fatalf("large body after the others: %+v", got)
	}
}

// TestBodyLimiterSmallPassesLarge: while a large body waits for room, a
// small one that fits is not held behind it.
func TestBodyLimiterSmallPassesLarge(t *testing.T) {
	s := limitedServer(t, 3<<20, time.Minute) // three quarters hold two bodies of the largest size
	addr := s.Listener.Addr().String()
	big := "A=" + strings.Repeat("x", protocol.MaxBodyBytes-100)
	header := "Content-Length: " + strconv.Itoa(len(big)) + "\r\n"
	held := make(chan reply, 3)
	for range 2 {
		go func() { held <- rawPost(t, addr, "/?hold=1", header, big) }()
	}
	time.Sleep(300 * time.Millisecond)
	go func() { held <- rawPost(t, addr, "/", header, big) }() // waits, then 503
	time.Sleep(50 * time.Millisecond)
	if got := rawPost(t, addr, "/", "Content-Length: 3\r\n", "A=b"); got.status != 200 {
		t.Fatalf("small body: %+v, want 200", got)
	}
	for range 3 {
		<-held
	}
}

// TestBodyLimiterSmallBodiesFree: small announced bodies are read outside
// the budget, so slow clients holding many of them, and large bodies
// holding the whole budget, never make an SDK's small form body wait or
// get 503 (the connection caps bound what small bodies cost).
func TestBodyLimiterSmallBodiesFree(t *testing.T) {
	const budget = 2 << 20
	s := limitedServer(t, budget, 5*time.Second)
	addr := s.Listener.Addr().String()
	for range 600 { // before: each charged 4 KiB, 512 of them emptied the budget
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		io.WriteString(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nA")
	}
	big := "A=" + strings.Repeat("x", protocol.MaxBodyBytes-2)
	for range 2 { // and large bodies that hold the whole budget, never finishing
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		io.WriteString(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: "+strconv.Itoa(len(big))+"\r\n\r\n"+big[1:])
	}
	time.Sleep(300 * time.Millisecond)
	if got := rawPost(t, addr, "/", "Content-Length: 3\r\n", "A=b"); got.status != 200 {
		t.Fatalf("a small body among slow ones: %+v, want 200", got)
	}
	header := "Content-Length: " + strconv.Itoa(len(big)) + "\r\n"
	if got := rawPost(t, addr, "/", header, big); got.status != 503 || got.code != "ServiceUnavailable" {
		t.Fatalf("a large body with the budget held: %+v, want 503 ServiceUnavailable", got)
	}
}
