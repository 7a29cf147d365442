package storetest

import (
	"context"
	"errors"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/localyun/localyun"
)

// The conformance tests of localyun.AccountResetStore: every resource of
// the account goes (read first, so that a store caching rows must forget
// them), its root keys and the other account stay, a dry run deletes
// nothing, the audit trail is kept unless cleared, and live bastion
// sessions are told.

const (
	resetA = "3333333333333333"
	resetB = "4444444444444444"
)

// RunReset runs the behaviour tests of ResetAccount.
func RunReset(t *testing.T, open Opener) {
	t.Run("Reset", func(t *testing.T) { testReset(t, open) })
	t.Run("ResetEvents", func(t *testing.T) { testResetEvents(t, open) })
}

// resetWorld gives account a (ids suffixed s) one of everything: a role,
// a RAM user with a key in a group, a custom policy attached to both, an
// instance holding the role with its metadata session, a client token, a
// bastion instance with a host, a host account, a user in a user group
// and a session record, and an audit event.
func resetWorld(t *testing.T, st localyun.Store, a, s string) {
	t.Helper()
	ctx := context.Background()
	MustCreateAccount(t, st, a)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(st.CreateRole(ctx, localyun.Role{ID: "r" + s, AccountID: a, Name: "R", AssumeRolePolicyDocument: "{}", CreatedAt: epoch}))
	must(st.CreateUser(ctx, localyun.User{ID: "u" + s, AccountID: a, Name: "alice", CreatedAt: epoch, UpdatedAt: epoch}))
	must(st.CreateUserAccessKey(ctx, localyun.AccessKey{ID: "AKU" + s, Secret: "x", AccountID: a, UserName: "alice",
		Status: localyun.AccessKeyActive, CreatedAt: epoch}, 2))
	must(st.CreateGroup(ctx, localyun.Group{ID: "g" + s, AccountID: a, Name: "ops", CreatedAt: epoch, UpdatedAt: epoch}))
	must(st.AddUserToGroup(ctx, a, "ops", "alice", epoch))
	must(st.CreatePolicy(ctx, localyun.Policy{AccountID: a, Name: "P", CreatedAt: epoch, UpdatedAt: epoch},
		localyun.PolicyVersion{Document: "{}", CreatedAt: epoch}))
	for _, who := range []struct{ typ, name string }{{localyun.AttachUser, "alice"}, {localyun.AttachRole, "R"}} {
		must(st.AttachPolicy(ctx, localyun.Attachment{AccountID: a, PolicyType: localyun.PolicyTypeCustom, PolicyName: "P",
			PrincipalType: who.typ, PrincipalName: who.name, AttachedAt: epoch}))
	}
	mustCreateWithToken(t, st, clientToken(a, "cn-hangzhou", "tok", epoch), instance(a, "cn-hangzhou", "i-"+s, "R"))
	must(st.ReplaceInstanceSession(ctx, InstanceSession(a, "i-"+s, "STS.i-"+s), ""))
	must(st.CreateSession(ctx, localyun.Session{AccessKeyID: "STS.as" + s, Secret: "x", TokenHash: "h", AccountID: a,
		RoleName: "R", RoleID: "r" + s, SessionName: "s", Caller: "acs:ram::" + a + ":root", CreatedAt: epoch,
		ExpiresAt: epoch.Add(time.Hour)}))
	bi := "bastionhost-cn-" + s
	must(st.CreateBastionInstance(ctx, localyun.BastionInstance{ID: bi, AccountID: a, RegionID: "cn-hangzhou",
		Status: localyun.BastionRunning, CreatedAt: epoch, ExpiresAt: epoch}))
	h := bhMustHost(t, st, bi, "web")
	bhMustAccount(t, st, bi, h.ID, "root")
	u := bhMustUser(t, st, bi, "bob")
	g := bhMustUserGroup(t, st, bi, "devs")
	_, err := st.AddBastionGroupMembers(ctx, localyun.BastionGroupUser, bi, g.ID, []string{u.ID})
	must(err)
	if g.ID != resetGroupID {
		t.Fatalf("user group id %s, want %s", g.ID, resetGroupID)
	}
	_, err = st.ApplyBastionHostGrants(ctx, bi, localyun.BastionGrantee{Kind: localyun.GranteeUserGroup, ID: g.ID}, 0,
		[]localyun.BastionHostGrantChange{{Op: localyun.BastionGrantAdd, HostID: h.ID}})
	must(err)
	_, err = st.CreateBastionSession(ctx, localyun.BastionSession{InstanceID: bi, UserID: u.ID, UserName: "bob",
		ClientAddr: "127.0.0.1:5000", HostID: h.ID, HostAddress: "10.0.0.1:22", AccountID: "1", AccountName: "root",
		Protocol: "SSH", Mode: "menu", StartedAt: epoch})
	must(err)
	ev := sampleEvent(1)
	ev.ID, ev.AccountID, ev.Identity.AccountID = "EV-"+s, a, a
	must(st.AppendEvents(ctx, []localyun.Event{ev}))
}

// resetGroupID is the id of resetWorld's bastion user group, the first of
// its instance.
const resetGroupID = "1"

// resetPresence reports which of account a's resources (ids suffixed s)
// the store finds, by name.
func resetPresence(t *testing.T, st localyun.Store, a, s string) map[string]bool {
	t.Helper()
	ctx := context.Background()
	found := func(err error) bool {
		t.Helper()
		if err != nil && !errors.Is(err, localyun.ErrNotFound) {
			t.Fatal(err)
		}
		return err == nil
	}
	out := map[string]bool{}
	_, err := st.FindRoleByName(ctx, a, "R")
	out["role"] = found(err)
	_, err = st.FindUserByName(ctx, a, "alice")
	out["user"] = found(err)
	_, err = st.FindAccessKey(ctx, "AKU"+s)
	out["user key"] = found(err)
	_, err = st.FindAccessKey(ctx, "AK"+a)
	out["root key"] = found(err)
	_, err = st.FindAccountByID(ctx, a)
	out["account"] = found(err)
	_, err = st.FindGroupByName(ctx, a, "ops")
	out["group"] = found(err)
	_, err = st.FindPolicy(ctx, a, "P")
	out["policy"] = found(err)
	_, err = st.FindInstanceByID(ctx, "i-"+s)
	out["instance"] = found(err)
	_, err = st.FindInstanceSession(ctx, a, "i-"+s)
	out["instance session"] = found(err)
	_, err = st.FindSession(ctx, "STS.as"+s)
	out["sts session"] = found(err)
	_, err = st.FindClientToken(ctx, a, "cn-hangzhou", "tok", epoch)
	out["client token"] = found(err)
	bi := "bastionhost-cn-" + s
	_, err = st.FindBastionInstance(ctx, a, bi)
	out["bastion instance"] = found(err)
	hosts, _, err := st.FindBastionHosts(ctx, localyun.BastionHostFilter{InstanceID: bi})
	out["bastion host"] = found(err) && len(hosts) > 0
	if out["bastion host"] {
		_, err = st.FindBastionHost(ctx, bi, hosts[0].ID)
		found(err)
	}
	// The grant listing (the SQLite store serves it from its grant cache,
	// filled by this read) of the user group resetWorld granted the host.
	g := localyun.BastionGrantee{Kind: localyun.GranteeUserGroup, ID: resetGroupID}
	grants, _, err := st.FindBastionHosts(ctx, localyun.BastionHostFilter{InstanceID: bi, Authorized: true, Brief: true, Limit: 20,
		Grantee: &g})
	out["bastion host grant"] = found(err) && len(grants) > 0
	users, _, err := st.FindBastionUsers(ctx, localyun.BastionUserFilter{InstanceID: bi})
	out["bastion user"] = found(err) && len(users) > 0
	evs, err := st.FindEvents(ctx, localyun.EventFilter{AccountID: a})
	out["event"] = found(err) && len(evs) > 0
	return out
}

// resetWant are the rows of resetWorld's account that a reset deletes, by
// table (tables with none left out).
var resetWant = map[string]int{"roles": 1, "users": 1, "access_keys": 1, "ram_groups": 1, "group_members": 1,
	"policies": 1, "policy_versions": 1, "policy_attachments": 2, "sts_sessions": 2, "instances": 1, "client_tokens": 1,
	"bastion_instances": 1}

// nonzero returns the counts of tables with rows, and checks that every
// table comes after the tables with a foreign key to it that the test
// knows of (group_members before users and ram_groups).
func nonzero(t *testing.T, counts []localyun.ResetCount) map[string]int {
	t.Helper()
	out := map[string]int{}
	order := map[string]int{}
	for i, c := range counts {
		order[c.Table] = i
		if c.Rows > 0 {
			out[c.Table] = c.Rows
		}
	}
	if order["group_members"] > order["users"] || order["group_members"] > order["ram_groups"] {
		t.Errorf("reset order %v: group_members after its parents", counts)
	}
	return out
}

func testReset(t *testing.T, open Opener) {
	ctx := context.Background()
	st := open(t)
	resetWorld(t, st, resetA, "a")
	resetWorld(t, st, resetB, "b")
	notified := make(chan string, 16)
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if err := st.ListenAccessChanges(lctx, func(inst string) { notified <- inst }); err != nil {
		t.Fatal(err)
	}
	all := resetPresence(t, st, resetA, "a") // read: cached where a store caches
	for what, ok := range all {
		if !ok {
			t.Fatalf("before the reset: no %s", what)
		}
	}
	dry, err := st.ResetAccount(ctx, resetA, localyun.ResetOptions{DryRun: true})
	if got := nonzero(t, dry); err != nil || !maps.Equal(got, resetWant) {
		t.Fatalf("ResetAccount(dry run) = %v, %v; want %v", got, err, resetWant)
	}
	if got := resetPresence(t, st, resetA, "a"); !maps.Equal(got, all) {
		t.Fatalf("after a dry run: %v, want %v", got, all)
	}
	counts, err := st.ResetAccount(ctx, resetA, localyun.ResetOptions{})
	if err != nil || !slices.Equal(counts, dry) {
		t.Fatalf("ResetAccount = %v, %v; want the dry run's %v", counts, err, dry)
	}
	kept := map[string]bool{"account": true, "root key": true, "event": true}
	for what, ok := range resetPresence(t, st, resetA, "a") {
		if ok != kept[what] {
			t.Errorf("after the reset: found %s = %v, want %v", what, ok, kept[what])
		}
	}
	if got := resetPresence(t, st, resetB, "b"); !maps.Equal(got, all) {
		t.Errorf("the other account after the reset: %v, want %v", got, all)
	}
	select {
	case inst := <-notified:
		if inst != "bastionhost-cn-a" {
			t.Errorf("access change notified for %q, want bastionhost-cn-a", inst)
		}
	case <-time.After(10 * time.Second):
		t.Error("no access change notified for the reset's bastion instance")
	}
	_, err = st.ResetAccount(ctx, "9999999999999999", localyun.ResetOptions{})
	wantKind(t, err, localyun.ErrNotFound)
	_, err = st.ResetAccount(ctx, "9999999999999999", localyun.ResetOptions{DryRun: true})
	wantKind(t, err, localyun.ErrNotFound)
	// The names are free again.
	if err := st.CreateRole(ctx, localyun.Role{ID: "r2", AccountID: resetA, Name: "R", AssumeRolePolicyDocument: "{}", CreatedAt: epoch}); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateInstances(ctx, []localyun.Instance{instance(resetA, "cn-hangzhou", "i-a", "")}); err != nil {
		t.Fatal(err)
	}
	if inst, err := st.FindInstanceByID(ctx, "i-a"); err != nil || inst.RAMRoleName != "" {
		t.Fatalf("FindInstanceByID(recreated) = %+v, %v", inst, err)
	}
}

// testResetEvents checks ClearEvents: the account's events go, the
// reset's own (pending) event is written after, and the other account's
// stay.
func testResetEvents(t *testing.T, open Opener) {
	st := open(t)
	resetWorld(t, st, resetA, "a")
	resetWorld(t, st, resetB, "b")
	ev := sampleEvent(2)
	ev.ID, ev.AccountID, ev.Name = "EV-reset", resetA, "ResetAccount"
	ctx := localyun.WithEvent(context.Background(), ev)
	counts, err := st.ResetAccount(ctx, resetA, localyun.ResetOptions{ClearEvents: true})
	if err != nil || nonzero(t, counts)["events"] != 1 {
		t.Fatalf("ResetAccount(ClearEvents) = %v, %v; want 1 event deleted", counts, err)
	}
	if _, ok := localyun.EventWritten(ctx); !ok {
		t.Fatal("the reset did not write its event")
	}
	wantIDs(t, "account reset", findEvents(t, st, localyun.EventFilter{AccountID: resetA}), "EV-reset")
	wantIDs(t, "other account", findEvents(t, st, localyun.EventFilter{AccountID: resetB}), "EV-b")
}
