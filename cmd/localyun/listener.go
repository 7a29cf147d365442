package main

import (
	"container/list"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"syscall"
	"time"
)

// evictAfter is how long a keep-alive connection must have been idle
// between requests before connLimiter may close it to make room for a new
// one: a client that keeps its connection busy is not cut off.
const evictAfter = time.Second

// connLimiter is a net.Listener that holds at most max connections open,
// and at most perIP from one client address. At a cap it makes room by
// closing, first, the oldest connection that has not yet sent a whole
// request header, then the keep-alive connection idle longest (if for
// evictAfter); when there is none, it closes the new connection at once,
// without an answer. Connections in the middle of a request are never
// closed: their deadlines bound them. Either way the server keeps
// descriptors for the clients it serves instead of running out of them.
// Accept errors that mean "out of descriptors or memory" are retried after
// a pause (and after making room) rather than returned.
//
// Its track method must be the http.Server's ConnState hook: that is how
// it knows the state of each connection.
//
// Listeners made with also share the caps: the HTTP and HTTPS listeners
// of one server count against the same descriptors.
type connLimiter struct {
	net.Listener
	*connCount
}

// connCount is the state the listeners of one connLimiter family share.
type connCount struct {
	max, perIP int
	log        *slog.Logger

	mu      sync.Mutex
	n       int
	all     connLists
	ips     map[netip.Addr]*ipConns
	refused int // connections closed at a cap since the last log line
	logged  time.Time
}

// connLists hold the connections that may be closed to make room, oldest
// first: fresh ones (no whole request header yet) and idle keep-alive ones.
type connLists struct{ fresh, idle list.List }

// ipConns are the connections of one client address.
type ipConns struct {
	n int
	connLists
}

// limitConn is a connection connLimiter counts. Its fields other than
// Conn are guarded by the limiter's mutex.
type limitConn struct {
	net.Conn
	l     *connLimiter
	ip    netip.Addr
	since time.Time     // when it was accepted, or last became idle
	on    *list.List    // the list of l.all it is on; nil while active
	el    *list.Element // its element there
	ipOn  *list.List    // the same in its address's lists
	ipEl  *list.Element // its element there
	gone  bool          // closed, or chosen to be
}

func newConnLimiter(ln net.Listener, max, perIP int, log *slog.Logger) *connLimiter {
	return &connLimiter{Listener: ln, connCount: &connCount{max: max, perIP: perIP, log: log, ips: map[netip.Addr]*ipConns{}}}
}

// also returns a connLimiter of ln under the same caps as l: a connection
// accepted by either counts against both.
func (l *connLimiter) also(ln net.Listener) *connLimiter {
	return &connLimiter{Listener: ln, connCount: l.connCount}
}

// Accept returns the next connection the caps admit.
func (l *connLimiter) Accept() (net.Conn, error) {
	var delay time.Duration
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			if !outOfResources(err) {
				return nil, err
			}
			// Out of descriptors: free one if a connection is idle, and
			// pause rather than spin on an error that will not clear at once.
			l.shed()
			delay = min(max(2*delay, 5*time.Millisecond), 500*time.Millisecond)
			l.note("accept failed, retrying", "err", err, "retry_in", delay)
			time.Sleep(delay)
			continue
		}
		delay = 0
		if lc := l.admit(c); lc != nil {
			return lc, nil
		}
		c.Close()
	}
}

// outOfResources reports whether an accept error means the process or the
// system ran out of descriptors or buffers.
func outOfResources(err error) bool {
	for _, e := range []syscall.Errno{syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// admit counts c in, closing another connection to make room at a cap,
// and returns it wrapped; nil means c is refused.
func (l *connLimiter) admit(c net.Conn) *limitConn {
	lc := &limitConn{Conn: c, l: l, ip: remoteIP(c), since: time.Now()}
	l.mu.Lock()
	ipc := l.ips[lc.ip]
	if ipc == nil {
		ipc = &ipConns{}
		l.ips[lc.ip] = ipc
	}
	var victim *limitConn
	switch {
	case ipc.n >= l.perIP:
		victim = ipc.victim(lc.since)
	case l.n >= l.max:
		victim = l.all.victim(lc.since)
	}
	if (ipc.n >= l.perIP || l.n >= l.max) && victim == nil {
		if ipc.n == 0 {
			delete(l.ips, lc.ip)
		}
		l.refused++
		l.mu.Unlock()
		l.note("connection limit reached, closing new connections", "max_conns", l.max, "max_conns_per_ip", l.perIP)
		return nil
	}
	if victim != nil {
		l.dropLocked(victim)
	}
	l.n++
	ipc.n++
	l.parkLocked(lc, true)
	l.mu.Unlock()
	if victim != nil {
		victim.Conn.Close()
	}
	return lc
}

// shed closes a connection that may make room, if there is one.
func (l *connLimiter) shed() {
	l.mu.Lock()
	victim := l.all.victim(time.Now())
	if victim != nil {
		l.dropLocked(victim)
	}
	l.mu.Unlock()
	if victim != nil {
		victim.Conn.Close()
	}
}

// victim returns the connection to close to make room at now: the oldest
// fresh one, else the one idle longest if for evictAfter, else nil.
func (cl *connLists) victim(now time.Time) *limitConn {
	if e := cl.fresh.Front(); e != nil {
		return e.Value.(*limitConn)
	}
	if e := cl.idle.Front(); e != nil {
		if c := e.Value.(*limitConn); now.Sub(c.since) >= evictAfter {
			return c
		}
	}
	return nil
}

// dropLocked stops counting c (once).
func (l *connLimiter) dropLocked(c *limitConn) {
	if c.gone {
		return
	}
	c.gone = true
	l.unparkLocked(c)
	l.n--
	ipc := l.ips[c.ip]
	if ipc.n--; ipc.n == 0 {
		delete(l.ips, c.ip)
	}
}

// parkLocked puts c at the back of the fresh lists (fresh) or of the idle
// lists.
func (l *connLimiter) parkLocked(c *limitConn, fresh bool) {
	l.unparkLocked(c)
	ipc := l.ips[c.ip]
	c.on, c.ipOn = &l.all.idle, &ipc.idle
	if fresh {
		c.on, c.ipOn = &l.all.fresh, &ipc.fresh
	}
	c.el, c.ipEl = c.on.PushBack(c), c.ipOn.PushBack(c)
}

// unparkLocked takes c off the lists: it is active (or gone).
func (l *connLimiter) unparkLocked(c *limitConn) {
	if c.on != nil {
		c.on.Remove(c.el)
		c.ipOn.Remove(c.ipEl)
		c.on, c.el, c.ipOn, c.ipEl = nil, nil, nil, nil
	}
}

// track is the http.Server's ConnState hook.
func (l *connLimiter) track(nc net.Conn, state http.ConnState) {
	if tc, ok := nc.(*tls.Conn); ok {
		nc = tc.NetConn() // the HTTPS listener's connections
	}
	c, ok := nc.(*limitConn)
	if !ok {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if c.gone {
		return
	}
	switch state {
	case http.StateActive, http.StateHijacked:
		l.unparkLocked(c)
	case http.StateIdle:
		c.since = time.Now()
		l.parkLocked(c, false)
	case http.StateClosed:
		l.dropLocked(c)
	}
}

// note logs msg at most once every 10 seconds, with the connections
// refused since the last line.
func (l *connLimiter) note(msg string, args ...any) {
	l.mu.Lock()
	now := time.Now()
	if now.Sub(l.logged) < 10*time.Second {
		l.mu.Unlock()
		return
	}
	l.logged, args = now, append(args, "refused", l.refused)
	l.refused = 0
	l.mu.Unlock()
	l.log.Warn(msg, args...)
}

// Close stops counting c and closes it.
func (c *limitConn) Close() error {
	c.l.mu.Lock()
	c.l.dropLocked(c)
	c.l.mu.Unlock()
	return c.Conn.Close()
}

// CloseWrite half-closes c when the connection can, as net/http does
// before closing a connection whose request it did not read to the end.
func (c *limitConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// remoteIP is the client address of c, the zero Addr when it has none.
func remoteIP(c net.Conn) netip.Addr {
	if a, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		return a.AddrPort().Addr().Unmap()
	}
	return netip.Addr{}
}
