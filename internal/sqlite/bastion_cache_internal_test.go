package sqlite

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/localyun/localyun"
)

// TestGrantCacheKeepsNoListReadBeforeAWrite plays the interleaving the
// race in storetest (GrantListingRace) only meets by chance: a listing
// reads a grantee's hosts, a detach commits and forgets the list, and only
// then does the listing try to keep what it read. It must not be kept: the
// next listing shows the detach.
func TestGrantCacheKeepsNoListReadBeforeAWrite(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now()
	const inst = "bastionhost-cn-cache"
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(st.CreateAccount(ctx, localyun.Account{ID: "1000000000000001", Name: "a", CreatedAt: now}))
	must(st.CreateBastionInstance(ctx, localyun.BastionInstance{ID: inst, AccountID: "1000000000000001", RegionID: "cn-hangzhou",
		Status: localyun.BastionRunning, CreatedAt: now, ExpiresAt: now}))
	h, err := st.CreateBastionHost(ctx, localyun.BastionHost{InstanceID: inst, Name: "h", OSType: "Linux", CreatedAt: now})
	must(err)
	grp, err := st.CreateBastionGroup(ctx, localyun.BastionGroup{Kind: localyun.BastionGroupUser, InstanceID: inst, Name: "g", CreatedAt: now})
	must(err)
	g := localyun.BastionGrantee{Kind: localyun.GranteeUserGroup, ID: grp.ID}
	_, err = st.ApplyBastionHostGrants(ctx, inst, g, 0, []localyun.BastionHostGrantChange{{Op: localyun.BastionGrantAdd, HostID: h.ID}})
	must(err)
	list := func() []string {
		t.Helper()
		hs, total, err := st.FindBastionHosts(ctx, localyun.BastionHostFilter{InstanceID: inst, Grantee: &g, Authorized: true,
			Brief: true, Limit: 20})
		must(err)
		var ids []string
		for _, h := range hs {
			ids = append(ids, h.ID)
		}
		if total != len(ids) {
			t.Fatalf("listing %q, total %d", ids, total)
		}
		return ids
	}

	n, _ := localyun.ParseBastionID(grp.ID)
	key := bhGranteeKey{inst, g.Kind, n}
	_, gen, cached := st.hostGrants.get(key) // the listing misses ...
	if cached {
		t.Fatal("the grant list is cached before any listing")
	}
	stale := bhGranted{briefOf(h)} // ... and reads the grant, before the detach commits
	_, err = st.ApplyBastionHostGrants(ctx, inst, g, 0, []localyun.BastionHostGrantChange{{Op: localyun.BastionGrantRevoke, HostID: h.ID}})
	must(err)
	st.hostGrants.put(key, stale, gen) // then tries to keep what it read
	if got := list(); len(got) != 0 {
		t.Fatalf("listing after the detach = %q, want none", got)
	}
	if ids, _, cached := st.hostGrants.get(key); !cached || len(ids) != 0 {
		t.Fatalf("cached list after a listing = %v, %v; want an empty one", ids, cached)
	}
	_, err = st.ApplyBastionHostGrants(ctx, inst, g, 0, []localyun.BastionHostGrantChange{{Op: localyun.BastionGrantAdd, HostID: h.ID}})
	must(err)
	if got := list(); !slices.Equal(got, []string{h.ID}) {
		t.Fatalf("listing after the attach = %q, want %q", got, h.ID)
	}
}
