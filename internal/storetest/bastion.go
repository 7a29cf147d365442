package storetest

import (
	"context"
	"reflect"
	"testing"

	"github.com/localyun/localyun"
)

const (
	bastionAccount = "1111111111111111"
	bastionInst    = "bastionhost-cn-st1"
	bastionInst2   = "bastionhost-cn-st2"
)

// bhBastionWorld creates two bastion instances with their account.
func bhBastionWorld(t *testing.T, open BastionOpener) BastionStore {
	t.Helper()
	st := open(t)
	MustCreateAccount(t, st, bastionAccount)
	for _, id := range []string{bastionInst, bastionInst2} {
		if err := st.CreateBastionInstance(context.Background(), localyun.BastionInstance{ID: id, AccountID: bastionAccount,
			RegionID: "cn-hangzhou", Status: localyun.BastionRunning, CreatedAt: epoch, ExpiresAt: epoch}); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

func bhMustHost(t *testing.T, st BastionStore, inst, name string) localyun.BastionHost {
	t.Helper()
	h, err := st.CreateBastionHost(context.Background(), localyun.BastionHost{InstanceID: inst, Name: name, OSType: "Linux",
		Source: localyun.BastionSourceLocal, ActiveAddressType: localyun.BastionAddressPrivate, PrivateAddress: "10.0.0.1", CreatedAt: epoch})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func bhMustAccount(t *testing.T, st BastionStore, inst, host, name string) localyun.BastionHostAccount {
	t.Helper()
	a, err := st.CreateBastionHostAccount(context.Background(), localyun.BastionHostAccount{InstanceID: inst, HostID: host,
		Name: name, ProtocolName: "SSH", CreatedAt: epoch}, localyun.BastionSecret{Password: "pw-" + name})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func bhMustGroup(t *testing.T, st BastionStore, kind, inst, name string) localyun.BastionGroup {
	t.Helper()
	g, err := st.CreateBastionGroup(context.Background(), localyun.BastionGroup{Kind: kind, InstanceID: inst, Name: name, CreatedAt: epoch})
	if err != nil {
		t.Fatal(err)
	}
	if g.Kind != kind || g.Name != name || g.InstanceID != inst || !g.CreatedAt.Equal(epoch) {
		t.Fatalf("CreateBastionGroup = %+v", g)
	}
	return g
}

func bhMustUserGroup(t *testing.T, st BastionStore, inst, name string) localyun.BastionGroup {
	t.Helper()
	return bhMustGroup(t, st, localyun.BastionGroupUser, inst, name)
}

func bhMustHostGroup(t *testing.T, st BastionStore, inst, name string) localyun.BastionGroup {
	t.Helper()
	return bhMustGroup(t, st, localyun.BastionGroupHost, inst, name)
}

func bhMustUser(t *testing.T, st BastionStore, inst, name string) localyun.BastionUser {
	t.Helper()
	u, err := st.CreateBastionUser(context.Background(), localyun.BastionUser{InstanceID: inst, Name: name, DisplayName: name,
		Source: localyun.BastionUserLocal, TwoFactorMethods: []string{"sms", "email"}, CreatedAt: epoch}, localyun.BastionSecret{Password: "Secret-1" + name})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// bhMemberFacts renders what a membership change saw of each id: changed,
// unchanged (a member already, or not one), or missing (no such user or
// host, or not a well-formed id).
func bhMemberFacts(rs []localyun.BastionMemberChange) []string {
	out := []string{}
	for _, r := range rs {
		fact := "missing"
		switch {
		case r.Exists && r.Changed:
			fact = "changed"
		case r.Exists:
			fact = "unchanged"
		case r.Changed:
			fact = "changed without a member"
		}
		out = append(out, r.ID+":"+fact)
	}
	return out
}

func bhWantStrings(t *testing.T, what string, got, want []string) {
	t.Helper()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s = %q, want %q", what, got, want)
	}
}

func bhHostIDs(hs []localyun.BastionHost) []string {
	out := []string{}
	for _, h := range hs {
		out = append(out, h.ID)
	}
	return out
}

func testBastion(t *testing.T, open BastionOpener) {
	t.Run("Hosts", func(t *testing.T) { testBastionHosts(t, open) })
	t.Run("HostAccounts", func(t *testing.T) { testBastionHostAccounts(t, open) })
	t.Run("Users", func(t *testing.T) { testBastionUsers(t, open) })
	t.Run("Groups", func(t *testing.T) { testBastionGroups(t, open) })
	t.Run("HostGrants", func(t *testing.T) { testBastionHostGrants(t, open) })
	t.Run("BriefListing", func(t *testing.T) { testBastionBriefListing(t, open) })
	t.Run("GrantListingFollowsWrites", func(t *testing.T) { testBastionGrantListingFollowsWrites(t, open) })
	t.Run("GrantListingRace", func(t *testing.T) { testBastionGrantListingRace(t, open) })
	t.Run("HostGroupGrants", func(t *testing.T) { testBastionHostGroupGrants(t, open) })
	t.Run("Cascades", func(t *testing.T) { testBastionCascades(t, open) })
	t.Run("AccessStore", func(t *testing.T) { testBastionAccessStore(t, open) })
}

func testBastionHosts(t *testing.T, open BastionOpener) {
	ctx := context.Background()
	st := bhBastionWorld(t, open)
	_, err := st.CreateBastionHost(ctx, localyun.BastionHost{InstanceID: "bastionhost-none", Name: "x"})
	wantKind(t, err, localyun.ErrNotFound)
	h1 := bhMustHost(t, st, bastionInst, "web")
	h2 := bhMustHost(t, st, bastionInst, "db")
	other := bhMustHost(t, st, bastionInst2, "web")
	if h1.ID != "1" || h2.ID != "2" || other.ID != "1" {
		t.Fatalf("ids %s %s %s, want 1 2 1 (per instance)", h1.ID, h2.ID, other.ID)
	}
	got, err := st.FindBastionHost(ctx, bastionInst, "2")
	if err != nil || got.Name != "db" || got.PrivateAddress != "10.0.0.1" || !got.CreatedAt.Equal(epoch) || got.AccountCount != 0 {
		t.Fatalf("FindBastionHost = %+v, %v", got, err)
	}
	for _, id := range []string{"3", "01", "abc", "", "-1"} {
		_, err = st.FindBastionHost(ctx, bastionInst, id)
		wantKind(t, err, localyun.ErrNotFound)
	}
	from, _ := st.FindBastionHost(ctx, bastionInst, "1")
	to := from
	to.Name, to.PublicAddress, to.OSType = "web2", "1.2.3.4", "Windows"
	err = st.UpdateBastionHost(ctx, from, to)
	if upd, _ := st.FindBastionHost(ctx, bastionInst, "1"); err != nil || upd.Name != "web2" || upd.PublicAddress != "1.2.3.4" ||
		upd.OSType != "Windows" || upd.Comment != from.Comment || !upd.CreatedAt.Equal(epoch) {
		t.Fatalf("UpdateBastionHost = %+v, %v", upd, err)
	}
	// A compare-and-set: an update from a host read before the last one
	// writes nothing.
	stale := to
	stale.Name = "changed"
	wantKind(t, st.UpdateBastionHost(ctx, from, stale), localyun.ErrConflict)
	if h, _ := st.FindBastionHost(ctx, bastionInst, "1"); h.Name != "web2" {
		t.Fatalf("a failed update wrote %q", h.Name)
	}
	missing := to
	missing.ID = "9"
	wantKind(t, st.UpdateBastionHost(ctx, missing, missing), localyun.ErrNotFound)
	// Filters and paging.
	for i := 0; i < 3; i++ {
		bhMustHost(t, st, bastionInst, "bulk")
	}
	hs, total, err := st.FindBastionHosts(ctx, localyun.BastionHostFilter{InstanceID: bastionInst, Offset: 1, Limit: 2})
	if err != nil || total != 5 {
		t.Fatalf("FindBastionHosts total %d, %v", total, err)
	}
	bhWantStrings(t, "page", bhHostIDs(hs), []string{"2", "3"})
	hs, total, _ = st.FindBastionHosts(ctx, localyun.BastionHostFilter{InstanceID: bastionInst, Name: "bulk"})
	bhWantStrings(t, "by name", bhHostIDs(hs), []string{"3", "4", "5"})
	if total != 3 {
		t.Fatalf("by name: total %d", total)
	}
	hs, _, _ = st.FindBastionHosts(ctx, localyun.BastionHostFilter{InstanceID: bastionInst, Address: "1.2.3.4"})
	bhWantStrings(t, "by address", bhHostIDs(hs), []string{"1"})
	hs, _, _ = st.FindBastionHosts(ctx, localyun.BastionHostFilter{InstanceID: bastionInst, OSType: "Windows"})
	bhWantStrings(t, "by os", bhHostIDs(hs), []string{"1"})
	hs, total, _ = st.FindBastionHosts(ctx, localyun.BastionHostFilter{InstanceID: bastionInst, Source: localyun.BastionSourceEcs})
	if total != 0 || len(hs) != 0 {
		t.Fatalf("by source: %v", bhHostIDs(hs))
	}
	hs, _, _ = st.FindBastionHosts(ctx, localyun.BastionHostFilter{InstanceID: bastionInst2})
	bhWantStrings(t, "other instance", bhHostIDs(hs), []string{"1"})
	wantKind(t, st.DeleteBastionHost(ctx, bastionInst, "9"), localyun.ErrNotFound)
	if err := st.DeleteBastionHost(ctx, bastionInst, "2"); err != nil {
		t.Fatal(err)
	}
	wantKind(t, st.DeleteBastionHost(ctx, bastionInst, "2"), localyun.ErrNotFound)
	if h := bhMustHost(t, st, bastionInst, "after"); h.ID != "6" {
		t.Fatalf("id after delete = %s, want 6 (ids are never reused)", h.ID)
	}
}

func testBastionHostAccounts(t *testing.T, open BastionOpener) {
	ctx := context.Background()
	st := bhBastionWorld(t, open)
	h := bhMustHost(t, st, bastionInst, "web")
	h2 := bhMustHost(t, st, bastionInst, "db")
	_, err := st.CreateBastionHostAccount(ctx, localyun.BastionHostAccount{InstanceID: bastionInst, HostID: "9", Name: "root", ProtocolName: "SSH"}, localyun.BastionSecret{})
	wantKind(t, err, localyun.ErrNotFound)
	a := bhMustAccount(t, st, bastionInst, h.ID, "root")
	if a.ID != "1" || a.HostID != h.ID || !a.HasPassword {
		t.Fatalf("account %+v", a)
	}
	_, err = st.CreateBastionHostAccount(ctx, localyun.BastionHostAccount{InstanceID: bastionInst, HostID: h.ID, Name: "root", ProtocolName: "SSH"}, localyun.BastionSecret{})
	wantKind(t, err, localyun.ErrAlreadyExists)
	rdp, err := st.CreateBastionHostAccount(ctx, localyun.BastionHostAccount{InstanceID: bastionInst, HostID: h.ID, Name: "root", ProtocolName: "RDP"}, localyun.BastionSecret{})
	if err != nil || rdp.HasPassword {
		t.Fatalf("same name, other protocol: %+v, %v", rdp, err)
	}
	bhMustAccount(t, st, bastionInst, h2.ID, "root")
	sec, err := st.FindBastionHostAccountSecret(ctx, bastionInst, a.ID)
	if err != nil || sec.Password != "pw-root" {
		t.Fatalf("secret %+v, %v", sec, err)
	}
	to := a
	to.Name, to.PrivateKeyFingerprint = "admin", "SHA256:x"
	empty, key := "", "KEY"
	err = st.UpdateBastionHostAccount(ctx, a, to, localyun.BastionSecretUpdate{Password: &empty, PrivateKey: &key})
	if upd, _ := st.FindBastionHostAccount(ctx, bastionInst, a.ID); err != nil || upd.Name != "admin" || upd.HasPassword ||
		upd.PrivateKeyFingerprint != "SHA256:x" {
		t.Fatalf("update %+v, %v", upd, err)
	}
	if sec, _ := st.FindBastionHostAccountSecret(ctx, bastionInst, a.ID); sec.PrivateKey != "KEY" || sec.Password != "" {
		t.Fatalf("secret after update %+v", sec)
	}
	// Credentials the update does not set stay.
	phrase := "phrase"
	if err := st.UpdateBastionHostAccount(ctx, to, to, localyun.BastionSecretUpdate{PassPhrase: &phrase}); err != nil {
		t.Fatal(err)
	}
	if sec, _ := st.FindBastionHostAccountSecret(ctx, bastionInst, a.ID); sec != (localyun.BastionSecret{PrivateKey: "KEY", PassPhrase: "phrase"}) {
		t.Fatalf("secret after a passphrase update %+v", sec)
	}
	wantKind(t, st.UpdateBastionHostAccount(ctx, a, a, localyun.BastionSecretUpdate{}), localyun.ErrConflict)
	taken := rdp
	taken.Name, taken.ProtocolName = "admin", "SSH"
	wantKind(t, st.UpdateBastionHostAccount(ctx, rdp, taken, localyun.BastionSecretUpdate{}), localyun.ErrAlreadyExists)
	as, total, err := st.FindBastionHostAccounts(ctx, localyun.BastionHostAccountFilter{InstanceID: bastionInst, HostIDs: []string{h.ID}})
	if err != nil || total != 2 || len(as) != 2 || as[0].ID != "1" || as[1].ID != "2" {
		t.Fatalf("FindBastionHostAccounts = %+v, %d, %v", as, total, err)
	}
	as, total, _ = st.FindBastionHostAccounts(ctx, localyun.BastionHostAccountFilter{InstanceID: bastionInst, Name: "root", ProtocolName: "SSH"})
	if total != 1 || as[0].HostID != h2.ID {
		t.Fatalf("by name and protocol: %+v", as)
	}
	if got, _ := st.FindBastionHost(ctx, bastionInst, h.ID); got.AccountCount != 2 {
		t.Fatalf("AccountCount = %d, want 2", got.AccountCount)
	}
	if err := st.DeleteBastionHostAccount(ctx, bastionInst, a.ID); err != nil {
		t.Fatal(err)
	}
	_, err = st.FindBastionHostAccount(ctx, bastionInst, a.ID)
	wantKind(t, err, localyun.ErrNotFound)
	_, err = st.FindBastionHostAccountSecret(ctx, bastionInst, a.ID)
	wantKind(t, err, localyun.ErrNotFound)
	wantKind(t, st.DeleteBastionHostAccount(ctx, bastionInst, a.ID), localyun.ErrNotFound)
}

func testBastionUsers(t *testing.T, open BastionOpener) {
	ctx := context.Background()
	st := bhBastionWorld(t, open)
	u := bhMustUser(t, st, bastionInst, "alice")
	if u.ID != "1" || !reflect.DeepEqual(u.TwoFactorMethods, []string{"sms", "email"}) {
		t.Fatalf("user %+v", u)
	}
	_, err := st.CreateBastionUser(ctx, localyun.BastionUser{InstanceID: bastionInst, Name: "alice", Source: "Local"}, localyun.BastionSecret{})
	wantKind(t, err, localyun.ErrAlreadyExists)
	bob := bhMustUser(t, st, bastionInst, "bob")
	if sec, err := st.FindBastionUserSecret(ctx, bastionInst, bob.ID); err != nil || sec.Password != "Secret-1bob" {
		t.Fatalf("user secret %+v, %v", sec, err)
	}
	past := epoch.Add(-1)
	to := bob
	to.EffectiveEndTime, to.Mobile, to.TwoFactorMethods, to.NeedResetPassword = past.Unix()-10, "138", nil, true
	password := "New-pass1"
	if err := st.UpdateBastionUser(ctx, bob, to, localyun.BastionSecretUpdate{Password: &password}); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.FindBastionUser(ctx, bastionInst, bob.ID); got.Mobile != "138" || got.TwoFactorMethods != nil ||
		!got.NeedResetPassword || got.DisplayName != "bob" {
		t.Fatalf("user after update %+v", got)
	}
	wantKind(t, st.UpdateBastionUser(ctx, bob, bob, localyun.BastionSecretUpdate{}), localyun.ErrConflict)
	if sec, _ := st.FindBastionUserSecret(ctx, bastionInst, bob.ID); sec.Password != "New-pass1" {
		t.Fatalf("password not updated: %+v", sec)
	}
	names := func(f localyun.BastionUserFilter) []string {
		f.InstanceID, f.Now = bastionInst, epoch
		us, total, err := st.FindBastionUsers(ctx, f)
		if err != nil || total != len(us) {
			t.Fatalf("FindBastionUsers(%+v) total %d, %v", f, total, err)
		}
		out := []string{}
		for _, u := range us {
			out = append(out, u.Name)
		}
		return out
	}
	bhWantStrings(t, "all", names(localyun.BastionUserFilter{}), []string{"alice", "bob"})
	bhWantStrings(t, "expired", names(localyun.BastionUserFilter{State: localyun.BastionUserExpired}), []string{"bob"})
	bhWantStrings(t, "normal", names(localyun.BastionUserFilter{State: localyun.BastionUserNormal}), []string{"alice"})
	bhWantStrings(t, "frozen", names(localyun.BastionUserFilter{State: localyun.BastionUserFrozen}), nil)
	bhWantStrings(t, "mobile", names(localyun.BastionUserFilter{Mobile: "138"}), []string{"bob"})
	bhWantStrings(t, "name", names(localyun.BastionUserFilter{Name: "alice"}), []string{"alice"})
	bhWantStrings(t, "group none", names(localyun.BastionUserFilter{UserGroupID: "99"}), nil)
	g := bhMustUserGroup(t, st, bastionInst, "ops")
	if _, err := st.AddBastionGroupMembers(ctx, localyun.BastionGroupUser, bastionInst, g.ID, []string{bob.ID}); err != nil {
		t.Fatal(err)
	}
	bhWantStrings(t, "group", names(localyun.BastionUserFilter{UserGroupID: g.ID}), []string{"bob"})
	if err := st.DeleteBastionUser(ctx, bastionInst, bob.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.FindBastionGroup(ctx, localyun.BastionGroupUser, bastionInst, g.ID); got.MemberCount != 0 {
		t.Fatalf("MemberCount after deleting the member = %d", got.MemberCount)
	}
	wantKind(t, st.DeleteBastionUser(ctx, bastionInst, bob.ID), localyun.ErrNotFound)
	wantKind(t, st.UpdateBastionUser(ctx, to, to, localyun.BastionSecretUpdate{}), localyun.ErrNotFound)
}

func testBastionGroups(t *testing.T, open BastionOpener) {
	ctx := context.Background()
	st := bhBastionWorld(t, open)
	g := bhMustUserGroup(t, st, bastionInst, "ops")
	_, err := st.CreateBastionGroup(ctx, localyun.BastionGroup{Kind: localyun.BastionGroupUser, InstanceID: bastionInst, Name: "ops"})
	wantKind(t, err, localyun.ErrAlreadyExists)
	g2 := bhMustUserGroup(t, st, bastionInst, "dev")
	taken := g2
	taken.Name = "ops"
	wantKind(t, st.UpdateBastionGroup(ctx, g2, taken), localyun.ErrAlreadyExists)
	commented := g2
	commented.Comment = "c"
	err = st.UpdateBastionGroup(ctx, g2, commented)
	if upd, _ := st.FindBastionGroup(ctx, localyun.BastionGroupUser, bastionInst, g2.ID); err != nil || upd.Comment != "c" || upd.Name != "dev" {
		t.Fatalf("update %+v %v", upd, err)
	}
	wantKind(t, st.UpdateBastionGroup(ctx, g2, commented), localyun.ErrConflict)
	a, b := bhMustUser(t, st, bastionInst, "a"), bhMustUser(t, st, bastionInst, "b")
	users := func(add bool, group string, ids ...string) ([]localyun.BastionMemberChange, error) {
		if add {
			return st.AddBastionGroupMembers(ctx, localyun.BastionGroupUser, bastionInst, group, ids)
		}
		return st.RemoveBastionGroupMembers(ctx, localyun.BastionGroupUser, bastionInst, group, ids)
	}
	res, err := users(true, g.ID, a.ID, b.ID, "77", "x1")
	if err != nil {
		t.Fatal(err)
	}
	bhWantStrings(t, "add", bhMemberFacts(res), []string{"1:changed", "2:changed", "77:missing", "x1:missing"})
	res, _ = users(true, g.ID, a.ID)
	bhWantStrings(t, "re-add", bhMemberFacts(res), []string{"1:unchanged"})
	_, err = users(true, "42", a.ID)
	wantKind(t, err, localyun.ErrNotFound)
	gs, total, err := st.FindBastionGroups(ctx, localyun.BastionGroupFilter{Kind: localyun.BastionGroupUser, InstanceID: bastionInst})
	if err != nil || total != 2 || gs[0].MemberCount != 2 || gs[1].MemberCount != 0 || gs[0].Kind != localyun.BastionGroupUser {
		t.Fatalf("FindBastionGroups %+v %d %v", gs, total, err)
	}
	res, _ = users(false, g.ID, a.ID, a.ID, "77")
	bhWantStrings(t, "remove", bhMemberFacts(res), []string{"1:changed", "1:unchanged", "77:missing"})
	gs, _, _ = st.FindBastionGroups(ctx, localyun.BastionGroupFilter{Kind: localyun.BastionGroupUser, InstanceID: bastionInst, Name: "ops"})
	if len(gs) != 1 || gs[0].MemberCount != 1 {
		t.Fatalf("by name %+v", gs)
	}
	_, _, err = st.FindBastionGroups(ctx, localyun.BastionGroupFilter{Kind: localyun.BastionGroupUser, InstanceID: bastionInst,
		Grantee: &localyun.BastionGrantee{Kind: localyun.GranteeUser, ID: a.ID}})
	wantKind(t, err, localyun.ErrInvalid)
	testBastionHostGroups(t, st)
	if err := st.DeleteBastionGroup(ctx, localyun.BastionGroupUser, bastionInst, g.ID); err != nil {
		t.Fatal(err)
	}
	_, err = st.FindBastionGroup(ctx, localyun.BastionGroupUser, bastionInst, g.ID)
	wantKind(t, err, localyun.ErrNotFound)
	if _, err := st.FindBastionUser(ctx, bastionInst, a.ID); err != nil {
		t.Fatalf("deleting a group deleted its member: %v", err)
	}
}

// testBastionHostGroups: host groups are the same as user groups, in
// their own tables (ids and names are per kind).
func testBastionHostGroups(t *testing.T, st BastionStore) {
	ctx := context.Background()
	hg := bhMustHostGroup(t, st, bastionInst, "web")
	if hg.ID != "1" {
		t.Fatalf("host group %+v", hg)
	}
	_, err := st.CreateBastionGroup(ctx, localyun.BastionGroup{Kind: localyun.BastionGroupHost, InstanceID: bastionInst, Name: "web"})
	wantKind(t, err, localyun.ErrAlreadyExists)
	_, err = st.CreateBastionGroup(ctx, localyun.BastionGroup{Kind: "none", InstanceID: bastionInst, Name: "web"})
	wantKind(t, err, localyun.ErrInvalid)
	h1, h2 := bhMustHost(t, st, bastionInst, "h1"), bhMustHost(t, st, bastionInst, "h2")
	res, _ := st.AddBastionGroupMembers(ctx, localyun.BastionGroupHost, bastionInst, hg.ID, []string{h1.ID, h2.ID, "9"})
	bhWantStrings(t, "add hosts", bhMemberFacts(res), []string{"1:changed", "2:changed", "9:missing"})
	hs, _, _ := st.FindBastionHosts(ctx, localyun.BastionHostFilter{InstanceID: bastionInst, HostGroupID: hg.ID})
	bhWantStrings(t, "hosts of group", bhHostIDs(hs), []string{"1", "2"})
	res, _ = st.RemoveBastionGroupMembers(ctx, localyun.BastionGroupHost, bastionInst, hg.ID, []string{h1.ID})
	bhWantStrings(t, "remove hosts", bhMemberFacts(res), []string{"1:changed"})
	got, _ := st.FindBastionGroup(ctx, localyun.BastionGroupHost, bastionInst, hg.ID)
	if got.MemberCount != 1 || got.Kind != localyun.BastionGroupHost {
		t.Fatalf("host group %+v", got)
	}
	renamed := got
	renamed.Name = "web2"
	err = st.UpdateBastionGroup(ctx, got, renamed)
	if upg, _ := st.FindBastionGroup(ctx, localyun.BastionGroupHost, bastionInst, hg.ID); err != nil || upg.Name != "web2" {
		t.Fatalf("update host group %+v %v", upg, err)
	}
	hgs, total, _ := st.FindBastionGroups(ctx, localyun.BastionGroupFilter{Kind: localyun.BastionGroupHost, InstanceID: bastionInst, Name: "web2"})
	if total != 1 || hgs[0].ID != hg.ID {
		t.Fatalf("FindBastionGroups %+v", hgs)
	}
	if err := st.DeleteBastionGroup(ctx, localyun.BastionGroupHost, bastionInst, hg.ID); err != nil {
		t.Fatal(err)
	}
	wantKind(t, st.DeleteBastionGroup(ctx, localyun.BastionGroupHost, bastionInst, hg.ID), localyun.ErrNotFound)
	wantKind(t, st.UpdateBastionGroup(ctx, renamed, renamed), localyun.ErrNotFound)
}

// testBastionBriefListing: the listing of a grantee's hosts (the fields of
// ListHostsForUser/UserGroup) pages, counts and follows every write to the
// hosts it shows.
func testBastionBriefListing(t *testing.T, open BastionOpener) {
	ctx := context.Background()
	st := bhBastionWorld(t, open)
	var hosts []localyun.BastionHost
	for _, name := range []string{"h1", "h2", "h3", "h4", "h5"} {
		hosts = append(hosts, bhMustHost(t, st, bastionInst, name))
	}
	g := localyun.BastionGrantee{Kind: localyun.GranteeUserGroup, ID: bhMustUserGroup(t, st, bastionInst, "ops").ID}
	empty := localyun.BastionGrantee{Kind: localyun.GranteeUserGroup, ID: bhMustUserGroup(t, st, bastionInst, "none").ID}
	var req []localyun.BastionHostGrant
	for _, h := range hosts[1:] {
		req = append(req, localyun.BastionHostGrant{HostID: h.ID})
	}
	bhMustChangeHostGrants(t, st, g, true, req)
	page := func(g localyun.BastionGrantee, name string, offset, limit int) ([]localyun.BastionHost, int, error) {
		return st.FindBastionHosts(ctx, localyun.BastionHostFilter{InstanceID: bastionInst, Grantee: &g, Authorized: true,
			Brief: true, Name: name, Offset: offset, Limit: limit})
	}
	want := func(what string, hs []localyun.BastionHost, total int, err error, wantIDs []string, wantTotal int) {
		t.Helper()
		if err != nil || total != wantTotal {
			t.Fatalf("%s: total %d, %v; want %d", what, total, err, wantTotal)
		}
		bhWantStrings(t, what, bhHostIDs(hs), wantIDs)
	}
	hs, total, err := page(g, "", 0, 2)
	want("first page", hs, total, err, []string{hosts[1].ID, hosts[2].ID}, 4)
	if h := hs[0]; h.Name != "h2" || h.OSType != "Linux" || h.ActiveAddressType != localyun.BastionAddressPrivate ||
		h.PrivateAddress != "10.0.0.1" || h.InstanceID != bastionInst {
		t.Fatalf("brief host = %+v", h)
	}
	hs, total, err = page(g, "", 2, 2)
	want("second page", hs, total, err, []string{hosts[3].ID, hosts[4].ID}, 4)
	hs, total, err = page(g, "", 10, 2)
	want("past the end", hs, total, err, nil, 4)
	hs, total, err = page(g, "", 0, 0)
	want("no limit", hs, total, err, []string{hosts[1].ID, hosts[2].ID, hosts[3].ID, hosts[4].ID}, 4)
	hs, total, err = page(g, "", 1, 0)
	want("no limit, offset", hs, total, err, []string{hosts[2].ID, hosts[3].ID, hosts[4].ID}, 4)
	hs, total, err = page(g, "h3", 0, 2)
	want("by name", hs, total, err, []string{hosts[2].ID}, 1)
	hs, total, err = page(empty, "", 0, 2)
	want("no grants", hs, total, err, nil, 0)
	_, _, err = page(localyun.BastionGrantee{Kind: localyun.GranteeUserGroup, ID: "99"}, "", 0, 2)
	wantKind(t, err, localyun.ErrNotFound)

	// Every write to a listed host shows in the next listing.
	renamed := hosts[1]
	renamed.Name, renamed.Comment, renamed.PublicAddress = "renamed", "c", "47.0.0.1"
	if err := st.UpdateBastionHost(ctx, hosts[1], renamed); err != nil {
		t.Fatal(err)
	}
	hs, _, _ = page(g, "", 0, 1)
	if len(hs) != 1 || hs[0].Name != "renamed" || hs[0].Comment != "c" || hs[0].PublicAddress != "47.0.0.1" {
		t.Fatalf("after update: %+v", hs)
	}
	if err := st.DeleteBastionHost(ctx, bastionInst, hosts[1].ID); err != nil {
		t.Fatal(err)
	}
	hs, total, err = page(g, "", 0, 10)
	want("after delete", hs, total, err, []string{hosts[2].ID, hosts[3].ID, hosts[4].ID}, 3)
	bhMustChangeHostGrants(t, st, g, false, []localyun.BastionHostGrant{{HostID: hosts[3].ID}})
	hs, total, err = page(g, "", 0, 10)
	want("after detach", hs, total, err, []string{hosts[2].ID, hosts[4].ID}, 2)
}

func testBastionCascades(t *testing.T, open BastionOpener) {
	ctx := context.Background()
	st := bhBastionWorld(t, open)
	h1, h2 := bhMustHost(t, st, bastionInst, "h1"), bhMustHost(t, st, bastionInst, "h2")
	a1 := bhMustAccount(t, st, bastionInst, h1.ID, "root")
	a2 := bhMustAccount(t, st, bastionInst, h2.ID, "root")
	ug := localyun.BastionGrantee{Kind: localyun.GranteeUserGroup, ID: bhMustUserGroup(t, st, bastionInst, "ops").ID}
	u := localyun.BastionGrantee{Kind: localyun.GranteeUser, ID: bhMustUser(t, st, bastionInst, "alice").ID}
	hg := bhMustHostGroup(t, st, bastionInst, "web")
	for _, g := range []localyun.BastionGrantee{ug, u} {
		bhMustChangeHostGrants(t, st, g, true, []localyun.BastionHostGrant{
			{HostID: h1.ID, AccountIDs: []string{a1.ID}}, {HostID: h2.ID, AccountIDs: []string{a2.ID}}})
		bhMustChangeHostGroupGrants(t, st, g, true, []localyun.BastionHostGroupGrant{{HostGroupID: hg.ID, AccountNames: []string{"root"}}})
	}
	// Deleting an account removes its grants; the host grant stays.
	if err := st.DeleteBastionHostAccount(ctx, bastionInst, a2.ID); err != nil {
		t.Fatal(err)
	}
	for _, g := range []localyun.BastionGrantee{ug, u} {
		bhWantStrings(t, "hosts after account delete", bhGrantedHosts(t, st, g, true), []string{h1.ID, h2.ID})
		bhWantStrings(t, "h2 accounts", bhAuthorizedAccounts(t, st, g, h2.ID), nil)
	}
	// A new account with the old name is not granted.
	a3 := bhMustAccount(t, st, bastionInst, h2.ID, "root")
	bhWantStrings(t, "new account", bhAuthorizedAccounts(t, st, ug, h2.ID), nil)
	_ = a3
	// Deleting a host removes its accounts and every grant on them.
	if err := st.DeleteBastionHost(ctx, bastionInst, h1.ID); err != nil {
		t.Fatal(err)
	}
	_, err := st.FindBastionHostAccount(ctx, bastionInst, a1.ID)
	wantKind(t, err, localyun.ErrNotFound)
	for _, g := range []localyun.BastionGrantee{ug, u} {
		bhWantStrings(t, "hosts after host delete", bhGrantedHosts(t, st, g, true), []string{h2.ID})
	}
	// A new host never inherits grants.
	h4 := bhMustHost(t, st, bastionInst, "h1")
	bhWantStrings(t, "new host", bhGrantedHosts(t, st, ug, false), []string{h4.ID})
	// Deleting a host group removes its grants.
	if err := st.DeleteBastionGroup(ctx, localyun.BastionGroupHost, bastionInst, hg.ID); err != nil {
		t.Fatal(err)
	}
	hg2 := bhMustHostGroup(t, st, bastionInst, "web")
	for _, g := range []localyun.BastionGrantee{ug, u} {
		names, err := st.FindBastionHostGroupAccountNames(ctx, bastionInst, g, hg2.ID)
		if err != nil || len(names) != 0 {
			t.Fatalf("names on a recreated host group: %v %v", names, err)
		}
	}
	// Deleting the grantees removes their grants: re-created grantees start empty.
	if err := st.DeleteBastionGroup(ctx, localyun.BastionGroupUser, bastionInst, ug.ID); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteBastionUser(ctx, bastionInst, u.ID); err != nil {
		t.Fatal(err)
	}
	_, _, err = st.FindBastionHosts(ctx, localyun.BastionHostFilter{InstanceID: bastionInst, Grantee: &ug, Authorized: true})
	wantKind(t, err, localyun.ErrNotFound)
	ug2 := localyun.BastionGrantee{Kind: localyun.GranteeUserGroup, ID: bhMustUserGroup(t, st, bastionInst, "ops").ID}
	u2 := localyun.BastionGrantee{Kind: localyun.GranteeUser, ID: bhMustUser(t, st, bastionInst, "alice").ID}
	for _, g := range []localyun.BastionGrantee{ug2, u2} {
		bhWantStrings(t, "grants of a recreated grantee", bhGrantedHosts(t, st, g, true), nil)
	}
}
