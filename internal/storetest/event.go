package storetest

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/localyun/localyun"
)

// EventStore is what the audit-trail suite needs: events, and roles to
// write a change that carries a request's event.
type EventStore interface {
	localyun.AccountStore
	localyun.RoleStore
	localyun.EventStore
}

// EventOpener returns a fresh, empty, migrated store for one test.
type EventOpener func(t *testing.T) EventStore

// RunEvents runs the behaviour tests of the audit trail.
func RunEvents(t *testing.T, open EventOpener) {
	t.Run("EventRoundTrip", func(t *testing.T) { testEventRoundTrip(t, open(t)) })
	t.Run("EventOrder", func(t *testing.T) { testEventOrder(t, open(t)) })
	t.Run("EventPagingUnderInserts", func(t *testing.T) { testEventPaging(t, open(t)) })
	t.Run("EventAttributes", func(t *testing.T) { testEventAttributes(t, open(t)) })
	t.Run("EventWindowAndAccount", func(t *testing.T) { testEventWindow(t, open(t)) })
	t.Run("EventRetention", func(t *testing.T) { testEventRetention(t, open(t)) })
	t.Run("EventRidesOnWrite", func(t *testing.T) { testEventRidesOnWrite(t, open(t)) })
	t.Run("EventConcurrentWrites", func(t *testing.T) { testEventConcurrentWrites(t, open(t)) })
}

// testEventConcurrentWrites: concurrent writes, half of which fail (a
// SQLite batch shares one transaction between them, each in its own
// savepoint): exactly the writes that succeeded have their events.
func testEventConcurrentWrites(t *testing.T, st EventStore) {
	MustCreateAccount(t, st, eventAccount)
	const n = 32
	var mu sync.Mutex
	var wg sync.WaitGroup
	var ok []string
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ev := sampleEvent(i)
			name := fmt.Sprintf("r%d", i/2) // two writers a name: one fails
			ctx := localyun.WithEvent(context.Background(), ev)
			err := st.CreateRole(ctx, localyun.Role{ID: "3" + name, AccountID: eventAccount, Name: name,
				AssumeRolePolicyDocument: "{}", CreatedAt: epoch})
			_, written := localyun.EventWritten(ctx)
			if (err == nil) != written {
				t.Errorf("%s: err %v, event written %v", ev.ID, err, written)
			}
			if err == nil {
				mu.Lock()
				ok = append(ok, ev.ID)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(ok) != n/2 {
		t.Fatalf("%d writes succeeded, want %d", len(ok), n/2)
	}
	got := eventIDs(findEvents(t, st, localyun.EventFilter{Forward: true}))
	sort.Strings(ok)
	sort.Strings(got)
	if !reflect.DeepEqual(got, ok) {
		t.Fatalf("events %v, want the successful writes %v", got, ok)
	}
}

const eventAccount, otherEventAccount = "1000000000000001", "1000000000000002"

// sampleEvent is a full event of eventAccount at epoch+i seconds.
func sampleEvent(i int) localyun.Event {
	return localyun.Event{
		ID: fmt.Sprintf("EV-%04d", i), Name: "DetachInstanceRamRole", Time: epoch.Add(time.Duration(i) * time.Second),
		Source: "ecs.aliyuncs.com", Type: localyun.EventTypeAPICall, RW: localyun.EventWrite, Region: "cn-hangzhou",
		Service: "Ecs", SourceIP: "127.0.0.1", UserAgent: "test", RequestID: fmt.Sprintf("RID-%04d", i),
		Parameters: map[string]string{"InstanceIds": `["i-1"]`, "AccessKeyId": "AK"},
		Identity: localyun.EventIdentity{Type: localyun.IdentityUser, PrincipalID: "2000", AccountID: eventAccount,
			AccessKeyID: "LTAIuser", UserName: "alice"},
		Resources:  []localyun.EventResource{{Type: "ACS::ECS::Instance", Name: "i-1"}, {Type: "ACS::ECS::Instance", Name: "i-2"}},
		AccountID:  eventAccount,
		Additional: map[string]string{"Scheme": "http"},
	}
}

func mustAppend(t *testing.T, st EventStore, evs ...localyun.Event) {
	t.Helper()
	if err := st.AppendEvents(context.Background(), evs); err != nil {
		t.Fatal(err)
	}
}

func findEvents(t *testing.T, st EventStore, f localyun.EventFilter) []localyun.Event {
	t.Helper()
	if f.AccountID == "" {
		f.AccountID = eventAccount
	}
	evs, err := st.FindEvents(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func eventIDs(evs []localyun.Event) []string {
	out := []string{}
	for _, e := range evs {
		out = append(out, e.ID)
	}
	return out
}

func wantIDs(t *testing.T, what string, evs []localyun.Event, want ...string) {
	t.Helper()
	if want == nil {
		want = []string{}
	}
	if got := eventIDs(evs); !reflect.DeepEqual(got, want) {
		t.Fatalf("%s: got %v, want %v", what, got, want)
	}
}

func testEventRoundTrip(t *testing.T, st EventStore) {
	ev := sampleEvent(1)
	ev.Time = ev.Time.Add(1234567 * time.Nanosecond) // kept to the millisecond
	ev.ErrorCode, ev.ErrorMessage = "NoPermission", "denied"
	ev.Identity.CreationDate, ev.Identity.MFAAuthenticated = epoch, true
	mustAppend(t, st, ev)
	got := findEvents(t, st, localyun.EventFilter{})
	if len(got) != 1 || got[0].Seq == 0 {
		t.Fatalf("got %+v", got)
	}
	want := ev
	want.Time, want.Seq = epoch.Add(time.Second+time.Millisecond), got[0].Seq
	if !reflect.DeepEqual(got[0], want) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got[0], want)
	}
}

func testEventOrder(t *testing.T, st EventStore) {
	// 3 and 4 share a millisecond: their order is the order they were written.
	a, b, c, d := sampleEvent(1), sampleEvent(2), sampleEvent(3), sampleEvent(4)
	d.Time = c.Time
	mustAppend(t, st, b, a)
	mustAppend(t, st, c)
	mustAppend(t, st, d)
	wantIDs(t, "backward", findEvents(t, st, localyun.EventFilter{}), "EV-0004", "EV-0003", "EV-0002", "EV-0001")
	wantIDs(t, "forward", findEvents(t, st, localyun.EventFilter{Forward: true}), "EV-0001", "EV-0002", "EV-0003", "EV-0004")
	wantIDs(t, "limit", findEvents(t, st, localyun.EventFilter{Limit: 1}), "EV-0004")
	all := findEvents(t, st, localyun.EventFilter{Forward: true})
	cur := all[2].Cursor() // EV-0003
	wantIDs(t, "forward after", findEvents(t, st, localyun.EventFilter{Forward: true, After: &cur}), "EV-0004")
	wantIDs(t, "backward after", findEvents(t, st, localyun.EventFilter{After: &cur}), "EV-0002", "EV-0001")
}

// pageAll reads every page of f, size 3.
func pageAll(t *testing.T, st EventStore, f localyun.EventFilter) []localyun.Event {
	var out []localyun.Event
	f.Limit = 3
	for {
		page := findEvents(t, st, f)
		out = append(out, page...)
		if len(page) < f.Limit {
			return out
		}
		cur := page[len(page)-1].Cursor()
		f.After = &cur
	}
}

func testEventPaging(t *testing.T, st EventStore) {
	var before []string
	for i := range 20 {
		ev := sampleEvent(i)
		ev.Time = epoch.Add(time.Duration(i/2) * time.Second) // pairs share a time
		mustAppend(t, st, ev)
		before = append(before, ev.ID)
	}
	for _, forward := range []bool{true, false} {
		var wg sync.WaitGroup
		stop := make(chan struct{})
		wg.Add(1)
		go func() { // events newer than all, written while the pages are read
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				ev := sampleEvent(1000 + i)
				ev.ID = fmt.Sprintf("NEW-%v-%d", forward, i)
				ev.Time = epoch.Add(time.Hour)
				if err := st.AppendEvents(context.Background(), []localyun.Event{ev}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
		got := pageAll(t, st, localyun.EventFilter{Forward: forward, End: epoch.Add(time.Minute)})
		close(stop)
		wg.Wait()
		want := before
		if !forward {
			want = reversed(before)
		}
		if ids := eventIDs(got); !reflect.DeepEqual(ids, want) {
			t.Fatalf("forward=%v: pages %v, want %v", forward, ids, want)
		}
		// Without an end, every page is in order and no event repeats.
		got = pageAll(t, st, localyun.EventFilter{Forward: forward})
		seen := map[string]bool{}
		for i, e := range got {
			if seen[e.ID] {
				t.Fatalf("forward=%v: %s twice", forward, e.ID)
			}
			seen[e.ID] = true
			if i > 0 && (e.Time.Before(got[i-1].Time) == forward && !e.Time.Equal(got[i-1].Time)) {
				t.Fatalf("forward=%v: out of order at %d", forward, i)
			}
		}
	}
}

func reversed(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[len(s)-1-i] = v
	}
	return out
}

func testEventAttributes(t *testing.T, st EventStore) {
	a, b, c := sampleEvent(1), sampleEvent(2), sampleEvent(3)
	b.Service, b.Name, b.RW, b.Identity.UserName, b.Identity.AccessKeyID = "Ram", "CreateRole", localyun.EventRead, "bob", "LTAIbob"
	b.Resources = []localyun.EventResource{{Type: "ACS::RAM::Role", Name: "r1"}, {Type: "ACS::RAM::Policy", Name: "p1"}}
	c.Resources = []localyun.EventResource{{Type: "ACS::ECS::Instance", Name: "i-10"}}
	c.Identity.UserName = "alice"
	mustAppend(t, st, a, b, c)
	for _, tc := range []struct {
		attrs []localyun.LookupAttribute
		want  []string
	}{
		{[]localyun.LookupAttribute{{Key: localyun.LookupServiceName, Value: "Ram"}}, []string{"EV-0002"}},
		{[]localyun.LookupAttribute{{Key: localyun.LookupEventName, Value: "DetachInstanceRamRole"}}, []string{"EV-0003", "EV-0001"}},
		{[]localyun.LookupAttribute{{Key: localyun.LookupUser, Value: "bob"}}, []string{"EV-0002"}},
		{[]localyun.LookupAttribute{{Key: localyun.LookupEventID, Value: "EV-0003"}}, []string{"EV-0003"}},
		{[]localyun.LookupAttribute{{Key: localyun.LookupResourceType, Value: "ACS::RAM::Policy"}}, []string{"EV-0002"}},
		{[]localyun.LookupAttribute{{Key: localyun.LookupResourceType, Value: "ACS::ECS"}}, nil},
		{[]localyun.LookupAttribute{{Key: localyun.LookupResourceName, Value: "i-2"}}, []string{"EV-0001"}},
		{[]localyun.LookupAttribute{{Key: localyun.LookupResourceName, Value: "i-1"}}, []string{"EV-0001"}},
		{[]localyun.LookupAttribute{{Key: localyun.LookupEventRW, Value: "Read"}}, []string{"EV-0002"}},
		{[]localyun.LookupAttribute{{Key: localyun.LookupEventAccessKeyID, Value: "LTAIbob"}}, []string{"EV-0002"}},
		{[]localyun.LookupAttribute{{Key: localyun.LookupUser, Value: "alice"}, {Key: localyun.LookupResourceName, Value: "i-10"}}, []string{"EV-0003"}},
		{[]localyun.LookupAttribute{{Key: localyun.LookupUser, Value: "bob"}, {Key: localyun.LookupResourceName, Value: "i-10"}}, nil},
	} {
		wantIDs(t, fmt.Sprint(tc.attrs), findEvents(t, st, localyun.EventFilter{Attributes: tc.attrs}), tc.want...)
	}
	if _, err := st.FindEvents(context.Background(), localyun.EventFilter{AccountID: eventAccount,
		Attributes: []localyun.LookupAttribute{{Key: "Bogus", Value: "x"}}}); err == nil {
		t.Fatal("an unknown attribute key is accepted")
	}
}

func testEventWindow(t *testing.T, st EventStore) {
	other := sampleEvent(2)
	other.ID, other.AccountID = "EV-OTHER", otherEventAccount
	mustAppend(t, st, sampleEvent(1), sampleEvent(2), sampleEvent(3), other)
	wantIDs(t, "window", findEvents(t, st, localyun.EventFilter{Start: epoch.Add(2 * time.Second), End: epoch.Add(3 * time.Second)}),
		"EV-0003", "EV-0002")
	wantIDs(t, "start", findEvents(t, st, localyun.EventFilter{Start: epoch.Add(2*time.Second + time.Millisecond)}), "EV-0003")
	wantIDs(t, "end", findEvents(t, st, localyun.EventFilter{End: epoch.Add(2*time.Second - time.Millisecond)}), "EV-0001")
	wantIDs(t, "other account", findEvents(t, st, localyun.EventFilter{AccountID: otherEventAccount}), "EV-OTHER")
	wantIDs(t, "no account", findEvents(t, st, localyun.EventFilter{AccountID: "1000000000000003"}))
}

func testEventRetention(t *testing.T, st EventStore) {
	mustAppend(t, st, sampleEvent(1), sampleEvent(2), sampleEvent(3))
	n, err := st.DeleteEventsBefore(context.Background(), epoch.Add(3*time.Second))
	if err != nil || n != 2 {
		t.Fatalf("DeleteEventsBefore = %d, %v; want 2", n, err)
	}
	wantIDs(t, "after retention", findEvents(t, st, localyun.EventFilter{}), "EV-0003")
	if n, err := st.DeleteEventsBefore(context.Background(), epoch); err != nil || n != 0 {
		t.Fatalf("DeleteEventsBefore = %d, %v; want 0", n, err)
	}
}

// testEventRidesOnWrite: a request's event is written by its first write
// that commits, and only by that one; a write that fails writes none.
func testEventRidesOnWrite(t *testing.T, st EventStore) {
	MustCreateAccount(t, st, eventAccount)
	role := func(name string) localyun.Role {
		return localyun.Role{ID: "3" + name, AccountID: eventAccount, Name: name, AssumeRolePolicyDocument: "{}", CreatedAt: epoch}
	}
	ctx := localyun.WithEvent(context.Background(), sampleEvent(1))
	if _, ok := localyun.EventWritten(ctx); ok {
		t.Fatal("written before any write")
	}
	if err := st.CreateRole(ctx, role("r1")); err != nil {
		t.Fatal(err)
	}
	if _, ok := localyun.EventWritten(ctx); !ok {
		t.Fatal("the committed write did not write the event")
	}
	if err := st.CreateRole(ctx, role("r2")); err != nil { // a second write: no second event
		t.Fatal(err)
	}
	wantIDs(t, "one write", findEvents(t, st, localyun.EventFilter{}), "EV-0001")

	failed := localyun.WithEvent(context.Background(), sampleEvent(2))
	wantKind(t, st.CreateRole(failed, role("r1")), localyun.ErrAlreadyExists)
	if _, ok := localyun.EventWritten(failed); ok {
		t.Fatal("a failed write wrote its event")
	}
	wantIDs(t, "failed write", findEvents(t, st, localyun.EventFilter{}), "EV-0001")
	// The request's next write that commits carries it.
	if err := st.CreateRole(failed, role("r3")); err != nil {
		t.Fatal(err)
	}
	wantIDs(t, "after retry", findEvents(t, st, localyun.EventFilter{}), "EV-0002", "EV-0001")

	off := localyun.WithoutEvent(localyun.WithEvent(context.Background(), sampleEvent(3)))
	if err := st.CreateRole(off, role("r4")); err != nil {
		t.Fatal(err)
	}
	wantIDs(t, "without event", findEvents(t, st, localyun.EventFilter{}), "EV-0002", "EV-0001")
}
