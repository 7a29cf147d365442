package ram_test

import (
	"context"
	"testing"
	"time"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/ram"
	"github.com/localyun/localyun/internal/sqlite"
)

// TestServiceARNs checks that authorization decides on names in their
// stored spelling, whatever case the request used.
func TestServiceARNs(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	const acct = "1234567890123456"
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(st.CreateAccount(ctx, localyun.Account{ID: acct, Name: "a", CreatedAt: now}))
	must(st.CreateUser(ctx, localyun.User{ID: "1", AccountID: acct, Name: "Admin", CreatedAt: now, UpdatedAt: now}))
	must(st.CreateGroup(ctx, localyun.Group{ID: "2", AccountID: acct, Name: "Ops", CreatedAt: now, UpdatedAt: now}))
	must(st.CreateRole(ctx, localyun.Role{ID: "3", AccountID: acct, Name: "AdminRole", AssumeRolePolicyDocument: "{}",
		MaxSessionDuration: 3600, CreatedAt: now, UpdatedAt: now}))
	must(st.CreatePolicy(ctx, localyun.Policy{AccountID: acct, Name: "DenyProtected", CreatedAt: now, UpdatedAt: now},
		localyun.PolicyVersion{Document: "{}", CreatedAt: now}))
	s := ram.NewService(st, ram.Options{Now: func() time.Time { return now }})

	user := localyun.Principal{AccountID: acct, Type: localyun.PrincipalTypeUser, UserName: "Mallory"}
	session := localyun.Principal{AccountID: acct, Type: localyun.PrincipalTypeAssumed, RoleName: "AdminRole", SessionName: "s"}
	const prefix = "acs:ram::" + acct + ":"
	for _, tc := range []struct {
		name string
		p    localyun.Principal
		e    ram.Entity
		want string
	}{
		{"user in another case", user, ram.Entity{Kind: ram.EntityUser, Name: "admin"}, prefix + "user/Admin"},
		{"group in another case", user, ram.Entity{Kind: ram.EntityGroup, Name: "OPS"}, prefix + "group/Ops"},
		{"role in another case", user, ram.Entity{Kind: ram.EntityRole, Name: "ADMINROLE"}, prefix + "role/AdminRole"},
		{"custom policy in another case", user, ram.Entity{Kind: ram.EntityPolicy, Name: "denyprotected", PolicyType: localyun.PolicyTypeCustom}, prefix + "policy/DenyProtected"},
		{"system policy in another case", user, ram.Entity{Kind: ram.EntityPolicy, Name: "administratoraccess", PolicyType: localyun.PolicyTypeSystem}, prefix + "policy/AdministratorAccess"},
		{"a name of no entity, as sent", user, ram.Entity{Kind: ram.EntityUser, Name: "NewUser"}, prefix + "user/NewUser"},
		{"a custom policy named like no custom policy", user, ram.Entity{Kind: ram.EntityPolicy, Name: "administratorAccess", PolicyType: localyun.PolicyTypeCustom}, prefix + "policy/administratorAccess"},
		{"every entity of a kind", user, ram.Entity{Kind: ram.EntityRole, Name: "*"}, prefix + "role/*"},
		{"key owner named", user, ram.Entity{Kind: ram.EntityUser, Name: "ADMIN", Self: true}, prefix + "user/Admin"},
		{"key owner: the calling user", user, ram.Entity{Kind: ram.EntityUser, Self: true}, prefix + "user/Mallory"},
		{"key owner: a role session", session, ram.Entity{Kind: ram.EntityUser, Self: true}, prefix + "root"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.ARNs(ctx, tc.p, tc.e)
			if err != nil || len(got) != 1 || got[0] != tc.want {
				t.Fatalf("ARNs(%+v) = %v, %v; want %s", tc.e, got, err, tc.want)
			}
		})
	}
	// Another account's names are not resolved against this one.
	other := localyun.Principal{AccountID: "6543210987654321", Type: localyun.PrincipalTypeUser, UserName: "x"}
	if got, err := s.ARNs(ctx, other, ram.Entity{Kind: ram.EntityUser, Name: "admin"}); err != nil || got[0] != "acs:ram::6543210987654321:user/admin" {
		t.Fatalf("other account: %v, %v", got, err)
	}
}
