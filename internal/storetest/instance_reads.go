package storetest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/localyun/localyun"
)

// byID reads instances of account a by id (the read the role actions make,
// which a store may answer from a cache), as id → role/status/region.
func byID(t *testing.T, st CoreStore, a, region string, ids ...string) map[string]string {
	t.Helper()
	got, total, err := st.FindInstances(context.Background(), localyun.InstanceFilter{AccountID: a, RegionID: region, IDs: ids})
	if err != nil || total != len(got) {
		t.Fatalf("FindInstances %v = %d rows, total %d, %v", ids, len(got), total, err)
	}
	have := map[string]string{}
	for _, in := range got {
		have[in.ID] = in.RAMRoleName + "/" + in.Status + "/" + in.RegionID
	}
	return have
}

// wantByID checks byID against want.
func wantByID(t *testing.T, st CoreStore, a, region, what string, want map[string]string) {
	t.Helper()
	ids := slices.Sorted(maps.Keys(want))
	have := byID(t, st, a, region, ids...)
	for _, id := range ids {
		if have[id] != want[id] {
			t.Fatalf("%s: %s is %q, want %q", what, id, have[id], want[id])
		}
	}
	if len(have) != len(nonEmpty(want)) {
		t.Fatalf("%s: read %v, want %v", what, have, want)
	}
}

func nonEmpty(m map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		if v != "" {
			out[k] = v
		}
	}
	return out
}

// testInstanceReadsFollowWrites: a read of instances by id, made before and
// after every kind of write, always shows the last write (a store that
// caches rows must forget or change them on each write, including the
// failed ones and deletes, and must not answer one account or region with
// another's row).
func testInstanceReadsFollowWrites(t *testing.T, open CoreOpener) {
	ctx := context.Background()
	st := open(t)
	const a, b, hz, bj = "1111111111111111", "2222222222222222", "cn-hangzhou", "cn-beijing"
	MustCreateAccount(t, st, a)
	MustCreateAccount(t, st, b)
	if err := st.CreateInstances(ctx, []localyun.Instance{instance(a, hz, "i-r1", ""), instance(a, hz, "i-r2", "Role"),
		instance(a, bj, "i-r3", "")}); err != nil {
		t.Fatal(err)
	}
	checkInstanceReads(t, st, a, b, hz, bj)

	steps := []struct {
		what  string
		write func() error
		kind  error // nil: the write succeeds
		want  map[string]string
	}{
		{"attach", func() error {
			return st.SetInstancesRAMRole(ctx, a, hz, []localyun.InstanceRoleChange{change("i-r1", "", "New")})
		}, nil, map[string]string{"i-r1": "New/Running/" + hz}},
		{"detach", func() error {
			return st.SetInstancesRAMRole(ctx, a, hz, []localyun.InstanceRoleChange{change("i-r1", "New", ""), change("i-r2", "Role", "")})
		}, nil, map[string]string{"i-r1": "/Running/" + hz, "i-r2": "/Running/" + hz}},
		{"a conflict", func() error {
			return st.SetInstancesRAMRole(ctx, a, hz, []localyun.InstanceRoleChange{change("i-r1", "", "X"), change("i-r2", "Role", "")})
		}, localyun.ErrConflict, map[string]string{"i-r1": "/Running/" + hz, "i-r2": "/Running/" + hz}},
		{"two groups", func() error {
			return st.SetInstancesRAMRole(ctx, a, hz, []localyun.InstanceRoleChange{change("i-r2", "", "B"), change("i-r1", "", "A")})
		}, nil, map[string]string{"i-r1": "A/Running/" + hz, "i-r2": "B/Running/" + hz}},
		{"status", func() error {
			return st.SetInstanceStatus(ctx, a, hz, "i-r2", localyun.StatusRunning, localyun.StatusStopped)
		}, nil, map[string]string{"i-r2": "B/Stopped/" + hz}},
		{"a status conflict", func() error {
			return st.SetInstanceStatus(ctx, a, hz, "i-r2", localyun.StatusRunning, localyun.StatusStopped)
		}, localyun.ErrConflict, map[string]string{"i-r2": "B/Stopped/" + hz}},
		{"a refused delete", func() error {
			return st.DeleteInstances(ctx, a, hz, []string{"i-r1", "i-r2"}, localyun.StatusStopped)
		}, localyun.ErrConflict, map[string]string{"i-r1": "A/Running/" + hz, "i-r2": "B/Stopped/" + hz}},
		{"delete", func() error {
			return st.DeleteInstances(ctx, a, hz, []string{"i-r2"}, localyun.StatusStopped)
		}, nil, map[string]string{"i-r1": "A/Running/" + hz, "i-r2": ""}},
		{"the same id again, in another region", func() error {
			return st.CreateInstances(ctx, []localyun.Instance{instance(a, bj, "i-r2", "C")})
		}, nil, map[string]string{"i-r1": "A/Running/" + hz, "i-r2": "C/Running/" + bj}},
		{"a delete in the other region", func() error {
			return st.DeleteInstances(ctx, a, bj, []string{"i-r2", "i-r3"}, "")
		}, nil, map[string]string{"i-r2": "", "i-r3": ""}},
		{"the same id again, in another account", func() error {
			return st.CreateInstances(ctx, []localyun.Instance{instance(b, hz, "i-r3", "D")})
		}, nil, map[string]string{"i-r1": "A/Running/" + hz, "i-r3": ""}},
	}
	for _, s := range steps {
		err := s.write()
		switch {
		case s.kind == nil && err != nil:
			t.Fatalf("%s: %v", s.what, err)
		case s.kind != nil:
			wantKind(t, err, s.kind)
		}
		wantByID(t, st, a, "", "after "+s.what, s.want)
		wantByID(t, st, a, "", "again after "+s.what, s.want)
	}
	wantByID(t, st, b, "", "the other account's new instance", map[string]string{"i-r3": "D/Running/" + hz})
}

// testInstanceReadsUnderRace: writers change the roles of shared instances
// (compare-and-sets to role names never used twice) and flip their
// statuses while readers read them by id. A read never shows a role that a
// change had replaced before the read began, nor a status older than its
// writer's last, and once everything is over a read by id shows what a
// listing shows.
func testInstanceReadsUnderRace(t *testing.T, open CoreOpener) {
	ctx := context.Background()
	st := open(t)
	const a, hz = "1111111111111111", "cn-shenzhen"
	MustCreateAccount(t, st, a)
	ids := []string{"i-s0", "i-s1"}
	for _, id := range ids {
		if err := st.CreateInstances(ctx, []localyun.Instance{instance(a, hz, id, "R-"+id)}); err != nil {
			t.Fatal(err)
		}
	}
	var (
		mu      sync.Mutex
		retired = map[string]int64{} // role → clock when the change replacing it returned
		clock   atomic.Int64
	)
	// read reads id by id and fails on a role retired before the read began.
	read := func(id string) localyun.Instance {
		began := clock.Load()
		got, _, err := st.FindInstances(ctx, localyun.InstanceFilter{AccountID: a, RegionID: hz, IDs: []string{id}})
		if err != nil || len(got) != 1 {
			t.Errorf("read %s: %v, %v", id, got, err)
			return localyun.Instance{}
		}
		mu.Lock()
		at, ok := retired[got[0].RAMRoleName]
		mu.Unlock()
		if ok && at <= began {
			t.Errorf("read %s: role %s, replaced before the read began", id, got[0].RAMRoleName)
		}
		return got[0]
	}
	const writers, rounds = 6, 150
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for n := range rounds {
				id := ids[(w+n)%len(ids)]
				from := read(id).RAMRoleName
				to := fmt.Sprintf("R-%d-%d", w, n)
				err := st.SetInstancesRAMRole(ctx, a, hz, []localyun.InstanceRoleChange{change(id, from, to)})
				if err != nil && !isConflict(t, err) {
					return
				}
				if err == nil {
					mu.Lock()
					retired[from] = clock.Add(1)
					mu.Unlock()
				}
				read(id)
			}
		})
	}
	stop := make(chan struct{})
	var readers sync.WaitGroup
	for r := range 2 {
		readers.Go(func() {
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				read(ids[(r+n)%len(ids)])
			}
		})
	}
	readers.Go(func() { flipStatuses(t, st, a, hz, ids, stop, read) }) // the one status writer
	wg.Wait()
	close(stop)
	readers.Wait()
	readsMatchListing(t, st, a, hz, read)
}

// isConflict reports whether err is ErrConflict, failing t if it is not.
func isConflict(t *testing.T, err error) bool {
	t.Helper()
	if !errors.Is(err, localyun.ErrConflict) {
		t.Errorf("compare-and-set: %v, want ErrConflict or success", err)
		return false
	}
	return true
}

// checkInstanceReads reads the instances testInstanceReadsFollowWrites
// created, by id, twice, from their account and region and from others; a
// repeated id is one row, and rows come in creation order.
func checkInstanceReads(t *testing.T, st CoreStore, a, b, hz, bj string) {
	t.Helper()
	ctx := context.Background()
	all := map[string]string{"i-r1": "/Running/" + hz, "i-r2": "Role/Running/" + hz, "i-r3": "/Running/" + bj}
	wantByID(t, st, a, "", "first read", all)
	wantByID(t, st, a, "", "second read", all)
	// Another account, another region: not found, however often read.
	for range 2 {
		wantByID(t, st, b, "", "other account", map[string]string{"i-r1": ""})
		wantByID(t, st, a, bj, "other region", map[string]string{"i-r1": "", "i-r3": "/Running/" + bj})
	}
	// A repeated id is one row; rows come in creation order.
	got, total, err := st.FindInstances(ctx, localyun.InstanceFilter{AccountID: a, IDs: []string{"i-r3", "i-r1", "i-r3", "i-r2"}})
	if err != nil || total != 3 || len(got) != 3 || got[0].ID != "i-r1" || got[1].ID != "i-r2" || got[2].ID != "i-r3" {
		t.Fatalf("repeated ids = %+v, %d, %v", got, total, err)
	}
	got, total, _ = st.FindInstances(ctx, localyun.InstanceFilter{AccountID: a, IDs: []string{"i-r3", "i-r1", "i-r2"}, Offset: 1, Limit: 1})
	if total != 3 || len(got) != 1 || got[0].ID != "i-r2" {
		t.Fatalf("a page of ids = %+v, %d", got, total)
	}
}

// flipStatuses flips the statuses of ids, Running and Stopped in turn,
// until stop is closed, reading each back with read: it must show the
// status just set.
func flipStatuses(t *testing.T, st CoreStore, a, hz string, ids []string, stop <-chan struct{}, read func(string) localyun.Instance) {
	ctx := context.Background()
	status := map[string]string{}
	for n := 0; ; n++ {
		select {
		case <-stop:
			return
		default:
		}
		id := ids[n%len(ids)]
		from, to := localyun.StatusRunning, localyun.StatusStopped
		if n/len(ids)%2 == 1 {
			from, to = to, from
		}
		if err := st.SetInstanceStatus(ctx, a, hz, id, from, to); err != nil {
			t.Errorf("status of %s: %v", id, err)
			return
		}
		status[id] = to
		if got := read(id); got.Status != status[id] {
			t.Errorf("%s: status %s after setting %s", id, got.Status, to)
			return
		}
	}
}

// readsMatchListing checks that a read by id shows what a listing shows.
func readsMatchListing(t *testing.T, st CoreStore, a, hz string, read func(string) localyun.Instance) {
	ctx := context.Background()
	listed, _, err := st.FindInstances(ctx, localyun.InstanceFilter{AccountID: a, RegionID: hz})
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range listed {
		if got := read(in.ID); got.RAMRoleName != in.RAMRoleName || got.Status != in.Status || got.Seq != in.Seq ||
			got.Name != in.Name || !got.CreatedAt.Equal(in.CreatedAt) {
			t.Fatalf("%s by id: %+v, listed: %+v", in.ID, got, in)
		}
	}
}
