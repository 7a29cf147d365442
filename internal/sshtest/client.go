package sshtest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// secretEnv carries the password the askpass script answers with.
const secretEnv = "LOCALYUN_SSHTEST_SECRET"

// askpassScript answers every prompt with $LOCALYUN_SSHTEST_SECRET and
// records the prompt (one per line) in the file next to it, so a test can
// see what the client was asked.
const askpassScript = `#!/bin/sh
printf '%s\n' "$1" >> "$(dirname "$0")/prompts.log"
printf '%s\n' "$` + secretEnv + `"
`

// Login is how a client authenticates.
type Login struct {
	User string
	// Password answers every password prompt (through SSH_ASKPASS, with
	// SSH_ASKPASS_REQUIRE=force); "" runs the client in BatchMode, where
	// a prompt fails the login instead.
	Password string
	// KeyFile is the only key offered (IdentitiesOnly); "" offers none.
	KeyFile string
}

// Client runs the unmodified OpenSSH clients (ssh, scp, sftp) with no
// configuration file, agent or known_hosts of the user's.
type Client struct {
	Dir     string
	askpass string
}

// NewClient makes a client whose askpass script and prompt log live in dir.
func NewClient(dir string) (*Client, error) {
	c := &Client{Dir: dir, askpass: filepath.Join(dir, "askpass")}
	if err := os.WriteFile(c.askpass, []byte(askpassScript), 0o700); err != nil {
		return nil, err
	}
	return c, nil
}

// NewClientT is NewClient in a temporary directory of tb; it skips (or
// fails, when Required) without the OpenSSH clients.
func NewClientT(tb testing.TB) *Client {
	tb.Helper()
	Available(tb)
	c, err := NewClient(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// Prompts returns the password prompts the askpass script answered so far.
func (c *Client) Prompts() []string {
	b, _ := os.ReadFile(filepath.Join(c.Dir, "prompts.log"))
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		if line != "" {
			out = append(out, line)
		}
	}
	return out
}

// Options are the -o options of every client: no config file, no host key
// checks or records, no agent, no connection sharing, and the login's
// authentication methods alone.
func Options(l Login) []string {
	o := []string{"-F", "/dev/null",
		"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "GlobalKnownHostsFile=/dev/null",
		"-o", "UpdateHostKeys=no", "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=10",
		"-o", "IdentityAgent=none", "-o", "ControlMaster=no", "-o", "ControlPath=none",
		"-o", "KbdInteractiveAuthentication=no"}
	if l.KeyFile != "" {
		o = append(o, "-o", "IdentitiesOnly=yes", "-i", l.KeyFile)
	} else {
		o = append(o, "-o", "PubkeyAuthentication=no")
	}
	if l.Password == "" {
		o = append(o, "-o", "BatchMode=yes", "-o", "PasswordAuthentication=no")
	} else {
		o = append(o, "-o", "BatchMode=no", "-o", "NumberOfPasswordPrompts=1")
	}
	return o
}

// env is the environment of a client process for l.
func (c *Client) env(l Login) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "SSH_AUTH_SOCK", "SSH_ASKPASS", "SSH_ASKPASS_REQUIRE", "DISPLAY", secretEnv:
			continue
		}
		env = append(env, kv)
	}
	if l.Password != "" {
		env = append(env, "SSH_ASKPASS="+c.askpass, "SSH_ASKPASS_REQUIRE=force", secretEnv+"="+l.Password)
	}
	return env
}

// Command returns the OpenSSH client name (ssh, scp or sftp) with
// Options(l) and then args, in the environment l needs.
func (c *Client) Command(ctx context.Context, l Login, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, append(Options(l), args...)...)
	cmd.Env = c.env(l)
	return cmd
}

// SSH returns `ssh -p <port> <user>@<host> args...` for the server at addr.
func (c *Client) SSH(ctx context.Context, l Login, addr string, args ...string) *exec.Cmd {
	host, port := splitAddr(addr)
	return c.Command(ctx, l, "ssh", append([]string{"-p", port, l.User + "@" + host}, args...)...)
}

// SCP returns `scp -P <port> args...`; name remote paths with Remote.
func (c *Client) SCP(ctx context.Context, l Login, addr string, args ...string) *exec.Cmd {
	_, port := splitAddr(addr)
	return c.Command(ctx, l, "scp", append([]string{"-q", "-P", port}, args...)...)
}

// SFTP returns `sftp -P <port> -b <batch> <user>@<host>`: batch is a file
// of sftp commands.
func (c *Client) SFTP(ctx context.Context, l Login, addr, batch string) *exec.Cmd {
	host, port := splitAddr(addr)
	return c.Command(ctx, l, "sftp", "-q", "-P", port, "-b", batch, l.User+"@"+host)
}

// Remote is scp's "user@host:path" for the server at addr.
func Remote(user, addr, path string) string {
	host, _ := splitAddr(addr)
	return user + "@" + host + ":" + path
}

// ProxyCommand is a ProxyCommand option value that reaches %h:%p through
// the SSH server at addr with `ssh -W %h:%p` (OpenSSH's own form, as
// Alibaba Cloud Bastionhost documents for its transparent proxy), logging
// in to it as l. The inner client keeps its own login: the command sets
// the askpass environment for the proxy's login alone.
func (c *Client) ProxyCommand(l Login, addr string) string {
	host, port := splitAddr(addr)
	words := []string{"env", "-u", "SSH_ASKPASS", "-u", "SSH_ASKPASS_REQUIRE", "-u", secretEnv}
	if l.Password != "" {
		words = append(words, "SSH_ASKPASS="+c.askpass, "SSH_ASKPASS_REQUIRE=force", secretEnv+"="+l.Password)
	}
	words = append(words, "ssh")
	words = append(words, Options(l)...)
	words = append(words, "-p", port, "-W", "%h:%p", l.User+"@"+host)
	for i, w := range words {
		if w != "%h:%p" {
			words[i] = shellQuote(w)
		}
	}
	return strings.Join(words, " ")
}

// ProxyOptions are the ssh options that route a client through the server
// at addr as l (ProxyCommand with -W).
func (c *Client) ProxyOptions(l Login, addr string) []string {
	return []string{"-o", "ProxyCommand=" + c.ProxyCommand(l, addr)}
}

func splitAddr(addr string) (host, port string) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		panic(fmt.Sprintf("sshtest: address %q: %v", addr, err))
	}
	return host, port
}

// shellQuote quotes s for sh -c.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=./:,@") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
