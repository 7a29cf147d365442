package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/localyun/localyun"
)

const (
	acct1 = "1111111111111111"
	acct2 = "2222222222222222"
)

func mustUser(tb testing.TB, st IAMStore, account, id, name string) {
	tb.Helper()
	if err := st.CreateUser(context.Background(), localyun.User{ID: id, AccountID: account, Name: name, CreatedAt: epoch, UpdatedAt: epoch}); err != nil {
		tb.Fatal(err)
	}
}

func wantConflict(tb testing.TB, err error, with string) {
	tb.Helper()
	var ce *localyun.ConflictError
	if !errors.As(err, &ce) || ce.With != with || !errors.Is(err, localyun.ErrConflict) {
		tb.Fatalf("got error %v, want ConflictError with %s", err, with)
	}
}

// wantMissing fails unless err is a *localyun.NotFoundError (of kind
// ErrNotFound) for the entity of kind and name.
func wantMissing(tb testing.TB, err error, kind, name string) {
	tb.Helper()
	var nf *localyun.NotFoundError
	if !errors.As(err, &nf) || nf.Kind != kind || nf.Name != name || !errors.Is(err, localyun.ErrNotFound) {
		tb.Fatalf("got error %v, want NotFoundError for %s %s", err, kind, name)
	}
}

// testIAM covers users, access keys, groups, policies and attachments. Its
// families run in order on one store, each from the state the one before
// left, so the first that fails ends the test.
func testIAM(t *testing.T, open IAMOpener) {
	st := open(t)
	MustCreateAccount(t, st, acct1)
	MustCreateAccount(t, st, acct2)
	for _, f := range []struct {
		name string
		test func(*testing.T, IAMStore)
	}{
		{"Users", testIAMUsers},
		{"AccessKeys", testIAMAccessKeys},
		{"RootAccessKeys", testIAMRootAccessKeys},
		{"Groups", testIAMGroups},
		{"PolicyVersions", testIAMPolicyVersions},
		{"Attachments", testIAMAttachments},
		{"Renames", testIAMRenames},
		{"Unwinding", testIAMUnwinding},
	} {
		if !t.Run(f.name, func(t *testing.T) { f.test(t, st) }) {
			return
		}
	}
}

// testIAMUsers checks users: case-insensitive names per account, isolation,
// paging.
func testIAMUsers(t *testing.T, st IAMStore) {
	ctx := context.Background()
	mustUser(t, st, acct1, "201", "alice")
	mustUser(t, st, acct1, "202", "Bob")
	mustUser(t, st, acct2, "203", "alice")
	wantKind(t, st.CreateUser(ctx, localyun.User{ID: "204", AccountID: acct1, Name: "ALICE"}), localyun.ErrAlreadyExists)
	u, err := st.FindUserByName(ctx, acct1, "Alice")
	if err != nil || u.ID != "201" || u.Name != "alice" || !u.CreatedAt.Equal(epoch) {
		t.Fatalf("FindUserByName = %+v, %v", u, err)
	}
	_, err = st.FindUserByName(ctx, acct2, "bob")
	wantKind(t, err, localyun.ErrNotFound)
	users, err := st.FindUsers(ctx, localyun.UserFilter{AccountID: acct1, Limit: 1})
	if err != nil || len(users) != 1 || users[0].Name != "alice" {
		t.Fatalf("FindUsers page 1 = %+v, %v", users, err)
	}
	users, err = st.FindUsers(ctx, localyun.UserFilter{AccountID: acct1, After: "alice"})
	if err != nil || len(users) != 1 || users[0].Name != "Bob" {
		t.Fatalf("FindUsers page 2 = %+v, %v", users, err)
	}
}

// testIAMAccessKeys checks users' access keys: at most limit per user,
// scoped to user and account, status and last use.
func testIAMAccessKeys(t *testing.T, st IAMStore) {
	ctx := context.Background()
	for _, id := range []string{"AKU1", "AKU2"} {
		if err := st.CreateUserAccessKey(ctx, localyun.AccessKey{ID: id, Secret: "sec" + id, AccountID: acct1, UserName: "ALICE",
			Status: localyun.AccessKeyActive, CreatedAt: epoch}, 2); err != nil {
			t.Fatal(err)
		}
	}
	wantKind(t, st.CreateUserAccessKey(ctx, localyun.AccessKey{ID: "AKU3", Secret: "x", AccountID: acct1, UserName: "alice", Status: localyun.AccessKeyActive}, 2), localyun.ErrLimitExceeded)
	wantKind(t, st.CreateUserAccessKey(ctx, localyun.AccessKey{ID: "AKU4", Secret: "x", AccountID: acct1, UserName: "nobody", Status: localyun.AccessKeyActive}, 2), localyun.ErrNotFound)
	k, err := st.FindAccessKey(ctx, "AKU1")
	if err != nil || k.Secret != "secAKU1" || k.UserName != "alice" || k.AccountID != acct1 {
		t.Fatalf("FindAccessKey = %+v, %v", k, err)
	}
	keys, err := st.FindAccessKeys(ctx, acct1, "alice")
	if err != nil || len(keys) != 2 || keys[0].ID != "AKU1" {
		t.Fatalf("FindAccessKeys = %+v, %v", keys, err)
	}
	if keys, _ := st.FindAccessKeys(ctx, acct2, "alice"); len(keys) != 0 {
		t.Fatalf("keys leak across accounts: %+v", keys)
	}
	wantKind(t, st.UpdateAccessKeyStatus(ctx, acct2, "alice", "AKU1", localyun.AccessKeyInactive), localyun.ErrNotFound)
	wantKind(t, st.UpdateAccessKeyStatus(ctx, acct1, "Bob", "AKU1", localyun.AccessKeyInactive), localyun.ErrNotFound)
	if err := st.UpdateAccessKeyStatus(ctx, acct1, "alice", "AKU1", localyun.AccessKeyInactive); err != nil {
		t.Fatal(err)
	}
	if k, _ := st.FindAccessKey(ctx, "AKU1"); k.Status != localyun.AccessKeyInactive {
		t.Fatalf("status = %s", k.Status)
	}
	if last, err := st.FindAccessKeyLastUsed(ctx, acct1, "alice", "AKU2"); err != nil || !last.IsZero() {
		t.Fatalf("FindAccessKeyLastUsed = %v, %v", last, err)
	}
	used := epoch.Add(time.Hour)
	if err := st.TouchAccessKey(ctx, "AKU2", used); err != nil {
		t.Fatal(err)
	}
	if last, err := st.FindAccessKeyLastUsed(ctx, acct1, "alice", "AKU2"); err != nil || !last.Equal(used) {
		t.Fatalf("FindAccessKeyLastUsed = %v, %v", last, err)
	}
	_, err = st.FindAccessKeyLastUsed(ctx, acct2, "alice", "AKU2")
	wantKind(t, err, localyun.ErrNotFound)
}

// testIAMRootAccessKeys checks the root's access keys ("" user): they have
// their limit too, per account, and the account's root key of
// MustCreateAccount counts.
func testIAMRootAccessKeys(t *testing.T, st IAMStore) {
	ctx := context.Background()
	wantKind(t, st.CreateUserAccessKey(ctx, localyun.AccessKey{ID: "AKR2", Secret: "x", AccountID: acct1, Status: localyun.AccessKeyActive}, 1), localyun.ErrLimitExceeded)
	if err := st.CreateUserAccessKey(ctx, localyun.AccessKey{ID: "AKR2", Secret: "secAKR2", AccountID: acct1, Status: localyun.AccessKeyActive, CreatedAt: epoch}, 2); err != nil {
		t.Fatal(err)
	}
	if keys, err := st.FindAccessKeys(ctx, acct1, ""); err != nil || len(keys) != 2 || keys[1].ID != "AKR2" || keys[1].UserName != "" {
		t.Fatalf("root keys = %+v, %v", keys, err)
	}
	wantKind(t, st.CreateUserAccessKey(ctx, localyun.AccessKey{ID: "AKR3", Secret: "x", AccountID: acct1, Status: localyun.AccessKeyActive}, 2), localyun.ErrLimitExceeded)
	wantKind(t, st.CreateUserAccessKey(ctx, localyun.AccessKey{ID: "AKR4", Secret: "x", AccountID: "3333333333333333", Status: localyun.AccessKeyActive}, 2), localyun.ErrNotFound)
	if err := st.DeleteAccessKey(ctx, acct1, "", "AKR2"); err != nil {
		t.Fatal(err)
	}
}

// testIAMGroups checks groups and members.
func testIAMGroups(t *testing.T, st IAMStore) {
	ctx := context.Background()
	if err := st.CreateGroup(ctx, localyun.Group{ID: "301", AccountID: acct1, Name: "ops", Comments: "c", CreatedAt: epoch, UpdatedAt: epoch}); err != nil {
		t.Fatal(err)
	}
	wantKind(t, st.CreateGroup(ctx, localyun.Group{ID: "302", AccountID: acct1, Name: "OPS"}), localyun.ErrAlreadyExists)
	_, err := st.FindGroupByName(ctx, acct2, "ops")
	wantKind(t, err, localyun.ErrNotFound)
	if err := st.AddUserToGroup(ctx, acct1, "OPS", "ALICE", epoch); err != nil {
		t.Fatal(err)
	}
	wantKind(t, st.AddUserToGroup(ctx, acct1, "ops", "alice", epoch), localyun.ErrAlreadyExists)
	wantKind(t, st.AddUserToGroup(ctx, acct1, "ops", "nobody", epoch), localyun.ErrNotFound)
	wantKind(t, st.AddUserToGroup(ctx, acct2, "ops", "alice", epoch), localyun.ErrNotFound)
	ms, err := st.FindGroupsForUser(ctx, acct1, "alice")
	if err != nil || len(ms) != 1 || ms[0].Group.Name != "ops" || !ms[0].JoinedAt.Equal(epoch) {
		t.Fatalf("FindGroupsForUser = %+v, %v", ms, err)
	}
	ms, err = st.FindUsersForGroup(ctx, acct1, "ops")
	if err != nil || len(ms) != 1 || ms[0].User.Name != "alice" {
		t.Fatalf("FindUsersForGroup = %+v, %v", ms, err)
	}
	wantConflict(t, st.DeleteGroup(ctx, acct1, "ops"), "User")
}

// testIAMPolicyVersions checks policies and their versions: the limit,
// rotation, the default version.
func testIAMPolicyVersions(t *testing.T, st IAMStore) {
	ctx := context.Background()
	p := localyun.Policy{AccountID: acct1, Name: "ReadThings", Description: "d", CreatedAt: epoch, UpdatedAt: epoch}
	if err := st.CreatePolicy(ctx, p, localyun.PolicyVersion{Document: `{"v":1}`, CreatedAt: epoch}); err != nil {
		t.Fatal(err)
	}
	wantKind(t, st.CreatePolicy(ctx, localyun.Policy{AccountID: acct1, Name: "readthings"}, localyun.PolicyVersion{Document: "{}"}), localyun.ErrAlreadyExists)
	got, err := st.FindPolicy(ctx, acct1, "readthings")
	if err != nil || got.Name != "ReadThings" || got.DefaultVersion != "v1" || got.Type != localyun.PolicyTypeCustom {
		t.Fatalf("FindPolicy = %+v, %v", got, err)
	}
	_, err = st.FindPolicy(ctx, acct2, "ReadThings")
	wantKind(t, err, localyun.ErrNotFound)
	for i := 2; i <= 5; i++ {
		v, err := st.CreatePolicyVersion(ctx, acct1, "ReadThings", localyun.PolicyVersion{Document: "{}", CreatedAt: epoch}, 5, false)
		if err != nil || v.VersionID != "v"+string(rune('0'+i)) {
			t.Fatalf("CreatePolicyVersion = %+v, %v", v, err)
		}
	}
	_, err = st.CreatePolicyVersion(ctx, acct1, "ReadThings", localyun.PolicyVersion{Document: "{}"}, 5, false)
	wantKind(t, err, localyun.ErrLimitExceeded)
	v, err := st.CreatePolicyVersion(ctx, acct1, "ReadThings", localyun.PolicyVersion{Document: `{"v":6}`, IsDefault: true, CreatedAt: epoch}, 5, true)
	if err != nil || v.VersionID != "v6" {
		t.Fatalf("rotate = %+v, %v", v, err)
	}
	vs, err := st.FindPolicyVersions(ctx, acct1, "ReadThings")
	if err != nil || len(vs) != 5 || vs[0].VersionID != "v1" || vs[1].VersionID != "v3" || !vs[4].IsDefault {
		t.Fatalf("FindPolicyVersions = %+v, %v (rotation drops the oldest non-default version v2)", vs, err)
	}
	if v, err := st.FindPolicyVersion(ctx, acct1, "ReadThings", "v6"); err != nil || v.Document != `{"v":6}` || !v.IsDefault {
		t.Fatalf("FindPolicyVersion = %+v, %v", v, err)
	}
	_, err = st.FindPolicyVersion(ctx, acct1, "ReadThings", "v2")
	wantKind(t, err, localyun.ErrNotFound)
	wantConflict(t, st.DeletePolicyVersion(ctx, acct1, "ReadThings", "v6"), "Default")
	wantKind(t, st.SetDefaultPolicyVersion(ctx, acct1, "ReadThings", "v9", epoch), localyun.ErrNotFound)
	if err := st.SetDefaultPolicyVersion(ctx, acct1, "ReadThings", "v1", epoch); err != nil {
		t.Fatal(err)
	}
	wantConflict(t, st.DeletePolicy(ctx, acct1, "ReadThings"), "Version")
	for _, id := range []string{"v3", "v4", "v5", "v6"} {
		if err := st.DeletePolicyVersion(ctx, acct1, "ReadThings", id); err != nil {
			t.Fatal(err)
		}
	}
	wantKind(t, st.DeletePolicyVersion(ctx, acct1, "ReadThings", "v6"), localyun.ErrNotFound)
}

// testIAMAttachments checks attachments to a user and a group, and that
// they and the access keys keep users, groups and policies from being
// deleted.
func testIAMAttachments(t *testing.T, st IAMStore) {
	ctx := context.Background()
	att := iamUserAttachment()
	if err := st.AttachPolicy(ctx, att); err != nil {
		t.Fatal(err)
	}
	wantKind(t, st.AttachPolicy(ctx, att), localyun.ErrAlreadyExists)
	sys := iamGroupAttachment()
	if err := st.AttachPolicy(ctx, sys); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.FindPolicy(ctx, acct1, "ReadThings"); got.AttachmentCount != 1 {
		t.Fatalf("AttachmentCount = %d, want 1", got.AttachmentCount)
	}
	wantConflict(t, st.DeletePolicy(ctx, acct1, "ReadThings"), "User")
	wantConflict(t, st.DeleteGroup(ctx, acct1, "ops"), "User")
	wantConflict(t, st.DeleteUser(ctx, acct1, "alice"), "AccessKey")
}

// testIAMRenames checks that renaming a user or a group carries its keys,
// memberships and attachments.
func testIAMRenames(t *testing.T, st IAMStore) {
	ctx := context.Background()
	newName := "alice2"
	if u, err := st.UpdateUser(ctx, acct1, "alice", localyun.UserUpdate{Name: &newName, UpdatedAt: epoch}); err != nil || u.Name != "alice2" {
		t.Fatalf("UpdateUser = %+v, %v", u, err)
	}
	taken := "bob"
	_, err := st.UpdateUser(ctx, acct1, "alice2", localyun.UserUpdate{Name: &taken})
	wantKind(t, err, localyun.ErrAlreadyExists)
	if keys, _ := st.FindAccessKeys(ctx, acct1, "alice2"); len(keys) != 2 {
		t.Fatalf("keys after rename: %+v", keys)
	}
	if k, err := st.FindAccessKey(ctx, "AKU1"); err != nil || k.UserName != "alice2" {
		t.Fatalf("FindAccessKey after rename = %+v, %v", k, err)
	}
	if ms, _ := st.FindGroupsForUser(ctx, acct1, "alice2"); len(ms) != 1 {
		t.Fatalf("groups after rename: %+v", ms)
	}
	as, err := st.FindAttachments(ctx, localyun.AttachmentFilter{AccountID: acct1, PrincipalType: localyun.AttachUser, PrincipalName: "ALICE2"})
	if err != nil || len(as) != 1 || as[0].PolicyName != "ReadThings" {
		t.Fatalf("FindAttachments after rename = %+v, %v", as, err)
	}
	if as, _ := st.FindAttachments(ctx, localyun.AttachmentFilter{AccountID: acct2}); len(as) != 0 {
		t.Fatalf("attachments leak across accounts: %+v", as)
	}
	newGroup := "ops2"
	if g, err := st.UpdateGroup(ctx, acct1, "ops", localyun.GroupUpdate{Name: &newGroup, UpdatedAt: epoch}); err != nil || g.Name != "ops2" || g.Comments != "c" {
		t.Fatalf("UpdateGroup = %+v, %v", g, err)
	}
	if ms, _ := st.FindUsersForGroup(ctx, acct1, "ops2"); len(ms) != 1 {
		t.Fatalf("members after group rename: %+v", ms)
	}
	if as, _ := st.FindAttachments(ctx, localyun.AttachmentFilter{AccountID: acct1, PrincipalType: localyun.AttachGroup, PrincipalName: "ops2"}); len(as) != 1 {
		t.Fatalf("group attachments after rename: %+v", as)
	}
}

// testIAMUnwinding checks that undoing keys, attachments and memberships
// makes every delete possible.
func testIAMUnwinding(t *testing.T, st IAMStore) {
	ctx := context.Background()
	att, sys := iamUserAttachment(), iamGroupAttachment()
	wantKind(t, st.DetachPolicy(ctx, localyun.Attachment{AccountID: acct2, PolicyType: att.PolicyType, PolicyName: att.PolicyName,
		PrincipalType: att.PrincipalType, PrincipalName: "alice2"}), localyun.ErrNotFound)
	for _, step := range []error{
		st.DeleteAccessKey(ctx, acct1, "alice2", "AKU1"),
		st.DeleteAccessKey(ctx, acct1, "alice2", "AKU2"),
	} {
		if step != nil {
			t.Fatal(step)
		}
	}
	wantKind(t, st.DeleteAccessKey(ctx, acct1, "alice2", "AKU1"), localyun.ErrNotFound)
	_, err := st.FindAccessKey(ctx, "AKU1")
	wantKind(t, err, localyun.ErrNotFound)
	wantConflict(t, st.DeleteUser(ctx, acct1, "alice2"), "Policy")
	if err := st.DetachPolicy(ctx, localyun.Attachment{AccountID: acct1, PolicyType: att.PolicyType, PolicyName: att.PolicyName,
		PrincipalType: att.PrincipalType, PrincipalName: "alice2"}); err != nil {
		t.Fatal(err)
	}
	wantConflict(t, st.DeleteUser(ctx, acct1, "alice2"), "Group")
	wantKind(t, st.RemoveUserFromGroup(ctx, acct1, "ops2", "bob"), localyun.ErrNotFound)
	if err := st.RemoveUserFromGroup(ctx, acct1, "ops2", "alice2"); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteUser(ctx, acct1, "alice2"); err != nil {
		t.Fatal(err)
	}
	wantKind(t, st.DeleteUser(ctx, acct1, "alice2"), localyun.ErrNotFound)
	wantConflict(t, st.DeleteGroup(ctx, acct1, "ops2"), "Policy")
	if err := st.DetachPolicy(ctx, sys); err == nil {
		t.Fatal("detach under the old group name succeeded")
	}
	sys.PrincipalName = "ops2"
	if err := st.DetachPolicy(ctx, sys); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteGroup(ctx, acct1, "ops2"); err != nil {
		t.Fatal(err)
	}
	if err := st.DeletePolicy(ctx, acct1, "ReadThings"); err != nil {
		t.Fatal(err)
	}
	wantKind(t, st.DeletePolicy(ctx, acct1, "ReadThings"), localyun.ErrNotFound)
	if u, _ := st.FindUserByName(ctx, acct2, "alice"); u.ID != "203" {
		t.Fatalf("other account's user changed: %+v", u)
	}
}

// iamUserAttachment is ReadThings attached to user alice.
func iamUserAttachment() localyun.Attachment {
	return localyun.Attachment{AccountID: acct1, PolicyType: localyun.PolicyTypeCustom, PolicyName: "ReadThings",
		PrincipalType: localyun.AttachUser, PrincipalName: "alice", AttachedAt: epoch}
}

// iamGroupAttachment is the system policy ReadOnlyAccess attached to group
// ops.
func iamGroupAttachment() localyun.Attachment {
	return localyun.Attachment{AccountID: acct1, PolicyType: localyun.PolicyTypeSystem, PolicyName: "ReadOnlyAccess",
		PrincipalType: localyun.AttachGroup, PrincipalName: "ops", AttachedAt: epoch}
}

// testRolePolicies checks that DeleteRole refuses while policies are attached.
func testRolePolicies(t *testing.T, open IAMOpener) {
	ctx := context.Background()
	st := open(t)
	MustCreateAccount(t, st, acct1)
	if err := st.CreateRole(ctx, localyun.Role{ID: "401", AccountID: acct1, Name: "R", AssumeRolePolicyDocument: "{}",
		MaxSessionDuration: 3600, CreatedAt: epoch, UpdatedAt: epoch}); err != nil {
		t.Fatal(err)
	}
	a := localyun.Attachment{AccountID: acct1, PolicyType: localyun.PolicyTypeSystem, PolicyName: "ReadOnlyAccess",
		PrincipalType: localyun.AttachRole, PrincipalName: "r", AttachedAt: epoch}
	if err := st.AttachPolicy(ctx, a); err != nil {
		t.Fatal(err)
	}
	wantConflict(t, st.DeleteRole(ctx, acct1, "R"), "Policy")
	wantKind(t, st.DeleteRole(ctx, acct1, "Nope"), localyun.ErrNotFound)
	if err := st.DetachPolicy(ctx, a); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteRole(ctx, acct1, "R"); err != nil {
		t.Fatal(err)
	}
}

// testAttachMissing checks that AttachPolicy refuses with ErrNotFound a
// user, group or role, or a custom policy, that does not exist, and leaves
// nothing behind: a principal created later under that name (in any case)
// has no policy attached.
func testAttachMissing(t *testing.T, open IAMOpener) {
	ctx := context.Background()
	st := open(t)
	MustCreateAccount(t, st, acct1)
	if err := st.CreatePolicy(ctx, localyun.Policy{AccountID: acct1, Name: "ReadThings", CreatedAt: epoch, UpdatedAt: epoch},
		localyun.PolicyVersion{Document: "{}", CreatedAt: epoch}); err != nil {
		t.Fatal(err)
	}
	mustUser(t, st, acct1, "501", "alice")
	attach := func(typ, policy, kind, name string) error {
		return st.AttachPolicy(ctx, localyun.Attachment{AccountID: acct1, PolicyType: typ, PolicyName: policy,
			PrincipalType: kind, PrincipalName: name, AttachedAt: epoch})
	}
	for _, kind := range []string{localyun.AttachUser, localyun.AttachGroup, localyun.AttachRole} {
		wantMissing(t, attach(localyun.PolicyTypeSystem, "AdministratorAccess", kind, "ghost"), kind, "ghost")
		wantMissing(t, attach(localyun.PolicyTypeCustom, "ReadThings", kind, "ghost"), kind, "ghost")
	}
	wantMissing(t, attach(localyun.PolicyTypeCustom, "Nope", localyun.AttachUser, "alice"), "Policy", "Nope")
	wantMissing(t, attach(localyun.PolicyTypeCustom, "Nope", localyun.AttachUser, "ghost"), "Policy", "Nope")
	mustUser(t, st, acct1, "502", "Ghost")
	if err := st.CreateGroup(ctx, localyun.Group{ID: "503", AccountID: acct1, Name: "GHOST", CreatedAt: epoch, UpdatedAt: epoch}); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateRole(ctx, localyun.Role{ID: "504", AccountID: acct1, Name: "gHost", AssumeRolePolicyDocument: "{}",
		MaxSessionDuration: 3600, CreatedAt: epoch, UpdatedAt: epoch}); err != nil {
		t.Fatal(err)
	}
	if as, err := st.FindAttachments(ctx, localyun.AttachmentFilter{AccountID: acct1}); err != nil || len(as) != 0 {
		t.Fatalf("attachments after refused attaches = %+v, %v, want none", as, err)
	}
	if err := attach(localyun.PolicyTypeSystem, "AdministratorAccess", localyun.AttachUser, "ghost"); err != nil {
		t.Fatalf("attach to the new user: %v", err)
	}
}

// testSessions covers STS sessions.
func testSessions(t *testing.T, open IAMOpener) {
	ctx := context.Background()
	st := open(t)
	MustCreateAccount(t, st, acct1)
	s := localyun.Session{AccessKeyID: "STS.abc", Secret: "sssecret", TokenHash: "h", AccountID: acct1, RoleName: "R",
		RoleID: "3", SessionName: "sess", Policy: "{}", Caller: "acs:ram::1:user/u", CreatedAt: epoch, ExpiresAt: epoch.Add(time.Hour)}
	if err := st.CreateSession(ctx, s); err != nil {
		t.Fatal(err)
	}
	wantKind(t, st.CreateSession(ctx, s), localyun.ErrAlreadyExists)
	got, err := st.FindSession(ctx, "STS.abc")
	if err != nil || got != s {
		t.Fatalf("FindSession = %+v, %v; want %+v", got, err, s)
	}
	_, err = st.FindSession(ctx, "STS.nope")
	wantKind(t, err, localyun.ErrNotFound)
	if n, err := st.DeleteExpiredSessions(ctx, epoch.Add(time.Minute)); err != nil || n != 0 {
		t.Fatalf("DeleteExpiredSessions = %d, %v", n, err)
	}
	if n, err := st.DeleteExpiredSessions(ctx, epoch.Add(2*time.Hour)); err != nil || n != 1 {
		t.Fatalf("DeleteExpiredSessions = %d, %v", n, err)
	}
}
