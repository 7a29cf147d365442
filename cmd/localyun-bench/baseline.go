package main

import (
	"bytes"
	"crypto/subtle"
	"flag"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/localyun/localyun/internal/protocol"
)

// baselineMode is the hidden first argument that makes this binary the
// bare baseline server.
const baselineMode = "__baseline"

// baseline is the physical limit of a signed round trip: it parses the
// request, checks the V1 signature against the one secret it knows and
// writes a fixed JSON body of the size the real server answered with for
// the same action. No store, no nonce window, no envelope rendering.
type baseline struct {
	secret string
	key    []byte // master key of the imds operation's instance secrets
	mu     sync.RWMutex
	bodies map[string][]byte // by Action
}

func runBaseline(args []string) error {
	fs := flag.NewFlagSet("baseline", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	keyFile := fs.String("master-key-file", "", "master key of the imds operation")
	if err := fs.Parse(args); err != nil {
		return err
	}
	b := &baseline{secret: benchKeySecret, bodies: map[string][]byte{}}
	if *keyFile != "" {
		var err error
		if b.key, err = os.ReadFile(*keyFile); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: b, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second}
	return srv.Serve(ln)
}

func (b *baseline) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.IsAbs() {
		b.serveIMDS(w, r)
		return
	}
	switch r.URL.Path {
	case "/healthz":
		w.Write([]byte("ok\n"))
		return
	case "/_size":
		// Control: Action=size pairs set the body size per action.
		q, _ := url.ParseQuery(r.URL.RawQuery)
		b.mu.Lock()
		for action, v := range q {
			n, _ := strconv.Atoi(v[0])
			b.bodies[action] = fixedBody(n)
			if action == imdsAction {
				b.bodies[action] = imdsBody(n)
			}
		}
		b.mu.Unlock()
		return
	}
	if r.Body != nil {
		io.Copy(io.Discard, io.LimitReader(r.Body, protocol.MaxBodyBytes))
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil || q.Get("SignatureMethod") != "HMAC-SHA1" || q.Get("AccessKeyId") != benchKeyID {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	if _, err := time.Parse("2006-01-02T15:04:05Z", q.Get("Timestamp")); err != nil {
		http.Error(w, "bad timestamp", http.StatusBadRequest)
		return
	}
	want := protocol.SignV1(protocol.StringToSignV1(r.Method, q), b.secret)
	if subtle.ConstantTimeCompare([]byte(want), []byte(q.Get("Signature"))) != 1 {
		http.Error(w, "SignatureDoesNotMatch", http.StatusBadRequest)
		return
	}
	b.mu.RLock()
	body := b.bodies[q.Get("Action")]
	b.mu.RUnlock()
	if body == nil {
		body = fixedBody(0)
	}
	h := w.Header()
	h["Content-Type"] = []string{"application/json;charset=utf-8"}
	h["X-Acs-Request-Id"] = []string{"00000000-0000-4000-8000-000000000000"}
	w.Write(body)
}

// fixedBody is a JSON object of exactly n bytes (at least its minimum) that
// passes the bench's response checks.
func fixedBody(n int) []byte {
	const head = `{"RequestId":"00000000-0000-4000-8000-000000000000","TotalCount":1,"FailCount":0,"HostId":"1","Code":"OK","Pad":"`
	const tail = `"}`
	var buf bytes.Buffer
	buf.WriteString(head)
	for buf.Len()+len(tail) < n {
		buf.WriteByte('x')
	}
	buf.WriteString(tail)
	return buf.Bytes()
}
