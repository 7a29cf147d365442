package ram_test

import (
	"context"
	"testing"
	"time"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/ram"
	"github.com/localyun/localyun/internal/sqlite"
)

// racingStore runs between, when set, just before each AttachPolicy: a
// request that deletes what the attach has already resolved.
type racingStore struct {
	*sqlite.Store
	between func()
}

// AttachPolicy runs between, then attaches.
func (st *racingStore) AttachPolicy(ctx context.Context, a localyun.Attachment) error {
	if st.between != nil {
		st.between()
	}
	return st.Store.AttachPolicy(ctx, a)
}

// TestAttachDeletedMeanwhile checks that attaching a policy to a user,
// group or role deleted after the service resolved it (or a custom policy
// deleted meanwhile) answers the EntityNotExist code of what is gone and
// leaves no attachment for a principal created later under that name.
func TestAttachDeletedMeanwhile(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const acct = "1234567890123456"
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := db.CreateAccount(ctx, localyun.Account{ID: acct, Name: "a", CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	st := &racingStore{Store: db}
	s := ram.NewService(st, ram.Options{Now: func() time.Time { return now }, NewID: func(string) string { return "1" }})
	ctx = localyun.NewContextWithPrincipal(ctx, localyun.Principal{AccountID: acct, Type: localyun.PrincipalTypeRoot})
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	race := func(del func() error, attach func() error, code string) {
		t.Helper()
		st.between = func() { must(del()) }
		err := attach()
		st.between = nil
		if got := localyun.ErrorCode(err); got != code {
			t.Fatalf("attach after a concurrent delete = %v, want %s", err, code)
		}
	}
	const admin = "AdministratorAccess"
	_, err = s.CreateUser(ctx, localyun.User{Name: "bob"})
	must(err)
	race(func() error { return s.DeleteUser(ctx, "bob") },
		func() error { return s.AttachPolicyToUser(ctx, localyun.PolicyTypeSystem, admin, "Bob") }, "EntityNotExist.User")
	_, err = s.CreateUser(ctx, localyun.User{Name: "BOB"})
	must(err)
	if ps, err := s.ListPoliciesForUser(ctx, "bob"); err != nil || len(ps) != 0 {
		t.Fatalf("the new bob's policies = %+v, %v; want none", ps, err)
	}
	_, err = s.CreateGroup(ctx, localyun.Group{Name: "ops"})
	must(err)
	race(func() error { return s.DeleteGroup(ctx, "ops") },
		func() error { return s.AttachPolicyToGroup(ctx, localyun.PolicyTypeSystem, admin, "ops") }, "EntityNotExist.Group")
	_, err = s.CreateRole(ctx, localyun.Role{Name: "r", AssumeRolePolicyDocument: "{}", MaxSessionDuration: 3600})
	must(err)
	race(func() error { return s.DeleteRole(ctx, "r") },
		func() error { return s.AttachPolicyToRole(ctx, localyun.PolicyTypeSystem, admin, "r") }, "EntityNotExist.Role")
	_, err = s.CreatePolicy(ctx, "Mine", `{"Version":"1","Statement":[{"Effect":"Allow","Action":"ecs:*","Resource":"*"}]}`, "")
	must(err)
	race(func() error { return s.DeletePolicy(ctx, "Mine") },
		func() error { return s.AttachPolicyToUser(ctx, localyun.PolicyTypeCustom, "Mine", "bob") }, "EntityNotExist.Policy")
	if as, err := db.FindAttachments(ctx, localyun.AttachmentFilter{AccountID: acct}); err != nil || len(as) != 0 {
		t.Fatalf("attachments = %+v, %v; want none", as, err)
	}
}
