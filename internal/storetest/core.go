package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/localyun/localyun"
)

func testAccounts(t *testing.T, open CoreOpener) {
	ctx := context.Background()
	st := open(t)
	if n, err := st.CountAccounts(ctx); err != nil || n != 0 {
		t.Fatalf("CountAccounts = %d, %v; want 0", n, err)
	}
	MustCreateAccount(t, st, "1111111111111111")
	wantKind(t, st.CreateAccount(ctx, localyun.Account{ID: "1111111111111111", Name: "dup", CreatedAt: epoch}), localyun.ErrAlreadyExists)
	a, err := st.FindAccountByID(ctx, "1111111111111111")
	if err != nil || a.Name != "n1111111111111111" || !a.CreatedAt.Equal(epoch) {
		t.Fatalf("FindAccountByID = %+v, %v", a, err)
	}
	_, err = st.FindAccountByID(ctx, "2222222222222222")
	wantKind(t, err, localyun.ErrNotFound)
	k, err := st.FindAccessKey(ctx, "AK1111111111111111")
	if err != nil || k.Secret != "s1111111111111111" || k.AccountID != "1111111111111111" || k.Status != localyun.AccessKeyActive {
		t.Fatalf("FindAccessKey = %+v, %v", k, err)
	}
	_, err = st.FindAccessKey(ctx, "nope")
	wantKind(t, err, localyun.ErrNotFound)
	wantKind(t, st.CreateAccessKey(ctx, localyun.AccessKey{ID: "AK1111111111111111", Secret: "x", AccountID: "1111111111111111", Status: localyun.AccessKeyActive}), localyun.ErrAlreadyExists)
	if n, _ := st.CountAccounts(ctx); n != 1 {
		t.Fatalf("CountAccounts = %d, want 1", n)
	}
}

func testRoles(t *testing.T, open CoreOpener) {
	ctx := context.Background()
	st := open(t)
	MustCreateAccount(t, st, "1111111111111111")
	MustCreateAccount(t, st, "2222222222222222")
	role := localyun.Role{ID: "301", AccountID: "1111111111111111", Name: "AppRole", Description: "d",
		AssumeRolePolicyDocument: "{}", MaxSessionDuration: 3600, CreatedAt: epoch, UpdatedAt: epoch}
	if err := st.CreateRole(ctx, role); err != nil {
		t.Fatal(err)
	}
	dup := role
	dup.ID, dup.Name = "302", "approle"
	wantKind(t, st.CreateRole(ctx, dup), localyun.ErrAlreadyExists)
	other := role
	other.ID, other.AccountID = "303", "2222222222222222"
	if err := st.CreateRole(ctx, other); err != nil {
		t.Fatalf("same name in another account: %v", err)
	}
	got, err := st.FindRoleByName(ctx, "1111111111111111", "APPROLE")
	if err != nil || got.ID != "301" || got.Name != "AppRole" {
		t.Fatalf("FindRoleByName = %+v, %v", got, err)
	}
	_, err = st.FindRoleByName(ctx, "1111111111111111", "Other")
	wantKind(t, err, localyun.ErrNotFound)
	for _, n := range []string{"b-role", "C.role", "a-role"} {
		r := role
		r.ID, r.Name = "id-"+n, n
		if err := st.CreateRole(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	page, err := st.FindRoles(ctx, localyun.RoleFilter{AccountID: "1111111111111111", Limit: 2})
	if err != nil || len(page) != 2 || page[0].Name != "a-role" || page[1].Name != "AppRole" {
		t.Fatalf("FindRoles page 1 = %v, %v", names(page), err)
	}
	page, err = st.FindRoles(ctx, localyun.RoleFilter{AccountID: "1111111111111111", After: page[1].Name, Limit: 10})
	if err != nil || len(page) != 2 || page[0].Name != "b-role" || page[1].Name != "C.role" {
		t.Fatalf("FindRoles page 2 = %v, %v", names(page), err)
	}
	desc := "new"
	upd, err := st.UpdateRole(ctx, "1111111111111111", "approle", localyun.RoleUpdate{Description: &desc, UpdatedAt: epoch.Add(1e9)})
	if err != nil || upd.Description != "new" || upd.AssumeRolePolicyDocument != "{}" || !upd.UpdatedAt.Equal(epoch.Add(1e9)) {
		t.Fatalf("UpdateRole = %+v, %v", upd, err)
	}
	_, err = st.UpdateRole(ctx, "2222222222222222", "nope", localyun.RoleUpdate{})
	wantKind(t, err, localyun.ErrNotFound)
	if err := st.DeleteRole(ctx, "1111111111111111", "AppRole"); err != nil {
		t.Fatal(err)
	}
	wantKind(t, st.DeleteRole(ctx, "1111111111111111", "AppRole"), localyun.ErrNotFound)
	if _, err := st.FindRoleByName(ctx, "2222222222222222", "AppRole"); err != nil {
		t.Fatalf("other account's role went too: %v", err)
	}
}

func names(rs []localyun.Role) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Name)
	}
	return out
}

func instance(account, region, id, role string) localyun.Instance {
	return localyun.Instance{ID: id, AccountID: account, RegionID: region, ZoneID: region + "-a", Name: "name-" + id,
		Status: localyun.StatusRunning, NetworkType: localyun.NetworkVPC, VpcID: "vpc-1", VSwitchID: "vsw-1",
		PrivateIP: "172.16.0.1", ImageID: "img", InstanceType: "t", RAMRoleName: role, CreatedAt: epoch}
}

func testInstances(t *testing.T, open CoreOpener) {
	ctx := context.Background()
	st := open(t)
	const a, b = "1111111111111111", "2222222222222222"
	MustCreateAccount(t, st, a)
	MustCreateAccount(t, st, b)
	batch := []localyun.Instance{
		instance(a, "cn-hangzhou", "i-1", "Role"), instance(a, "cn-hangzhou", "i-2", ""),
		instance(a, "cn-beijing", "i-3", ""), instance(b, "cn-hangzhou", "i-4", "Role"),
	}
	if err := st.CreateInstances(ctx, batch); err != nil {
		t.Fatal(err)
	}
	// A batch with one duplicate creates nothing.
	wantKind(t, st.CreateInstances(ctx, []localyun.Instance{instance(a, "cn-hangzhou", "i-5", ""), instance(a, "cn-hangzhou", "i-1", "")}), localyun.ErrAlreadyExists)
	got, total, err := st.FindInstances(ctx, localyun.InstanceFilter{AccountID: a, RegionID: "cn-hangzhou", IDs: []string{"i-5"}})
	if err != nil || total != 0 || len(got) != 0 {
		t.Fatalf("half-applied batch: %v %d %v", got, total, err)
	}
	got, total, err = st.FindInstances(ctx, localyun.InstanceFilter{AccountID: a, RegionID: "cn-hangzhou"})
	if err != nil || total != 2 || len(got) != 2 || got[0].ID != "i-1" || got[1].ID != "i-2" || got[0].Seq >= got[1].Seq {
		t.Fatalf("FindInstances region = %+v %d %v", got, total, err)
	}
	if got[0].Name != batch[0].Name || got[0].RAMRoleName != "Role" || !got[0].CreatedAt.Equal(epoch) {
		t.Fatalf("round trip: %+v", got[0])
	}
	got, total, _ = st.FindInstances(ctx, localyun.InstanceFilter{AccountID: a, RAMRoleName: "role"})
	if total != 1 || got[0].ID != "i-1" {
		t.Fatalf("FindInstances by role (case-insensitive) = %+v %d", got, total)
	}
	_, total, _ = st.FindInstances(ctx, localyun.InstanceFilter{AccountID: a, NamePattern: "name-i-*"})
	if total != 3 {
		t.Fatalf("FindInstances by name pattern: %d", total)
	}
	got, total, _ = st.FindInstances(ctx, localyun.InstanceFilter{AccountID: a, RegionID: "cn-hangzhou", Limit: 1, Offset: 1})
	if total != 2 || len(got) != 1 || got[0].ID != "i-2" {
		t.Fatalf("paging: %+v %d", got, total)
	}
	first, _, _ := st.FindInstances(ctx, localyun.InstanceFilter{AccountID: a, RegionID: "cn-hangzhou", Limit: 1})
	got, _, _ = st.FindInstances(ctx, localyun.InstanceFilter{AccountID: a, RegionID: "cn-hangzhou", AfterSeq: first[0].Seq})
	if len(got) != 1 || got[0].ID != "i-2" {
		t.Fatalf("AfterSeq: %+v", got)
	}

	testInstanceRoles(t, st, a)
	testInstanceStatusAndDelete(t, st, a, b)
	testInstanceRoleRace(t, st, a)
}

// change is one InstanceRoleChange.
func change(id, from, to string) localyun.InstanceRoleChange {
	return localyun.InstanceRoleChange{InstanceID: id, From: from, To: to}
}

// wantInstances checks the role, status and name of instances of account a.
func wantInstances(t *testing.T, st CoreStore, a, what string, want map[string]string) {
	t.Helper()
	got, _, err := st.FindInstances(context.Background(), localyun.InstanceFilter{AccountID: a})
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]string{}
	for _, in := range got {
		have[in.ID] = in.RAMRoleName + "/" + in.Status + "/" + in.Name
	}
	for id, w := range want {
		if have[id] != w {
			t.Fatalf("%s: %s is %q, want %q", what, id, have[id], w)
		}
	}
}

// testInstanceRoles: SetInstancesRAMRole is a compare-and-set over one
// account and region, all or nothing. Before: i-1 has Role and i-2 none in
// cn-hangzhou, i-3 is in cn-beijing, i-4 is another account's.
func testInstanceRoles(t *testing.T, st CoreStore, a string) {
	ctx := context.Background()
	const hz = "cn-hangzhou"
	before := map[string]string{"i-1": "Role/Running/name-i-1", "i-2": "/Running/name-i-2", "i-3": "/Running/name-i-3"}
	var missing *localyun.MissingIDsError
	// Ids of another account or region are missing, and only those.
	err := st.SetInstancesRAMRole(ctx, a, hz, []localyun.InstanceRoleChange{change("i-2", "", "X"), change("i-4", "Role", ""), change("i-3", "", "X")})
	if !errors.As(err, &missing) || len(missing.IDs) != 2 || missing.IDs[0] != "i-4" || missing.IDs[1] != "i-3" {
		t.Fatalf("SetInstancesRAMRole other account and region: %v", err)
	}
	wantKind(t, err, localyun.ErrNotFound)
	wantInstances(t, st, a, "after missing ids", before)
	// A missing id wins over a conflict.
	err = st.SetInstancesRAMRole(ctx, a, hz, []localyun.InstanceRoleChange{change("i-1", "Other", ""), change("i-nope", "", "X")})
	if !errors.As(err, &missing) || len(missing.IDs) != 1 || missing.IDs[0] != "i-nope" {
		t.Fatalf("SetInstancesRAMRole missing and conflict: %v", err)
	}
	// From compares exactly (case included); a group that would succeed
	// is not written either.
	for _, changes := range [][]localyun.InstanceRoleChange{
		{change("i-1", "", "X")},
		{change("i-2", "", "New"), change("i-1", "role", "")},
		{change("i-1", "Role", ""), change("i-2", "Other", "New")},
	} {
		err := st.SetInstancesRAMRole(ctx, a, hz, changes)
		wantKind(t, err, localyun.ErrConflict)
		if errors.Is(err, localyun.ErrNotFound) {
			t.Fatalf("conflict %v is also ErrNotFound", err)
		}
		wantInstances(t, st, a, "after a conflict", before)
	}
	if err := st.SetInstancesRAMRole(ctx, a, hz, nil); err != nil {
		t.Fatalf("no changes: %v", err)
	}
	// Two groups (attach one, detach another) in one call.
	if err := st.SetInstancesRAMRole(ctx, a, hz, []localyun.InstanceRoleChange{change("i-2", "", "Role"), change("i-1", "Role", "")}); err != nil {
		t.Fatal(err)
	}
	wantInstances(t, st, a, "after two groups", map[string]string{"i-1": "/Running/name-i-1", "i-2": "Role/Running/name-i-2"})
	// A partial batch: only the instances named change, nothing else of them.
	more := []localyun.Instance{instance(a, "cn-shanghai", "i-6", "Keep"), instance(a, "cn-shanghai", "i-7", ""),
		instance(a, "cn-shanghai", "i-8", "")}
	if err := st.CreateInstances(ctx, more); err != nil {
		t.Fatal(err)
	}
	if err := st.SetInstancesRAMRole(ctx, a, "cn-shanghai", []localyun.InstanceRoleChange{change("i-8", "", "New"), change("i-7", "", "New")}); err != nil {
		t.Fatal(err)
	}
	wantInstances(t, st, a, "partial batch", map[string]string{"i-6": "Keep/Running/name-i-6", "i-7": "New/Running/name-i-7", "i-8": "New/Running/name-i-8"})
}

// testInstanceStatusAndDelete: SetInstanceStatus and DeleteInstances
// compare the status; DeleteInstances is all or nothing.
func testInstanceStatusAndDelete(t *testing.T, st CoreStore, a, b string) {
	ctx := context.Background()
	if err := st.SetInstanceStatus(ctx, a, "cn-shanghai", "i-7", localyun.StatusRunning, localyun.StatusStopped); err != nil {
		t.Fatal(err)
	}
	wantKind(t, st.SetInstanceStatus(ctx, a, "cn-shanghai", "i-7", localyun.StatusRunning, localyun.StatusStopped), localyun.ErrConflict)
	wantKind(t, st.SetInstanceStatus(ctx, a, "cn-shanghai", "i-nope", localyun.StatusRunning, localyun.StatusStopped), localyun.ErrNotFound)
	wantKind(t, st.SetInstanceStatus(ctx, a, "cn-beijing", "i-7", localyun.StatusStopped, localyun.StatusRunning), localyun.ErrNotFound)
	wantKind(t, st.SetInstanceStatus(ctx, a, "cn-hangzhou", "i-4", localyun.StatusRunning, localyun.StatusStopped), localyun.ErrNotFound)
	wantInstances(t, st, a, "after status", map[string]string{"i-6": "Keep/Running/name-i-6", "i-7": "New/Stopped/name-i-7"})

	// Only Stopped instances: i-6 runs, so neither goes.
	wantKind(t, st.DeleteInstances(ctx, a, "cn-shanghai", []string{"i-7", "i-6"}, localyun.StatusStopped), localyun.ErrConflict)
	if err := st.DeleteInstances(ctx, a, "cn-shanghai", []string{"i-7"}, localyun.StatusStopped); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteInstances(ctx, a, "cn-shanghai", []string{"i-6", "i-8"}, ""); err != nil {
		t.Fatal(err)
	}
	err := st.DeleteInstances(ctx, a, "cn-hangzhou", []string{"i-1", "i-3"}, "")
	var missing *localyun.MissingIDsError
	if !errors.As(err, &missing) || len(missing.IDs) != 1 || missing.IDs[0] != "i-3" {
		t.Fatalf("DeleteInstances across regions: %v", err)
	}
	wantKind(t, st.DeleteInstances(ctx, a, "cn-hangzhou", []string{"i-1", "i-4"}, ""), localyun.ErrNotFound)
	if err := st.DeleteInstances(ctx, a, "cn-hangzhou", []string{"i-1", "i-2"}, ""); err != nil {
		t.Fatal(err)
	}
	if _, total, _ := st.FindInstances(ctx, localyun.InstanceFilter{AccountID: a}); total != 1 {
		t.Fatalf("after delete: %d left, want 1", total)
	}
	if _, total, _ := st.FindInstances(ctx, localyun.InstanceFilter{AccountID: b}); total != 1 {
		t.Fatalf("other account touched: %d", total)
	}
}

// testInstanceRoleRace: of concurrent compare-and-sets from the same role,
// exactly one wins; the others see ErrConflict.
func testInstanceRoleRace(t *testing.T, st CoreStore, a string) {
	ctx := context.Background()
	if err := st.CreateInstances(ctx, []localyun.Instance{instance(a, "cn-shenzhen", "i-race", "")}); err != nil {
		t.Fatal(err)
	}
	const n = 8
	errs := make(chan error, n)
	for k := range n {
		go func() {
			errs <- st.SetInstancesRAMRole(ctx, a, "cn-shenzhen", []localyun.InstanceRoleChange{change("i-race", "", fmt.Sprint("R", k))})
		}()
	}
	won := 0
	for range n {
		switch err := <-errs; {
		case err == nil:
			won++
		case !errors.Is(err, localyun.ErrConflict):
			t.Fatalf("racing SetInstancesRAMRole: %v", err)
		}
	}
	if won != 1 {
		t.Fatalf("%d of %d racing compare-and-sets won, want 1", won, n)
	}
}

func testBastionInstances(t *testing.T, open CoreOpener) {
	ctx := context.Background()
	st := open(t)
	const a, b = "1111111111111111", "2222222222222222"
	MustCreateAccount(t, st, a)
	MustCreateAccount(t, st, b)
	bi := localyun.BastionInstance{ID: "bastionhost-cn-1", AccountID: a, RegionID: "cn-hangzhou", Status: localyun.BastionRunning,
		PlanCode: "cloudbastion", CreatedAt: epoch, ExpiresAt: epoch.AddDate(1, 0, 0)}
	if err := st.CreateBastionInstance(ctx, bi); err != nil {
		t.Fatal(err)
	}
	wantKind(t, st.CreateBastionInstance(ctx, bi), localyun.ErrAlreadyExists)
	got, err := st.FindBastionInstance(ctx, a, bi.ID)
	if err != nil || got.RegionID != "cn-hangzhou" || !got.ExpiresAt.Equal(bi.ExpiresAt) {
		t.Fatalf("FindBastionInstance = %+v, %v", got, err)
	}
	_, err = st.FindBastionInstance(ctx, b, bi.ID)
	wantKind(t, err, localyun.ErrNotFound)
	list, total, err := st.FindBastionInstances(ctx, localyun.BastionInstanceFilter{AccountID: a, IDs: []string{bi.ID, "bastionhost-x"}})
	if err != nil || total != 1 || len(list) != 1 {
		t.Fatalf("FindBastionInstances = %v %d %v", list, total, err)
	}
}
