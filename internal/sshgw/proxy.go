package sshgw

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/localyun/localyun"
)

// The transparent proxy. A direct-tcpip channel (ssh -W host:port,
// ProxyJump, ProxyCommand) names a host by its address (or name) and SSH
// port. The gateway accepts it only for a host where the user may use an
// SSH account (after an O&M token login: the token's host only), and then
// is itself the SSH server at the other end of the channel, with the
// instance's host key: the inner login's user name is the host account's
// name, its credentials are not asked for (the outer login proved who the
// user is; "none", any password and any key are accepted for an account
// the user may use, and refused for any other). The gateway then logs in
// to the host with the account's stored credential and bridges the inner
// connection's sessions (shell, exec, scp, the sftp subsystem) to it.

// directTCPIP is the payload of a direct-tcpip channel open (RFC 4254 7.2).
type directTCPIP struct {
	Host       string
	Port       uint32
	OriginAddr string
	OriginPort uint32
}

// direct serves a direct-tcpip channel.
func (cn *conn) direct(nc ssh.NewChannel) {
	var p directTCPIP
	if ssh.Unmarshal(nc.ExtraData(), &p) != nil {
		nc.Reject(ssh.ConnectionFailed, "localyun: bad direct-tcpip request")
		return
	}
	target := net.JoinHostPort(p.Host, strconv.Itoa(int(p.Port)))
	ctx, cancel := context.WithTimeout(cn.g.ctx, 10*time.Second)
	hostID, ok, err := cn.proxyHost(ctx, p.Host, int(p.Port))
	cancel()
	if !ok {
		if err == nil {
			cn.g.denied(cn.login, map[string]string{"Host": target}) // audit.go
		}
		nc.Reject(ssh.Prohibited, "localyun: "+target+" is not a host you may use through this bastion")
		return
	}
	ch, reqs, err := nc.Accept()
	if err != nil {
		return
	}
	go ssh.DiscardRequests(reqs)
	cn.proxy(&channelConn{Channel: ch, local: cn.sc.LocalAddr(), remote: cn.sc.RemoteAddr()}, hostID)
}

// proxyHost finds the host a direct-tcpip channel names among those the
// user may use: by address or name, and SSH port; false and an error when
// they cannot be told.
func (cn *conn) proxyHost(ctx context.Context, host string, port int) (string, bool, error) {
	lg := cn.login
	pairs, err := cn.g.opts.Access.EffectiveAccess(ctx, lg.instanceID, lg.userID)
	if err != nil {
		cn.g.opts.Logger.Warn("ssh effective access", "instance", lg.instanceID, "err", err)
		return "", false, err
	}
	for _, a := range pairs {
		h := a.Host
		if a.Account.ProtocolName == "RDP" || lg.tokenHostID != "" && h.ID != lg.tokenHostID {
			continue
		}
		if h.SSHPortOrDefault() == port && (h.PrivateAddress == host || h.PublicAddress == host || h.Name == host) {
			return h.ID, true, nil
		}
	}
	return "", false, nil
}

// proxy is the SSH server of an inner connection to hostID.
func (cn *conn) proxy(c net.Conn, hostID string) {
	g, lg := cn.g, cn.login
	var chosen localyun.BastionAccess
	refusedAs := "" // the last host account name refused (audit.go)
	check := func(m ssh.ConnMetadata) (*ssh.Permissions, error) {
		ctx, cancel := context.WithTimeout(g.ctx, 10*time.Second)
		defer cancel()
		pairs, err := g.opts.Access.EffectiveAccess(ctx, lg.instanceID, lg.userID)
		if err != nil {
			return nil, errLogin
		}
		for _, a := range pairs {
			if a.Host.ID == hostID && a.Account.Name == m.User() && a.Account.ProtocolName != "RDP" &&
				(lg.tokenAccountID == "" || a.Account.ID == lg.tokenAccountID) {
				chosen = a
				return &ssh.Permissions{}, nil
			}
		}
		refusedAs = m.User()
		return nil, errLogin
	}
	conf := &ssh.ServerConfig{
		Config:               ssh.Config{Ciphers: serverCiphers},
		ServerVersion:        "SSH-2.0-localyun",
		NoClientAuth:         true,
		NoClientAuthCallback: check,
		PasswordCallback:     func(m ssh.ConnMetadata, _ []byte) (*ssh.Permissions, error) { return check(m) },
		PublicKeyCallback:    func(m ssh.ConnMetadata, _ ssh.PublicKey) (*ssh.Permissions, error) { return check(m) },
	}
	conf.AddHostKey(cn.l.signer)
	hangUp := time.AfterFunc(handshakeTimeout, func() { c.Close() })
	sc, chans, reqs, err := ssh.NewServerConn(c, conf)
	if !hangUp.Stop() || err != nil {
		if err != nil && refusedAs != "" {
			g.denied(lg, map[string]string{"HostId": hostID, "HostAccountName": refusedAs}) // audit.go
		}
		c.Close()
		return
	}
	go ssh.DiscardRequests(reqs)
	inner := &innerConn{cn: cn, sc: sc}
	inner.serve(chosen, chans)
}

// innerConn is an inner SSH connection of the transparent proxy.
type innerConn struct {
	cn *conn
	sc *ssh.ServerConn

	mu       sync.Mutex
	channels map[ssh.Channel]*sync.Mutex // open session channels, for messages, with their bridge's write lock
	client   *ssh.Client
}

// serve registers the inner connection as a live session of a, checks its
// access once more, logs in to the host and bridges every session channel
// until the connection ends.
func (in *innerConn) serve(a localyun.BastionAccess, chans <-chan ssh.NewChannel) {
	g := in.cn.g
	in.channels = map[ssh.Channel]*sync.Mutex{}
	live := &liveSession{login: in.cn.login, access: a, mode: modeProxy, notify: in.notify,
		closeFn: func() {
			in.mu.Lock()
			defer in.mu.Unlock()
			if in.client != nil {
				in.client.Close()
			}
			in.sc.Close()
		}}
	defer in.sc.Close()
	if !g.live.add(live) {
		return
	}
	reason := localyun.BastionSessionExit
	defer func() { g.live.remove(live, live.endReason(reason)) }()
	ctx, cancel := context.WithCancel(g.ctx)
	defer cancel()
	stop := context.AfterFunc(ctx, func() { in.sc.Close() })
	defer stop()
	if !in.cn.mayStart(ctx, live) {
		reason = localyun.BastionSessionRevoked
		in.sc.Close()
		return
	}
	client, err := g.dialHost(ctx, in.cn.login.instanceID, a)
	if err != nil {
		reason = localyun.BastionSessionError
		// Tell the client why on its first channel, then hang up.
		if nc, ok := <-chans; ok {
			nc.Reject(ssh.ConnectionFailed, "localyun: "+err.Error())
		}
		return
	}
	defer client.Close()
	in.mu.Lock()
	in.client = client
	in.mu.Unlock()
	if live.endedFor() != "" {
		return
	}
	var wg sync.WaitGroup
	for nc := range chans {
		if nc.ChannelType() != "session" {
			nc.Reject(ssh.Prohibited, "localyun: only sessions go through the bastion")
			continue
		}
		wg.Go(func() { in.session(nc, client) })
	}
	wg.Wait()
}

// session bridges one inner session channel to a session on the host;
// requests go both ways as they are.
func (in *innerConn) session(nc ssh.NewChannel, client *ssh.Client) {
	host, hostReqs, err := client.OpenChannel("session", nil)
	if err != nil {
		nc.Reject(ssh.ConnectionFailed, fmt.Sprintf("localyun: the host refused a session: %v", err))
		return
	}
	ch, reqs, err := nc.Accept()
	if err != nil {
		host.Close()
		return
	}
	wmu := new(sync.Mutex)
	in.mu.Lock()
	in.channels[ch] = wmu
	in.mu.Unlock()
	defer func() {
		in.mu.Lock()
		delete(in.channels, ch)
		in.mu.Unlock()
	}()
	// The request that starts the session (exec, shell, subsystem) is
	// answered before bridge runs: otherwise the host's output, exit
	// status and close could reach the client before that answer, and the
	// client would see its session closed under its request.
	started := false
	for req := range reqs {
		forward(host, req)
		if req.Type == "exec" || req.Type == "shell" || req.Type == "subsystem" {
			started = true
			break
		}
	}
	if !started { // the client went away first
		host.Close()
		return
	}
	go func() {
		for req := range reqs {
			forward(host, req)
		}
		host.Close()
	}()
	bridge(ch, ch, host, hostReqs, wmu)
}

// notify writes a message to every open session of the inner connection.
func (in *innerConn) notify(msg string) {
	in.mu.Lock()
	defer in.mu.Unlock()
	for ch, wmu := range in.channels {
		wmu.Lock()
		fmt.Fprintf(ch.Stderr(), "\r\n%s\r\n", msg)
		wmu.Unlock()
	}
}

// channelConn is a channel as the net.Conn an SSH server runs on.
type channelConn struct {
	ssh.Channel
	local, remote net.Addr
}

func (c *channelConn) LocalAddr() net.Addr                { return c.local }
func (c *channelConn) RemoteAddr() net.Addr               { return c.remote }
func (c *channelConn) SetDeadline(t time.Time) error      { return nil }
func (c *channelConn) SetReadDeadline(t time.Time) error  { return nil }
func (c *channelConn) SetWriteDeadline(t time.Time) error { return nil }
