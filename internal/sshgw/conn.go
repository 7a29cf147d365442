package sshgw

import (
	"context"
	"net"
	"strconv"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
)

// handshakeTimeout bounds a connection's SSH handshake and login.
const handshakeTimeout = 60 * time.Second

// login is who logged in on a connection, and how.
type login struct {
	l          *instanceListener
	instanceID string
	userID     string
	userName   string
	method     string // password, publickey, token
	// An O&M token logs in to one host account: sessions go straight there.
	tokenHostID, tokenAccountID string
	// tokenExpires is when the O&M token expires: its sessions end then.
	tokenExpires time.Time
	clientAddr   string
	// clientVersion is the client's SSH version string (an event's
	// userAgent).
	clientVersion string
}

// conn is one client connection to an instance's listener.
type conn struct {
	g     *Gateway
	l     *instanceListener
	sc    *ssh.ServerConn
	login login
	wg    sync.WaitGroup
}

// serveConn runs the SSH handshake and serves the connection's channels
// until it closes.
func (g *Gateway) serveConn(l *instanceListener, c net.Conn) {
	c.SetDeadline(time.Now().Add(handshakeTimeout))
	att := &loginAttempts{}
	sc, chans, reqs, err := ssh.NewServerConn(c, g.serverConfig(l, att))
	if err != nil {
		g.handshakeFailed(att) // audit.go
		c.Close()
		return
	}
	c.SetDeadline(time.Time{})
	g.stats.login(sc.Permissions.Extensions[extMethod], nil) // metrics (stats.go)
	stop := context.AfterFunc(g.ctx, func() { sc.Close() })
	defer stop()
	go ssh.DiscardRequests(reqs)
	ext := sc.Permissions.Extensions
	cn := &conn{g: g, l: l, sc: sc, login: login{l: l, instanceID: l.instanceID, userID: ext[extUserID],
		userName: ext[extUserName], method: ext[extMethod], tokenHostID: ext[extHostID],
		tokenAccountID: ext[extAccountID], tokenExpires: unixNano(ext[extExpires]), clientAddr: c.RemoteAddr().String(),
		clientVersion: string(sc.ClientVersion())}}
	for nc := range chans {
		switch nc.ChannelType() {
		case "session":
			cn.wg.Go(func() { cn.session(nc) })
		case "direct-tcpip":
			cn.wg.Go(func() { cn.direct(nc) })
		default:
			nc.Reject(ssh.UnknownChannelType, "localyun: channel type "+strconv.Quote(nc.ChannelType())+" is not supported")
		}
	}
	sc.Close()
	cn.wg.Wait()
}

// unixNano reads Unix nanoseconds; "" (not a token login) is the zero
// time.
func unixNano(s string) time.Time {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}
	}
	return time.Unix(0, n)
}

// mayStart checks, once live is registered (so that a revocation from
// then on re-checks it), that its user may use its host account now (and
// that its O&M token has not expired), and starts watching the end of the
// user's validity period and of the token.
func (cn *conn) mayStart(ctx context.Context, live *liveSession) bool {
	lg := cn.login
	ok, err := cn.g.live.allowed(ctx, live)
	if err != nil {
		cn.g.opts.Logger.Warn("ssh access check", "instance", lg.instanceID, "err", err)
		return false
	}
	if ok {
		cn.g.live.watchValidity(ctx, live)
	}
	return ok
}
