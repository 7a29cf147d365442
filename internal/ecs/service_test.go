package ecs_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/ecs"
	"github.com/localyun/localyun/internal/sqlite"
)

// raceStore is a store whose compare-and-sets can be made to lose races:
// before each of the first races calls it runs race (another request's
// change, committed between the service's read and its write).
type raceStore struct {
	localyun.Store
	races   int
	race    func(ctx context.Context) error
	calls   int
	writing bool // inside SetInstancesRAMRole
}

func (s *raceStore) SetInstancesRAMRole(ctx context.Context, accountID, regionID string, changes []localyun.InstanceRoleChange) error {
	s.calls++
	if s.calls <= s.races {
		if err := s.race(ctx); err != nil {
			return err
		}
	}
	s.writing = true
	defer func() { s.writing = false }()
	return s.Store.SetInstancesRAMRole(ctx, accountID, regionID, changes)
}

// openRaceWorld returns a store with the seed world's account, the roles
// RamRoleTest and Other, and two VPC instances of cn-hangzhou: i-1 holding
// RamRoleTest and i-2 none.
func openRaceWorld(t *testing.T) *raceStore {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	now := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(st.CreateAccount(ctx, localyun.Account{ID: seedAccount, Name: "race", CreatedAt: now}))
	for i, name := range []string{seedRole, "Other"} {
		must(st.CreateRole(ctx, localyun.Role{ID: "30000000000000000" + string(rune('1'+i)), AccountID: seedAccount, Name: name,
			AssumeRolePolicyDocument: ecsTrust, MaxSessionDuration: 3600, CreatedAt: now, UpdatedAt: now}))
	}
	for _, in := range []struct{ id, role string }{{"i-1", seedRole}, {"i-2", ""}} {
		must(st.CreateInstances(ctx, []localyun.Instance{{ID: in.id, AccountID: seedAccount, RegionID: seedRegion,
			ZoneID: seedRegion + "-a", Name: in.id, Status: localyun.StatusRunning, NetworkType: localyun.NetworkVPC,
			ImageID: "img", InstanceType: "t", RAMRoleName: in.role, CreatedAt: now}}))
	}
	return &raceStore{Store: st}
}

func (s *raceStore) roleOf(t *testing.T, id string) string {
	t.Helper()
	insts, _, err := s.FindInstances(context.Background(), localyun.InstanceFilter{AccountID: seedAccount, IDs: []string{id}})
	if err != nil || len(insts) != 1 {
		t.Fatalf("%s: %v, %v", id, insts, err)
	}
	return insts[0].RAMRoleName
}

var (
	rootCtx = localyun.NewContextWithPrincipal(context.Background(),
		localyun.Principal{AccountID: seedAccount, Type: localyun.PrincipalTypeRoot})
	userCtx = localyun.NewContextWithPrincipal(context.Background(),
		localyun.Principal{AccountID: seedAccount, Type: localyun.PrincipalTypeUser, UserName: "operator"})
)

// A change that loses a race reads again and decides on what it finds:
// here another request attaches Other to i-2 between Attach's read and its
// write, so i-2 ends up "already attached" and keeps Other (the second
// round has nothing to write).
func TestAttachRereadsAfterLostRace(t *testing.T) {
	st := openRaceWorld(t)
	st.races = 1
	st.race = func(ctx context.Context) error {
		return st.Store.SetInstancesRAMRole(ctx, seedAccount, seedRegion, []localyun.InstanceRoleChange{{InstanceID: "i-2", To: "Other"}})
	}
	svc := ecs.NewService(st, ecs.Options{})
	name, res, err := svc.AttachInstanceRAMRole(rootCtx, ecs.AttachInstanceRAMRoleInput{RegionID: seedRegion,
		InstanceIDs: []string{"i-2"}, RAMRoleName: seedRole})
	if err != nil || name != seedRole || len(res) != 1 || res[0].Success || res[0].Code != "InvalidRamRole.Attached" {
		t.Fatalf("attach = %q %+v, %v", name, res, err)
	}
	if st.calls != 1 || st.roleOf(t, "i-2") != "Other" {
		t.Fatalf("%d writes, i-2 holds %q; want 1 and Other", st.calls, st.roleOf(t, "i-2"))
	}
}

// Two detaches of the same role never both report it detached: the one
// that loses the race finds the role gone.
func TestDetachLosesRaceToDetach(t *testing.T) {
	st := openRaceWorld(t)
	st.races = 1
	st.race = func(ctx context.Context) error {
		return st.Store.SetInstancesRAMRole(ctx, seedAccount, seedRegion, []localyun.InstanceRoleChange{{InstanceID: "i-1", From: seedRole}})
	}
	svc := ecs.NewService(st, ecs.Options{})
	_, res, err := svc.DetachInstanceRAMRole(rootCtx, ecs.DetachInstanceRAMRoleInput{RegionID: seedRegion, InstanceIDs: []string{"i-1"}})
	if err != nil || len(res) != 1 || res[0].Success || res[0].Code != "InvalidRamRole.NotAttached" {
		t.Fatalf("detach = %+v, %v", res, err)
	}
}

// A change that loses every round gives up with OperationConflict and
// writes nothing.
func TestOperationConflictAfterEveryRoundLost(t *testing.T) {
	st := openRaceWorld(t)
	st.races = 1 << 30
	flip := false
	st.race = func(ctx context.Context) error {
		// Another request keeps moving i-1 between Other and RamRoleTest.
		from, to := seedRole, "Other"
		if flip {
			from, to = to, from
		}
		flip = !flip
		return st.Store.SetInstancesRAMRole(ctx, seedAccount, seedRegion, []localyun.InstanceRoleChange{{InstanceID: "i-1", From: from, To: to}})
	}
	svc := ecs.NewService(st, ecs.Options{})
	_, _, err := svc.DetachInstanceRAMRole(rootCtx, ecs.DetachInstanceRAMRoleInput{RegionID: seedRegion, InstanceIDs: []string{"i-1", "i-2"}})
	var e *localyun.Error
	if !errors.As(err, &e) || e.Code != "OperationConflict" || e.Status != http.StatusConflict || !errors.Is(err, localyun.ErrConflict) {
		t.Fatalf("err = %v, want 409 OperationConflict", err)
	}
	if st.calls != 50 {
		t.Fatalf("%d rounds, want 50", st.calls)
	}
	if st.roleOf(t, "i-2") != "" {
		t.Fatal("a lost change was written")
	}
}

// Detach without RamRoleName decides ram:PassRole on each attached role
// (once per role) before the store writes, never while it writes; a
// refusal changes nothing.
func TestDetachPassRoleBeforeWrite(t *testing.T) {
	for _, allow := range []bool{false, true} {
		st := openRaceWorld(t)
		if err := st.Store.SetInstancesRAMRole(context.Background(), seedAccount, seedRegion,
			[]localyun.InstanceRoleChange{{InstanceID: "i-2", To: seedRole}}); err != nil {
			t.Fatal(err)
		}
		var asked []string
		refused := errors.New("refused")
		svc := ecs.NewService(st, ecs.Options{CheckPassRole: func(ctx context.Context, name string) error {
			if st.writing {
				t.Error("PassRole decided inside the store's write")
			}
			asked = append(asked, name)
			if !allow {
				return refused
			}
			return nil
		}})
		_, res, err := svc.DetachInstanceRAMRole(userCtx, ecs.DetachInstanceRAMRoleInput{RegionID: seedRegion, InstanceIDs: []string{"i-1", "i-2"}})
		if len(asked) != 1 || asked[0] != seedRole {
			t.Fatalf("PassRole asked for %v, want [%s] once", asked, seedRole)
		}
		if !allow {
			if !errors.Is(err, refused) || st.roleOf(t, "i-1") != seedRole || st.roleOf(t, "i-2") != seedRole {
				t.Fatalf("refused detach: %v; roles %q %q", err, st.roleOf(t, "i-1"), st.roleOf(t, "i-2"))
			}
			continue
		}
		if err != nil || len(res) != 2 || !res[0].Success || !res[1].Success || st.roleOf(t, "i-1") != "" || st.roleOf(t, "i-2") != "" {
			t.Fatalf("allowed detach: %+v, %v", res, err)
		}
	}
}

// The verdict on a role's trust policy follows the policy: Attach is
// refused once the role no longer trusts ECS, and allowed again when it
// does (the service remembers verdicts by document).
func TestAttachFollowsTrustPolicy(t *testing.T) {
	st := openRaceWorld(t)
	svc := ecs.NewService(st, ecs.Options{})
	ctx := context.Background()
	fcTrust := `{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":["fc.aliyuncs.com"]}}],"Version":"1"}`
	for i, doc := range []string{ecsTrust, fcTrust, ecsTrust, fcTrust} {
		if _, err := st.UpdateRole(ctx, seedAccount, "Other", localyun.RoleUpdate{AssumeRolePolicyDocument: &doc}); err != nil {
			t.Fatal(err)
		}
		_, res, err := svc.AttachInstanceRAMRole(rootCtx, ecs.AttachInstanceRAMRoleInput{RegionID: seedRegion,
			InstanceIDs: []string{"i-2"}, RAMRoleName: "Other"})
		var e *localyun.Error
		switch {
		case doc == fcTrust && (!errors.As(err, &e) || e.Code != "InvalidRamRole.NotEcsRole"):
			t.Fatalf("policy %d: attach = %+v, %v; want InvalidRamRole.NotEcsRole", i, res, err)
		case doc == ecsTrust && (err != nil || !res[0].Success):
			t.Fatalf("policy %d: attach = %+v, %v", i, res, err)
		case doc == ecsTrust:
			if _, _, err := svc.DetachInstanceRAMRole(rootCtx, ecs.DetachInstanceRAMRoleInput{RegionID: seedRegion,
				InstanceIDs: []string{"i-2"}}); err != nil {
				t.Fatal(err)
			}
		}
	}
}
