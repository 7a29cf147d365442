package sshgw_test

import (
	"bufio"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/ssh"
)

// testHost is an in-process SSH server standing in for a host: it logs in
// one account by password or key and runs a few commands:
//
//	whoami            the account name
//	echo WORDS        the words
//	pty               "TERM COLSxROWS" of the session's pty ("none" without)
//	cat               copies its input until end of input
//	wait              blocks until the session is closed
//	exit N            exits with status N
//
// A shell prints "NAME$ " prompts and runs each line; "winch" prints the
// current window size.
type testHost struct {
	name, user, password string
	key                  ssh.PublicKey // nil: no key login
	ln                   net.Listener
	conf                 *ssh.ServerConfig

	mu       sync.Mutex
	sessions int // sessions opened
	open     int // sessions open now
	logins   []string
}

func startTestHost(t *testing.T, name, user, password string, key ssh.PublicKey) *testHost {
	t.Helper()
	h := &testHost{name: name, user: user, password: password, key: key}
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	h.conf = &ssh.ServerConfig{
		PasswordCallback: func(c ssh.ConnMetadata, pw []byte) (*ssh.Permissions, error) {
			if c.User() == h.user && h.password != "" && string(pw) == h.password {
				h.noteLogin("password")
				return nil, nil
			}
			return nil, fmt.Errorf("denied")
		},
		PublicKeyCallback: func(c ssh.ConnMetadata, k ssh.PublicKey) (*ssh.Permissions, error) {
			if c.User() == h.user && h.key != nil && string(k.Marshal()) == string(h.key.Marshal()) {
				h.noteLogin("publickey")
				return nil, nil
			}
			return nil, fmt.Errorf("denied")
		},
	}
	h.conf.AddHostKey(signer)
	if h.ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.ln.Close() })
	go h.serve()
	return h
}

func (h *testHost) noteLogin(how string) {
	h.mu.Lock()
	h.logins = append(h.logins, how)
	h.mu.Unlock()
}

func (h *testHost) port() int { return h.ln.Addr().(*net.TCPAddr).Port }

func (h *testHost) openSessions() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.open
}

func (h *testHost) serve() {
	for {
		c, err := h.ln.Accept()
		if err != nil {
			return
		}
		go func() {
			sc, chans, reqs, err := ssh.NewServerConn(c, h.conf)
			if err != nil {
				return
			}
			defer sc.Close()
			go ssh.DiscardRequests(reqs)
			for nc := range chans {
				if nc.ChannelType() != "session" {
					nc.Reject(ssh.UnknownChannelType, "no")
					continue
				}
				go h.session(nc)
			}
		}()
	}
}

// hostSession is one session channel on the test host.
type hostSession struct {
	h          *testHost
	ch         ssh.Channel
	mu         sync.Mutex
	term       string
	cols, rows uint32
	closed     chan struct{}
}

func (h *testHost) session(nc ssh.NewChannel) {
	ch, reqs, err := nc.Accept()
	if err != nil {
		return
	}
	h.mu.Lock()
	h.sessions++
	h.open++
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		h.open--
		h.mu.Unlock()
	}()
	s := &hostSession{h: h, ch: ch, closed: make(chan struct{})}
	for req := range reqs {
		switch req.Type {
		case "pty-req":
			var p struct {
				Term                      string
				Cols, Rows, Width, Height uint32
				Modes                     string
			}
			ssh.Unmarshal(req.Payload, &p)
			s.mu.Lock()
			s.term, s.cols, s.rows = p.Term, p.Cols, p.Rows
			s.mu.Unlock()
			req.Reply(true, nil)
		case "window-change":
			var w struct{ Cols, Rows, Width, Height uint32 }
			ssh.Unmarshal(req.Payload, &w)
			s.mu.Lock()
			s.cols, s.rows = w.Cols, w.Rows
			s.mu.Unlock()
		case "exec":
			var cmd struct{ Command string }
			ssh.Unmarshal(req.Payload, &cmd)
			req.Reply(true, nil)
			go func() { s.exit(s.run(cmd.Command, ch)) }()
		case "shell":
			req.Reply(true, nil)
			go s.shell()
		default:
			req.Reply(false, nil)
		}
	}
	close(s.closed)
}

func (s *hostSession) exit(status int) {
	s.ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{uint32(status)}))
	s.ch.Close()
}

// run runs one command and returns its exit status.
func (s *hostSession) run(cmd string, in io.Reader) int {
	word, rest, _ := strings.Cut(strings.TrimSpace(cmd), " ")
	switch word {
	case "whoami":
		fmt.Fprintf(s.ch, "%s@%s\n", s.h.user, s.h.name)
	case "echo":
		fmt.Fprintln(s.ch, rest)
	case "pty", "winch":
		s.mu.Lock()
		if s.term == "" {
			fmt.Fprintln(s.ch, "none")
		} else {
			fmt.Fprintf(s.ch, "%s %dx%d\n", s.term, s.cols, s.rows)
		}
		s.mu.Unlock()
	case "cat":
		io.Copy(s.ch, in)
	case "wait":
		<-s.closed
	case "exit":
		n, _ := strconv.Atoi(rest)
		return n
	case "stderr":
		fmt.Fprintln(s.ch.Stderr(), rest)
	default:
		fmt.Fprintf(s.ch.Stderr(), "%s: not found\n", word)
		return 127
	}
	return 0
}

// shell reads lines and runs them, until exit or end of input.
func (s *hostSession) shell() {
	r := bufio.NewReader(s.ch)
	for {
		fmt.Fprintf(s.ch, "%s$ ", s.h.name)
		line, err := r.ReadString('\n')
		if line = strings.TrimSpace(strings.TrimRight(line, "\r\n")); line != "" {
			if strings.HasPrefix(line, "exit") {
				n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "exit")))
				s.exit(n)
				return
			}
			s.run(line, strings.NewReader(""))
		}
		if err != nil {
			s.exit(0)
			return
		}
	}
}
