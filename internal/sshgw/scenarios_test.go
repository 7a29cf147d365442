package sshgw_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/sshgw"
)

func TestLogin(t *testing.T) {
	w := newWorld(t, sshgw.Revoke{})
	if _, err := w.dial("alice", ssh.Password("wrong")); err == nil {
		t.Fatal("wrong password accepted")
	}
	if _, err := w.dial("nobody", ssh.Password(alicePW)); err == nil {
		t.Fatal("unknown user accepted")
	}
	_, other := newKey(t)
	if _, err := w.dial("alice", ssh.PublicKeys(other)); err == nil {
		t.Fatal("unregistered key accepted")
	}
	for name, auth := range map[string]ssh.AuthMethod{"password": ssh.Password(alicePW), "key": ssh.PublicKeys(w.aliceKey)} {
		c := w.mustDial("alice", auth)
		if out, errOut, st := run(t, c, "root@web1 whoami"); out != "root@web1\n" || st != 0 {
			t.Errorf("%s: whoami = %q %q %d", name, out, errOut, st)
		}
	}
	// An O&M token, typed as the password, goes straight to its host account.
	raw := make([]byte, 32)
	rand.Read(raw)
	token := base64.RawURLEncoding.EncodeToString(raw)
	sum := sha256.Sum256([]byte(token))
	_, err := w.st.CreateBastionOperationToken(context.Background(), localyun.BastionOperationToken{InstanceID: instance,
		UserID: w.alice.ID, HostID: w.h2.ID, AccountID: w.deploy.ID, Sum: sum[:], CreatedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)})
	must(t, err)
	c := w.mustDial("alice", ssh.Password(token))
	if out, errOut, st := run(t, c, "whoami"); out != "deploy@web2\n" || st != 0 {
		t.Errorf("token: whoami = %q %q %d", out, errOut, st)
	}
	if _, err := w.dial("bob", ssh.Password(token)); err == nil {
		t.Fatal("alice's token logged bob in")
	}
}

func TestExec(t *testing.T) {
	w := newWorld(t, sshgw.Revoke{})
	alice := w.mustDial("alice", ssh.Password(alicePW))
	bob := w.mustDial("bob", ssh.Password(bobPW))
	p1, p2 := strconv.Itoa(w.web1.port()), strconv.Itoa(w.web2.port())
	tests := []struct {
		name   string
		c      *ssh.Client
		cmd    string
		out    string
		errOut string
		status int
	}{
		{"ls alice", alice, "ls", "1\tweb1\t127.0.0.1:" + p1 + "\troot\n2\tweb2\t127.0.0.1:" + p2 + "\tdeploy\n", "", 0},
		{"ls bob", bob, "ls", "1\tweb1\t127.0.0.1:" + p1 + "\troot\n", "", 0},
		{"password account", alice, "root@web1 whoami", "root@web1\n", "", 0},
		{"key account by address", alice, "deploy@127.0.0.1 whoami", "deploy@web2\n", "", 0},
		{"key account by id", alice, "deploy@" + w.h2.ID + " whoami", "deploy@web2\n", "", 0},
		{"exit status", bob, "root@web1 exit 3", "", "", 3},
		{"stderr", bob, "root@web1 stderr oops", "", "oops\n", 0},
		{"no pty", bob, "root@web1 pty", "none\n", "", 0},
		{"not granted", bob, "deploy@web2 whoami", "", "localyun: deploy@web2 is not a host account you may use (ls lists them)\r\n", 1},
		{"unknown account", alice, "admin@web1 whoami", "", "localyun: admin@web1 is not a host account you may use (ls lists them)\r\n", 1},
		{"usage", alice, "whoami", "", "usage", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, st := run(t, tt.c, tt.cmd)
			if out != tt.out || !strings.Contains(errOut, tt.errOut) || st != tt.status {
				t.Fatalf("%q: got %q %q %d, want %q %q %d", tt.cmd, out, errOut, st, tt.out, tt.errOut, tt.status)
			}
		})
	}
	// Every bridged session is recorded, with how it ended.
	list, _, err := w.st.FindBastionSessions(context.Background(), localyun.BastionSessionFilter{InstanceID: instance, UserID: w.bob.ID, Limit: 100})
	must(t, err)
	if len(list) != 3 || list[0].EndReason != localyun.BastionSessionExit || list[0].ClientAddr == "" || list[0].HostID != w.h1.ID {
		t.Fatalf("bob's sessions %+v", list)
	}
}

func TestMenuPty(t *testing.T) {
	w := newWorld(t, sshgw.Revoke{})
	c := w.mustDial("alice", ssh.Password(alicePW))
	ss := startShell(t, c, 30, "")
	ss.waitFor("deploy")
	ss.send("\x1b[B\r") // down to web2, Enter
	ss.waitFor("web2$ ")
	ss.send("whoami\n")
	ss.waitFor("deploy@web2")
	ss.send("pty\n")
	ss.waitFor("xterm-256color 100x30")
	must(t, ss.s.WindowChange(40, 120))
	time.Sleep(100 * time.Millisecond)
	ss.send("winch\n")
	ss.waitFor("xterm-256color 120x40")
	ss.send("exit 4\n")
	err, ok := ss.waitEnd(5 * time.Second)
	var ee *ssh.ExitError
	if !ok || !errorsAs(err, &ee) || ee.ExitStatus() != 4 {
		t.Fatalf("end: %v %v", err, ok)
	}
	// By number.
	ss = startShell(t, c, 30, "")
	ss.waitFor("deploy")
	ss.send("1\r")
	ss.waitFor("web1$ ")
	ss.send("whoami\n")
	ss.waitFor("root@web1")
}

func TestMenuLines(t *testing.T) {
	w := newWorld(t, sshgw.Revoke{})
	c := w.mustDial("bob", ssh.Password(bobPW))
	ss := startShell(t, c, 0, "")
	ss.waitFor("number (q to quit): ")
	if !strings.Contains(ss.output(), "1  web1  127.0.0.1:") || strings.Contains(ss.output(), "web2") {
		t.Fatalf("menu %q", ss.output())
	}
	ss.send("1\nwhoami\nexit 0\n")
	ss.waitFor("root@web1")
	if _, ok := ss.waitEnd(5 * time.Second); !ok {
		t.Fatal("session did not end")
	}
}

// proxyClient logs in to a host through the gateway's transparent proxy,
// as ssh -W does.
func proxyClient(t *testing.T, outer *ssh.Client, target, user string) (*ssh.Client, error) {
	t.Helper()
	nc, err := outer.Dial("tcp", target)
	if err != nil {
		return nil, err
	}
	c, chans, reqs, err := ssh.NewClientConn(nc, target, &ssh.ClientConfig{User: user,
		HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: 5 * time.Second})
	if err != nil {
		nc.Close()
		return nil, err
	}
	client := ssh.NewClient(c, chans, reqs)
	t.Cleanup(func() { client.Close() })
	return client, nil
}

func TestProxy(t *testing.T) {
	w := newWorld(t, sshgw.Revoke{})
	alice := w.mustDial("alice", ssh.Password(alicePW))
	web1 := "127.0.0.1:" + strconv.Itoa(w.web1.port())
	web2 := "127.0.0.1:" + strconv.Itoa(w.web2.port())
	c, err := proxyClient(t, alice, web2, "deploy")
	must(t, err)
	if out, _, st := run(t, c, "whoami"); out != "deploy@web2\n" || st != 0 {
		t.Fatalf("whoami through the proxy: %q %d", out, st)
	}
	if out, _, _ := run(t, c, "echo two sessions"); out != "two sessions\n" {
		t.Fatalf("second session: %q", out)
	}
	// The inner user name is the account name: one alice may not use is refused.
	if _, err := proxyClient(t, alice, web2, "root"); err == nil {
		t.Fatal("inner login as an account not granted succeeded")
	}
	// A host:port that is no host alice may use is refused on the channel.
	bob := w.mustDial("bob", ssh.Password(bobPW))
	if _, err := bob.Dial("tcp", web2); err == nil || !strings.Contains(err.Error(), "not a host you may use") {
		t.Fatalf("bob to web2: %v", err)
	}
	if _, err := alice.Dial("tcp", "127.0.0.1:1"); err == nil {
		t.Fatal("unknown host:port accepted")
	}
	c, err = proxyClient(t, bob, web1, "root")
	must(t, err)
	if out, _, _ := run(t, c, "whoami"); out != "root@web1\n" {
		t.Fatalf("bob through the proxy: %q", out)
	}
}

func errorsAs(err error, target **ssh.ExitError) bool {
	e, ok := err.(*ssh.ExitError)
	if ok {
		*target = e
	}
	return ok
}

var _ net.Addr
