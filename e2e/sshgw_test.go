package e2e_test

// The bastion SSH gateway (issue 15) end to end: a real `localyun serve
// --ssh-addr`, a real OpenSSH sshd as the hosts, and the unmodified ssh
// client, driven non-interactively (exec, ProxyCommand `ssh -W %h:%p`)
// and on a pseudo-terminal (the menu). The world is in
// sshgw_helpers_test.go.

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/localyun/localyun/internal/pgtest"
	"github.com/localyun/localyun/internal/sshtest"
)

// cutBound is the upper bound, with generous slack for a loaded CI
// machine, on how long after the revoking call returns a session ends;
// the goal is 1 s and the tests log what they measured.
const cutBound = 3 * time.Second

// TestSSHGatewayLogins logs in through the gateway with the unmodified
// ssh as a transparent proxy (ProxyCommand ssh -W): by password, by a
// registered key and by O&M token, and is refused with wrong credentials
// and where no grant allows.
func TestSSHGatewayLogins(t *testing.T) {
	w := newGWWorld(t, "", 1, "terminate")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	n := w.nodes[0]
	want := w.sshd.Account.Name
	for _, c := range []struct{ user, host string }{{"alice", "web"}, {"alice", "db"}, {"alice", "cache"}, {"bob", "db"}, {"carol", "db"}} {
		out, err := w.proxied(ctx, n, c.user, c.host, "id -un; exit 4").CombinedOutput()
		if code := exitStatus(err); code != 4 || strings.TrimSpace(string(out)) != want {
			t.Fatalf("%s to %s through the proxy: exit %d (%v), output %q", c.user, c.host, code, err, out)
		}
	}
	w.copyThroughProxy(ctx, n)

	// The same through the gateway's own exec: ssh user@gateway account@host command.
	for _, c := range []struct{ user, host string }{{"alice", "cache"}, {"carol", "db"}} {
		out, err := w.cli.SSH(ctx, w.login(c.user), n.GW, want+"@h-"+c.host, "id -un; exit 3").CombinedOutput()
		if code := exitStatus(err); code != 3 || strings.TrimSpace(string(out)) != want {
			t.Fatalf("%s to %s through the gateway's exec: exit %d (%v), output %q", c.user, c.host, code, err, out)
		}
	}
	// The host accounts' credentials are the gateway's: the only prompts
	// the client answered were its bastion users' passwords.
	for _, pr := range w.cli.Prompts() {
		if strings.Contains(pr, want+"@") {
			t.Fatalf("the client was asked for the host account's credential: %q", pr)
		}
	}

	// O&M token: dave logs in with the token as his password, straight to
	// the token's host and account.
	tok := w.token("web")
	out, err := w.cli.SSH(ctx, sshtest.Login{User: "dave", Password: tok}, n.GW, "id -un").CombinedOutput()
	if err != nil || !strings.Contains(string(out), want) {
		t.Fatalf("O&M token login: %v: %q", err, out)
	}

	// Refusals.
	refused := func(what string, cmdOut []byte, err error) {
		t.Helper()
		if err == nil || strings.Contains(string(cmdOut), want+"\n") {
			t.Fatalf("%s was let in: %v: %q", what, err, cmdOut)
		}
	}
	bad := sshtest.Login{User: "alice", Password: "wrong-" + gwPassword}
	o, err := w.cli.SSH(ctx, bad, n.GW, "id -un").CombinedOutput()
	refused("alice with a wrong password", o, err)
	o, err = w.cli.SSH(ctx, sshtest.Login{User: "nobody", Password: gwPassword}, n.GW, "id -un").CombinedOutput()
	refused("an unknown user", o, err)
	o, err = w.cli.SSH(ctx, sshtest.Login{User: "carol", KeyFile: w.sshd.Account.KeyFile}, n.GW, "id -un").CombinedOutput()
	refused("carol with an unregistered key", o, err)
	for _, c := range []struct{ user, host string }{{"alice", "vault"}, {"bob", "web"}, {"carol", "cache"}, {"dave", "db"}} {
		o, err := w.proxied(ctx, n, c.user, c.host, "id -un").CombinedOutput()
		refused(c.user+" to "+c.host+" through the proxy", o, err)
		if c.user != "dave" {
			o, err = w.cli.SSH(ctx, w.login(c.user), n.GW, want+"@h-"+c.host, "id -un").CombinedOutput()
			refused(c.user+" to "+c.host+" through the gateway's exec", o, err)
		}
	}
	o, err = w.cli.SSH(ctx, sshtest.Login{User: "dave", Password: tok + "x"}, n.GW, "id -un").CombinedOutput()
	refused("dave with a wrong token", o, err)
}

// copyThroughProxy copies a file up with scp and back with sftp through
// n's transparent proxy as alice (the inner connection's exec and sftp
// subsystem pass the same check as its shell).
func (w *gwWorld) copyThroughProxy(ctx context.Context, n *gwNode) {
	w.t.Helper()
	dir := w.t.TempDir()
	data := strings.Repeat("through the bastion\n", 20000)
	os.WriteFile(filepath.Join(dir, "up"), []byte(data), 0o644)
	in := w.hostAccount()
	proxy := w.cli.ProxyOptions(w.login("alice"), n.GW)
	port := strconv.Itoa(w.sshd.Port)
	scp := w.cli.Command(ctx, in, "scp", append(append([]string{"-q"}, proxy...), "-P", port,
		filepath.Join(dir, "up"), in.User+"@127.0.0.1:via-gateway")...)
	if o, err := scp.CombinedOutput(); err != nil {
		w.t.Fatalf("scp through the proxy: %v: %s", err, o)
	}
	os.WriteFile(filepath.Join(dir, "batch"), []byte("get via-gateway "+filepath.Join(dir, "down")+"\n"), 0o644)
	sftp := w.cli.Command(ctx, in, "sftp", append(append([]string{"-q"}, proxy...), "-P", port, "-b", filepath.Join(dir, "batch"), in.User+"@127.0.0.1")...)
	if o, err := sftp.CombinedOutput(); err != nil {
		w.t.Fatalf("sftp through the proxy: %v: %s", err, o)
	}
	if down, _ := os.ReadFile(filepath.Join(dir, "down")); string(down) != data {
		w.t.Fatalf("scp up and sftp down through the gateway: %d bytes back of %d", len(down), len(data))
	}
}

// TestSSHGatewayMenu logs in on a terminal and checks that the menu lists
// exactly the user's effective access (direct, group and host-group
// grants), then picks a host by number and by arrow keys, runs a command
// there and gets the host's exit status back.
func TestSSHGatewayMenu(t *testing.T) {
	w := newGWWorld(t, "", 1, "terminate")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for user, want := range map[string][]string{"alice": {"web", "db", "cache"}, "bob": {"db"}, "carol": {"db"}, "dave": {"web"}} {
		if user != "dave" { // dave has no password: he logs in with tokens
			term := w.menu(ctx, user)
			got := menuHosts(t, term, want)
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Fatalf("%s's menu lists %v, want %v; menu:\n%s", user, got, want, term.Output())
			}
			term.Close()
			// The same list for scripts: ssh user@gateway ls.
			out, err := w.cli.SSH(ctx, w.login(user), w.nodes[0].GW, "ls").Output()
			if got := hostsIn(string(out)); err != nil || strings.Join(got, ",") != strings.Join(want, ",") {
				t.Fatalf("ssh %s@gateway ls: %v, lists %v, want %v:\n%s", user, err, got, want, out)
			}
		}
		// And the API answers the same for the user (ListOperationHosts).
		if user == "dave" {
			body, err := w.nodes[0].ram("ListOperationHosts", p(gwInst))
			var names []string
			for _, h := range list(body["Hosts"]) {
				names = append(names, strings.TrimPrefix(str(h["HostName"]), "h-"))
			}
			if err != nil || strings.Join(names, ",") != strings.Join(want, ",") {
				t.Fatalf("ListOperationHosts as dave: %v, %v, want %v", err, names, want)
			}
		}
	}

	// alice picks db by its number, runs a command, exits with a status.
	term := w.menu(ctx, "alice")
	defer term.Close()
	menuHosts(t, term, []string{"web", "db", "cache"})
	term.Send(menuNumber(t, term.Output(), "db") + sshtest.KeyEnter)
	w.onHost(t, term, 5)

	// alice picks cache with the arrow keys.
	arrows := w.menu(ctx, "alice")
	defer arrows.Close()
	menuHosts(t, arrows, []string{"web", "db", "cache"})
	arrows.Send(sshtest.KeyDown + sshtest.KeyDown + sshtest.KeyEnter)
	w.onHost(t, arrows, 6)
}

// menu starts ssh user@gateway on a terminal.
func (w *gwWorld) menu(ctx context.Context, user string) *sshtest.Term {
	w.t.Helper()
	term, err := sshtest.StartTerm(w.cli.SSH(ctx, w.login(user), w.nodes[0].GW, "-tt"), 30, 100)
	if err != nil {
		w.t.Fatal(err)
	}
	return term
}

// onHost runs a command on the host the menu opened and exits with code,
// which ssh must return.
func (w *gwWorld) onHost(t *testing.T, term *sshtest.Term, code int) {
	t.Helper()
	term.Send("echo on-host-$(id -un)-$((40+2))\r")
	if _, err := term.Expect("on-host-"+regexp.QuoteMeta(w.sshd.Account.Name)+"-42", 20*time.Second); err != nil {
		t.Fatalf("no shell on the host: %v; output:\n%s", err, term.Output())
	}
	// A window change reaches the host's pty.
	term.Resize(33, 111)
	time.Sleep(200 * time.Millisecond)
	term.Send("stty size\r")
	if _, err := term.Expect(`33 111`, 20*time.Second); err != nil {
		t.Fatalf("window change: %v", err)
	}
	term.Send(fmt.Sprintf("exit %d\r", code))
	if got, err := term.Wait(20 * time.Second); err != nil || got != code {
		t.Fatalf("exit status through the gateway: %d (%v), want %d; output:\n%s", got, err, code, term.Output())
	}
}

// menuHosts waits for the menu to list want's hosts and returns every host
// of the world (short names) that it lists, in the world's order.
func menuHosts(t *testing.T, term *sshtest.Term, want []string) []string {
	t.Helper()
	if _, err := term.Expect("h-"+want[len(want)-1]+`\b`, 20*time.Second); err != nil {
		t.Fatalf("no menu: %v", err)
	}
	time.Sleep(200 * time.Millisecond) // the rest of the screen
	return hostsIn(term.Output())
}

// hostsIn returns the hosts of the world (short names) that text names, in
// the world's order.
func hostsIn(text string) []string {
	var got []string
	for _, h := range gwHosts {
		if regexp.MustCompile(`\bh-` + h.name + `\b`).MatchString(text) {
			got = append(got, h.name)
		}
	}
	return got
}

// menuNumber is the number the menu shows for host.
func menuNumber(t *testing.T, text, host string) string {
	t.Helper()
	re := regexp.MustCompile(`(?m)^\W*(\d+)\W.*\bh-` + host + `\b`)
	m := re.FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("no number for h-%s in the menu:\n%s", host, text)
	}
	return m[1]
}

// holdSessions starts a long session to db through n's gateway for each
// user (in the world alice has db through group ops alone, bob through ops
// and a direct grant, carol directly, logging in by key) and waits until
// each runs on the host.
func (w *gwWorld) holdSessions(ctx context.Context, n *gwNode, users ...string) map[string]*session {
	w.t.Helper()
	out := map[string]*session{}
	for _, u := range users {
		out[u] = startSession(w.t, w.proxied(ctx, n, u, "db", "echo started; exec sleep 300"))
	}
	for _, s := range out {
		s.waitLine(w.t, "started", 30*time.Second)
	}
	return out
}

// detachOps detaches db's account from group ops through node n's API and
// returns when the call returned.
func (w *gwWorld) detachOps(n *gwNode) time.Time {
	w.t.Helper()
	w.okResults("DetachHostAccountsFromUserGroup", w.doOn(n, "DetachHostAccountsFromUserGroup", "UserGroupId", w.ops, "Hosts", w.hostsParam("db")))
	return time.Now()
}

// TestSSHGatewayDetachCutsSession: DetachHostAccountsFromUserGroup through
// the SDK ends alice's live session to db (she had it through group ops
// alone) within the bound, while bob (ops and a direct grant) and carol
// (direct) keep theirs to the same host; alice can no longer reach db but
// still reaches web.
func TestSSHGatewayDetachCutsSession(t *testing.T) {
	w := newGWWorld(t, "", 1, "terminate")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	n := w.nodes[0]
	ss := w.holdSessions(ctx, n, "alice", "bob", "carol")
	at := w.detachOps(n)
	took, ok := ss["alice"].endedWithin(cutBound, at)
	if !ok {
		t.Fatalf("alice's session still runs %v after DetachHostAccountsFromUserGroup; output:\n%s", cutBound, ss["alice"].output())
	}
	t.Logf("alice's session ended %v after the detach returned; her client saw:\n%s", took, ss["alice"].output())
	if !strings.Contains(ss["alice"].output(), "revoked") {
		t.Errorf("alice was not told why her session ended:\n%s", ss["alice"].output())
	}
	time.Sleep(time.Second)
	for _, u := range []string{"bob", "carol"} {
		if !ss[u].running() {
			t.Fatalf("%s's session ended with alice's: %v\n%s", u, ss[u].err, ss[u].output())
		}
	}
	// LockUsers ends bob's session; carol's stays.
	w.okResults("LockUsers", w.do("LockUsers", "UserIds", `["`+w.user["bob"]+`"]`))
	if took, ok := ss["bob"].endedWithin(cutBound, time.Now()); !ok {
		t.Fatalf("bob's session still runs %v after LockUsers", cutBound)
	} else {
		t.Logf("bob's session ended %v after LockUsers returned", took)
	}
	if !ss["carol"].running() {
		t.Fatalf("carol's session ended with bob's: %v\n%s", ss["carol"].err, ss["carol"].output())
	}
	if o, err := w.proxied(ctx, n, "alice", "db", "id -un").CombinedOutput(); err == nil {
		t.Fatalf("alice reached db after the detach: %q", o)
	}
	if o, err := w.proxied(ctx, n, "alice", "web", "echo still").CombinedOutput(); err != nil || strings.TrimSpace(string(o)) != "still" {
		t.Fatalf("alice lost web too: %v: %q", err, o)
	}
}

// TestSSHGatewayDetachAcrossNodes: two nodes on one PostgreSQL database;
// the sessions run through node B's gateway and the detach goes to node A.
func TestSSHGatewayDetachAcrossNodes(t *testing.T) {
	processLevel(t)
	w := newGWWorld(t, pgtest.NewDatabase(t), 2, "terminate")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	a, b := w.nodes[0], w.nodes[1]
	ss := w.holdSessions(ctx, b, "alice", "carol")
	at := w.detachOps(a)
	took, ok := ss["alice"].endedWithin(cutBound, at)
	if !ok {
		t.Fatalf("alice's session on node B still runs %v after the detach on node A", cutBound)
	}
	t.Logf("alice's session on node B ended %v after the detach on node A returned", took)
	time.Sleep(time.Second)
	if !ss["carol"].running() {
		t.Fatalf("carol's session on node B ended too: %v\n%s", ss["carol"].err, ss["carol"].output())
	}
}

// TestSSHGatewayRevokeKeep: with --ssh-revoke keep a live session outlives
// the revocation, but a new login to the same host is refused.
func TestSSHGatewayRevokeKeep(t *testing.T) {
	w := newGWWorld(t, "", 1, "keep")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	n := w.nodes[0]
	ss := w.holdSessions(ctx, n, "alice")
	w.detachOps(n)
	time.Sleep(cutBound)
	if !ss["alice"].running() {
		t.Fatalf("--ssh-revoke keep: alice's session ended: %v\n%s", ss["alice"].err, ss["alice"].output())
	}
	if o, err := w.proxied(ctx, n, "alice", "db", "id -un").CombinedOutput(); err == nil {
		t.Fatalf("--ssh-revoke keep: a new login of alice to db succeeded: %q", o)
	}
}

// TestSSHGatewayRevokeGrace: with --ssh-revoke grace=2s the session lives
// on for the grace period and then ends.
func TestSSHGatewayRevokeGrace(t *testing.T) {
	const grace = 2 * time.Second
	w := newGWWorld(t, "", 1, "grace="+grace.String())
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	n := w.nodes[0]
	ss := w.holdSessions(ctx, n, "alice", "carol")
	at := w.detachOps(n)
	if took, ended := ss["alice"].endedWithin(grace-500*time.Millisecond, at); ended {
		t.Fatalf("grace=%v: alice's session ended after %v", grace, took)
	}
	took, ok := ss["alice"].endedWithin(grace+cutBound, at)
	if !ok {
		t.Fatalf("grace=%v: alice's session still runs %v after the detach", grace, grace+cutBound)
	}
	t.Logf("grace=%v: alice's session ended %v after the detach returned; her client saw:\n%s", grace, took, ss["alice"].output())
	if !ss["carol"].running() {
		t.Fatalf("carol's session ended too: %v", ss["carol"].err)
	}
}

// exitStatus is a client's exit status (-1 when it did not exit).
func exitStatus(err error) int {
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.ExitCode()
	}
	return -1
}

// TestSSHGatewayEndpoint: DescribeInstanceAttribute (InternetEndpoint,
// IntranetEndpoint, Ports) and DescribeInstances (the endpoints), through
// the v1 SDK in JSON and XML and through V3 CallApi, show where the
// gateway listens for the instance, and the unmodified ssh logs in there.
func TestSSHGatewayEndpoint(t *testing.T) {
	w := newGWWorld(t, "", 1, "terminate")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	n := w.nodes[0]
	wantHost, wantPort, _ := net.SplitHostPort(n.GW)
	for name, call := range (&env{t: t, Host: n.Addr}).bhClients(gwKey, gwSecret) {
		body, err := call("DescribeInstanceAttribute", p(gwInst))
		if err != nil {
			t.Fatalf("%s: DescribeInstanceAttribute: %v", name, err)
		}
		attr, _ := body["InstanceAttribute"].(map[string]any)
		ports := list(attr["Ports"])
		if str(attr["InstanceId"]) != gwInst || str(attr["InternetEndpoint"]) != wantHost ||
			str(attr["IntranetEndpoint"]) != wantHost || len(ports) != 1 ||
			num(ports[0]["StandardPort"]) != 60022 || strconv.Itoa(num(ports[0]["CustomPort"])) != wantPort {
			t.Fatalf("%s: DescribeInstanceAttribute = %v, want endpoint %s and port %s", name, body, wantHost, wantPort)
		}
		body, err = call("DescribeInstances", map[string]string{"InstanceId.1": gwInst})
		if err != nil {
			t.Fatalf("%s: DescribeInstances: %v", name, err)
		}
		if items := list(body["Instances"]); len(items) != 1 || str(items[0]["InternetEndpoint"]) != wantHost ||
			str(items[0]["IntranetEndpoint"]) != wantHost {
			t.Fatalf("%s: DescribeInstances = %v, want endpoint %s", name, body, wantHost)
		}
		addr := net.JoinHostPort(str(attr["InternetEndpoint"]), strconv.Itoa(num(ports[0]["CustomPort"])))
		out, err := w.cli.SSH(ctx, w.login("alice"), addr, "ls").CombinedOutput()
		if err != nil || !strings.Contains(string(out), "h-web") {
			t.Fatalf("%s: ssh alice@%s ls: %v: %q", name, addr, err, out)
		}
		_, err = call("DescribeInstanceAttribute", p("bastionhost-cn-nosuch01"))
		if _, code := apiCode(err); code != "Commodity.BizError.InvalidStatus" {
			t.Fatalf("%s: DescribeInstanceAttribute of an unknown instance: %v", name, err)
		}
	}
}
