package storetest

import (
	"context"
	"testing"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/bastionhost"
)

// The grant suites. The store reports facts and applies row changes
// (testBastionGrantStore); what a batch of the API means per item is the
// Bastionhost service's rule, so the batch tests run through the service
// over the store under test, on every backend.

// bhGrants is the Bastionhost service over st, acting for bastionAccount.
func bhGrants(st BastionStore) (*bastionhost.Service, context.Context) {
	ctx := localyun.NewContextWithPrincipal(context.Background(),
		localyun.Principal{AccountID: bastionAccount, Type: localyun.PrincipalTypeRoot})
	return bastionhost.NewService(st, bastionhost.Options{}), ctx
}

func bhGranteeRef(g localyun.BastionGrantee) bastionhost.GranteeRef {
	return bastionhost.GranteeRef{InstanceRef: bastionhost.InstanceRef{InstanceID: bastionInst}, Grantee: g}
}

// bhChangeHostGrants runs Attach (attach) or DetachHostAccountsTo/From the
// grantee's kind.
func bhChangeHostGrants(st BastionStore, g localyun.BastionGrantee, attach bool, req []localyun.BastionHostGrant) ([]localyun.BastionHostGrantResult, error) {
	s, ctx := bhGrants(st)
	in := bastionhost.HostGrantsInput{GranteeRef: bhGranteeRef(g), Hosts: req}
	switch {
	case attach && g.Kind == localyun.GranteeUser:
		return s.AttachHostAccountsToUser(ctx, in)
	case attach:
		return s.AttachHostAccountsToUserGroup(ctx, in)
	case g.Kind == localyun.GranteeUser:
		return s.DetachHostAccountsFromUser(ctx, in)
	}
	return s.DetachHostAccountsFromUserGroup(ctx, in)
}

// bhChangeHostGroupGrants runs Attach (attach) or
// DetachHostGroupAccountsTo/From the grantee's kind.
func bhChangeHostGroupGrants(st BastionStore, g localyun.BastionGrantee, attach bool, req []localyun.BastionHostGroupGrant) ([]localyun.BastionHostGroupGrantResult, error) {
	s, ctx := bhGrants(st)
	in := bastionhost.HostGroupGrantsInput{GranteeRef: bhGranteeRef(g), HostGroups: req}
	switch {
	case attach && g.Kind == localyun.GranteeUser:
		return s.AttachHostGroupAccountsToUser(ctx, in)
	case attach:
		return s.AttachHostGroupAccountsToUserGroup(ctx, in)
	case g.Kind == localyun.GranteeUser:
		return s.DetachHostGroupAccountsFromUser(ctx, in)
	}
	return s.DetachHostGroupAccountsFromUserGroup(ctx, in)
}

// bhMustChangeHostGrants is bhChangeHostGrants that must succeed.
func bhMustChangeHostGrants(t *testing.T, st BastionStore, g localyun.BastionGrantee, attach bool, req []localyun.BastionHostGrant) {
	t.Helper()
	if _, err := bhChangeHostGrants(st, g, attach, req); err != nil {
		t.Fatal(err)
	}
}

// bhMustChangeHostGroupGrants is bhChangeHostGroupGrants that must succeed.
func bhMustChangeHostGroupGrants(t *testing.T, st BastionStore, g localyun.BastionGrantee, attach bool, req []localyun.BastionHostGroupGrant) {
	t.Helper()
	if _, err := bhChangeHostGroupGrants(st, g, attach, req); err != nil {
		t.Fatal(err)
	}
}

func bhHostGrantOutcomes(rs []localyun.BastionHostGrantResult) []string {
	out := []string{}
	for _, r := range rs {
		out = append(out, r.HostID+":"+r.Outcome)
		for _, a := range r.Accounts {
			out = append(out, r.HostID+"/"+a.ID+":"+a.Outcome)
		}
	}
	return out
}

// bhAuthorizedAccounts lists the account ids g holds on host.
func bhAuthorizedAccounts(t *testing.T, st BastionStore, g localyun.BastionGrantee, host string) []string {
	t.Helper()
	as, _, err := st.FindBastionHostAccountGrants(context.Background(), g, localyun.BastionHostAccountFilter{InstanceID: bastionInst, HostIDs: []string{host}})
	if err != nil {
		t.Fatal(err)
	}
	out := []string{}
	for _, a := range as {
		if a.Authorized {
			out = append(out, a.ID)
		}
	}
	return out
}

// bhGrantedHosts lists the hosts g holds (or does not hold), checking that
// the brief listing gives the same hosts.
func bhGrantedHosts(t *testing.T, st BastionStore, g localyun.BastionGrantee, authorized bool) []string {
	t.Helper()
	f := localyun.BastionHostFilter{InstanceID: bastionInst, Grantee: &g, Authorized: authorized}
	hs, total, err := st.FindBastionHosts(context.Background(), f)
	if err != nil || total != len(hs) {
		t.Fatalf("FindBastionHosts(grantee) total %d, %v", total, err)
	}
	f.Brief = true
	brief, total, err := st.FindBastionHosts(context.Background(), f)
	if err != nil || total != len(hs) {
		t.Fatalf("FindBastionHosts(grantee, brief) total %d, %v", total, err)
	}
	bhWantStrings(t, "brief listing", bhHostIDs(brief), bhHostIDs(hs))
	return bhHostIDs(hs)
}

func testBastionHostGrants(t *testing.T, open BastionOpener) {
	t.Run("Store", func(t *testing.T) { testBastionGrantStore(t, open) })
	for _, kind := range []string{localyun.GranteeUserGroup, localyun.GranteeUser} {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			st := bhBastionWorld(t, open)
			h1, h2, h3 := bhMustHost(t, st, bastionInst, "h1"), bhMustHost(t, st, bastionInst, "h2"), bhMustHost(t, st, bastionInst, "h3")
			a1, a2 := bhMustAccount(t, st, bastionInst, h1.ID, "root"), bhMustAccount(t, st, bastionInst, h1.ID, "app")
			b1 := bhMustAccount(t, st, bastionInst, h2.ID, "root")
			g := localyun.BastionGrantee{Kind: kind}
			if kind == localyun.GranteeUser {
				g.ID = bhMustUser(t, st, bastionInst, "alice").ID
			} else {
				g.ID = bhMustUserGroup(t, st, bastionInst, "ops").ID
			}
			_, err := bhChangeHostGrants(st, localyun.BastionGrantee{Kind: kind, ID: "99"}, true, []localyun.BastionHostGrant{{HostID: h1.ID}})
			bhWantCode(t, err, "OBJECT_NOT_FOUND")
			res, err := bhChangeHostGrants(st, g, true, []localyun.BastionHostGrant{
				{HostID: h1.ID, AccountIDs: []string{a1.ID, b1.ID, "x"}}, {HostID: h2.ID}, {HostID: "77", AccountIDs: []string{"1"}}})
			if err != nil {
				t.Fatal(err)
			}
			bhWantStrings(t, "attach", bhHostGrantOutcomes(res), []string{"1:changed", "1/1:changed", "1/3:missing", "1/x:invalid",
				"2:changed", "77:missing", "77/1:missing"})
			bhWantStrings(t, "granted hosts", bhGrantedHosts(t, st, g, true), []string{"1", "2"})
			bhWantStrings(t, "ungranted hosts", bhGrantedHosts(t, st, g, false), []string{h3.ID})
			bhWantStrings(t, "accounts of h1", bhAuthorizedAccounts(t, st, g, h1.ID), []string{a1.ID})
			res, _ = bhChangeHostGrants(st, g, true, []localyun.BastionHostGrant{{HostID: h2.ID}, {HostID: h1.ID, AccountIDs: []string{a1.ID, a2.ID}}})
			bhWantStrings(t, "re-attach", bhHostGrantOutcomes(res), []string{"2:unchanged", "1:changed", "1/1:unchanged", "1/2:changed"})
			// Detach accounts only: the host grant stays.
			res, _ = bhChangeHostGrants(st, g, false, []localyun.BastionHostGrant{{HostID: h1.ID, AccountIDs: []string{a1.ID, b1.ID}}})
			bhWantStrings(t, "detach accounts", bhHostGrantOutcomes(res), []string{"1:changed", "1/1:changed", "1/3:missing"})
			bhWantStrings(t, "accounts after detach", bhAuthorizedAccounts(t, st, g, h1.ID), []string{a2.ID})
			bhWantStrings(t, "hosts after account detach", bhGrantedHosts(t, st, g, true), []string{"1", "2"})
			res, _ = bhChangeHostGrants(st, g, false, []localyun.BastionHostGrant{{HostID: h1.ID, AccountIDs: []string{a1.ID}}})
			bhWantStrings(t, "detach again", bhHostGrantOutcomes(res), []string{"1:changed", "1/1:unchanged"})
			// Detach the host: its account grants go too.
			res, _ = bhChangeHostGrants(st, g, false, []localyun.BastionHostGrant{{HostID: h1.ID}, {HostID: h3.ID}})
			bhWantStrings(t, "detach hosts", bhHostGrantOutcomes(res), []string{"1:changed", "3:unchanged"})
			bhWantStrings(t, "accounts after host detach", bhAuthorizedAccounts(t, st, g, h1.ID), nil)
			bhWantStrings(t, "hosts after host detach", bhGrantedHosts(t, st, g, true), []string{"2"})
			_, _, err = st.FindBastionHostAccountGrants(ctx, g, localyun.BastionHostAccountFilter{InstanceID: bastionInst, HostIDs: []string{"77"}})
			wantKind(t, err, localyun.ErrNotFound)
			_, _, err = st.FindBastionHosts(ctx, localyun.BastionHostFilter{InstanceID: bastionInst, Grantee: &localyun.BastionGrantee{Kind: kind, ID: "99"}})
			wantKind(t, err, localyun.ErrNotFound)
		})
	}
}

// bhWantCode fails unless err is the API error code.
func bhWantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := localyun.ErrorCode(err); got != code {
		t.Fatalf("got error %v, want code %s", err, code)
	}
}

func testBastionHostGroupGrants(t *testing.T, open BastionOpener) {
	for _, kind := range []string{localyun.GranteeUserGroup, localyun.GranteeUser} {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			st := bhBastionWorld(t, open)
			g := localyun.BastionGrantee{Kind: kind}
			if kind == localyun.GranteeUser {
				g.ID = bhMustUser(t, st, bastionInst, "alice").ID
			} else {
				g.ID = bhMustUserGroup(t, st, bastionInst, "ops").ID
			}
			hg1 := bhMustHostGroup(t, st, bastionInst, "web")
			hg2 := bhMustHostGroup(t, st, bastionInst, "db")
			res, err := bhChangeHostGroupGrants(st, g, true, []localyun.BastionHostGroupGrant{
				{HostGroupID: hg1.ID, AccountNames: []string{"root", "app"}}, {HostGroupID: "9"}})
			if err != nil {
				t.Fatal(err)
			}
			if len(res) != 2 || res[0].Outcome != localyun.OutcomeChanged || len(res[0].AccountNames) != 2 ||
				res[0].AccountNames[1].Outcome != localyun.OutcomeChanged || res[1].Outcome != localyun.OutcomeMissing {
				t.Fatalf("attach host groups %+v", res)
			}
			res, _ = bhChangeHostGroupGrants(st, g, true, []localyun.BastionHostGroupGrant{{HostGroupID: hg1.ID}})
			if res[0].Outcome != localyun.OutcomeUnchanged {
				t.Fatalf("re-attach %+v", res)
			}
			names, err := st.FindBastionHostGroupAccountNames(ctx, bastionInst, g, hg1.ID)
			bhWantStrings(t, "names", names, []string{"app", "root"})
			if err != nil {
				t.Fatal(err)
			}
			gs, total, err := st.FindBastionGroups(ctx, localyun.BastionGroupFilter{Kind: localyun.BastionGroupHost, InstanceID: bastionInst, Grantee: &g, Authorized: true})
			if err != nil || total != 1 || gs[0].ID != hg1.ID {
				t.Fatalf("authorized host groups %+v %v", gs, err)
			}
			gs, _, _ = st.FindBastionGroups(ctx, localyun.BastionGroupFilter{Kind: localyun.BastionGroupHost, InstanceID: bastionInst, Grantee: &g})
			if len(gs) != 1 || gs[0].ID != hg2.ID {
				t.Fatalf("unauthorized host groups %+v", gs)
			}
			res, _ = bhChangeHostGroupGrants(st, g, false, []localyun.BastionHostGroupGrant{{HostGroupID: hg1.ID, AccountNames: []string{"root", "nobody"}}})
			if res[0].AccountNames[0].Outcome != localyun.OutcomeChanged || res[0].AccountNames[1].Outcome != localyun.OutcomeUnchanged {
				t.Fatalf("detach names %+v", res)
			}
			names, _ = st.FindBastionHostGroupAccountNames(ctx, bastionInst, g, hg1.ID)
			bhWantStrings(t, "names after detach", names, []string{"app"})
			res, _ = bhChangeHostGroupGrants(st, g, false, []localyun.BastionHostGroupGrant{{HostGroupID: hg1.ID}})
			if res[0].Outcome != localyun.OutcomeChanged {
				t.Fatalf("detach group %+v", res)
			}
			names, _ = st.FindBastionHostGroupAccountNames(ctx, bastionInst, g, hg1.ID)
			bhWantStrings(t, "names after group detach", names, nil)
			_, err = st.FindBastionHostGroupAccountNames(ctx, bastionInst, g, "9")
			wantKind(t, err, localyun.ErrNotFound)
			_, err = st.FindBastionHostGroupAccountNames(ctx, bastionInst, localyun.BastionGrantee{Kind: kind, ID: "99"}, hg1.ID)
			wantKind(t, err, localyun.ErrNotFound)
		})
	}
}

// testBastionGrantStore: the grant store reports the targets that exist
// and applies changes as told, each reporting whether it changed a row; a
// batch whose targets are gone writes nothing and is a conflict.
// grantStoreWorld is the world of testBastionGrantStore: hosts h1 (with
// accounts a1, a2) and h2 (with b1), a host of the other instance, and the
// user group g.
type grantStoreWorld struct {
	h1, h2, other localyun.BastionHost
	a1, a2, b1    localyun.BastionHostAccount
	g             localyun.BastionGrantee
}

func testBastionGrantStore(t *testing.T, open BastionOpener) {
	st := bhBastionWorld(t, open)
	var w grantStoreWorld
	w.h1, w.h2 = bhMustHost(t, st, bastionInst, "h1"), bhMustHost(t, st, bastionInst, "h2")
	w.a1, w.a2 = bhMustAccount(t, st, bastionInst, w.h1.ID, "root"), bhMustAccount(t, st, bastionInst, w.h1.ID, "app")
	w.b1 = bhMustAccount(t, st, bastionInst, w.h2.ID, "root")
	w.other = bhMustHost(t, st, bastionInst2, "elsewhere")
	w.g = localyun.BastionGrantee{Kind: localyun.GranteeUserGroup, ID: bhMustUserGroup(t, st, bastionInst, "ops").ID}
	testBastionGrantTargets(t, st, w)
	testBastionGrantApply(t, st, w)
	testBastionHostGroupGrantStore(t, st, w.g)
}

// testBastionGrantTargets: the facts FindBastionHostGrantTargets reports.
func testBastionGrantTargets(t *testing.T, st BastionStore, w grantStoreWorld) {
	ctx := context.Background()
	h1, h2, a1, b1, other, g := w.h1, w.h2, w.a1, w.b1, w.other, w.g
	tg, err := st.FindBastionHostGrantTargets(ctx, bastionInst, g, []string{h1.ID, h2.ID, "77", "x", "02"},
		[]string{a1.ID, b1.ID, "99", "01"})
	if err != nil || !tg.GranteeExists || len(tg.Hosts) != 2 || !tg.Hosts[h1.ID] || !tg.Hosts[h2.ID] ||
		len(tg.AccountHosts) != 2 || tg.AccountHosts[a1.ID] != h1.ID || tg.AccountHosts[b1.ID] != h2.ID {
		t.Fatalf("targets %+v, %v", tg, err)
	}
	for _, missing := range []localyun.BastionGrantee{{Kind: g.Kind, ID: "99"}, {Kind: g.Kind, ID: "x"}, {Kind: localyun.GranteeUser, ID: g.ID}} {
		if tg, err := st.FindBastionHostGrantTargets(ctx, bastionInst, missing, []string{h1.ID}, nil); err != nil || tg.GranteeExists {
			t.Fatalf("targets of %+v: %+v, %v", missing, tg, err)
		}
	}
	// Ids are per instance: in the other one, host 1 is another host.
	tg, err = st.FindBastionHostGrantTargets(ctx, bastionInst2, g, []string{other.ID, h2.ID}, []string{a1.ID})
	if err != nil || tg.GranteeExists || len(tg.Hosts) != 1 || !tg.Hosts[other.ID] || len(tg.AccountHosts) != 0 {
		t.Fatalf("targets in another instance: %+v, %v", tg, err)
	}
}

// testBastionGrantApply: ApplyBastionHostGrants reports what each change
// changed, and writes nothing when a target is gone or the version is stale.
func testBastionGrantApply(t *testing.T, st BastionStore, w grantStoreWorld) {
	ctx := context.Background()
	h1, h2, a1, a2, b1, g := w.h1, w.h2, w.a1, w.a2, w.b1, w.g
	grant := func(host, account string) localyun.BastionHostGrantChange {
		return localyun.BastionHostGrantChange{Op: localyun.BastionGrantAdd, HostID: host, AccountID: account}
	}
	revoke := func(host, account string) localyun.BastionHostGrantChange {
		return localyun.BastionHostGrantChange{Op: localyun.BastionGrantRevoke, HostID: host, AccountID: account}
	}
	apply := func(what string, want []bool, changes ...localyun.BastionHostGrantChange) {
		t.Helper()
		got, err := st.ApplyBastionHostGrants(ctx, bastionInst, g, 0, changes)
		if err != nil || len(got) != len(want) {
			t.Fatalf("%s: %v, %v; want %v", what, got, err, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("%s: changed %v, want %v", what, got, want)
			}
		}
	}
	apply("grant", []bool{true, true, false, true}, grant(h1.ID, ""), grant(h1.ID, a1.ID), grant(h1.ID, a1.ID), grant(h2.ID, ""))
	bhWantStrings(t, "granted hosts", bhGrantedHosts(t, st, g, true), []string{h1.ID, h2.ID})
	bhWantStrings(t, "granted accounts", bhAuthorizedAccounts(t, st, g, h1.ID), []string{a1.ID})
	apply("revoke accounts", []bool{false, true}, revoke(h1.ID, a2.ID), revoke(h1.ID, a1.ID))
	bhWantStrings(t, "hosts after account revoke", bhGrantedHosts(t, st, g, true), []string{h1.ID, h2.ID})
	apply("grant again", []bool{false, true, true}, grant(h1.ID, ""), grant(h1.ID, a1.ID), grant(h1.ID, a2.ID))
	// Revoking a host revokes its account grants.
	apply("revoke host", []bool{true, false}, revoke(h1.ID, ""), revoke(h1.ID, a1.ID))
	bhWantStrings(t, "accounts after host revoke", bhAuthorizedAccounts(t, st, g, h1.ID), nil)

	// Targets gone: a conflict, and nothing written.
	conflict := func(what string, g localyun.BastionGrantee, changes ...localyun.BastionHostGrantChange) {
		t.Helper()
		_, err := st.ApplyBastionHostGrants(ctx, bastionInst, g, 0, changes)
		wantKind(t, err, localyun.ErrConflict)
		bhWantStrings(t, what+": granted hosts", bhGrantedHosts(t, st, g, true), []string{h2.ID})
	}
	conflict("missing host", g, grant(h1.ID, ""), grant("77", ""))
	conflict("account of another host", g, grant(h1.ID, ""), grant(h1.ID, b1.ID))
	conflict("missing account", g, grant(h1.ID, ""), grant(h1.ID, "99"))
	conflict("revoke of a missing host", g, revoke(h2.ID, ""), revoke("77", ""))
	if err := st.DeleteBastionHostAccount(ctx, bastionInst, a2.ID); err != nil {
		t.Fatal(err)
	}
	conflict("deleted account", g, grant(h1.ID, ""), grant(h1.ID, a2.ID))
	// The version of a read: unchanged since, the changes apply; a write
	// since (here: a host deleted) makes the store check the targets again.
	h3 := bhMustHost(t, st, bastionInst, "h3")
	tg, err := st.FindBastionHostGrantTargets(ctx, bastionInst, g, []string{h2.ID, h3.ID}, nil)
	if err != nil || !tg.Hosts[h3.ID] {
		t.Fatalf("targets %+v, %v", tg, err)
	}
	changed, err := st.ApplyBastionHostGrants(ctx, bastionInst, g, tg.Version, []localyun.BastionHostGrantChange{grant(h3.ID, "")})
	if err != nil || len(changed) != 1 || !changed[0] {
		t.Fatalf("apply at the version read: %v, %v", changed, err)
	}
	tg, _ = st.FindBastionHostGrantTargets(ctx, bastionInst, g, []string{h2.ID, h3.ID}, nil)
	if err := st.DeleteBastionHost(ctx, bastionInst, h3.ID); err != nil {
		t.Fatal(err)
	}
	_, err = st.ApplyBastionHostGrants(ctx, bastionInst, g, tg.Version, []localyun.BastionHostGrantChange{revoke(h2.ID, ""), revoke(h3.ID, "")})
	wantKind(t, err, localyun.ErrConflict)
	bhWantStrings(t, "granted hosts after a stale version", bhGrantedHosts(t, st, g, true), []string{h2.ID})
	_, err = st.ApplyBastionHostGrants(ctx, bastionInst, localyun.BastionGrantee{Kind: g.Kind, ID: "99"}, 0, []localyun.BastionHostGrantChange{grant(h1.ID, "")})
	wantKind(t, err, localyun.ErrConflict)
	_, err = st.ApplyBastionHostGrants(ctx, bastionInst, g, 0, []localyun.BastionHostGrantChange{{Op: "toggle", HostID: h1.ID}})
	wantKind(t, err, localyun.ErrInvalid)
}

// testBastionHostGroupGrantStore: the same for host-group grants.
func testBastionHostGroupGrantStore(t *testing.T, st BastionStore, g localyun.BastionGrantee) {
	ctx := context.Background()
	hg := bhMustHostGroup(t, st, bastionInst, "web")
	hg2 := bhMustHostGroup(t, st, bastionInst, "db")
	hgt, err := st.FindBastionHostGroupGrantTargets(ctx, bastionInst, g, []string{hg.ID, "9", "y"})
	if err != nil || !hgt.GranteeExists || len(hgt.HostGroups) != 1 || !hgt.HostGroups[hg.ID] {
		t.Fatalf("host group targets %+v, %v", hgt, err)
	}
	group := func(op localyun.BastionGrantOp, id, name string) localyun.BastionHostGroupGrantChange {
		return localyun.BastionHostGroupGrantChange{Op: op, HostGroupID: id, AccountName: name}
	}
	add, rm := localyun.BastionGrantAdd, localyun.BastionGrantRevoke
	changed, err := st.ApplyBastionHostGroupGrants(ctx, bastionInst, g, hgt.Version, []localyun.BastionHostGroupGrantChange{
		group(add, hg.ID, ""), group(add, hg.ID, "root"), group(add, hg.ID, "root"), group(rm, hg.ID, "app")})
	if err != nil || len(changed) != 4 || !changed[0] || !changed[1] || changed[2] || changed[3] {
		t.Fatalf("host group changes %v, %v", changed, err)
	}
	hgt, _ = st.FindBastionHostGroupGrantTargets(ctx, bastionInst, g, []string{hg.ID, hg2.ID})
	if err := st.DeleteBastionGroup(ctx, localyun.BastionGroupHost, bastionInst, hg2.ID); err != nil {
		t.Fatal(err)
	}
	_, err = st.ApplyBastionHostGroupGrants(ctx, bastionInst, g, hgt.Version, []localyun.BastionHostGroupGrantChange{group(rm, hg.ID, ""), group(rm, hg2.ID, "")})
	wantKind(t, err, localyun.ErrConflict)
	_, err = st.ApplyBastionHostGroupGrants(ctx, bastionInst, g, 0, []localyun.BastionHostGroupGrantChange{group(rm, hg.ID, ""), group(rm, "9", "")})
	wantKind(t, err, localyun.ErrConflict)
	names, _ := st.FindBastionHostGroupAccountNames(ctx, bastionInst, g, hg.ID)
	bhWantStrings(t, "names after conflict", names, []string{"root"})
	changed, err = st.ApplyBastionHostGroupGrants(ctx, bastionInst, g, 0, []localyun.BastionHostGroupGrantChange{group(rm, hg.ID, "")})
	if err != nil || len(changed) != 1 || !changed[0] {
		t.Fatalf("revoke host group %v, %v", changed, err)
	}
	names, _ = st.FindBastionHostGroupAccountNames(ctx, bastionInst, g, hg.ID)
	bhWantStrings(t, "names after host group revoke", names, nil)
}
