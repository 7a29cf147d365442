package storetest

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/localyun/localyun"
)

// InstanceSessionStore is what the instance session suite needs.
type InstanceSessionStore interface {
	localyun.AccountStore
	localyun.InstanceStore
	localyun.SessionStore
	localyun.InstanceSessionStore
}

// InstanceSessionOpener returns a fresh, empty, migrated store for one test.
type InstanceSessionOpener func(t *testing.T) InstanceSessionStore

// RunInstanceSessions runs the behaviour tests of instances' current STS
// sessions (the metadata service's credentials).
func RunInstanceSessions(t *testing.T, open InstanceSessionOpener) {
	t.Run("InstanceSessions", func(t *testing.T) { testInstanceSessions(t, open) })
	t.Run("InstanceSessionCascades", func(t *testing.T) { testInstanceSessionCascades(t, open) })
	t.Run("InstanceSessionConcurrent", func(t *testing.T) { testInstanceSessionConcurrent(t, open) })
}

// InstanceSession returns a session of the role "R" (id "role-1") issued
// to an instance at epoch, valid an hour.
func InstanceSession(account, instanceID, akid string) localyun.InstanceSession {
	return localyun.InstanceSession{Session: localyun.Session{AccessKeyID: akid, Secret: "secret-" + akid,
		TokenHash: "hash-" + akid, AccountID: account, RoleName: "R", RoleID: "role-1", SessionName: instanceID,
		Caller: "ecs.aliyuncs.com", CreatedAt: epoch, ExpiresAt: epoch.Add(time.Hour), InstanceID: instanceID},
		Token: "token-" + akid}
}

func mustFindInstanceSession(t *testing.T, st InstanceSessionStore, account, id string, want localyun.InstanceSession) {
	t.Helper()
	got, err := st.FindInstanceSession(context.Background(), account, id)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("FindInstanceSession(%s) = %+v, %v; want %+v", id, got, err, want)
	}
}

func testInstanceSessions(t *testing.T, open InstanceSessionOpener) {
	ctx := context.Background()
	st := open(t)
	const a, b = "1111111111111111", "2222222222222222"
	MustCreateAccount(t, st, a)
	MustCreateAccount(t, st, b)
	if err := st.CreateInstances(ctx, []localyun.Instance{instance(a, "cn-hangzhou", "i-1", "R")}); err != nil {
		t.Fatal(err)
	}
	_, err := st.FindInstanceSession(ctx, a, "i-1")
	wantKind(t, err, localyun.ErrNotFound)

	first := InstanceSession(a, "i-1", "STS.1")
	if err := st.ReplaceInstanceSession(ctx, first, ""); err != nil {
		t.Fatal(err)
	}
	mustFindInstanceSession(t, st, a, "i-1", first)
	if s, err := st.FindSession(ctx, "STS.1"); err != nil || !reflect.DeepEqual(s, first.Session) {
		t.Fatalf("FindSession = %+v, %v; want %+v", s, err, first.Session)
	}
	// Another account does not see it.
	_, err = st.FindInstanceSession(ctx, b, "i-1")
	wantKind(t, err, localyun.ErrNotFound)

	// A compare-and-set on a stale current session writes nothing.
	for _, prev := range []string{"", "STS.other"} {
		err = st.ReplaceInstanceSession(ctx, InstanceSession(a, "i-1", "STS.lost"), prev)
		wantKind(t, err, localyun.ErrConflict)
		_, err = st.FindSession(ctx, "STS.lost")
		wantKind(t, err, localyun.ErrNotFound)
		mustFindInstanceSession(t, st, a, "i-1", first)
	}
	// A taken AccessKeyId.
	err = st.ReplaceInstanceSession(ctx, InstanceSession(a, "i-1", "STS.1"), "STS.1")
	wantKind(t, err, localyun.ErrAlreadyExists)

	// Rotation: the new one is current, the old one stays a valid session.
	second := InstanceSession(a, "i-1", "STS.2")
	second.CreatedAt, second.ExpiresAt, second.RoleID = epoch.Add(40*time.Minute), epoch.Add(100*time.Minute), "role-2"
	if err := st.ReplaceInstanceSession(ctx, second, "STS.1"); err != nil {
		t.Fatal(err)
	}
	mustFindInstanceSession(t, st, a, "i-1", second)
	if s, err := st.FindSession(ctx, "STS.1"); err != nil || s.InstanceID != "i-1" {
		t.Fatalf("replaced session = %+v, %v", s, err)
	}

	// An instance that does not exist, or of another account, gets none.
	for _, s := range []localyun.InstanceSession{InstanceSession(a, "i-none", "STS.3"), InstanceSession(b, "i-1", "STS.4")} {
		err := st.ReplaceInstanceSession(ctx, s, "")
		if err == nil {
			t.Fatalf("ReplaceInstanceSession(%s of %s) = nil", s.InstanceID, s.AccountID)
		}
		if _, err := st.FindSession(ctx, s.AccessKeyID); err == nil {
			t.Fatalf("session %s written for a failed replace", s.AccessKeyID)
		}
	}
	// AssumeRole sessions are bound to no instance.
	plain := localyun.Session{AccessKeyID: "STS.plain", Secret: "x", TokenHash: "h", AccountID: a, CreatedAt: epoch, ExpiresAt: epoch.Add(time.Hour)}
	if err := st.CreateSession(ctx, plain); err != nil {
		t.Fatal(err)
	}
	if s, err := st.FindSession(ctx, "STS.plain"); err != nil || s.InstanceID != "" {
		t.Fatalf("FindSession(plain) = %+v, %v", s, err)
	}
}

// testInstanceSessionCascades checks that the current session goes with
// its expired session and with its instance.
func testInstanceSessionCascades(t *testing.T, open InstanceSessionOpener) {
	ctx := context.Background()
	st := open(t)
	const a = "1111111111111111"
	MustCreateAccount(t, st, a)
	if err := st.CreateInstances(ctx, []localyun.Instance{instance(a, "cn-hangzhou", "i-1", "R"),
		instance(a, "cn-hangzhou", "i-2", "R")}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"i-1", "i-2"} {
		if err := st.ReplaceInstanceSession(ctx, InstanceSession(a, id, "STS."+id), ""); err != nil {
			t.Fatal(err)
		}
	}
	// Read first, so that a store that caches sessions must forget them.
	mustFindInstanceSession(t, st, a, "i-1", InstanceSession(a, "i-1", "STS.i-1"))
	if n, err := st.DeleteExpiredSessions(ctx, epoch.Add(time.Hour+time.Millisecond)); err != nil || n != 2 {
		t.Fatalf("DeleteExpiredSessions = %d, %v", n, err)
	}
	_, err := st.FindInstanceSession(ctx, a, "i-1")
	wantKind(t, err, localyun.ErrNotFound)
	// Then a new first session may be set.
	next := InstanceSession(a, "i-1", "STS.next")
	if err := st.ReplaceInstanceSession(ctx, next, ""); err != nil {
		t.Fatal(err)
	}
	mustFindInstanceSession(t, st, a, "i-1", next)
	if err := st.DeleteInstances(ctx, a, "cn-hangzhou", []string{"i-1"}, ""); err != nil {
		t.Fatal(err)
	}
	_, err = st.FindInstanceSession(ctx, a, "i-1")
	wantKind(t, err, localyun.ErrNotFound)
	if s, err := st.FindSession(ctx, "STS.next"); err != nil || s.InstanceID != "i-1" {
		t.Fatalf("the session of a deleted instance = %+v, %v (it stays until it expires)", s, err)
	}
}

// testInstanceSessionConcurrent checks that of concurrent first sessions
// of one instance exactly one becomes current.
func testInstanceSessionConcurrent(t *testing.T, open InstanceSessionOpener) {
	ctx := context.Background()
	st := open(t)
	const a = "1111111111111111"
	MustCreateAccount(t, st, a)
	if err := st.CreateInstances(ctx, []localyun.Instance{instance(a, "cn-hangzhou", "i-1", "R")}); err != nil {
		t.Fatal(err)
	}
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = st.ReplaceInstanceSession(ctx, InstanceSession(a, "i-1", fmt.Sprintf("STS.%d", i)), "")
		}()
	}
	wg.Wait()
	won := -1
	for i, err := range errs {
		switch {
		case err == nil && won >= 0:
			t.Fatalf("sessions %d and %d both became current", won, i)
		case err == nil:
			won = i
		default:
			wantKind(t, err, localyun.ErrConflict)
		}
	}
	if won < 0 {
		t.Fatal("no session became current")
	}
	mustFindInstanceSession(t, st, a, "i-1", InstanceSession(a, "i-1", fmt.Sprintf("STS.%d", won)))
}
