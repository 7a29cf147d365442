package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/localyun/localyun"
)

// The grant listing (ListHostsForUserGroup and ListHostsForUser: a page of
// a grantee's hosts, brief) right after every write that changes what it
// shows. A store may keep what it lists (the SQLite store does); each step
// lists first, so that a store that forgets to drop what it kept after a
// write serves the listing of before the write, and fails here.

// bhGrantPage lists the hosts g holds, as ListHostsFor* asks: brief, one
// page of up to 20.
func bhGrantPage(st BastionStore, g localyun.BastionGrantee) ([]string, int, error) {
	hs, total, err := st.FindBastionHosts(context.Background(), localyun.BastionHostFilter{InstanceID: bastionInst, Grantee: &g,
		Authorized: true, Brief: true, Limit: 20})
	return bhHostIDs(hs), total, err
}

// bhWantGrantPage checks the listing of g: the hosts want, and as many in
// the total.
func bhWantGrantPage(t *testing.T, st BastionStore, what string, g localyun.BastionGrantee, want ...string) {
	t.Helper()
	ids, total, err := bhGrantPage(st, g)
	if err != nil || total != len(want) {
		t.Fatalf("%s: listing %q, total %d, %v; want %q", what, ids, total, err, want)
	}
	bhWantStrings(t, what, ids, want)
}

func testBastionGrantListingFollowsWrites(t *testing.T, open BastionOpener) {
	for _, kind := range []string{localyun.GranteeUserGroup, localyun.GranteeUser} {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			st := bhBastionWorld(t, open)
			h1, h2, h3 := bhMustHost(t, st, bastionInst, "h1"), bhMustHost(t, st, bastionInst, "h2"), bhMustHost(t, st, bastionInst, "h3")
			a1 := bhMustAccount(t, st, bastionInst, h1.ID, "root")
			newGrantee := func(name string) localyun.BastionGrantee {
				if kind == localyun.GranteeUser {
					return localyun.BastionGrantee{Kind: kind, ID: bhMustUser(t, st, bastionInst, name).ID}
				}
				return localyun.BastionGrantee{Kind: kind, ID: bhMustUserGroup(t, st, bastionInst, name).ID}
			}
			g, other := newGrantee("g"), newGrantee("other")
			bhMustChangeHostGrants(t, st, other, true, []localyun.BastionHostGrant{{HostID: h3.ID}})
			bhWantGrantPage(t, st, "other", other, h3.ID)

			bhWantGrantPage(t, st, "no grants yet", g)
			bhMustChangeHostGrants(t, st, g, true, []localyun.BastionHostGrant{{HostID: h1.ID, AccountIDs: []string{a1.ID}}, {HostID: h2.ID}})
			bhWantGrantPage(t, st, "after attach", g, h1.ID, h2.ID)
			bhMustChangeHostGrants(t, st, g, false, []localyun.BastionHostGrant{{HostID: h1.ID}})
			bhWantGrantPage(t, st, "after detach", g, h2.ID)
			bhMustChangeHostGrants(t, st, g, true, []localyun.BastionHostGrant{{HostID: h1.ID}})
			bhWantGrantPage(t, st, "after attach again", g, h1.ID, h2.ID)
			bhWantGrantPage(t, st, "other, unchanged", other, h3.ID)

			renamed := h1
			renamed.Name, renamed.PublicAddress = "h1-renamed", "47.0.0.1"
			if err := st.UpdateBastionHost(ctx, h1, renamed); err != nil {
				t.Fatal(err)
			}
			if hs, _, err := st.FindBastionHosts(ctx, localyun.BastionHostFilter{InstanceID: bastionInst, Grantee: &g,
				Authorized: true, Brief: true, Limit: 20}); err != nil || len(hs) != 2 || hs[0].Name != "h1-renamed" ||
				hs[0].PublicAddress != "47.0.0.1" {
				t.Fatalf("after the host's update: %+v, %v", hs, err)
			}

			if err := st.DeleteBastionHost(ctx, bastionInst, h2.ID); err != nil {
				t.Fatal(err)
			}
			bhWantGrantPage(t, st, "after the host's delete", g, h1.ID)
			h4 := bhMustHost(t, st, bastionInst, "h2")
			bhWantGrantPage(t, st, "a new host is not granted", g, h1.ID)
			bhMustChangeHostGrants(t, st, g, true, []localyun.BastionHostGrant{{HostID: h4.ID}, {HostID: h3.ID}})
			bhWantGrantPage(t, st, "after attaching the new host", g, h1.ID, h3.ID, h4.ID)

			var err error
			if kind == localyun.GranteeUser {
				err = st.DeleteBastionUser(ctx, bastionInst, g.ID)
			} else {
				err = st.DeleteBastionGroup(ctx, localyun.BastionGroupUser, bastionInst, g.ID)
			}
			if err != nil {
				t.Fatal(err)
			}
			_, _, err = bhGrantPage(st, g)
			wantKind(t, err, localyun.ErrNotFound)
			bhWantGrantPage(t, st, "other, after the grantee's delete", other, h3.ID)
			if err := st.DeleteBastionHost(ctx, bastionInst, h3.ID); err != nil {
				t.Fatal(err)
			}
			bhWantGrantPage(t, st, "other, after its host's delete", other)
		})
	}
}

// testBastionGrantListingRace attaches and detaches a host over and over
// while other goroutines list the grantee's hosts without pause (filling
// whatever the store keeps with listings read around each write): the
// listing right after a write returns always shows that write.
func testBastionGrantListingRace(t *testing.T, open BastionOpener) {
	st := bhBastionWorld(t, open)
	h1, h2 := bhMustHost(t, st, bastionInst, "h1"), bhMustHost(t, st, bastionInst, "h2")
	g := localyun.BastionGrantee{Kind: localyun.GranteeUserGroup, ID: bhMustUserGroup(t, st, bastionInst, "ops").ID}
	bhMustChangeHostGrants(t, st, g, true, []localyun.BastionHostGrant{{HostID: h1.ID}})
	stop := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 3 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				// (A store may count and page in two statements, so the
				// total of a listing concurrent with a write may be off.)
				ids, _, err := bhGrantPage(st, g)
				if err != nil || len(ids) == 0 || ids[0] != h1.ID {
					errs <- fmt.Errorf("concurrent listing %q, %v", ids, err)
					return
				}
			}
		})
	}
	check := func(what string, want ...string) error {
		ids, total, err := bhGrantPage(st, g)
		if err != nil || total != len(want) || fmt.Sprint(ids) != fmt.Sprint(want) {
			return fmt.Errorf("%s: listing %q, total %d, %v; want %q", what, ids, total, err, want)
		}
		return nil
	}
	var failed error
	for i := 0; i < 300 && failed == nil; i++ {
		if _, err := bhChangeHostGrants(st, g, true, []localyun.BastionHostGrant{{HostID: h2.ID}}); err != nil {
			failed = err
			break
		}
		if failed = check(fmt.Sprintf("round %d, after attach", i), h1.ID, h2.ID); failed != nil {
			break
		}
		if _, err := bhChangeHostGrants(st, g, false, []localyun.BastionHostGrant{{HostID: h2.ID}}); err != nil {
			failed = err
			break
		}
		failed = check(fmt.Sprintf("round %d, after detach", i), h1.ID)
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		failed = errors.Join(failed, err)
	}
	if failed != nil {
		t.Fatal(failed)
	}
}
