package sshgw_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/bastionhost"
	"github.com/localyun/localyun/internal/sqlite"
	"github.com/localyun/localyun/internal/sshgw"
)

const (
	account  = "1111111111111111"
	instance = "bastionhost-cn-sshgw"
	alicePW  = "Alice-pw-1"
	bobPW    = "Bob-pw-1"
)

// world is a store with one bastion instance, its service and gateway, and
// two test hosts:
//
//	web1 (root, password)  granted to group ops (alice, bob), and to bob directly
//	web2 (deploy, key)     on host group hg, whose name "deploy" is granted to alice
type world struct {
	t          *testing.T
	st         *sqlite.Store
	svc        *bastionhost.Service
	gw         *sshgw.Gateway
	addr       string
	web1, web2 *testHost
	h1, h2     localyun.BastionHost
	root       localyun.BastionHostAccount
	deploy     localyun.BastionHostAccount
	alice, bob localyun.BastionUser
	ops, hg    localyun.BastionGroup
	aliceKey   ssh.Signer
}

func ctxAdmin() context.Context {
	return localyun.NewContextWithPrincipal(context.Background(),
		localyun.Principal{AccountID: account, Type: localyun.PrincipalTypeRoot})
}

func newWorld(t *testing.T, revoke sshgw.Revoke) *world {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	w := &world{t: t, st: st}
	must(t, st.CreateAccount(ctx, localyun.Account{ID: account, Name: "a", CreatedAt: time.Now()}))
	must(t, st.CreateBastionInstance(ctx, localyun.BastionInstance{ID: instance, AccountID: account, RegionID: "cn-hangzhou",
		Status: localyun.BastionRunning, CreatedAt: time.Now(), ExpiresAt: time.Now().AddDate(1, 0, 0)}))

	hostKeyPEM, hostSigner := newKey(t)
	w.web1 = startTestHost(t, "web1", "root", "root-pw", nil)
	w.web2 = startTestHost(t, "web2", "deploy", "", hostSigner.PublicKey())
	w.h1 = w.mustHost("web1", w.web1.port())
	w.h2 = w.mustHost("web2", w.web2.port())
	w.root, err = st.CreateBastionHostAccount(ctx, localyun.BastionHostAccount{InstanceID: instance, HostID: w.h1.ID,
		Name: "root", ProtocolName: "SSH"}, localyun.BastionSecret{Password: "root-pw"})
	must(t, err)
	w.deploy, err = st.CreateBastionHostAccount(ctx, localyun.BastionHostAccount{InstanceID: instance, HostID: w.h2.ID,
		Name: "deploy", ProtocolName: "SSH"}, localyun.BastionSecret{PrivateKey: hostKeyPEM})
	must(t, err)
	w.alice = w.mustUser("alice", alicePW)
	w.bob = w.mustUser("bob", bobPW)
	w.ops, err = st.CreateBastionGroup(ctx, localyun.BastionGroup{Kind: localyun.BastionGroupUser, InstanceID: instance, Name: "ops"})
	must(t, err)
	_, err = st.AddBastionGroupMembers(ctx, localyun.BastionGroupUser, instance, w.ops.ID, []string{w.alice.ID, w.bob.ID})
	must(t, err)
	w.hg, err = st.CreateBastionGroup(ctx, localyun.BastionGroup{Kind: localyun.BastionGroupHost, InstanceID: instance, Name: "hg"})
	must(t, err)
	_, err = st.AddBastionGroupMembers(ctx, localyun.BastionGroupHost, instance, w.hg.ID, []string{w.h2.ID})
	must(t, err)
	w.grantHost(localyun.BastionGrantee{Kind: localyun.GranteeUserGroup, ID: w.ops.ID}, w.h1.ID, w.root.ID)
	w.grantHost(localyun.BastionGrantee{Kind: localyun.GranteeUser, ID: w.bob.ID}, w.h1.ID, w.root.ID)
	_, err = st.ApplyBastionHostGroupGrants(ctx, instance, localyun.BastionGrantee{Kind: localyun.GranteeUser, ID: w.alice.ID}, 0,
		[]localyun.BastionHostGroupGrantChange{{Op: localyun.BastionGrantAdd, HostGroupID: w.hg.ID},
			{Op: localyun.BastionGrantAdd, HostGroupID: w.hg.ID, AccountName: "deploy"}})
	must(t, err)
	_, w.aliceKey = newKey(t)
	_, err = st.CreateBastionPublicKey(ctx, localyun.BastionPublicKey{InstanceID: instance, UserID: w.alice.ID, Name: "laptop",
		PublicKey: w.aliceKey.PublicKey().Marshal(), CreatedAt: time.Now()})
	must(t, err)

	w.svc = bastionhost.NewService(st, bastionhost.Options{})
	w.gw = sshgw.New(sshgw.Options{Access: w.svc, Store: st, Addr: "127.0.0.1:0", Revoke: revoke,
		DialTimeout: 5 * time.Second})
	must(t, w.gw.Start(ctx))
	t.Cleanup(func() { w.gw.Close() })
	w.addr = w.gw.Addr(instance)
	return w
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// newKey returns a new Ed25519 private key in OpenSSH PEM form and its signer.
func newKey(t *testing.T) (string, ssh.Signer) {
	t.Helper()
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	block, err := ssh.MarshalPrivateKey(priv, "")
	must(t, err)
	signer, err := ssh.NewSignerFromKey(priv)
	must(t, err)
	return string(pem.EncodeToMemory(block)), signer
}

func (w *world) mustHost(name string, port int) localyun.BastionHost {
	ctx := context.Background()
	h, err := w.st.CreateBastionHost(ctx, localyun.BastionHost{InstanceID: instance, Name: name, OSType: "Linux",
		Source: localyun.BastionSourceLocal, ActiveAddressType: localyun.BastionAddressPrivate, PrivateAddress: "127.0.0.1"})
	must(w.t, err)
	_, err = w.st.SetBastionHostsPort(ctx, instance, []string{h.ID}, "SSH", port)
	must(w.t, err)
	h.SSHPort = port
	return h
}

func (w *world) mustUser(name, pw string) localyun.BastionUser {
	u, err := w.st.CreateBastionUser(context.Background(), localyun.BastionUser{InstanceID: instance, Name: name,
		Source: localyun.BastionUserLocal}, localyun.BastionSecret{Password: pw})
	must(w.t, err)
	return u
}

func (w *world) grantHost(g localyun.BastionGrantee, hostID, accountID string) {
	_, err := w.st.ApplyBastionHostGrants(context.Background(), instance, g, 0, []localyun.BastionHostGrantChange{
		{Op: localyun.BastionGrantAdd, HostID: hostID}, {Op: localyun.BastionGrantAdd, HostID: hostID, AccountID: accountID}})
	must(w.t, err)
}

// detachFromOps is the seed document's DetachHostAccountsFromUserGroup:
// web1's root, from group ops, through the service.
func (w *world) detachFromOps() {
	w.t.Helper()
	_, err := w.svc.DetachHostAccountsFromUserGroup(ctxAdmin(), bastionhost.HostGrantsInput{
		GranteeRef: bastionhost.GranteeRef{InstanceRef: bastionhost.InstanceRef{InstanceID: instance},
			Grantee: localyun.BastionGrantee{Kind: localyun.GranteeUserGroup, ID: w.ops.ID}},
		Hosts: []localyun.BastionHostGrant{{HostID: w.h1.ID, AccountIDs: []string{w.root.ID}}}})
	must(w.t, err)
}

// dial logs in to the gateway.
func (w *world) dial(user string, auth ...ssh.AuthMethod) (*ssh.Client, error) {
	fp := w.gw.Listeners()[0].HostKey
	return ssh.Dial("tcp", w.addr, &ssh.ClientConfig{User: user, Auth: auth, Timeout: 5 * time.Second,
		HostKeyCallback: func(_ string, _ net.Addr, k ssh.PublicKey) error {
			if ssh.FingerprintSHA256(k) != fp {
				return errors.New("wrong host key")
			}
			return nil
		}})
}

func (w *world) mustDial(user string, auth ...ssh.AuthMethod) *ssh.Client {
	w.t.Helper()
	c, err := w.dial(user, auth...)
	must(w.t, err)
	w.t.Cleanup(func() { c.Close() })
	return c
}

// run runs a command on the gateway and returns its output, error output
// and exit status.
func run(t *testing.T, c *ssh.Client, cmd string) (string, string, int) {
	t.Helper()
	s, err := c.NewSession()
	must(t, err)
	defer s.Close()
	var out, errOut bytes.Buffer
	s.Stdout, s.Stderr = &out, &errOut
	err = s.Run(cmd)
	status := 0
	var ee *ssh.ExitError
	switch {
	case errors.As(err, &ee):
		status = ee.ExitStatus()
	case err != nil:
		status = -1
	}
	return out.String(), errOut.String(), status
}

// session is a running interactive session, read as it goes.
type session struct {
	t    *testing.T
	s    *ssh.Session
	in   io.WriteCloser
	mu   sync.Mutex
	out  bytes.Buffer
	done chan error
}

// write is a writer that keeps what it is given, under the session's lock.
type sessionWriter struct{ s *session }

func (w sessionWriter) Write(p []byte) (int, error) {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	return w.s.out.Write(p)
}

// startShell starts a session with a pty (or without, rows 0) and a shell
// or a command.
func startShell(t *testing.T, c *ssh.Client, rows int, cmd string) *session {
	t.Helper()
	s, err := c.NewSession()
	must(t, err)
	ss := &session{t: t, s: s, done: make(chan error, 1)}
	s.Stdout, s.Stderr = sessionWriter{ss}, sessionWriter{ss}
	ss.in, err = s.StdinPipe()
	must(t, err)
	if rows > 0 {
		must(t, s.RequestPty("xterm-256color", rows, 100, ssh.TerminalModes{}))
	}
	if cmd == "" {
		must(t, s.Shell())
	} else {
		must(t, s.Start(cmd))
	}
	go func() { ss.done <- s.Wait() }()
	t.Cleanup(func() { s.Close() })
	return ss
}

func (ss *session) output() string {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return ss.out.String()
}

// waitFor waits until the output contains want.
func (ss *session) waitFor(want string) {
	ss.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(ss.output(), want) {
		if time.Now().After(deadline) {
			ss.t.Fatalf("output %q never contained %q", ss.output(), want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitEnd waits up to d for the session to end and returns its error.
func (ss *session) waitEnd(d time.Duration) (error, bool) {
	select {
	case err := <-ss.done:
		return err, true
	case <-time.After(d):
		return nil, false
	}
}

func (ss *session) send(text string) {
	ss.t.Helper()
	if _, err := io.WriteString(ss.in, text); err != nil {
		ss.t.Fatal(err)
	}
}
