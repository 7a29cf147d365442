package sshgw_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/sshgw"
)

// revokeBound is the upper bound a revoked session must end within: the
// issue's 1 s, with slack for a loaded CI machine (never a speed claim).
const revokeBound = 3 * time.Second

// TestRevokeTerminate: detaching web1's root from group ops ends alice's
// live sessions (menu-less exec and transparent proxy) with a message,
// while bob, who holds the same account through a direct grant too, keeps
// his.
func TestRevokeTerminate(t *testing.T) {
	w := newWorld(t, sshgw.Revoke{Mode: sshgw.RevokeTerminate})
	alice := w.mustDial("alice", ssh.Password(alicePW))
	bob := w.mustDial("bob", ssh.Password(bobPW))
	aliceShell := startShell(t, alice, 24, "root@web1")
	aliceShell.waitFor("web1$ ")
	inner, err := proxyClient(t, alice, "127.0.0.1:"+strconv.Itoa(w.web1.port()), "root")
	must(t, err)
	proxied := startShell(t, inner, 24, "")
	proxied.waitFor("web1$ ")
	bobShell := startShell(t, bob, 24, "root@web1")
	bobShell.waitFor("web1$ ")

	start := time.Now()
	w.detachFromOps()
	for name, ss := range map[string]*session{"exec": aliceShell, "proxy": proxied} {
		if _, ok := ss.waitEnd(revokeBound); !ok {
			t.Fatalf("%s: alice's session still up %v after the detach", name, revokeBound)
		}
		if !strings.Contains(ss.output(), "localyun: your access to web1 as root was revoked") {
			t.Errorf("%s: alice was not told: %q", name, ss.output())
		}
	}
	t.Logf("alice's sessions ended %v after the detach", time.Since(start))
	bobShell.send("echo still here\n")
	bobShell.waitFor("still here")
	if _, ended := bobShell.waitEnd(200 * time.Millisecond); ended {
		t.Fatal("bob's session ended")
	}
	// New sessions of alice's are refused; the records say why hers ended.
	if out, _, st := run(t, alice, "root@web1 whoami"); st != 1 {
		t.Fatalf("alice after the detach: %q %d", out, st)
	}
	list, _, err := w.st.FindBastionSessions(context.Background(), localyun.BastionSessionFilter{InstanceID: instance,
		UserID: w.alice.ID, Limit: 10})
	must(t, err)
	reasons := map[string]string{}
	for _, s := range list {
		reasons[s.Mode] = s.EndReason
	}
	if reasons["exec"] != localyun.BastionSessionRevoked || reasons["proxy"] != localyun.BastionSessionRevoked {
		t.Fatalf("alice's records %+v", list)
	}
	if w.web1.openSessions() != 1 {
		t.Fatalf("the host has %d sessions open, want bob's only", w.web1.openSessions())
	}
}

func TestRevokeKeep(t *testing.T) {
	w := newWorld(t, sshgw.Revoke{Mode: sshgw.RevokeKeep})
	alice := w.mustDial("alice", ssh.Password(alicePW))
	ss := startShell(t, alice, 24, "root@web1")
	ss.waitFor("web1$ ")
	w.detachFromOps()
	if _, ended := ss.waitEnd(500 * time.Millisecond); ended {
		t.Fatal("keep: the session ended")
	}
	ss.send("echo kept\n")
	ss.waitFor("kept")
	if _, _, st := run(t, alice, "root@web1 whoami"); st != 1 {
		t.Fatal("keep: a new session was allowed")
	}
}

func TestRevokeGrace(t *testing.T) {
	const grace = 400 * time.Millisecond
	w := newWorld(t, sshgw.Revoke{Mode: sshgw.RevokeGrace, Grace: grace})
	alice := w.mustDial("alice", ssh.Password(alicePW))
	ss := startShell(t, alice, 24, "root@web1")
	ss.waitFor("web1$ ")
	start := time.Now()
	w.detachFromOps()
	ss.waitFor("this session ends in 400ms")
	if _, ok := ss.waitEnd(grace + revokeBound); !ok {
		t.Fatal("grace: the session outlived its grace period")
	}
	if d := time.Since(start); d < grace {
		t.Fatalf("grace: ended after %v, before the grace period", d)
	}
	// Access back within the grace period: the session goes on.
	w.grantHost(localyun.BastionGrantee{Kind: localyun.GranteeUser, ID: w.alice.ID}, w.h1.ID, w.root.ID)
	ss = startShell(t, alice, 24, "root@web1")
	ss.waitFor("web1$ ")
	_, err := w.st.ApplyBastionHostGrants(context.Background(), instance, localyun.BastionGrantee{Kind: localyun.GranteeUser, ID: w.alice.ID}, 0,
		[]localyun.BastionHostGrantChange{{Op: localyun.BastionGrantRevoke, HostID: w.h1.ID, AccountID: w.root.ID}})
	must(t, err)
	ss.waitFor("this session ends in")
	w.grantHost(localyun.BastionGrantee{Kind: localyun.GranteeUser, ID: w.alice.ID}, w.h1.ID, w.root.ID)
	ss.waitFor("is back")
	if _, ended := ss.waitEnd(grace + 200*time.Millisecond); ended {
		t.Fatal("grace: the session ended although access came back")
	}
}

// TestRevokeLockAndValidity: locking a user, or its validity period
// ending, ends its sessions, recorded as locked and expired.
func TestRevokeLockAndValidity(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, sshgw.Revoke{})
	bob := w.mustDial("bob", ssh.Password(bobPW))
	ss := startShell(t, bob, 24, "root@web1")
	ss.waitFor("web1$ ")
	_, err := w.st.SetBastionUsersLocked(ctx, instance, []string{w.bob.ID}, true)
	must(t, err)
	if _, ok := ss.waitEnd(revokeBound); !ok {
		t.Fatal("locked: the session is still up")
	}
	if !strings.Contains(ss.output(), "locked") {
		t.Errorf("locked: %q", ss.output())
	}

	alice := w.mustDial("alice", ssh.Password(alicePW))
	ss = startShell(t, alice, 24, "root@web1")
	ss.waitFor("web1$ ")
	// The validity period ends two seconds from now (it is in seconds).
	u, err := w.st.FindBastionUser(ctx, instance, w.alice.ID)
	must(t, err)
	to := u
	to.EffectiveEndTime = time.Now().Unix() + 1
	must(t, w.st.UpdateBastionUser(ctx, u, to, localyun.BastionSecretUpdate{}))
	if _, ok := ss.waitEnd(2*time.Second + revokeBound); !ok {
		t.Fatal("validity: the session outlived the user's validity period")
	}
	// The gateway ends a session's record once the session has ended, so
	// the client may see the end first: wait (bounded) for the records.
	got := map[string]string{}
	for deadline := time.Now().Add(revokeBound); ; time.Sleep(20 * time.Millisecond) {
		list, _, err := w.st.FindBastionSessions(ctx, localyun.BastionSessionFilter{InstanceID: instance, Limit: 10})
		must(t, err)
		for _, s := range list {
			got[s.UserName] = s.EndReason
		}
		if got["bob"] == localyun.BastionSessionLocked && got["alice"] == localyun.BastionSessionExpired || time.Now().After(deadline) {
			break
		}
	}
	if got["bob"] != localyun.BastionSessionLocked || got["alice"] != localyun.BastionSessionExpired {
		t.Fatalf("reasons %v", got)
	}
}

// TestHostKeyStable: a gateway started again on the same store has the
// same host key and port slot for each instance.
func TestHostKeyStable(t *testing.T) {
	w := newWorld(t, sshgw.Revoke{})
	before := w.gw.Listeners()
	w.gw.Close()
	g := sshgw.New(sshgw.Options{Access: w.svc, Store: w.st, Addr: "127.0.0.1:0"})
	must(t, g.Start(context.Background()))
	defer g.Close()
	after := g.Listeners()
	if len(after) != 1 || after[0].HostKey != before[0].HostKey || after[0].InstanceID != instance {
		t.Fatalf("listeners %+v, before %+v", after, before)
	}
}

// TestTokenExpiryEndsSession: a session opened with an O&M token ends when
// the token expires (recorded as expired, the user told why), although the
// user may still use the host account; a password session of the same
// user stays up.
func TestTokenExpiryEndsSession(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, sshgw.Revoke{})
	raw := make([]byte, 32)
	rand.Read(raw)
	token := base64.RawURLEncoding.EncodeToString(raw)
	sum := sha256.Sum256([]byte(token))
	// Long enough to log in on a loaded machine, short enough to wait for.
	expires := time.Now().Add(1500 * time.Millisecond)
	_, err := w.st.CreateBastionOperationToken(ctx, localyun.BastionOperationToken{InstanceID: instance,
		UserID: w.alice.ID, HostID: w.h2.ID, AccountID: w.deploy.ID, Sum: sum[:], CreatedAt: time.Now(), ExpiresAt: expires})
	must(t, err)
	ss := startShell(t, w.mustDial("alice", ssh.Password(token)), 24, "")
	ss.waitFor("web2$ ")
	kept := startShell(t, w.mustDial("alice", ssh.Password(alicePW)), 24, "deploy@web2")
	kept.waitFor("web2$ ")

	if _, ok := ss.waitEnd(time.Until(expires) + revokeBound); !ok {
		t.Fatalf("the token session is still up %v after the token expired", revokeBound)
	}
	if early := time.Until(expires); early > 50*time.Millisecond { // the store keeps milliseconds
		t.Fatalf("the token session ended %v before the token expired", early)
	}
	if !strings.Contains(ss.output(), "localyun: your O&M token has expired; your access to web2 as deploy ends") {
		t.Errorf("alice was not told: %q", ss.output())
	}
	kept.send("echo still here\n")
	kept.waitFor("still here")
	got := ""
	for deadline := time.Now().Add(revokeBound); got == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		list, _, err := w.st.FindBastionSessions(ctx, localyun.BastionSessionFilter{InstanceID: instance, Limit: 10})
		must(t, err)
		for _, s := range list {
			if s.Mode == "token" {
				got = s.EndReason
			}
		}
	}
	if got != localyun.BastionSessionExpired {
		t.Fatalf("the token session's record ended %q, want %q", got, localyun.BastionSessionExpired)
	}
}
