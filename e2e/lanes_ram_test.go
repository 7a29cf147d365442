package e2e_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/alibabacloud-go/tea/tea"
	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ram"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/sts"
)

// lanesRAMDeny is the attacker's own Deny policy (attached to itself under
// the name DenyProtected): every RAM action on the administrator user, the
// administrator role and this very policy, and sts:AssumeRole of the role.
const lanesRAMDeny = `{"Version":"1","Statement":[` +
	`{"Effect":"Deny","Action":"ram:*","Resource":["acs:ram::` + accountA + `:role/AdminRole","acs:ram::` + accountA + `:user/Admin",` +
	`"acs:ram::` + accountA + `:policy/DenyProtected"]},` +
	`{"Effect":"Deny","Action":"sts:AssumeRole","Resource":"acs:ram::` + accountA + `:role/AdminRole"}]}`

// lanesRAMWorld is what the case-change attacks aim at, created by the root
// of account A: user Admin, role AdminRole (trusting the account, so that
// only the Deny stands between a RAM user and its credentials) and the
// attacker Mallory with AdministratorAccess plus DenyProtected.
type lanesRAMWorld struct {
	e        *env
	root     *ram.Client
	attacker struct{ key, secret string }
}

func newLanesRAMWorld(t *testing.T) *lanesRAMWorld {
	t.Helper()
	e := newEnv(t)
	m := newIAM(e, keyA, secretA)
	w := &lanesRAMWorld{e: e, root: m.ram}
	cu := ram.CreateCreateUserRequest()
	cu.Domain, cu.UserName = e.Host, "Admin"
	if _, err := m.ram.CreateUser(cu); err != nil {
		t.Fatal(err)
	}
	cr := ram.CreateCreateRoleRequest()
	cr.Domain, cr.RoleName, cr.AssumeRolePolicyDocument, cr.Description = e.Host, "AdminRole", trustAccountA, "admins"
	if _, err := m.ram.CreateRole(cr); err != nil {
		t.Fatal(err)
	}
	m.customPolicy("DenyProtected", lanesRAMDeny)
	w.attacker.key, w.attacker.secret = m.user("Mallory", "AdministratorAccess")
	m.attach("Custom", "DenyProtected", "Mallory")
	return w
}

// lanesExplicitDeny asserts a 403 NoPermission (JSON or XML) whose
// AccessDeniedDetail names an explicit Deny.
func lanesExplicitDeny(t *testing.T, err error) {
	t.Helper()
	if status, code := apiCode(err); status != 403 || code != "NoPermission" {
		t.Fatalf("got %d %s (%v), want 403 NoPermission", status, code, err)
	}
	var te *tea.SDKError
	if errors.As(err, &te) {
		if got := te.AccessDeniedDetail["NoPermissionType"]; got != "ExplicitDeny" {
			t.Fatalf("NoPermissionType = %v, want ExplicitDeny", got)
		}
		return
	}
	// JSON: the v1 SDK parses the detail; XML: it keeps the raw body.
	var se *sdkerrors.ServerError
	if !errors.As(err, &se) || se.AccessDeniedDetail()["NoPermissionType"] != "ExplicitDeny" &&
		!strings.Contains(se.Message(), "<NoPermissionType>ExplicitDeny</NoPermissionType>") {
		t.Fatalf("denial %v does not name an explicit Deny", err)
	}
}

// TestLanesRAMCaseChangeCreateAccessKey: a key for user/Admin, asked for
// as "admin", is refused and no key is created.
func TestLanesRAMCaseChangeCreateAccessKey(t *testing.T) {
	w := newLanesRAMWorld(t)
	c := &ram.Client{Client: *w.e.v1Client(w.attacker.key, w.attacker.secret)}
	for _, name := range []string{"Admin", "admin", "ADMIN"} {
		req := ram.CreateCreateAccessKeyRequest()
		req.Domain, req.UserName = w.e.Host, name
		res, err := c.CreateAccessKey(req)
		if err == nil {
			t.Fatalf("CreateAccessKey UserName=%s succeeded: key %s", name, res.AccessKey.AccessKeyId)
		}
		lanesExplicitDeny(t, err)
	}
	lk := ram.CreateListAccessKeysRequest()
	lk.Domain, lk.UserName = w.e.Host, "Admin"
	keys, err := w.root.ListAccessKeys(lk)
	if err != nil || len(keys.AccessKeys.AccessKey) != 0 {
		t.Fatalf("Admin's keys after the attack = %+v, %v; want none", keys, err)
	}
}

// TestLanesRAMCaseChangeUpdateRole: UpdateRole RoleName=ADMINROLE (V3
// CallApi) is refused and the role keeps its description and trust.
func TestLanesRAMCaseChangeUpdateRole(t *testing.T) {
	w := newLanesRAMWorld(t)
	c := w.e.teaClient(w.attacker.key, w.attacker.secret)
	for _, name := range []string{"AdminRole", "ADMINROLE", "adminrole"} {
		_, err := callV3(c, "2015-05-01", "UpdateRole", map[string]string{"RoleName": name, "NewDescription": "pwned",
			"NewAssumeRolePolicyDocument": ecsTrust})
		if err == nil {
			t.Fatalf("UpdateRole RoleName=%s succeeded", name)
		}
		lanesExplicitDeny(t, err)
	}
	gr := ram.CreateGetRoleRequest()
	gr.Domain, gr.RoleName = w.e.Host, "AdminRole"
	res, err := w.root.GetRole(gr)
	if err != nil || res.Role.Description != "admins" || res.Role.AssumeRolePolicyDocument != trustAccountA {
		t.Fatalf("AdminRole after the attack = %+v, %v", res.Role, err)
	}
}

// TestLanesRAMCaseChangeDetachOwnDeny: the attacker cannot detach its own
// Deny by naming it (and itself) in another case.
func TestLanesRAMCaseChangeDetachOwnDeny(t *testing.T) {
	w := newLanesRAMWorld(t)
	c := &ram.Client{Client: *w.e.v1Client(w.attacker.key, w.attacker.secret)}
	for _, tc := range []struct{ policy, user string }{
		{"DenyProtected", "Mallory"}, {"denyprotected", "MALLORY"}, {"DENYPROTECTED", "mallory"},
	} {
		req := ram.CreateDetachPolicyFromUserRequest()
		req.Domain, req.PolicyType, req.PolicyName, req.UserName = w.e.Host, "Custom", tc.policy, tc.user
		if _, err := c.DetachPolicyFromUser(req); err == nil {
			t.Fatalf("DetachPolicyFromUser %s from %s succeeded", tc.policy, tc.user)
		} else {
			lanesExplicitDeny(t, err)
		}
	}
	// Nor replace its document by a new default version.
	_, err := w.e.common(w.e.v1Client(w.attacker.key, w.attacker.secret), "Ram", "2015-05-01", "CreatePolicyVersion", "JSON",
		map[string]string{"PolicyName": "denyprotected", "SetAsDefault": "true",
			"PolicyDocument": `{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`})
	lanesExplicitDeny(t, err)
	lp := ram.CreateListPoliciesForUserRequest()
	lp.Domain, lp.UserName = w.e.Host, "Mallory"
	res, err := w.root.ListPoliciesForUser(lp)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, p := range res.Policies.Policy {
		found = found || p.PolicyName == "DenyProtected" && p.PolicyType == "Custom" && p.DefaultVersion == "v1"
	}
	if !found {
		t.Fatalf("Mallory's policies after the attack = %+v; DenyProtected (v1) must still be attached", res.Policies.Policy)
	}
}

// TestLanesRAMCaseChangeAssumeRole: AssumeRole of role/adminrole, past a
// Deny on role/AdminRole, is refused and creates no session; a RAM user
// without the Deny does get credentials, so the Deny alone stops it.
func TestLanesRAMCaseChangeAssumeRole(t *testing.T) {
	w := newLanesRAMWorld(t)
	c := &sts.Client{Client: *w.e.v1Client(w.attacker.key, w.attacker.secret)}
	for _, name := range []string{"AdminRole", "adminrole", "ADMINROLE"} {
		req := sts.CreateAssumeRoleRequest()
		req.Domain, req.Scheme = w.e.Host, "http"
		req.RoleArn, req.RoleSessionName = "acs:ram::"+accountA+":role/"+name, "pwn"
		res, err := c.AssumeRole(req)
		if err == nil {
			t.Fatalf("AssumeRole %s succeeded: %s", req.RoleArn, res.Credentials.AccessKeyId)
		}
		lanesExplicitDeny(t, err)
	}
	// Sessions are only read by key id: count them by expiring them all.
	ctx := context.Background()
	if n, err := w.e.Store.DeleteExpiredSessions(ctx, time.Now().Add(100*365*24*time.Hour)); err != nil || n != 0 {
		t.Fatalf("sessions after the attack = %d, %v; want 0", n, err)
	}
	k, s := newIAM(w.e, keyA, secretA).user("Helper", "AliyunSTSAssumeRoleAccess")
	req := sts.CreateAssumeRoleRequest()
	req.Domain, req.Scheme = w.e.Host, "http"
	req.RoleArn, req.RoleSessionName = "acs:ram::"+accountA+":role/adminrole", "ok"
	if _, err := (&sts.Client{Client: *w.e.v1Client(k, s)}).AssumeRole(req); err != nil {
		t.Fatalf("control AssumeRole without the Deny: %v", err)
	}
}

// TestLanesRAMCaseChangeOtherActions: the same Deny holds for the other
// actions that name the protected user, role or policy in another case.
func TestLanesRAMCaseChangeOtherActions(t *testing.T) {
	w := newLanesRAMWorld(t)
	c := w.e.v1Client(w.attacker.key, w.attacker.secret)
	before := snapshot(t, w.e.Store)
	for _, tc := range []struct {
		action string
		params map[string]string
	}{
		{"UpdateUser", map[string]string{"UserName": "aDmIn", "NewDisplayName": "pwned"}},
		{"DeleteUser", map[string]string{"UserName": "admin"}},
		{"AttachPolicyToUser", map[string]string{"UserName": "ADMIN", "PolicyType": "System", "PolicyName": "ReadOnlyAccess"}},
		{"AddUserToGroup", map[string]string{"UserName": "admin", "GroupName": "nosuchgroup"}},
		{"DeleteRole", map[string]string{"RoleName": "adminrole"}},
		{"AttachPolicyToRole", map[string]string{"RoleName": "adminRole", "PolicyType": "System", "PolicyName": "ReadOnlyAccess"}},
		{"DeletePolicy", map[string]string{"PolicyName": "denyProtected"}},
		{"SetDefaultPolicyVersion", map[string]string{"PolicyName": "denyprotected", "VersionId": "v1"}},
		{"ListAccessKeys", map[string]string{"UserName": "admin"}},
		{"GetUser", map[string]string{"UserName": "ADMIN"}},
		{"GetRole", map[string]string{"RoleName": "ADMINROLE"}},
	} {
		t.Run(tc.action, func(t *testing.T) {
			for _, format := range []string{"JSON", "XML"} {
				_, err := w.e.common(c, "Ram", "2015-05-01", tc.action, format, tc.params)
				lanesExplicitDeny(t, err)
			}
		})
	}
	if after := snapshot(t, w.e.Store); after != before {
		t.Fatalf("state changed:\n before %s\n after  %s", before, after)
	}
}
