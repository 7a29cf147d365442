package sshgw

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"

	"golang.org/x/crypto/ssh"

	"github.com/localyun/localyun"
)

// A session channel on the gateway itself. After a login with a password
// or key:
//
//   - shell (with or without a pty): the menu of the user's host accounts;
//   - exec "ls": the list of them, one a line (number, host, address,
//     account), for scripts;
//   - exec "<account>@<host> [command]": that host account, <host> being
//     the host's name, address or id: the command, or a shell without one;
//   - subsystem: refused (sftp and scp go through the transparent proxy).
//
// After a login with an O&M token, every session goes to the token's host
// account: shell, exec and subsystem (sftp) as requested.

// Session modes of the records.
const (
	modeMenu  = "menu"
	modeExec  = "exec"
	modeToken = "token"
	modeProxy = "proxy"
)

// ptyRequest is a client's pty-req, kept to be sent to the host.
type ptyRequest struct {
	Term          string
	Cols, Rows    uint32
	Width, Height uint32
	Modes         string
}

// windowChange is a window-change request's payload.
type windowChange struct {
	Cols, Rows    uint32
	Width, Height uint32
}

// outerSession is a session channel of a client's connection.
type outerSession struct {
	cn     *conn
	ch     ssh.Channel
	gone   chan struct{} // closed when the client closed the channel
	resize chan struct{} // a window change, for the menu

	mu      sync.Mutex
	pty     *ptyRequest
	env     [][]byte
	host    ssh.Channel // once bridged, requests go there
	started bool

	wmu sync.Mutex // the client's error output and end: bridge and notices
}

// session serves a session channel.
func (cn *conn) session(nc ssh.NewChannel) {
	ch, reqs, err := nc.Accept()
	if err != nil {
		return
	}
	s := &outerSession{cn: cn, ch: ch, gone: make(chan struct{}), resize: make(chan struct{}, 1)}
	for req := range reqs {
		s.request(req)
	}
	close(s.gone)
	s.mu.Lock()
	host := s.host
	s.mu.Unlock()
	if host != nil {
		host.Close()
	}
	ch.Close()
}

// request handles a request of the client's channel.
func (s *outerSession) request(req *ssh.Request) {
	s.mu.Lock()
	host := s.host
	if host != nil {
		s.mu.Unlock()
		forward(host, req)
		return
	}
	defer s.mu.Unlock()
	switch req.Type {
	case "pty-req":
		var p ptyRequest
		ok := ssh.Unmarshal(req.Payload, &p) == nil
		if ok {
			s.pty = &p
		}
		req.Reply(ok, nil)
	case "window-change":
		var w windowChange
		if ssh.Unmarshal(req.Payload, &w) == nil && s.pty != nil {
			s.pty.Cols, s.pty.Rows, s.pty.Width, s.pty.Height = w.Cols, w.Rows, w.Width, w.Height
			select {
			case s.resize <- struct{}{}:
			default:
			}
		}
		req.Reply(false, nil)
	case "env":
		s.env = append(s.env, req.Payload)
		req.Reply(true, nil)
	case "shell", "exec", "subsystem":
		if s.started || req.Type == "subsystem" && s.cn.login.tokenHostID == "" {
			req.Reply(false, nil)
			return
		}
		s.started = true
		req.Reply(true, nil)
		go s.run(req.Type, req.Payload)
	default:
		req.Reply(false, nil)
	}
}

// run serves the session's shell, exec or subsystem request.
func (s *outerSession) run(kind string, payload []byte) {
	g, lg := s.cn.g, s.cn.login
	ctx, cancel := context.WithCancel(g.ctx)
	defer cancel()
	go func() {
		select {
		case <-s.gone:
			cancel()
		case <-ctx.Done():
		}
	}()
	if lg.tokenHostID != "" {
		a, ok, err := s.find(ctx, func(a localyun.BastionAccess) bool {
			return a.Host.ID == lg.tokenHostID && a.Account.ID == lg.tokenAccountID
		})
		if !ok {
			if err == nil {
				g.denied(lg, map[string]string{"HostId": lg.tokenHostID, "HostAccountId": lg.tokenAccountID}) // audit.go
			}
			s.fail("the O&M token's host account is no longer yours to use")
			return
		}
		s.connect(ctx, a, kind, payload, s.ch, modeToken)
		return
	}
	if kind == "shell" {
		s.menu(ctx)
		return
	}
	var cmd struct{ Command string }
	if ssh.Unmarshal(payload, &cmd) != nil {
		s.fail("bad exec request")
		return
	}
	s.exec(ctx, cmd.Command)
}

// exec runs a command given to the gateway itself.
func (s *outerSession) exec(ctx context.Context, command string) {
	target, rest, _ := strings.Cut(strings.TrimSpace(command), " ")
	rest = strings.TrimSpace(rest)
	switch target {
	case "ls", "list":
		s.list(ctx)
		return
	case "", "help":
		s.usage()
		return
	}
	account, host, ok := strings.Cut(target, "@")
	if !ok {
		s.usage()
		return
	}
	a, ok, err := s.find(ctx, func(a localyun.BastionAccess) bool {
		return a.Account.Name == account && a.Account.ProtocolName != "RDP" &&
			(a.Host.Name == host || a.Host.ID == host || a.Host.PrivateAddress == host || a.Host.PublicAddress == host)
	})
	if !ok {
		if err == nil {
			s.cn.g.denied(s.cn.login, map[string]string{"Host": host, "HostAccountName": account}) // audit.go
		}
		s.fail(fmt.Sprintf("%s is not a host account you may use (ls lists them)", target))
		return
	}
	kind, payload := "shell", []byte(nil)
	if rest != "" {
		kind, payload = "exec", ssh.Marshal(struct{ Command string }{rest})
	}
	s.connect(ctx, a, kind, payload, s.ch, modeExec)
}

// find returns the first of the user's host accounts that match; false
// and an error when they cannot be told.
func (s *outerSession) find(ctx context.Context, match func(localyun.BastionAccess) bool) (localyun.BastionAccess, bool, error) {
	pairs, err := s.pairs(ctx)
	if err != nil {
		return localyun.BastionAccess{}, false, err
	}
	for _, a := range pairs {
		if match(a) {
			return a, true, nil
		}
	}
	return localyun.BastionAccess{}, false, nil
}

// pairs is the user's SSH host accounts, asked afresh.
func (s *outerSession) pairs(ctx context.Context) ([]localyun.BastionAccess, error) {
	lg := s.cn.login
	all, err := s.cn.g.opts.Access.EffectiveAccess(ctx, lg.instanceID, lg.userID)
	if err != nil {
		s.cn.g.opts.Logger.Warn("ssh effective access", "instance", lg.instanceID, "err", err)
		return nil, err
	}
	var out []localyun.BastionAccess
	for _, a := range all {
		if a.Account.ProtocolName != "RDP" {
			out = append(out, a)
		}
	}
	return out, nil
}

// list writes the user's host accounts, one a line.
func (s *outerSession) list(ctx context.Context) {
	pairs, err := s.pairs(ctx)
	if err != nil {
		s.fail("the bastion cannot tell your host accounts now; try again")
		return
	}
	for i, a := range pairs {
		fmt.Fprintf(s.ch, "%d\t%s\t%s\t%s\n", i+1, a.Host.Name, hostAddr(a.Host), a.Account.Name)
	}
	s.exit(0)
}

func (s *outerSession) usage() {
	fmt.Fprint(s.ch.Stderr(), "usage: ssh -p PORT USER@GATEWAY [ls | ACCOUNT@HOST [COMMAND]]\n"+
		"  (no command: the menu; HOST is a host's name, address or id)\n")
	s.exit(2)
}

// fail tells the user why the session ends and ends it with status 1.
func (s *outerSession) fail(msg string) {
	fmt.Fprintf(s.ch.Stderr(), "localyun: %s\r\n", msg)
	s.exit(1)
}

func (s *outerSession) exit(status uint32) {
	s.ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{status}))
	s.ch.CloseWrite()
	s.ch.Close()
}

// connect bridges the session to a host account: registered as live, its
// access checked once more (a revocation from here on is seen), then the
// host reached with the stored credential and the session bridged until
// it ends.
func (s *outerSession) connect(ctx context.Context, a localyun.BastionAccess, kind string, payload []byte, in io.Reader, mode string) {
	g := s.cn.g
	var client *ssh.Client
	var mu sync.Mutex
	live := &liveSession{login: s.cn.login, access: a, mode: mode,
		notify: func(msg string) {
			s.wmu.Lock()
			defer s.wmu.Unlock()
			fmt.Fprintf(s.ch.Stderr(), "\r\n%s\r\n", msg)
		},
		closeFn: func() {
			mu.Lock()
			defer mu.Unlock()
			if client != nil {
				client.Close()
			}
			s.ch.Close()
		}}
	if !g.live.add(live) {
		s.ch.Close()
		return
	}
	reason := localyun.BastionSessionExit
	defer func() { g.live.remove(live, live.endReason(reason)) }()
	if !s.cn.mayStart(ctx, live) {
		reason = localyun.BastionSessionRevoked
		s.fail(a.Account.Name + "@" + a.Host.Name + " is not a host account you may use")
		return
	}
	c, err := g.dialHost(ctx, s.cn.login.instanceID, a)
	if err != nil {
		reason = localyun.BastionSessionError
		s.fail(err.Error())
		return
	}
	mu.Lock()
	client = c
	mu.Unlock()
	defer c.Close()
	if live.endedFor() != "" {
		return // revoked while dialing
	}
	if err := s.bridgeHost(c, kind, payload, in); err != nil {
		reason = localyun.BastionSessionError
		s.fail(err.Error())
	}
}

// bridgeHost opens a session on the host with the client's pty and
// environment, starts kind (shell, exec or subsystem) there and bridges
// the two until the host's side ends.
func (s *outerSession) bridgeHost(c *ssh.Client, kind string, payload []byte, in io.Reader) error {
	host, hostReqs, err := c.OpenChannel("session", nil)
	if err != nil {
		return fmt.Errorf("the host refused a session: %v", err)
	}
	s.mu.Lock()
	if s.pty != nil {
		if ok, err := host.SendRequest("pty-req", true, ssh.Marshal(s.pty)); err != nil || !ok {
			s.mu.Unlock()
			host.Close()
			return fmt.Errorf("the host refused a terminal")
		}
	}
	for _, env := range s.env {
		host.SendRequest("env", false, env)
	}
	s.host = host // from here on the client's requests go to the host
	s.mu.Unlock()
	if ok, err := host.SendRequest(kind, true, payload); err != nil || !ok {
		host.Close()
		return fmt.Errorf("the host refused the %s request", kind)
	}
	bridge(s.ch, in, host, hostReqs, &s.wmu)
	return nil
}
