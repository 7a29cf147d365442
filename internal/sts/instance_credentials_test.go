package sts_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/sqlite"
	"github.com/localyun/localyun/internal/storetest"
	"github.com/localyun/localyun/internal/sts"
)

const (
	account  = "1111111111111111"
	ecsTrust = `{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":["ecs.aliyuncs.com"]}}],"Version":"1"}`
	ramTrust = `{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"RAM":["acs:ram::1111111111111111:root"]}}],"Version":"1"}`
)

var start = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

// clock is a test clock, safe for concurrent use.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

// world is a store with one account, the role AppRole trusting ECS and
// the instance i-1 holding it, and an STS service on a test clock.
type world struct {
	t     *testing.T
	st    *sqlite.Store
	clock *clock
	svc   *sts.Service
}

func newWorld(t *testing.T, ttl time.Duration) *world {
	t.Helper()
	st, err := sqlite.Open(context.Background(), ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	storetest.MustCreateAccount(t, st, account)
	w := &world{t: t, st: st, clock: &clock{t: start}}
	w.svc = sts.NewService(st, sts.Options{Now: w.clock.Now, InstanceCredentialTTL: ttl})
	w.createRole("AppRole", "100", ecsTrust)
	w.createInstance("i-1", "AppRole")
	return w
}

func (w *world) createRole(name, id, trust string) {
	w.t.Helper()
	if err := w.st.CreateRole(context.Background(), localyun.Role{ID: id, AccountID: account, Name: name,
		AssumeRolePolicyDocument: trust, MaxSessionDuration: 3600, CreatedAt: start, UpdatedAt: start}); err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) createInstance(id, role string) {
	w.t.Helper()
	in := localyun.Instance{ID: id, AccountID: account, RegionID: "cn-hangzhou", ZoneID: "cn-hangzhou-a", Status: localyun.StatusRunning,
		NetworkType: localyun.NetworkVPC, RAMRoleName: role, CreatedAt: start}
	if err := w.st.CreateInstances(context.Background(), []localyun.Instance{in.WithDefaults()}); err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) setRole(id, from, to string) {
	w.t.Helper()
	if err := w.st.SetInstancesRAMRole(context.Background(), account, "cn-hangzhou",
		[]localyun.InstanceRoleChange{{InstanceID: id, From: from, To: to}}); err != nil {
		w.t.Fatal(err)
	}
}

// creds reads the instance as the metadata service does (from the store,
// for this request) and asks for its credentials.
func (w *world) creds(id string) (sts.InstanceCredentials, error) {
	w.t.Helper()
	insts, _, err := w.st.FindInstances(context.Background(), localyun.InstanceFilter{AccountID: account, IDs: []string{id}})
	if err != nil || len(insts) != 1 {
		w.t.Fatalf("FindInstances(%s) = %v, %v", id, insts, err)
	}
	return w.svc.InstanceCredentials(context.Background(), insts[0])
}

func (w *world) mustCreds(id string) sts.InstanceCredentials {
	w.t.Helper()
	c, err := w.creds(id)
	if err != nil {
		w.t.Fatalf("InstanceCredentials(%s): %v", id, err)
	}
	return c
}

func TestInstanceCredentialsIssue(t *testing.T) {
	w := newWorld(t, 0)
	c := w.mustCreds("i-1")
	if len(c.AccessKeyID) < 10 || c.AccessKeyID[:4] != "STS." || c.AccessKeySecret == "" || !sts.WellFormedToken(c.SecurityToken) {
		t.Fatalf("credentials %+v", c)
	}
	if !c.LastUpdated.Equal(start) || !c.Expiration.Equal(start.Add(6*time.Hour)) {
		t.Fatalf("LastUpdated %v, Expiration %v; want %v and 6 h later", c.LastUpdated, c.Expiration, start)
	}
	// A real role session: bound to the instance, named after it.
	s, err := w.st.FindSession(context.Background(), c.AccessKeyID)
	if err != nil {
		t.Fatal(err)
	}
	want := localyun.Session{AccessKeyID: c.AccessKeyID, Secret: c.AccessKeySecret, TokenHash: sts.HashToken(c.SecurityToken),
		AccountID: account, RoleName: "AppRole", RoleID: "100", SessionName: "i-1", Caller: "ecs.aliyuncs.com",
		CreatedAt: start, ExpiresAt: start.Add(6 * time.Hour), InstanceID: "i-1"}
	if s != want {
		t.Fatalf("session %+v, want %+v", s, want)
	}
}

// TestInstanceCredentialsRotation checks reuse within the rotation period
// and a new session once a third of the TTL or less is left.
func TestInstanceCredentialsRotation(t *testing.T) {
	tests := []struct {
		name string
		ttl  time.Duration
	}{{"default 6h", 0}, {"15m", 15 * time.Minute}, {"12h", 12 * time.Hour}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, tt.ttl)
			ttl := tt.ttl
			if ttl == 0 {
				ttl = 6 * time.Hour
			}
			first := w.mustCreds("i-1")
			w.clock.Set(start.Add(ttl - ttl/3 - time.Second))
			if again := w.mustCreds("i-1"); again != first {
				t.Fatalf("within the rotation period: %+v, want the first %+v", again, first)
			}
			w.clock.Set(start.Add(ttl - ttl/3))
			second := w.mustCreds("i-1")
			if second.AccessKeyID == first.AccessKeyID || second.SecurityToken == first.SecurityToken || second.AccessKeySecret == first.AccessKeySecret {
				t.Fatalf("a third of the TTL left: got the first credentials again")
			}
			if !second.Expiration.Equal(w.clock.Now().Add(ttl)) || !second.LastUpdated.Equal(w.clock.Now()) {
				t.Fatalf("rotated: %+v", second)
			}
			// A client refreshing 180 s before Expiration gets fresh ones.
			w.clock.Set(second.Expiration.Add(-180 * time.Second))
			third := w.mustCreds("i-1")
			if third.AccessKeyID == second.AccessKeyID || third.Expiration.Sub(w.clock.Now()) != ttl {
				t.Fatalf("at 180 s left: %+v (previous %s)", third, second.AccessKeyID)
			}
			// The replaced sessions stay valid until they expire.
			if _, err := w.st.FindSession(context.Background(), first.AccessKeyID); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestInstanceCredentialsAttachment checks that the answer follows the
// attachment at once: detached, role deleted, role recreated, another
// role attached, and the trust policy.
func TestInstanceCredentialsAttachment(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, 0)
	first := w.mustCreds("i-1")

	w.setRole("i-1", "AppRole", "")
	if _, err := w.creds("i-1"); !errors.Is(err, localyun.ErrNotFound) {
		t.Fatalf("detached: %v, want ErrNotFound", err)
	}
	w.setRole("i-1", "", "AppRole")
	if again := w.mustCreds("i-1"); again != first {
		t.Fatalf("re-attached the same role: %+v, want the first credentials", again)
	}

	// Deleted, then recreated under the same name: another role.
	if err := w.st.DeleteRole(ctx, account, "AppRole"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.creds("i-1"); !errors.Is(err, localyun.ErrNotFound) {
		t.Fatalf("role deleted: %v, want ErrNotFound", err)
	}
	w.createRole("AppRole", "101", ecsTrust)
	recreated := w.mustCreds("i-1")
	if recreated.AccessKeyID == first.AccessKeyID {
		t.Fatal("a recreated role got the old role's session")
	}
	if s, _ := w.st.FindSession(ctx, recreated.AccessKeyID); s.RoleID != "101" {
		t.Fatalf("session of role id %q, want 101", s.RoleID)
	}

	// Another role attached.
	w.createRole("OtherRole", "102", ecsTrust)
	w.setRole("i-1", "AppRole", "OtherRole")
	other := w.mustCreds("i-1")
	if s, _ := w.st.FindSession(ctx, other.AccessKeyID); other.AccessKeyID == recreated.AccessKeyID || s.RoleName != "OtherRole" {
		t.Fatalf("another role attached: session %+v", s)
	}

	// A role that no longer trusts ECS: refused, and told apart.
	doc := ramTrust
	if _, err := w.st.UpdateRole(ctx, account, "OtherRole", localyun.RoleUpdate{AssumeRolePolicyDocument: &doc, UpdatedAt: start}); err != nil {
		t.Fatal(err)
	}
	_, err := w.creds("i-1")
	if !errors.Is(err, sts.ErrNotTrusted) || errors.Is(err, localyun.ErrNotFound) {
		t.Fatalf("untrusted role: %v, want ErrNotTrusted", err)
	}
	// An instance without a role.
	w.createInstance("i-2", "")
	if _, err := w.creds("i-2"); !errors.Is(err, localyun.ErrNotFound) {
		t.Fatalf("no role: %v, want ErrNotFound", err)
	}
}

// TestInstanceCredentialsConcurrent checks that concurrent first requests
// of one instance all get the one session that became current.
func TestInstanceCredentialsConcurrent(t *testing.T) {
	w := newWorld(t, 0)
	for _, at := range []time.Time{start, start.Add(5 * time.Hour)} { // first issue, then a rotation
		w.clock.Set(at)
		insts, _, err := w.st.FindInstances(context.Background(), localyun.InstanceFilter{AccountID: account, IDs: []string{"i-1"}})
		if err != nil || len(insts) != 1 {
			t.Fatal(insts, err)
		}
		const n = 16
		got := make([]sts.InstanceCredentials, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got[i], errs[i] = w.svc.InstanceCredentials(context.Background(), insts[0])
			}()
		}
		wg.Wait()
		for i := range n {
			if errs[i] != nil || got[i] != got[0] {
				t.Fatalf("at %v request %d: %+v, %v; want %+v like request 0", at, i, got[i], errs[i], got[0])
			}
		}
		if again := w.mustCreds("i-1"); again != got[0] {
			t.Fatalf("after the race: %+v, want %+v", again, got[0])
		}
	}
}
