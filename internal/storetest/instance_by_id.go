package storetest

import (
	"context"
	"testing"

	"github.com/localyun/localyun"
)

// testInstanceByID: FindInstanceByID finds an instance of any account by its
// id alone, with every field, and follows each write at once (a store that
// caches rows must not answer with a detached role, old metadata options or
// a deleted instance).
func testInstanceByID(t *testing.T, open CoreOpener) {
	ctx := context.Background()
	st := open(t)
	const a, b, hz = "1111111111111111", "2222222222222222", "cn-hangzhou"
	MustCreateAccount(t, st, a)
	MustCreateAccount(t, st, b)
	ia, ib := instance(a, hz, "i-byid1", "Role"), instance(b, hz, "i-byid2", "")
	if err := st.CreateInstances(ctx, []localyun.Instance{ia, ib}); err != nil {
		t.Fatal(err)
	}
	find := func(id string) localyun.Instance {
		t.Helper()
		in, err := st.FindInstanceByID(ctx, id)
		if err != nil {
			t.Fatalf("FindInstanceByID(%s): %v", id, err)
		}
		return in
	}
	for _, want := range []localyun.Instance{ia, ib} {
		got := find(want.ID)
		if got.AccountID != want.AccountID || got.RAMRoleName != want.RAMRoleName || got.PrivateIP != want.PrivateIP ||
			got.VSwitchID != want.VSwitchID || got.Metadata != localyun.DefaultMetadataOptions || !got.CreatedAt.Equal(want.CreatedAt) {
			t.Fatalf("FindInstanceByID(%s) = %+v, want %+v with the default metadata options", want.ID, got, want)
		}
	}
	_, err := st.FindInstanceByID(ctx, "i-absent")
	wantKind(t, err, localyun.ErrNotFound)

	if err := st.SetInstancesRAMRole(ctx, a, hz, []localyun.InstanceRoleChange{change(ia.ID, "Role", "")}); err != nil {
		t.Fatal(err)
	}
	if got := find(ia.ID); got.RAMRoleName != "" {
		t.Fatalf("after the detach: role %q, want none", got.RAMRoleName)
	}
	opts := localyun.MetadataOptions{HTTPEndpoint: localyun.MetadataDisabled, HTTPTokens: localyun.TokensRequired, HopLimit: 2}
	if err := st.UpdateInstance(ctx, a, ia.ID, localyun.InstanceUpdate{Metadata: &opts}); err != nil {
		t.Fatal(err)
	}
	if got := find(ia.ID); got.Metadata != opts {
		t.Fatalf("after the update: metadata options %+v, want %+v", got.Metadata, opts)
	}
	if err := st.DeleteInstances(ctx, a, hz, []string{ia.ID}, ""); err != nil {
		t.Fatal(err)
	}
	_, err = st.FindInstanceByID(ctx, ia.ID)
	wantKind(t, err, localyun.ErrNotFound)
	if got := find(ib.ID); got.AccountID != b {
		t.Fatalf("the other account's instance: account %s, want %s", got.AccountID, b)
	}
}
