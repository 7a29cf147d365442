package bastionhost_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/bastionhost"
)

// countingWatcher counts AccessChanged calls per instance.
type countingWatcher struct {
	mu sync.Mutex
	n  map[string]int
}

func (w *countingWatcher) AccessChanged(inst string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.n[inst]++
}

func (w *countingWatcher) take() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := w.n[grantInst]
	w.n[grantInst] = 0
	return n
}

// accessWorld is grantWorld with user alice (Local, in user group 1),
// host 2 in host group 1 with an account root (3), a service on a clock
// the test moves, and a watcher.
func accessWorld(t *testing.T) (*racingStore, *bastionhost.Service, *time.Time, *countingWatcher, context.Context) {
	st, _, ctx := grantWorld(t)
	now := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	w := &countingWatcher{n: map[string]int{}}
	s := bastionhost.NewService(st, bastionhost.Options{Now: func() time.Time { return now }, Watcher: w})
	if _, err := st.CreateBastionUser(ctx, localyun.BastionUser{InstanceID: grantInst, Name: "alice", Source: localyun.BastionUserLocal},
		localyun.BastionSecret{Password: "Passw0rd!"}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateBastionHostAccount(ctx, localyun.BastionHostAccount{InstanceID: grantInst, HostID: "2", Name: "root",
		ProtocolName: "SSH"}, localyun.BastionSecret{Password: "hostpw"}); err != nil {
		t.Fatal(err)
	}
	for _, m := range []struct{ kind, id string }{{localyun.BastionGroupUser, "1"}, {localyun.BastionGroupHost, "2"}} {
		if _, err := st.AddBastionGroupMembers(ctx, m.kind, grantInst, "1", []string{m.id}); err != nil {
			t.Fatal(err)
		}
	}
	return st, s, &now, w, ctx
}

func accessOf(t *testing.T, s *bastionhost.Service, ctx context.Context) string {
	t.Helper()
	access, err := s.EffectiveAccess(ctx, grantInst, "1")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, a := range access {
		out = append(out, a.Host.ID+"/"+a.Account.ID+":"+strings.Join(a.Via, "+"))
	}
	return strings.Join(out, " ")
}

func TestEffectiveAccessPaths(t *testing.T) {
	st, s, now, w, ctx := accessWorld(t)
	mustOK := okTo(t)
	user := bastionhost.GranteeRef{InstanceRef: bastionhost.InstanceRef{InstanceID: grantInst},
		Grantee: localyun.BastionGrantee{Kind: localyun.GranteeUser, ID: "1"}}
	want := func(what, expect string) {
		t.Helper()
		if got := accessOf(t, s, ctx); got != expect {
			t.Fatalf("%s: access %q, want %q", what, got, expect)
		}
	}
	want("no grant", "")
	// A host granted without accounts gives nothing to log in as.
	mustOK(s.AttachHostAccountsToUser(ctx, bastionhost.HostGrantsInput{GranteeRef: user, Hosts: []localyun.BastionHostGrant{{HostID: "1"}}}))
	want("host only", "")
	mustOK(s.AttachHostAccountsToUser(ctx, bastionhost.HostGrantsInput{GranteeRef: user,
		Hosts: []localyun.BastionHostGrant{{HostID: "1", AccountIDs: []string{"2"}}}}))
	want("direct", "1/2:user")
	mustOK(s.AttachHostAccountsToUserGroup(ctx, bastionhost.HostGrantsInput{GranteeRef: groupRef(),
		Hosts: []localyun.BastionHostGrant{{HostID: "1", AccountIDs: []string{"1", "2"}}}}))
	want("group", "1/1:group:1 1/2:group:1+user")
	mustOK(s.AttachHostGroupAccountsToUserGroup(ctx, bastionhost.HostGroupGrantsInput{GranteeRef: groupRef(),
		HostGroups: []localyun.BastionHostGroupGrant{{HostGroupID: "1", AccountNames: []string{"root"}}}}))
	want("host group by name", "1/1:group:1 1/2:group:1+user 2/3:group:1/hostgroup:1")
	if ok, err := s.MayUse(ctx, grantInst, "1", "2", "3"); err != nil || !ok {
		t.Fatalf("MayUse(2, 3) = %v, %v", ok, err)
	}
	if ok, _ := s.MayUse(ctx, grantInst, "1", "1", "3"); ok {
		t.Fatal("MayUse of an account on another host")
	}
	w.take()

	// The seed document's detach: the group loses host 1; alice keeps app
	// through her own grant.
	mustOK(s.DetachHostAccountsFromUserGroup(ctx, bastionhost.HostGrantsInput{GranteeRef: groupRef(), Hosts: []localyun.BastionHostGrant{{HostID: "1"}}}))
	want("after detach", "1/2:user 2/3:group:1/hostgroup:1")
	if w.take() == 0 {
		t.Fatal("detach not watched")
	}

	// Locked: none, and back after unlock.
	mustOK(s.LockUsers(ctx, bastionhost.MemberIDsInput{InstanceRef: user.InstanceRef, IDs: []string{"1"}}))
	want("locked", "")
	if w.take() == 0 {
		t.Fatal("lock not watched")
	}
	mustOK(s.UnlockUsers(ctx, bastionhost.MemberIDsInput{InstanceRef: user.InstanceRef, IDs: []string{"1"}}))
	want("unlocked", "1/2:user 2/3:group:1/hostgroup:1")

	// Validity: before its start and after its end, none.
	u, _ := st.FindBastionUser(ctx, grantInst, "1")
	v := u
	v.EffectiveStartTime, v.EffectiveEndTime = now.Unix()+60, now.Unix()+120
	if err := st.UpdateBastionUser(ctx, u, v, localyun.BastionSecretUpdate{}); err != nil {
		t.Fatal(err)
	}
	want("not yet valid", "")
	*now = now.Add(90 * time.Second)
	want("valid", "1/2:user 2/3:group:1/hostgroup:1")
	*now = now.Add(31 * time.Second)
	want("expired", "")
	*now = now.Add(-121 * time.Second)
	if err := st.UpdateBastionUser(ctx, v, u, localyun.BastionSecretUpdate{}); err != nil {
		t.Fatal(err)
	}

	// Deleted account and host: gone.
	if err := s.DeleteHostAccount(ctx, bastionhost.ObjectRef{InstanceRef: user.InstanceRef, ID: "3"}); err != nil {
		t.Fatal(err)
	}
	want("account deleted", "1/2:user")
	if err := s.DeleteHost(ctx, bastionhost.ObjectRef{InstanceRef: user.InstanceRef, ID: "1"}); err != nil {
		t.Fatal(err)
	}
	want("host deleted", "")
	if w.take() < 2 {
		t.Fatal("deletions not watched")
	}
}

// okTo returns a check that a call returned no error.
func okTo(t *testing.T) func(any, error) {
	return func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestLoginChecks(t *testing.T) {
	st, s, now, _, ctx := accessWorld(t)
	mustOK := okTo(t)
	if _, err := s.CheckUserPassword(ctx, grantInst, "alice", "Passw0rd!"); err != nil {
		t.Fatalf("right password: %v", err)
	}
	if _, err := s.CheckUserPassword(ctx, grantInst, "nobody", "Passw0rd!"); !errors.Is(err, bastionhost.ErrLoginFailed) {
		t.Fatalf("unknown user: %v", err)
	}
	for i := 0; i < bastionhost.DefaultLoginFailureLimit; i++ {
		if _, err := s.CheckUserPassword(ctx, grantInst, "alice", "wrong"); !errors.Is(err, bastionhost.ErrLoginFailed) {
			t.Fatalf("wrong password %d: %v", i, err)
		}
	}
	if _, err := s.CheckUserPassword(ctx, grantInst, "alice", "Passw0rd!"); !errors.Is(err, bastionhost.ErrLoginLockedOut) {
		t.Fatalf("locked out: %v", err)
	}
	*now = now.Add(bastionhost.DefaultLoginLockout + time.Second)
	if _, err := s.CheckUserPassword(ctx, grantInst, "alice", "Passw0rd!"); err != nil {
		t.Fatalf("after the lockout: %v", err)
	}
	if _, err := st.SetBastionUsersLocked(ctx, grantInst, []string{"1"}, true); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CheckUserPassword(ctx, grantInst, "alice", "Passw0rd!"); !errors.Is(err, bastionhost.ErrUserLocked) {
		t.Fatalf("LockUsers: %v", err)
	}
	if _, err := st.SetBastionUsersLocked(ctx, grantInst, []string{"1"}, false); err != nil {
		t.Fatal(err)
	}

	// Public keys: registered ones only.
	key, err := bastionhost.ParsePublicKeyParam("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl alice@test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CheckUserPublicKey(ctx, grantInst, "alice", key); !errors.Is(err, bastionhost.ErrLoginFailed) {
		t.Fatalf("unregistered key: %v", err)
	}
	if _, err := st.CreateBastionPublicKey(ctx, localyun.BastionPublicKey{InstanceID: grantInst, UserID: "1", Name: "k", PublicKey: key}); err != nil {
		t.Fatal(err)
	}
	if u, err := s.CheckUserPublicKey(ctx, grantInst, "alice", key); err != nil || u.Name != "alice" {
		t.Fatalf("registered key: %+v %v", u, err)
	}
	// A key check does not reset the failure count: an SSH server makes it
	// for a key a client only offers (no signature), and public keys are
	// public. Nor does an empty user name stand for anyone.
	for i := 0; i < bastionhost.DefaultLoginFailureLimit-1; i++ {
		if _, err := s.CheckUserPassword(ctx, grantInst, "alice", "wrong"); !errors.Is(err, bastionhost.ErrLoginFailed) {
			t.Fatalf("wrong password %d: %v", i, err)
		}
		if _, err := s.CheckUserPublicKey(ctx, grantInst, "alice", key); err != nil {
			t.Fatalf("registered key after %d failures: %v", i+1, err)
		}
	}
	if _, err := s.CheckUserPassword(ctx, grantInst, "alice", "wrong"); !errors.Is(err, bastionhost.ErrLoginFailed) {
		t.Fatalf("the last wrong password: %v", err)
	}
	if _, err := s.CheckUserPassword(ctx, grantInst, "alice", "Passw0rd!"); !errors.Is(err, bastionhost.ErrLoginLockedOut) {
		t.Fatalf("key checks between failures: %v, want ErrLoginLockedOut", err)
	}
	if _, err := s.CheckUserPassword(ctx, grantInst, "", "Passw0rd!"); !errors.Is(err, bastionhost.ErrLoginFailed) {
		t.Fatalf("empty user name: %v", err)
	}
	*now = now.Add(bastionhost.DefaultLoginLockout + time.Second)

	// O&M token: its host account, while authorized and unexpired.
	if _, err := st.CreateBastionOperationToken(ctx, localyun.BastionOperationToken{InstanceID: grantInst, UserID: "1", HostID: "2",
		AccountID: "3", Sum: sha("tok"), CreatedAt: *now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if _, _, _, _, err := s.CheckOperationToken(ctx, grantInst, "alice", "tok"); !errors.Is(err, bastionhost.ErrTokenNotAllowed) {
		t.Fatalf("token of an unauthorized account: %v", err)
	}
	mustOK(s.AttachHostGroupAccountsToUserGroup(ctx, bastionhost.HostGroupGrantsInput{GranteeRef: groupRef(),
		HostGroups: []localyun.BastionHostGroupGrant{{HostGroupID: "1", AccountNames: []string{"root"}}}}))
	if _, h, a, exp, err := s.CheckOperationToken(ctx, grantInst, "alice", "tok"); err != nil || h != "2" || a != "3" ||
		!exp.Equal(now.Add(time.Hour)) {
		t.Fatalf("token: %s %s %v %v", h, a, exp, err)
	}
	if _, _, _, _, err := s.CheckOperationToken(ctx, grantInst, "alice", "nope"); !errors.Is(err, bastionhost.ErrLoginFailed) {
		t.Fatalf("wrong token: %v", err)
	}
	*now = now.Add(time.Hour)
	if _, _, _, _, err := s.CheckOperationToken(ctx, grantInst, "alice", "tok"); !errors.Is(err, bastionhost.ErrTokenExpired) {
		t.Fatalf("expired token: %v", err)
	}
	if sec, err := s.HostAccountCredential(ctx, grantInst, "3"); err != nil || sec.Password != "hostpw" {
		t.Fatalf("credential %v", err)
	}
}

func sha(s string) []byte {
	sum := sha256.Sum256([]byte(s))
	return sum[:]
}
