package storetest

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/localyun/localyun"
)

// The conformance tests of localyun.BastionAccessStore: effective access
// over every grant path, the writes that remove it (and their
// notifications), locks, ports, failed logins, public keys, O&M tokens and
// session records.

func testBastionAccessStore(t *testing.T, open BastionOpener) {
	t.Run("Access", func(t *testing.T) { testBastionAccessPaths(t, open) })
	t.Run("LocksAndPorts", func(t *testing.T) { testBastionLocksAndPorts(t, open) })
	t.Run("LoginFailures", func(t *testing.T) { testBastionLoginFailures(t, open) })
	t.Run("PublicKeys", func(t *testing.T) { testBastionPublicKeys(t, open) })
	t.Run("OperationTokens", func(t *testing.T) { testBastionOperationTokens(t, open) })
	t.Run("Sessions", func(t *testing.T) { testBastionSessions(t, open) })
}

// bhAccess renders a user's access as "host/account:via+via".
func bhAccess(t *testing.T, st BastionStore, user string) []string {
	t.Helper()
	access, err := st.FindBastionAccess(context.Background(), bastionInst, user)
	if err != nil {
		t.Fatal(err)
	}
	out := []string{}
	for _, a := range access {
		if a.Host.InstanceID != bastionInst || a.Account.HostID != a.Host.ID || a.Host.Name == "" || a.Account.Name == "" {
			t.Fatalf("FindBastionAccess item %+v", a)
		}
		out = append(out, a.Host.ID+"/"+a.Account.ID+":"+strings.Join(a.Via, "+"))
	}
	return out
}

// bhNotified collects the instances ListenAccessChanges reports.
type bhNotified chan string

// want waits (generously) for a notification of bastionInst.
func (n bhNotified) want(t *testing.T, what string) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case inst := <-n:
			if inst == bastionInst {
				return
			}
		case <-timeout:
			t.Fatalf("%s: no access change notified", what)
		}
	}
}

// drain forgets the notifications so far.
func (n bhNotified) drain() {
	for {
		select {
		case <-n:
		case <-time.After(200 * time.Millisecond):
			return
		}
	}
}

func testBastionAccessPaths(t *testing.T, open BastionOpener) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st := bhBastionWorld(t, open)
	notified := make(bhNotified, 100)
	if err := st.ListenAccessChanges(ctx, func(inst string) { notified <- inst }); err != nil {
		t.Fatal(err)
	}
	h1, h2, h3 := bhMustHost(t, st, bastionInst, "h1"), bhMustHost(t, st, bastionInst, "h2"), bhMustHost(t, st, bastionInst, "h3")
	root1, app1 := bhMustAccount(t, st, bastionInst, h1.ID, "root"), bhMustAccount(t, st, bastionInst, h1.ID, "app")
	bhMustAccount(t, st, bastionInst, h2.ID, "root")
	bhMustAccount(t, st, bastionInst, h3.ID, "root")
	bhMustAccount(t, st, bastionInst, h3.ID, "deploy")
	alice, bob := bhMustUser(t, st, bastionInst, "alice"), bhMustUser(t, st, bastionInst, "bob")
	ops, web := bhMustUserGroup(t, st, bastionInst, "ops"), bhMustHostGroup(t, st, bastionInst, "web")
	if _, err := st.AddBastionGroupMembers(ctx, localyun.BastionGroupUser, bastionInst, ops.ID, []string{alice.ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddBastionGroupMembers(ctx, localyun.BastionGroupHost, bastionInst, web.ID, []string{h2.ID, h3.ID}); err != nil {
		t.Fatal(err)
	}
	u := localyun.BastionGrantee{Kind: localyun.GranteeUser, ID: alice.ID}
	g := localyun.BastionGrantee{Kind: localyun.GranteeUserGroup, ID: ops.ID}
	bhWantStrings(t, "no grants", bhAccess(t, st, alice.ID), nil)
	// A host granted without accounts gives no pair.
	bhMustChangeHostGrants(t, st, localyun.BastionGrantee{Kind: localyun.GranteeUser, ID: bob.ID}, true, []localyun.BastionHostGrant{{HostID: h1.ID}})
	bhMustChangeHostGrants(t, st, u, true, []localyun.BastionHostGrant{{HostID: h1.ID, AccountIDs: []string{app1.ID, root1.ID}}})
	bhMustChangeHostGrants(t, st, g, true, []localyun.BastionHostGrant{{HostID: h1.ID, AccountIDs: []string{root1.ID}}})
	bhMustChangeHostGroupGrants(t, st, u, true, []localyun.BastionHostGroupGrant{{HostGroupID: web.ID, AccountNames: []string{"root", "nobody"}}})
	bhMustChangeHostGroupGrants(t, st, g, true, []localyun.BastionHostGroupGrant{{HostGroupID: web.ID, AccountNames: []string{"deploy"}}})
	bhWantStrings(t, "every path", bhAccess(t, st, alice.ID), []string{"1/1:group:1+user", "1/2:user", "2/3:hostgroup:1",
		"3/4:hostgroup:1", "3/5:group:1/hostgroup:1"})
	bhWantStrings(t, "host grant only", bhAccess(t, st, bob.ID), nil)
	bhWantStrings(t, "unknown user", bhAccess(t, st, "99"), nil)
	bhWantStrings(t, "malformed user", bhAccess(t, st, "x"), nil)
	notified.drain()

	// Every write that removes a path is notified, and the path is gone.
	bhMustChangeHostGrants(t, st, u, false, []localyun.BastionHostGrant{{HostID: h1.ID, AccountIDs: []string{root1.ID}}})
	notified.want(t, "detach from user")
	bhWantStrings(t, "after detach", bhAccess(t, st, alice.ID), []string{"1/1:group:1", "1/2:user", "2/3:hostgroup:1",
		"3/4:hostgroup:1", "3/5:group:1/hostgroup:1"})
	if _, err := st.RemoveBastionGroupMembers(ctx, localyun.BastionGroupHost, bastionInst, web.ID, []string{h3.ID}); err != nil {
		t.Fatal(err)
	}
	notified.want(t, "remove host from group")
	bhWantStrings(t, "after host removal", bhAccess(t, st, alice.ID), []string{"1/1:group:1", "1/2:user", "2/3:hostgroup:1"})
	bhMustChangeHostGroupGrants(t, st, u, false, []localyun.BastionHostGroupGrant{{HostGroupID: web.ID}})
	notified.want(t, "detach host group")
	if err := st.DeleteBastionHostAccount(ctx, bastionInst, app1.ID); err != nil {
		t.Fatal(err)
	}
	notified.want(t, "delete account")
	bhWantStrings(t, "after account deletion", bhAccess(t, st, alice.ID), []string{"1/1:group:1"})
	if _, err := st.RemoveBastionGroupMembers(ctx, localyun.BastionGroupUser, bastionInst, ops.ID, []string{alice.ID}); err != nil {
		t.Fatal(err)
	}
	notified.want(t, "remove user from group")
	bhWantStrings(t, "after leaving the group", bhAccess(t, st, alice.ID), nil)
	if err := st.DeleteBastionUser(ctx, bastionInst, bob.ID); err != nil {
		t.Fatal(err)
	}
	notified.want(t, "delete user")
}

func testBastionLocksAndPorts(t *testing.T, open BastionOpener) {
	ctx := context.Background()
	st := bhBastionWorld(t, open)
	notified := make(bhNotified, 100)
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if err := st.ListenAccessChanges(lctx, func(inst string) { notified <- inst }); err != nil {
		t.Fatal(err)
	}
	alice := bhMustUser(t, st, bastionInst, "alice")
	facts, err := st.SetBastionUsersLocked(ctx, bastionInst, []string{alice.ID, "99", "x"}, true)
	if err != nil {
		t.Fatal(err)
	}
	bhWantStrings(t, "lock", bhMemberFacts(facts), []string{"1:changed", "99:missing", "x:missing"})
	notified.want(t, "lock")
	facts, _ = st.SetBastionUsersLocked(ctx, bastionInst, []string{alice.ID}, true)
	bhWantStrings(t, "lock again", bhMemberFacts(facts), []string{"1:unchanged"})
	if u, _ := st.FindBastionUser(ctx, bastionInst, alice.ID); !u.Locked {
		t.Fatal("locked user reads unlocked")
	}
	frozen, total, err := st.FindBastionUsers(ctx, localyun.BastionUserFilter{InstanceID: bastionInst, State: localyun.BastionUserFrozen, Now: epoch, Limit: 10})
	if err != nil || total != 1 || len(frozen) != 1 || !frozen[0].Locked {
		t.Fatalf("Frozen users = %+v, %d, %v", frozen, total, err)
	}
	if _, total, _ := st.FindBastionUsers(ctx, localyun.BastionUserFilter{InstanceID: bastionInst, State: localyun.BastionUserNormal, Now: epoch, Limit: 10}); total != 0 {
		t.Fatalf("a locked user is Normal")
	}
	facts, _ = st.SetBastionUsersLocked(ctx, bastionInst, []string{alice.ID}, false)
	bhWantStrings(t, "unlock", bhMemberFacts(facts), []string{"1:changed"})
	if u, _ := st.FindBastionUser(ctx, bastionInst, alice.ID); u.Locked {
		t.Fatal("unlocked user reads locked")
	}

	h := bhMustHost(t, st, bastionInst, "h")
	if h.SSHPort != 22 || h.RDPPort != 3389 {
		t.Fatalf("new host ports %d %d", h.SSHPort, h.RDPPort)
	}
	facts, err = st.SetBastionHostsPort(ctx, bastionInst, []string{h.ID, "7"}, "SSH", 2222)
	if err != nil {
		t.Fatal(err)
	}
	bhWantStrings(t, "port", bhMemberFacts(facts), []string{"1:changed", "7:missing"})
	facts, _ = st.SetBastionHostsPort(ctx, bastionInst, []string{h.ID}, "RDP", 3390)
	bhWantStrings(t, "rdp port", bhMemberFacts(facts), []string{"1:changed"})
	got, err := st.FindBastionHost(ctx, bastionInst, h.ID)
	if err != nil || got.SSHPort != 2222 || got.RDPPort != 3390 {
		t.Fatalf("host after port change %+v %v", got, err)
	}
	hosts, _, _ := st.FindBastionHosts(ctx, localyun.BastionHostFilter{InstanceID: bastionInst, Limit: 10})
	if len(hosts) != 1 || hosts[0].SSHPort != 2222 {
		t.Fatalf("listed host %+v", hosts)
	}
	_, err = st.SetBastionHostsPort(ctx, bastionInst, []string{h.ID}, "Telnet", 23)
	wantKind(t, err, localyun.ErrInvalid)
}

func testBastionLoginFailures(t *testing.T, open BastionOpener) {
	ctx := context.Background()
	st := bhBastionWorld(t, open)
	alice := bhMustUser(t, st, bastionInst, "alice")
	if s, err := st.FindBastionLoginState(ctx, bastionInst, alice.ID); err != nil || s != (localyun.BastionLoginState{}) {
		t.Fatalf("fresh state %+v %v", s, err)
	}
	for i := 1; i <= 2; i++ {
		s, err := st.NoteBastionLoginFailure(ctx, bastionInst, alice.ID, epoch, 3, time.Minute)
		if err != nil || s.Failures != i || !s.LockedUntil.IsZero() {
			t.Fatalf("failure %d: %+v %v", i, s, err)
		}
	}
	s, err := st.NoteBastionLoginFailure(ctx, bastionInst, alice.ID, epoch, 3, time.Minute)
	if err != nil || s.Failures != 0 || !s.LockedUntil.Equal(epoch.Add(time.Minute)) {
		t.Fatalf("third failure %+v %v", s, err)
	}
	if s, _ := st.FindBastionLoginState(ctx, bastionInst, alice.ID); !s.LockedUntil.Equal(epoch.Add(time.Minute)) {
		t.Fatalf("state after lockout %+v", s)
	}
	if err := st.ClearBastionLoginFailures(ctx, bastionInst, alice.ID); err != nil {
		t.Fatal(err)
	}
	if s, _ := st.FindBastionLoginState(ctx, bastionInst, alice.ID); s != (localyun.BastionLoginState{}) {
		t.Fatalf("state after clear %+v", s)
	}
	_, err = st.NoteBastionLoginFailure(ctx, bastionInst, "99", epoch, 3, time.Minute)
	wantKind(t, err, localyun.ErrNotFound)
}

func testBastionPublicKeys(t *testing.T, open BastionOpener) {
	ctx := context.Background()
	st := bhBastionWorld(t, open)
	alice, bob := bhMustUser(t, st, bastionInst, "alice"), bhMustUser(t, st, bastionInst, "bob")
	key := func(user string, blob []byte) localyun.BastionPublicKey {
		return localyun.BastionPublicKey{InstanceID: bastionInst, UserID: user, Name: "k", Comment: "c", PublicKey: blob,
			Fingerprint: "fp", CreatedAt: epoch}
	}
	k1, err := st.CreateBastionPublicKey(ctx, key(alice.ID, []byte{0, 1, 2}))
	if err != nil || k1.ID != "1" { // a failed creation takes no id
		t.Fatalf("CreateBastionPublicKey = %+v, %v", k1, err)
	}
	_, err = st.CreateBastionPublicKey(ctx, key(alice.ID, []byte{0, 1, 2}))
	wantKind(t, err, localyun.ErrAlreadyExists)
	_, err = st.CreateBastionPublicKey(ctx, key("99", []byte{0, 1, 2}))
	wantKind(t, err, localyun.ErrNotFound)
	if _, err := st.CreateBastionPublicKey(ctx, key(bob.ID, []byte{0, 1, 2})); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateBastionPublicKey(ctx, key(alice.ID, []byte{9})); err != nil {
		t.Fatal(err)
	}
	ids := func(f localyun.BastionPublicKeyFilter) []string {
		f.InstanceID = bastionInst
		if f.Limit == 0 {
			f.Limit = 10
		}
		keys, total, err := st.FindBastionPublicKeys(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		out := []string{}
		for _, k := range keys {
			out = append(out, k.ID+"@"+k.UserID)
		}
		return append(out, "total="+string(rune('0'+total)))
	}
	bhWantStrings(t, "every key", ids(localyun.BastionPublicKeyFilter{}), []string{"1@1", "2@2", "3@1", "total=3"})
	bhWantStrings(t, "alice's", ids(localyun.BastionPublicKeyFilter{UserID: alice.ID}), []string{"1@1", "3@1", "total=2"})
	bhWantStrings(t, "by key", ids(localyun.BastionPublicKeyFilter{UserID: alice.ID, PublicKey: []byte{9}}), []string{"3@1", "total=1"})
	bhWantStrings(t, "page", ids(localyun.BastionPublicKeyFilter{Offset: 1, Limit: 1}), []string{"2@2", "total=3"})
	keys, _, _ := st.FindBastionPublicKeys(ctx, localyun.BastionPublicKeyFilter{InstanceID: bastionInst, UserID: alice.ID, Limit: 1})
	if k := keys[0]; !bytes.Equal(k.PublicKey, []byte{0, 1, 2}) || k.Name != "k" || k.Comment != "c" || k.Fingerprint != "fp" || !k.CreatedAt.Equal(epoch) {
		t.Fatalf("stored key %+v", k)
	}
	if err := st.DeleteBastionPublicKey(ctx, bastionInst, "3"); err != nil {
		t.Fatal(err)
	}
	wantKind(t, st.DeleteBastionPublicKey(ctx, bastionInst, "3"), localyun.ErrNotFound)
	if err := st.DeleteBastionUser(ctx, bastionInst, alice.ID); err != nil {
		t.Fatal(err)
	}
	bhWantStrings(t, "after user deletion", ids(localyun.BastionPublicKeyFilter{}), []string{"2@2", "total=1"})
}

func testBastionOperationTokens(t *testing.T, open BastionOpener) {
	ctx := context.Background()
	st := bhBastionWorld(t, open)
	alice := bhMustUser(t, st, bastionInst, "alice")
	h := bhMustHost(t, st, bastionInst, "h")
	a := bhMustAccount(t, st, bastionInst, h.ID, "root")
	sum := bytes.Repeat([]byte{7}, 32)
	tok := localyun.BastionOperationToken{InstanceID: bastionInst, UserID: alice.ID, HostID: h.ID, AccountID: a.ID, Sum: sum,
		CreatedAt: epoch, ExpiresAt: epoch.Add(time.Hour)}
	created, err := st.CreateBastionOperationToken(ctx, tok)
	if err != nil || created.ID != "1" {
		t.Fatalf("CreateBastionOperationToken = %+v, %v", created, err)
	}
	bad := tok
	bad.AccountID, bad.Sum = "99", []byte{1}
	_, err = st.CreateBastionOperationToken(ctx, bad)
	wantKind(t, err, localyun.ErrNotFound)
	got, err := st.FindBastionOperationToken(ctx, bastionInst, sum)
	if err != nil || got.ID != "1" || got.UserID != alice.ID || got.HostID != h.ID || got.AccountID != a.ID ||
		!got.ExpiresAt.Equal(epoch.Add(time.Hour)) || !got.CreatedAt.Equal(epoch) {
		t.Fatalf("FindBastionOperationToken = %+v, %v", got, err)
	}
	_, err = st.FindBastionOperationToken(ctx, bastionInst2, sum)
	wantKind(t, err, localyun.ErrNotFound)
	_, err = st.FindBastionOperationToken(ctx, bastionInst, []byte{1})
	wantKind(t, err, localyun.ErrNotFound)
	if err := st.DeleteBastionHostAccount(ctx, bastionInst, a.ID); err != nil {
		t.Fatal(err)
	}
	_, err = st.FindBastionOperationToken(ctx, bastionInst, sum)
	wantKind(t, err, localyun.ErrNotFound)
}

func testBastionSessions(t *testing.T, open BastionOpener) {
	ctx := context.Background()
	st := bhBastionWorld(t, open)
	s := localyun.BastionSession{InstanceID: bastionInst, UserID: "1", UserName: "alice", ClientAddr: "127.0.0.1:5000", HostID: "2",
		HostAddress: "127.0.0.1:22", AccountID: "3", AccountName: "root", Protocol: "SSH", Mode: "menu", StartedAt: epoch}
	s1, err := st.CreateBastionSession(ctx, s)
	if err != nil || s1.ID != "1" {
		t.Fatalf("CreateBastionSession = %+v, %v", s1, err)
	}
	s.UserID, s.UserName, s.StartedAt = "4", "bob", epoch.Add(time.Second)
	if _, err := st.CreateBastionSession(ctx, s); err != nil {
		t.Fatal(err)
	}
	s.InstanceID = "bastionhost-cn-nosuch"
	_, err = st.CreateBastionSession(ctx, s)
	wantKind(t, err, localyun.ErrNotFound)
	if err := st.EndBastionSession(ctx, bastionInst, "1", epoch.Add(time.Minute), localyun.BastionSessionRevoked); err != nil {
		t.Fatal(err)
	}
	wantKind(t, st.EndBastionSession(ctx, bastionInst, "1", epoch, localyun.BastionSessionExit), localyun.ErrConflict)
	wantKind(t, st.EndBastionSession(ctx, bastionInst, "9", epoch, localyun.BastionSessionExit), localyun.ErrNotFound)
	list := func(f localyun.BastionSessionFilter) []string {
		f.InstanceID, f.Limit = bastionInst, 10
		got, total, err := st.FindBastionSessions(ctx, f)
		if err != nil || total != len(got) {
			t.Fatalf("FindBastionSessions(%+v) = %d of %d, %v", f, len(got), total, err)
		}
		out := []string{}
		for _, x := range got {
			out = append(out, x.ID+":"+x.UserName+":"+x.EndReason)
		}
		return out
	}
	bhWantStrings(t, "newest first", list(localyun.BastionSessionFilter{}), []string{"2:bob:", "1:alice:revoked"})
	bhWantStrings(t, "active", list(localyun.BastionSessionFilter{Active: true}), []string{"2:bob:"})
	bhWantStrings(t, "alice's", list(localyun.BastionSessionFilter{UserID: "1"}), []string{"1:alice:revoked"})
	bhWantStrings(t, "of host 2", list(localyun.BastionSessionFilter{HostID: "2"}), []string{"2:bob:", "1:alice:revoked"})
	bhWantStrings(t, "of host 5", list(localyun.BastionSessionFilter{HostID: "5"}), nil)
	got, _, _ := st.FindBastionSessions(ctx, localyun.BastionSessionFilter{InstanceID: bastionInst, UserID: "1", Limit: 1})
	x := got[0]
	if x.ClientAddr != "127.0.0.1:5000" || x.HostAddress != "127.0.0.1:22" || x.AccountID != "3" || x.AccountName != "root" ||
		x.Protocol != "SSH" || x.Mode != "menu" || !x.StartedAt.Equal(epoch) || !x.EndedAt.Equal(epoch.Add(time.Minute)) {
		t.Fatalf("stored session %+v", x)
	}
}
