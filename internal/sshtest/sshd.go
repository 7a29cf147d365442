// Package sshtest gives tests a real OpenSSH server and the unmodified
// OpenSSH clients.
//
// Start runs the installed sshd (Debian's openssh-server) on a free
// 127.0.0.1 port with host keys, an sshd_config and logs of its own in a
// temporary directory, in the foreground (-D -e), so it ends with the test.
// It lets exactly one account log in:
//
//   - run as root (CI, containers): a throwaway system user made with
//     useradd and given a random password with chpasswd, removed (with its
//     home) when the server stops; it logs in by password and by key. sshd
//     runs with UsePAM no, so the password is checked against the shadow
//     hash chpasswd wrote.
//   - run as any other user: sshd runs unprivileged and only that user can
//     log in, by key alone (an unprivileged sshd cannot read shadow hashes);
//     Account.Password is then empty.
//
// Without sshd the helpers skip, unless LOCALYUN_REQUIRE_SSHD is set (CI),
// in which case they fail. Client (client.go) runs ssh, scp and sftp
// non-interactively, answering password prompts through SSH_ASKPASS, and
// Term (term.go) runs them on a pseudo-terminal.
package sshtest

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// RequireEnv names the variable that makes a missing sshd a failure.
const RequireEnv = "LOCALYUN_REQUIRE_SSHD"

// Required reports whether the tests must have sshd (CI sets RequireEnv).
func Required() bool { return os.Getenv(RequireEnv) != "" }

// Account is the one account the server lets in.
type Account struct {
	Name     string
	Password string // "" when the server runs unprivileged (key only)
	KeyFile  string // the private key (OpenSSH format, mode 0600) authorized for it
	// PrivateKey is KeyFile's content: what a bastion stores as the host
	// account's private key.
	PrivateKey []byte
	PublicKey  string // the authorized_keys line
	Home       string
}

// Config configures a server.
type Config struct {
	// Hosts are the loopback addresses it listens on, all at one port
	// (default 127.0.0.1 alone): distinct addresses let a test declare
	// distinct bastion hosts that a transparent proxy tells apart. Linux
	// routes all of 127.0.0.0/8 to the loopback interface.
	Hosts []string
}

// Server is a running sshd.
type Server struct {
	Addr    string // Hosts[0]:Port
	Host    string // Hosts[0]
	Hosts   []string
	Port    int
	Account Account
	// HostKey is the server's ed25519 host public key, authorized_keys
	// format, for tests that check which server answered.
	HostKey string
	Dir     string

	cmd     *exec.Cmd
	done    chan struct{}
	log     *lockedBuffer
	cleanup []func()
	once    sync.Once
}

// Binaries returns the absolute paths of sshd and ssh-keygen, or an error
// naming what is missing.
func Binaries() (sshd, keygen string, err error) {
	for _, p := range []string{"/usr/sbin/sshd", "/usr/local/sbin/sshd"} {
		if _, err := os.Stat(p); err == nil {
			sshd = p
			break
		}
	}
	if sshd == "" {
		if p, err := exec.LookPath("sshd"); err == nil {
			sshd, _ = filepath.Abs(p)
		}
	}
	if sshd == "" {
		return "", "", errors.New("no sshd installed (apt-get install openssh-server)")
	}
	keygen, err = exec.LookPath("ssh-keygen")
	if err != nil {
		return "", "", errors.New("no ssh-keygen installed (apt-get install openssh-client)")
	}
	for _, c := range []string{"ssh", "scp", "sftp"} {
		if _, err := exec.LookPath(c); err != nil {
			return "", "", fmt.Errorf("no %s installed (apt-get install openssh-client)", c)
		}
	}
	return sshd, keygen, nil
}

// Available skips tb (or fails it when Required) unless sshd and the
// OpenSSH clients are installed.
func Available(tb testing.TB) {
	tb.Helper()
	if _, _, err := Binaries(); err != nil {
		if Required() {
			tb.Fatalf("sshd is required here (%s is set) but unavailable: %v", RequireEnv, err)
		}
		tb.Skipf("skipping: %v; set %s=1 to make this a failure", err, RequireEnv)
	}
}

// StartT starts a server for tb and stops it when tb ends; it skips (or
// fails, when Required) without sshd.
func StartT(tb testing.TB) *Server {
	tb.Helper()
	return StartConfigT(tb, Config{})
}

// StartConfigT is StartT with a configuration.
func StartConfigT(tb testing.TB, o Config) *Server {
	tb.Helper()
	Available(tb)
	s, err := StartConfig(tb.TempDir(), o)
	if err != nil {
		tb.Fatalf("sshtest: %v", err)
	}
	tb.Cleanup(func() {
		s.Close()
		if tb.Failed() {
			tb.Logf("sshd %s log:\n%s", s.Addr, s.Log())
		}
	})
	return s
}

// Start starts sshd on 127.0.0.1 with its files in dir (which must
// exist); the caller must Close it.
func Start(dir string) (*Server, error) { return StartConfig(dir, Config{}) }

// StartConfig is Start with a configuration. It retries a few times when the free
// port it picked was taken meanwhile.
func StartConfig(dir string, o Config) (*Server, error) {
	sshdBin, keygen, err := Binaries()
	if err != nil {
		return nil, err
	}
	hosts := o.Hosts
	if len(hosts) == 0 {
		hosts = []string{"127.0.0.1"}
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip == nil || !ip.IsLoopback() {
			return nil, fmt.Errorf("sshtest: %q is not a loopback address", h)
		}
	}
	s := &Server{Dir: dir, Host: hosts[0], Hosts: hosts, log: &lockedBuffer{}}
	if err := s.prepare(keygen); err != nil {
		s.Close()
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		err = s.launch(sshdBin)
		if err == nil {
			return s, nil
		}
		if attempt == 4 {
			s.Close()
			return nil, err
		}
	}
}

// prepare makes the host key, the account and its key pair.
func (s *Server) prepare(keygen string) error {
	hostKey := filepath.Join(s.Dir, "ssh_host_ed25519_key")
	if err := run(keygen, "-q", "-t", "ed25519", "-N", "", "-C", "sshtest-host", "-f", hostKey); err != nil {
		return err
	}
	pub, err := os.ReadFile(hostKey + ".pub")
	if err != nil {
		return err
	}
	s.HostKey = strings.TrimSpace(string(pub))
	a := &s.Account
	a.KeyFile = filepath.Join(s.Dir, "id_ed25519")
	if err := run(keygen, "-q", "-t", "ed25519", "-N", "", "-C", "sshtest-user", "-f", a.KeyFile); err != nil {
		return err
	}
	if a.PrivateKey, err = os.ReadFile(a.KeyFile); err != nil {
		return err
	}
	if pub, err = os.ReadFile(a.KeyFile + ".pub"); err != nil {
		return err
	}
	a.PublicKey = strings.TrimSpace(string(pub))
	if os.Geteuid() == 0 {
		return s.throwawayUser()
	}
	u, err := user.Current()
	if err != nil {
		return err
	}
	a.Name, a.Home = u.Username, u.HomeDir
	return nil
}

// throwawayUser creates the system user the server lets in, with a random
// password and the key authorized in its home, and arranges its removal.
func (s *Server) throwawayUser() error {
	a := &s.Account
	a.Name = "lysshtest" + randomHex(6)
	a.Password = "Pw-" + randomHex(12)
	// Test processes of several packages make users at once; useradd
	// refuses while another holds /etc/passwd's lock, so try again.
	var err error
	for try := 0; try < 20; try++ {
		if err = run("useradd", "--create-home", "--shell", "/bin/sh", "--comment", "localyun sshtest", a.Name); err == nil ||
			!strings.Contains(err.Error(), "lock") {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	if err != nil {
		return err
	}
	s.cleanup = append(s.cleanup, func() {
		for try := 0; try < 20; try++ {
			if err := run("userdel", "--remove", "--force", a.Name); err == nil || !strings.Contains(err.Error(), "lock") {
				return
			}
			time.Sleep(250 * time.Millisecond)
		}
	})
	for try := 0; ; try++ {
		chpasswd := exec.Command("chpasswd")
		chpasswd.Stdin = strings.NewReader(a.Name + ":" + a.Password + "\n")
		out, err := chpasswd.CombinedOutput()
		if err == nil {
			break
		}
		if try == 20 || !strings.Contains(string(out), "lock") {
			return fmt.Errorf("chpasswd: %v: %s", err, out)
		}
		time.Sleep(250 * time.Millisecond)
	}
	u, err := user.Lookup(a.Name)
	if err != nil {
		return err
	}
	a.Home = u.HomeDir
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	sshDir := filepath.Join(a.Home, ".ssh")
	if err := os.MkdirAll(sshDir, 0o700); err != nil {
		return err
	}
	keys := filepath.Join(sshDir, "authorized_keys")
	if err := os.WriteFile(keys, []byte(a.PublicKey+"\n"), 0o600); err != nil {
		return err
	}
	for _, p := range []string{sshDir, keys} {
		if err := os.Chown(p, uid, gid); err != nil {
			return err
		}
	}
	return nil
}

// config is the sshd_config: one listener, one account, no PAM, no DNS,
// the clients' sftp built in, room for many concurrent logins (the bench),
// and, where the sshd knows it, no per-source penalties for the failed
// logins the tests make on purpose.
func (s *Server) config(penalties bool) string {
	keys := ".ssh/authorized_keys"
	if os.Geteuid() != 0 {
		keys = filepath.Join(s.Dir, "authorized_keys")
	}
	var b strings.Builder
	for _, h := range s.Hosts {
		fmt.Fprintf(&b, "ListenAddress %s\n", net.JoinHostPort(h, strconv.Itoa(s.Port)))
	}
	fmt.Fprintf(&b, "HostKey %s\nPidFile none\n", filepath.Join(s.Dir, "ssh_host_ed25519_key"))
	fmt.Fprintf(&b, "AllowUsers %s\nAuthorizedKeysFile %s\n", s.Account.Name, keys)
	b.WriteString("UsePAM no\nStrictModes no\nUseDNS no\nPermitRootLogin no\nPubkeyAuthentication yes\n")
	fmt.Fprintf(&b, "PasswordAuthentication %s\n", yesNo(s.Account.Password != ""))
	b.WriteString("KbdInteractiveAuthentication no\nX11Forwarding no\nPrintMotd no\nPrintLastLog no\n")
	b.WriteString("MaxStartups 512\nMaxSessions 64\nMaxAuthTries 6\nLoginGraceTime 30\nLogLevel VERBOSE\n")
	b.WriteString("AcceptEnv LANG LC_*\nSubsystem sftp internal-sftp\n")
	if penalties {
		b.WriteString("PerSourcePenalties no\n")
	}
	return b.String()
}

// launch picks a free port, writes the config and starts sshd, waiting
// until it answers with its banner.
func (s *Server) launch(sshdBin string) error {
	port, err := freePort(s.Hosts)
	if err != nil {
		return err
	}
	s.Port = port
	s.Addr = net.JoinHostPort(s.Host, strconv.Itoa(port))
	if os.Geteuid() == 0 {
		// Debian's service unit makes the privilege separation directory;
		// a container that never ran the service lacks it.
		if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
			return err
		}
	} else if err := os.WriteFile(filepath.Join(s.Dir, "authorized_keys"), []byte(s.Account.PublicKey+"\n"), 0o600); err != nil {
		return err
	}
	cfg := filepath.Join(s.Dir, "sshd_config")
	if err := os.WriteFile(cfg, []byte(s.config(true)), 0o600); err != nil {
		return err
	}
	if out, err := exec.Command(sshdBin, "-t", "-f", cfg).CombinedOutput(); err != nil {
		if !bytes.Contains(out, []byte("PerSourcePenalties")) {
			return fmt.Errorf("sshd -t: %v: %s", err, out)
		}
		// An sshd older than 9.8 has no per-source penalties to turn off.
		if err := os.WriteFile(cfg, []byte(s.config(false)), 0o600); err != nil {
			return err
		}
	}
	s.cmd = exec.Command(sshdBin, "-D", "-e", "-f", cfg)
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	if err := s.cmd.Start(); err != nil {
		return err
	}
	s.done = make(chan struct{})
	go func() { s.cmd.Wait(); close(s.done) }()
	return s.waitReady()
}

// waitReady waits until the server sends its SSH banner.
func (s *Server) waitReady() error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case <-s.done:
			return fmt.Errorf("sshd exited: %s", s.Log())
		default:
		}
		if c, err := net.DialTimeout("tcp", s.Addr, time.Second); err == nil {
			c.SetDeadline(time.Now().Add(2 * time.Second))
			line, _ := bufio.NewReader(c).ReadString('\n')
			c.Close()
			if strings.HasPrefix(line, "SSH-2.0-") {
				return nil
			}
		}
		if time.Now().After(deadline) {
			s.stop()
			return fmt.Errorf("sshd on %s not ready after 10s: %s", s.Addr, s.Log())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Log is what sshd has written so far.
func (s *Server) Log() string { return s.log.String() }

// stop ends the listening sshd. Each connection's sshd has made a session
// of its own (setsid) and ends when its client disconnects.
func (s *Server) stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	s.cmd.Process.Kill()
	<-s.done
	s.cmd = nil
}

// Close stops sshd and removes the throwaway user (userdel --force: even
// while a session of it is still ending).
func (s *Server) Close() {
	s.once.Do(func() {
		s.stop()
		for i := len(s.cleanup) - 1; i >= 0; i-- {
			s.cleanup[i]()
		}
	})
}

func run(name string, args ...string) error {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, out)
	}
	return nil
}

// freePort returns a port free on every host.
func freePort(hosts []string) (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(hosts[0], "0"))
	if err != nil {
		return 0, err
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	for _, h := range hosts[1:] {
		o, err := net.Listen("tcp", net.JoinHostPort(h, strconv.Itoa(port)))
		if err != nil {
			return 0, err
		}
		defer o.Close()
	}
	return port, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// lockedBuffer is an io.Writer safe for concurrent use.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var _ io.Writer = (*lockedBuffer)(nil)
