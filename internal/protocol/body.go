package protocol

import (
	"container/list"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/localyun/localyun"
)

// BodyLimiter reads every request body before the handler runs: within a
// deadline, and into memory taken from a budget that all requests share,
// so that slow or greedy clients can neither hold a connection forever nor
// make the server buffer more than the budget at once. ParseRequest then
// takes the bytes (or the error) it read.
type BodyLimiter struct {
	timeout time.Duration
	wait    time.Duration
	reserve int64 // of the budget, only for steps of at most smallStep

	mu      sync.Mutex
	free    int64
	waiters list.List // of *bodyWaiter, oldest first
}

// smallStep is the largest reservation that may use the part of the budget
// kept for small bodies.
const smallStep = 64 << 10

// freeBody is the largest announced length read outside the budget. Such
// a body costs about what its connection's own buffers cost, so the
// connection caps already bound it; charging it would let slow clients
// holding a few bytes each exhaust the budget and starve every SDK's small
// form bodies.
const freeBody = 16 << 10

// NewBodyLimiter returns a BodyLimiter that buffers at most budget bytes of
// bodies at once, gives each body timeout to arrive after its header, and
// lets a body wait at most wait for room in the budget. A quarter of the
// budget is kept for bodies of at most 64 KiB, so that large bodies cannot
// crowd out the small ones every SDK sends.
func NewBodyLimiter(budget int64, timeout, wait time.Duration) *BodyLimiter {
	return &BodyLimiter{free: budget, reserve: budget / 4, timeout: timeout, wait: wait}
}

// fitsLocked reports whether a reservation of n bytes fits now.
func (l *BodyLimiter) fitsLocked(n int64) bool {
	if n > smallStep {
		return n <= l.free-l.reserve
	}
	return n <= l.free
}

// Handler returns next behind l. A body that does not arrive within the
// timeout is answered 408 RequestTimeout; one that finds no room in the
// budget within the wait, 503 ServiceUnavailable; both close the
// connection. A body announced larger than MaxBodyBytes is left unread for
// ParseRequest to refuse (413).
func (l *BodyLimiter) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, hr *http.Request) {
		if hr.Body == nil || hr.Body == http.NoBody || hr.ContentLength > MaxBodyBytes {
			next.ServeHTTP(w, hr)
			return
		}
		rc := http.NewResponseController(w)
		_ = rc.SetReadDeadline(time.Now().Add(l.timeout)) // not supported: no deadline
		b := &bufferedBody{}
		if hr.ContentLength >= 0 && hr.ContentLength <= freeBody {
			b.buf, b.err = readSmall(hr.Body, hr.ContentLength, l.timeout)
		} else {
			var held int64
			b.buf, held, b.err = l.read(hr.Context(), hr.Body, hr.ContentLength)
			defer l.release(held)
		}
		if b.err == nil {
			// The whole body is in: no deadline while the handler runs.
			// Otherwise the deadline stays, and bounds how long the server
			// reads what is left of the body after the answer.
			_ = rc.SetReadDeadline(time.Time{})
		}
		// A shallow copy: the server still sees its own body, and so
		// closes the connection as it should when the body was not read
		// to its end.
		hr = hr.WithContext(hr.Context())
		hr.Body = b
		next.ServeHTTP(w, hr)
	})
}

// bufferedBody is a request body read by a BodyLimiter: its bytes, or why
// they could not be read.
type bufferedBody struct {
	buf []byte
	off int
	err error
}

func (b *bufferedBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if b.off == len(b.buf) {
		return 0, io.EOF
	}
	n := copy(p, b.buf[b.off:])
	b.off += n
	return n, nil
}

func (b *bufferedBody) Close() error { return nil }

// read reads src (announcing length bytes, -1 when unknown) to its end and
// returns it with the budget it holds. A known length
// is reserved whole before the first byte is read: bodies wait for room all or nothing, so
// that under contention none is starved half-read. A body of unknown
// length (chunked) grows its buffer by doubling from 16 KiB, each step
// reserved before it is allocated. (net/http reports the end of a known
// length with its last bytes; a reader that does not grows likewise.)
func (l *BodyLimiter) read(ctx context.Context, src io.Reader, length int64) (buf []byte, held int64, err error) {
	for {
		if len(buf) == cap(buf) {
			n := min(max(2*int64(cap(buf)), 16<<10), MaxBodyBytes+1)
			if cap(buf) == 0 && length > 0 {
				n = length
			}
			step := n - int64(cap(buf))
			if !l.acquire(ctx, step) {
				return buf, held, errBodyBudget()
			}
			held += step
			buf = append(make([]byte, 0, n), buf...)
		}
		n, rerr := src.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if done, err := l.readResult(buf, rerr); done {
			return buf, held, err
		}
	}
}

// readSmall reads a body announced at length ≤ freeBody bytes, outside the
// budget.
func readSmall(src io.Reader, length int64, timeout time.Duration) ([]byte, error) {
	buf := make([]byte, length, length+1)
	n, err := io.ReadFull(src, buf)
	buf = buf[:n]
	switch {
	case err == nil:
		return buf, nil
	case errors.Is(err, os.ErrDeadlineExceeded):
		return buf, errBodyTimeout(timeout, err)
	}
	return buf, errBodyUnreadable(err)
}

// readResult tells whether a read of a body is over, and how: the body
// read so far and the reader's error.
func (l *BodyLimiter) readResult(buf []byte, rerr error) (bool, error) {
	switch {
	case len(buf) > MaxBodyBytes:
		return true, errBodyTooLarge()
	case rerr == io.EOF:
		return true, nil
	case errors.Is(rerr, os.ErrDeadlineExceeded):
		return true, errBodyTimeout(l.timeout, rerr)
	case rerr != nil:
		return true, errBodyUnreadable(rerr)
	}
	return false, nil
}

// bodyWaiter is a body waiting for n bytes of budget; ready is closed once
// they are its.
type bodyWaiter struct {
	n     int64
	ready chan struct{}
}

// acquire takes n bytes of the budget, waiting at most l.wait (and no
// longer than ctx) for them, and reports whether it got them.
func (l *BodyLimiter) acquire(ctx context.Context, n int64) bool {
	l.mu.Lock()
	if l.fitsLocked(n) {
		l.free -= n
		l.mu.Unlock()
		return true
	}
	w := &bodyWaiter{n: n, ready: make(chan struct{})}
	e := l.waiters.PushBack(w)
	l.mu.Unlock()
	t := time.NewTimer(l.wait)
	defer t.Stop()
	select {
	case <-w.ready:
		return true
	case <-t.C:
	case <-ctx.Done():
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	select {
	case <-w.ready: // granted meanwhile: give it back
		l.free += n
	default:
		l.waiters.Remove(e)
	}
	l.grantLocked()
	return false
}

// release returns n bytes to the budget.
func (l *BodyLimiter) release(n int64) {
	if n == 0 {
		return
	}
	l.mu.Lock()
	l.free += n
	l.grantLocked()
	l.mu.Unlock()
}

// grantLocked hands the free budget to the waiters that fit, oldest first.
// A large body does not hold back a small one behind it: small bodies are
// the common case, and a large one waits at most l.wait anyway.
func (l *BodyLimiter) grantLocked() {
	for e := l.waiters.Front(); e != nil && l.free > 0; {
		w, nx := e.Value.(*bodyWaiter), e.Next()
		if l.fitsLocked(w.n) {
			l.free -= w.n
			l.waiters.Remove(e)
			close(w.ready)
		}
		e = nx
	}
}

// connClose makes the server close the connection after the answer: the
// rest of the body, if any, was never read.
var connClose = map[string]string{"Connection": "close"}

func errBodyTimeout(d time.Duration, cause error) error {
	return &localyun.Error{Status: http.StatusRequestTimeout, Code: "RequestTimeout",
		Message: "The request body was not received within " + d.String() + ".", Header: connClose, Err: cause}
}

func errBodyBudget() error {
	return &localyun.Error{Status: http.StatusServiceUnavailable, Code: "ServiceUnavailable",
		Message: "The request has failed due to a temporary failure of the server.",
		Header:  map[string]string{"Connection": "close", "Retry-After": "1"}}
}

func errBodyUnreadable(cause error) error {
	return &localyun.Error{Status: http.StatusBadRequest, Code: "InvalidParameter",
		Message: "The request body could not be read.", Header: connClose, Err: cause}
}
