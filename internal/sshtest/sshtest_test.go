package sshtest_test

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/localyun/localyun/internal/sshtest"
)

// TestServerLogins logs in to the harness's sshd with the unmodified
// clients: ssh by key and by password, scp and sftp both ways, ssh on a
// pseudo-terminal, and ssh through ProxyCommand `ssh -W`.
func TestServerLogins(t *testing.T) {
	s := sshtest.StartConfigT(t, sshtest.Config{Hosts: []string{"127.0.0.1", "127.0.0.2"}})
	c := sshtest.NewClientT(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	key := sshtest.Login{User: s.Account.Name, KeyFile: s.Account.KeyFile}
	logins := map[string]sshtest.Login{"key": key}
	if s.Account.Password != "" {
		logins["password"] = sshtest.Login{User: s.Account.Name, Password: s.Account.Password}
	}
	for name, l := range logins {
		out, err := c.SSH(ctx, l, s.Addr, "id -un; exit 7").CombinedOutput()
		if code := exitCode(err); code != 7 || strings.TrimSpace(string(out)) != s.Account.Name {
			t.Fatalf("%s login: exit %d (%v), output %q", name, code, err, out)
		}
	}
	second := net.JoinHostPort(s.Hosts[1], strconv.Itoa(s.Port))
	if out, err := c.SSH(ctx, key, second, "echo second").CombinedOutput(); err != nil || strings.TrimSpace(string(out)) != "second" {
		t.Fatalf("login at %s: %v: %q", second, err, out)
	}
	if s.Account.Password != "" {
		bad := sshtest.Login{User: s.Account.Name, Password: "wrong-" + s.Account.Password}
		if out, err := c.SSH(ctx, bad, s.Addr, "true").CombinedOutput(); err == nil {
			t.Fatalf("wrong password logged in: %s", out)
		}
	}

	// scp and sftp, both ways.
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	data := bytes.Repeat([]byte("localyun sshtest\n"), 4096)
	if err := os.WriteFile(src, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := c.SCP(ctx, key, s.Addr, src, sshtest.Remote(key.User, s.Addr, "copied")).CombinedOutput(); err != nil {
		t.Fatalf("scp up: %v: %s", err, out)
	}
	batch := filepath.Join(dir, "batch")
	os.WriteFile(batch, []byte("get copied "+filepath.Join(dir, "back")+"\n"), 0o644)
	if out, err := c.SFTP(ctx, key, s.Addr, batch).CombinedOutput(); err != nil {
		t.Fatalf("sftp get: %v: %s", err, out)
	}
	if back, _ := os.ReadFile(filepath.Join(dir, "back")); !bytes.Equal(back, data) {
		t.Fatalf("round trip through scp and sftp changed %d bytes into %d", len(data), len(back))
	}

	// A shell on a terminal.
	term, err := sshtest.StartTerm(c.SSH(ctx, key, s.Addr, "-tt"), 24, 80)
	if err != nil {
		t.Fatal(err)
	}
	defer term.Close()
	term.Send("stty size; echo marker-$((6*7))\r")
	if _, err := term.Expect(`24 80\n(.|\n)*marker-42`, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	term.Resize(30, 100)
	term.Send("stty size\r")
	if _, err := term.Expect(`30 100`, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	term.Send("exit 3\r")
	if code, err := term.Wait(10 * time.Second); err != nil || code != 3 {
		t.Fatalf("terminal session: exit %d, %v", code, err)
	}

	// Through ProxyCommand ssh -W, the sshd forwarding to itself.
	args := append(c.ProxyOptions(key, s.Addr), "-p", strconv.Itoa(s.Port), key.User+"@"+s.Host, "echo via-proxy")
	out, err := c.Command(ctx, key, "ssh", args...).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "via-proxy" {
		t.Fatalf("ssh through ProxyCommand: %v: %q", err, out)
	}
}

// TestThrowawayUserRemoved checks that Close removes the account it made.
func TestThrowawayUserRemoved(t *testing.T) {
	sshtest.Available(t)
	if os.Geteuid() != 0 {
		t.Skip("the throwaway user is made only as root")
	}
	s, err := sshtest.Start(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	name, home := s.Account.Name, s.Account.Home
	if _, err := user.Lookup(name); err != nil {
		t.Fatalf("throwaway user %s: %v", name, err)
	}
	s.Close()
	if _, err := user.Lookup(name); err == nil {
		t.Fatalf("user %s still exists after Close", name)
	}
	if _, err := os.Stat(home); !os.IsNotExist(err) {
		t.Fatalf("home %s still exists after Close: %v", home, err)
	}
}

func exitCode(err error) int {
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}
