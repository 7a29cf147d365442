package e2e_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	openapi "github.com/alibabacloud-go/darabonba-openapi/v2/client"
	"github.com/alibabacloud-go/tea/dara"
	"github.com/alibabacloud-go/tea/tea"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ram"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/sts"

	"github.com/localyun/localyun"
	internalsts "github.com/localyun/localyun/internal/sts"
)

// iam is a test helper around the root's typed RAM client.
type iam struct {
	e   *env
	ram *ram.Client
}

func newIAM(e *env, key, secret string) *iam {
	c := e.v1Client(key, secret)
	return &iam{e: e, ram: &ram.Client{Client: *c}}
}

// user creates a RAM user with the given system policies attached and
// returns a fresh AccessKey pair for it.
func (m *iam) user(name string, systemPolicies ...string) (string, string) {
	m.e.t.Helper()
	cu := ram.CreateCreateUserRequest()
	cu.Domain = m.e.Host
	cu.UserName = name
	if _, err := m.ram.CreateUser(cu); err != nil {
		m.e.t.Fatal(err)
	}
	for _, p := range systemPolicies {
		m.attach("System", p, name)
	}
	ck := ram.CreateCreateAccessKeyRequest()
	ck.Domain = m.e.Host
	ck.UserName = name
	res, err := m.ram.CreateAccessKey(ck)
	if err != nil {
		m.e.t.Fatal(err)
	}
	if res.AccessKey.AccessKeySecret == "" || res.AccessKey.Status != "Active" {
		m.e.t.Fatalf("CreateAccessKey = %+v", res.AccessKey)
	}
	return res.AccessKey.AccessKeyId, res.AccessKey.AccessKeySecret
}

func (m *iam) attach(typ, policy, user string) {
	m.e.t.Helper()
	ap := ram.CreateAttachPolicyToUserRequest()
	ap.Domain = m.e.Host
	ap.PolicyType, ap.PolicyName, ap.UserName = typ, policy, user
	if _, err := m.ram.AttachPolicyToUser(ap); err != nil {
		m.e.t.Fatal(err)
	}
}

func (m *iam) customPolicy(name, doc string) {
	m.e.t.Helper()
	cp := ram.CreateCreatePolicyRequest()
	cp.Domain = m.e.Host
	cp.PolicyName, cp.PolicyDocument = name, doc
	if _, err := m.ram.CreatePolicy(cp); err != nil {
		m.e.t.Fatal(err)
	}
}

// ecsWorld creates an ECS role and one instance holding it, as root of A.
func ecsWorld(t *testing.T, e *env) (ecsc *ecs.Client, instanceID string) {
	t.Helper()
	m := newIAM(e, keyA, secretA)
	cr := ram.CreateCreateRoleRequest()
	cr.Domain = e.Host
	cr.RoleName = "EcsAppRole"
	cr.AssumeRolePolicyDocument = ecsTrust
	if _, err := m.ram.CreateRole(cr); err != nil {
		t.Fatal(err)
	}
	ecsc = &ecs.Client{Client: *e.v1Client(keyA, secretA)}
	run := ecs.CreateRunInstancesRequest()
	run.Domain = e.Host
	run.RegionId, run.ImageId, run.InstanceType, run.RamRoleName = region, "img", "ecs.g7.large", "EcsAppRole"
	rr, err := ecsc.RunInstances(run)
	if err != nil {
		t.Fatal(err)
	}
	return ecsc, rr.InstanceIdSets.InstanceIdSet[0]
}

// roleOf returns the instance RAM role of id as root sees it.
func roleOf(t *testing.T, e *env, ecsc *ecs.Client, id string) string {
	t.Helper()
	req := ecs.CreateDescribeInstanceRamRoleRequest()
	req.Domain = e.Host
	req.RegionId, req.InstanceIds = region, `["`+id+`"]`
	res, err := ecsc.DescribeInstanceRamRole(req)
	if err != nil {
		t.Fatal(err)
	}
	sets := res.InstanceRamRoleSets.InstanceRamRoleSet
	if len(sets) != 1 {
		t.Fatalf("DescribeInstanceRamRole = %+v", res)
	}
	return sets[0].RamRoleName
}

func detachReq(e *env, id string) *ecs.DetachInstanceRamRoleRequest {
	de := ecs.CreateDetachInstanceRamRoleRequest()
	de.Domain = e.Host
	de.RegionId, de.InstanceIds, de.RamRoleName = region, `["`+id+`"]`, "EcsAppRole"
	return de
}

func deniedDetail(t *testing.T, err error) map[string]any {
	t.Helper()
	var se *sdkerrors.ServerError
	if !errors.As(err, &se) {
		t.Fatalf("not a ServerError: %v", err)
	}
	var body struct{ AccessDeniedDetail map[string]any }
	if json.Unmarshal([]byte(se.Message()), &body) == nil && body.AccessDeniedDetail != nil {
		return body.AccessDeniedDetail
	}
	return nil
}

func TestIAMPoliciesThroughSDKs(t *testing.T) {
	e := newEnv(t)
	ecsRoot, id := ecsWorld(t, e)
	m := newIAM(e, keyA, secretA)

	// Read-only: Describe works, Detach is Forbidden.RAM and changes nothing.
	rk, rs := m.user("reader", "AliyunECSReadOnlyAccess")
	reader := &ecs.Client{Client: *e.v1Client(rk, rs)}
	di := ecs.CreateDescribeInstancesRequest()
	di.Domain = e.Host
	di.RegionId = region
	if res, err := reader.DescribeInstances(di); err != nil || res.TotalCount != 1 {
		t.Fatalf("reader DescribeInstances = %+v, %v", res, err)
	}
	_, err := reader.DetachInstanceRamRole(detachReq(e, id))
	serverError(t, err, "Forbidden.RAM", 403)
	_, err = callV3(e.teaClient(rk, rs), "2014-05-26", "DetachInstanceRamRole", map[string]string{"RegionId": region, "InstanceIds": `["` + id + `"]`})
	teaError(t, err, "Forbidden.RAM", 403)
	var te *tea.SDKError
	errors.As(err, &te)
	if te.AccessDeniedDetail["AuthAction"] != "ecs:DetachInstanceRamRole" || te.AccessDeniedDetail["AuthPrincipalType"] != "SubUser" ||
		te.AccessDeniedDetail["AuthPrincipalDisplayName"] != "reader" || te.AccessDeniedDetail["NoPermissionType"] != "ImplicitDeny" ||
		te.AccessDeniedDetail["PolicyType"] != "AccountLevelIdentityBasedPolicy" || te.AccessDeniedDetail["AuthPrincipalOwnerId"] != accountA {
		t.Fatalf("AccessDeniedDetail = %v", te.AccessDeniedDetail)
	}
	if got := roleOf(t, e, ecsRoot, id); got != "EcsAppRole" {
		t.Fatalf("denied detach changed the role: %q", got)
	}
	// A RAM read-only user cannot create users either (NoPermission).
	cu := ram.CreateCreateUserRequest()
	cu.Domain = e.Host
	cu.UserName = "sneaky"
	_, err = (&ram.Client{Client: *e.v1Client(rk, rs)}).CreateUser(cu)
	serverError(t, err, "NoPermission", 403)

	// Full ECS access without PassRole: InvalidUser.PassRoleForbidden.
	ok, os := m.user("operator", "AliyunECSFullAccess")
	operator := &ecs.Client{Client: *e.v1Client(ok, os)}
	_, err = operator.DetachInstanceRamRole(detachReq(e, id))
	serverError(t, err, "InvalidUser.PassRoleForbidden", 403)
	if got := roleOf(t, e, ecsRoot, id); got != "EcsAppRole" {
		t.Fatalf("refused detach changed the role: %q", got)
	}

	// With PassRole on that role, through V3 CallApi: success.
	m.customPolicy("PassEcsAppRole", `{"Version":"1","Statement":[{"Effect":"Allow","Action":"ram:PassRole","Resource":"acs:ram:*:`+accountA+`:role/EcsAppRole"}]}`)
	m.attach("Custom", "PassEcsAppRole", "operator")
	body, err := callV3(e.teaClient(ok, os), "2014-05-26", "DetachInstanceRamRole", map[string]string{"RegionId": region,
		"InstanceIds": `["` + id + `"]`, "RamRoleName": "EcsAppRole"})
	if err != nil {
		t.Fatal(err)
	}
	if got := roleOf(t, e, ecsRoot, id); got != "" {
		t.Fatalf("detach with PassRole left role %q (%v)", got, body)
	}
	at := ecs.CreateAttachInstanceRamRoleRequest()
	at.Domain = e.Host
	at.RegionId, at.InstanceIds, at.RamRoleName = region, `["`+id+`"]`, "EcsAppRole"
	if _, err := operator.AttachInstanceRamRole(at); err != nil {
		t.Fatal(err)
	}

	// An explicit Deny overrides AdministratorAccess.
	ak, as := m.user("admin", "AdministratorAccess")
	m.customPolicy("NoDetach", `{"Version":"1","Statement":[{"Effect":"Deny","Action":"ecs:DetachInstanceRamRole","Resource":"*"}]}`)
	m.attach("Custom", "NoDetach", "admin")
	admin := &ecs.Client{Client: *e.v1Client(ak, as)}
	_, err = admin.DetachInstanceRamRole(detachReq(e, id))
	serverError(t, err, "Forbidden.RAM", 403)
	if d := deniedDetail(t, err); d != nil && d["NoPermissionType"] != "ExplicitDeny" {
		t.Fatalf("detail %v", d)
	}
	if got := roleOf(t, e, ecsRoot, id); got != "EcsAppRole" {
		t.Fatalf("denied detach changed the role: %q", got)
	}
	if res, err := admin.DescribeInstances(di); err != nil || res.TotalCount != 1 {
		t.Fatalf("admin DescribeInstances = %+v, %v", res, err)
	}

	// Groups grant too; removing the user from the group takes it away.
	cg := ram.CreateCreateGroupRequest()
	cg.Domain = e.Host
	cg.GroupName = "viewers"
	if _, err := m.ram.CreateGroup(cg); err != nil {
		t.Fatal(err)
	}
	ag := ram.CreateAttachPolicyToGroupRequest()
	ag.Domain = e.Host
	ag.PolicyType, ag.PolicyName, ag.GroupName = "System", "AliyunECSReadOnlyAccess", "viewers"
	if _, err := m.ram.AttachPolicyToGroup(ag); err != nil {
		t.Fatal(err)
	}
	gk, gs := m.user("member")
	member := &ecs.Client{Client: *e.v1Client(gk, gs)}
	_, err = member.DescribeInstances(di)
	serverError(t, err, "Forbidden.RAM", 403)
	au := ram.CreateAddUserToGroupRequest()
	au.Domain = e.Host
	au.GroupName, au.UserName = "viewers", "member"
	if _, err := m.ram.AddUserToGroup(au); err != nil {
		t.Fatal(err)
	}
	if _, err := member.DescribeInstances(di); err != nil {
		t.Fatalf("group member DescribeInstances: %v", err)
	}

	// DeleteUser is refused while keys, policies or groups remain.
	du := ram.CreateDeleteUserRequest()
	du.Domain = e.Host
	du.UserName = "member"
	_, err = m.ram.DeleteUser(du)
	serverError(t, err, "DeleteConflict.User.AccessKey", 409)
	// An inactive key stops authenticating.
	uk := ram.CreateUpdateAccessKeyRequest()
	uk.Domain = e.Host
	uk.UserName, uk.UserAccessKeyId, uk.Status = "member", gk, "Inactive"
	if _, err := m.ram.UpdateAccessKey(uk); err != nil {
		t.Fatal(err)
	}
	_, err = member.DescribeInstances(di)
	serverError(t, err, "InvalidAccessKeyId.Inactive", 400)
	lk := ram.CreateListAccessKeysRequest()
	lk.Domain = e.Host
	lk.UserName = "member"
	keys, err := m.ram.ListAccessKeys(lk)
	if err != nil || len(keys.AccessKeys.AccessKey) != 1 || keys.AccessKeys.AccessKey[0].AccessKeySecret != "" ||
		keys.AccessKeys.AccessKey[0].Status != "Inactive" {
		t.Fatalf("ListAccessKeys = %+v, %v", keys, err)
	}
	dk := ram.CreateDeleteAccessKeyRequest()
	dk.Domain = e.Host
	dk.UserName, dk.UserAccessKeyId = "member", gk
	if _, err := m.ram.DeleteAccessKey(dk); err != nil {
		t.Fatal(err)
	}
	_, err = m.ram.DeleteUser(du)
	serverError(t, err, "DeleteConflict.User.Group", 409)
	rg := ram.CreateRemoveUserFromGroupRequest()
	rg.Domain = e.Host
	rg.GroupName, rg.UserName = "viewers", "member"
	if _, err := m.ram.RemoveUserFromGroup(rg); err != nil {
		t.Fatal(err)
	}
	if _, err := m.ram.DeleteUser(du); err != nil {
		t.Fatal(err)
	}
	_, err = member.DescribeInstances(di)
	serverError(t, err, "InvalidAccessKeyId.NotFound", 404)

	// RAM reads through the typed client.
	gp := ram.CreateGetPolicyRequest()
	gp.Domain = e.Host
	gp.PolicyType, gp.PolicyName = "Custom", "NoDetach"
	if res, err := m.ram.GetPolicy(gp); err != nil || res.Policy.AttachmentCount != 1 || res.DefaultPolicyVersion.VersionId != "v1" {
		t.Fatalf("GetPolicy = %+v, %v", res, err)
	}
	lp := ram.CreateListPoliciesRequest()
	lp.Domain = e.Host
	if res, err := m.ram.ListPolicies(lp); err != nil || len(res.Policies.Policy) < 11 {
		t.Fatalf("ListPolicies = %+v, %v", res, err)
	}
	le := ram.CreateListEntitiesForPolicyRequest()
	le.Domain = e.Host
	le.PolicyType, le.PolicyName = "System", "AdministratorAccess"
	if res, err := m.ram.ListEntitiesForPolicy(le); err != nil || len(res.Users.User) != 1 || res.Users.User[0].UserName != "admin" {
		t.Fatalf("ListEntitiesForPolicy = %+v, %v", res, err)
	}
	cp := ram.CreateCreatePolicyRequest()
	cp.Domain = e.Host
	cp.PolicyName, cp.PolicyDocument = "Bad", `{"Version":"1","Statement":[{"Effect":"Maybe","Action":"*"}]}`
	_, err = m.ram.CreatePolicy(cp)
	serverError(t, err, "MalformedPolicyDocument", 400)

	// DeleteRole refuses while policies are attached.
	ar := ram.CreateAttachPolicyToRoleRequest()
	ar.Domain = e.Host
	ar.PolicyType, ar.PolicyName, ar.RoleName = "System", "ReadOnlyAccess", "EcsAppRole"
	if _, err := m.ram.AttachPolicyToRole(ar); err != nil {
		t.Fatal(err)
	}
	dr := ram.CreateDeleteRoleRequest()
	dr.Domain = e.Host
	dr.RoleName = "EcsAppRole"
	_, err = m.ram.DeleteRole(dr)
	serverError(t, err, "DeleteConflict.Role.Policy", 409)
}

const trustAccountA = `{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"RAM":["acs:ram::` + accountA + `:root"]}}]}`

func TestIAMAssumeRole(t *testing.T) {
	e := newEnv(t)
	ecsRoot, id := ecsWorld(t, e)
	m := newIAM(e, keyA, secretA)
	cr := ram.CreateCreateRoleRequest()
	cr.Domain = e.Host
	cr.RoleName, cr.AssumeRolePolicyDocument = "Viewer", trustAccountA
	if _, err := m.ram.CreateRole(cr); err != nil {
		t.Fatal(err)
	}
	ar := ram.CreateAttachPolicyToRoleRequest()
	ar.Domain = e.Host
	ar.PolicyType, ar.PolicyName, ar.RoleName = "System", "AliyunECSFullAccess", "Viewer"
	if _, err := m.ram.AttachPolicyToRole(ar); err != nil {
		t.Fatal(err)
	}
	uk, us := m.user("assumer", "AliyunSTSAssumeRoleAccess")
	stsc := &sts.Client{Client: *e.v1Client(uk, us)}
	req := sts.CreateAssumeRoleRequest()
	req.Domain = e.Host
	req.Scheme = "http"
	req.RoleArn = "acs:ram::" + accountA + ":role/Viewer"
	req.RoleSessionName = "alice"
	req.Policy = `{"Version":"1","Statement":[{"Effect":"Allow","Action":"ecs:Describe*","Resource":"*"}]}`
	res, err := stsc.AssumeRole(req)
	if err != nil {
		t.Fatal(err)
	}
	c := res.Credentials
	if len(c.AccessKeyId) < 5 || c.AccessKeyId[:4] != "STS." || c.SecurityToken == "" || c.AccessKeySecret == "" ||
		res.AssumedRoleUser.Arn != "acs:ram::"+accountA+":role/viewer/alice" {
		t.Fatalf("AssumeRole = %+v", res)
	}
	exp, err := time.Parse("2006-01-02T15:04:05Z", c.Expiration)
	if err != nil || time.Until(exp) < 50*time.Minute || time.Until(exp) > 61*time.Minute {
		t.Fatalf("Expiration %q", c.Expiration)
	}

	// V1: an STS token credential.
	sc, err := sdk.NewClientWithOptions(region, sdk.NewConfig(), credentials.NewStsTokenCredential(c.AccessKeyId, c.AccessKeySecret, c.SecurityToken))
	if err != nil {
		t.Fatal(err)
	}
	sc.Domain = e.Host
	sessECS := &ecs.Client{Client: *sc}
	di := ecs.CreateDescribeInstancesRequest()
	di.Domain = e.Host
	di.RegionId = region
	if r, err := sessECS.DescribeInstances(di); err != nil || r.TotalCount != 1 {
		t.Fatalf("session DescribeInstances = %+v, %v", r, err)
	}
	// The role allows ecs:*, the session policy only Describe*.
	_, err = sessECS.DetachInstanceRamRole(detachReq(e, id))
	serverError(t, err, "Forbidden.RAM", 403)
	if d := deniedDetail(t, err); d != nil && (d["PolicyType"] != "SessionPolicy" || d["AuthPrincipalType"] != "AssumedRoleUser") {
		t.Fatalf("detail %v", d)
	}
	if got := roleOf(t, e, ecsRoot, id); got != "EcsAppRole" {
		t.Fatalf("denied detach changed the role: %q", got)
	}
	gci := sts.CreateGetCallerIdentityRequest()
	gci.Domain, gci.Scheme = e.Host, "http"
	who, err := (&sts.Client{Client: *sc}).GetCallerIdentity(gci)
	if err != nil || who.IdentityType != "AssumedRoleUser" || who.AccountId != accountA || who.RoleId == "" {
		t.Fatalf("GetCallerIdentity = %+v, %v", who, err)
	}
	for _, tc := range []struct{ key, secret, typ string }{{keyA, secretA, "Account"}, {uk, us, "RAMUser"}} {
		g := sts.CreateGetCallerIdentityRequest() // a v1 request keeps the SecurityToken of its last client
		g.Domain, g.Scheme = e.Host, "http"
		w, err := (&sts.Client{Client: *e.v1Client(tc.key, tc.secret)}).GetCallerIdentity(g)
		if err != nil || w.IdentityType != tc.typ {
			t.Fatalf("GetCallerIdentity(%s) = %+v, %v", tc.typ, w, err)
		}
	}

	// Tea: Config.SecurityToken (V3 x-acs-security-token).
	tc, err := openapi.NewClient(&openapi.Config{AccessKeyId: dara.String(c.AccessKeyId), AccessKeySecret: dara.String(c.AccessKeySecret),
		SecurityToken: dara.String(c.SecurityToken), Endpoint: dara.String(e.Host), Protocol: dara.String("http"), RegionId: dara.String(region)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := callV3(tc, "2014-05-26", "DescribeInstances", map[string]string{"RegionId": region}); err != nil {
		t.Fatalf("V3 session DescribeInstances: %v", err)
	}
	// A token of another session, and a missing token, are refused.
	other, err := stsc.AssumeRole(req)
	if err != nil {
		t.Fatal(err)
	}
	mixed, _ := sdk.NewClientWithOptions(region, sdk.NewConfig(), credentials.NewStsTokenCredential(c.AccessKeyId, c.AccessKeySecret, other.Credentials.SecurityToken))
	mixed.Domain = e.Host
	_, err = (&ecs.Client{Client: *mixed}).DescribeInstances(di)
	serverError(t, err, "InvalidSecurityToken.Mismatch", 400)
	_, err = callV3(e.teaClient(c.AccessKeyId, c.AccessKeySecret), "2014-05-26", "DescribeInstances", map[string]string{"RegionId": region})
	teaError(t, err, "MissingSecurityToken", 400)

	// An expired session is refused.
	token := internalsts.TokenPrefix + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	past := time.Now().UTC().Add(-2 * time.Hour)
	if err := e.Store.CreateSession(context.Background(), localyun.Session{AccessKeyID: "STS.expired", Secret: "expiredsecret",
		TokenHash: internalsts.HashToken(token), AccountID: accountA, RoleName: "Viewer", SessionName: "old",
		CreatedAt: past, ExpiresAt: past.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	ex, _ := sdk.NewClientWithOptions(region, sdk.NewConfig(), credentials.NewStsTokenCredential("STS.expired", "expiredsecret", token))
	ex.Domain = e.Host
	_, err = (&ecs.Client{Client: *ex}).DescribeInstances(di)
	serverError(t, err, "InvalidSecurityToken.Expired", 400)

	// The root may not assume roles; an untrusted caller is refused.
	_, err = (&sts.Client{Client: *e.v1Client(keyA, secretA)}).AssumeRole(req)
	serverError(t, err, "NoPermission", 403)
	nk, ns := m.user("nobody")
	_, err = (&sts.Client{Client: *e.v1Client(nk, ns)}).AssumeRole(req)
	serverError(t, err, "NoPermission", 403)
	// Account B cannot tell A's role from a missing one.
	bUser := newIAM(e, keyB, secretB)
	bk, bs := bUser.user("bob", "AliyunSTSAssumeRoleAccess")
	_, err = (&sts.Client{Client: *e.v1Client(bk, bs)}).AssumeRole(req)
	serverError(t, err, "EntityNotExist.Role", 404)
	req.RoleArn = "acs:ram::" + accountA + ":role/Missing"
	_, err = (&sts.Client{Client: *e.v1Client(bk, bs)}).AssumeRole(req)
	serverError(t, err, "EntityNotExist.Role", 404)
}

// teaSDKError unwraps a Tea error for comparisons.
func teaCode(err error) (string, int) {
	var se *tea.SDKError
	if errors.As(err, &se) {
		return dara.StringValue(se.Code), dara.IntValue(se.StatusCode)
	}
	return "", 0
}

func TestIAMTenantIsolation(t *testing.T) {
	e := newBastionEnv(t)
	_, id := ecsWorld(t, e)
	m := newIAM(e, keyA, secretA)
	m.user("alice", "AliyunECSReadOnlyAccess")
	m.customPolicy("Mine", `{"Version":"1","Statement":[{"Effect":"Allow","Action":"ecs:*","Resource":"*"}]}`)
	cg := ram.CreateCreateGroupRequest()
	cg.Domain = e.Host
	cg.GroupName = "team"
	if _, err := m.ram.CreateGroup(cg); err != nil {
		t.Fatal(err)
	}
	b := e.teaClient(keyB, secretB)
	// Each pair: the same call naming A's object and a missing one must
	// answer identically to account B.
	for _, tc := range []struct {
		family, version, action string
		theirs, missing         map[string]string
	}{
		{"ecs instance", "2014-05-26", "DescribeInstanceRamRole", map[string]string{"RegionId": region, "InstanceIds": `["` + id + `"]`},
			map[string]string{"RegionId": region, "InstanceIds": `["i-doesnotexist000000"]`}},
		{"ecs detach", "2014-05-26", "DetachInstanceRamRole", map[string]string{"RegionId": region, "InstanceIds": `["` + id + `"]`},
			map[string]string{"RegionId": region, "InstanceIds": `["i-doesnotexist000000"]`}},
		{"ram role", "2015-05-01", "GetRole", map[string]string{"RoleName": "EcsAppRole"}, map[string]string{"RoleName": "NoSuchRole"}},
		{"ram user", "2015-05-01", "GetUser", map[string]string{"UserName": "alice"}, map[string]string{"UserName": "nosuchuser"}},
		{"ram group", "2015-05-01", "GetGroup", map[string]string{"GroupName": "team"}, map[string]string{"GroupName": "nosuchgroup"}},
		{"ram policy", "2015-05-01", "GetPolicy", map[string]string{"PolicyName": "Mine", "PolicyType": "Custom"},
			map[string]string{"PolicyName": "NoSuchPolicy", "PolicyType": "Custom"}},
		{"ram keys", "2015-05-01", "ListAccessKeys", map[string]string{"UserName": "alice"}, map[string]string{"UserName": "nosuchuser"}},
		{"bastion users", bhVersion, "ListUsers", map[string]string{"RegionId": region, "InstanceId": bhInstA},
			map[string]string{"RegionId": region, "InstanceId": "bastionhost-cn-nosuch01"}},
		{"bastion user groups", bhVersion, "ListUserGroups", map[string]string{"RegionId": region, "InstanceId": bhInstA},
			map[string]string{"RegionId": region, "InstanceId": "bastionhost-cn-nosuch01"}},
	} {
		t.Run(tc.family, func(t *testing.T) {
			_, errTheirs := callV3(b, tc.version, tc.action, tc.theirs)
			_, errMissing := callV3(b, tc.version, tc.action, tc.missing)
			if errTheirs == nil || errMissing == nil {
				t.Fatalf("%s: theirs %v, missing %v; both must fail", tc.action, errTheirs, errMissing)
			}
			c1, s1 := teaCode(errTheirs)
			c2, s2 := teaCode(errMissing)
			if c1 != c2 || s1 != s2 || c1 == "" {
				t.Fatalf("%s: theirs %s/%d, missing %s/%d", tc.action, c1, s1, c2, s2)
			}
		})
	}
	// Lists of B never show A's objects.
	for _, tc := range []struct{ version, action, field string }{
		{"2014-05-26", "DescribeInstances", "TotalCount"},
	} {
		body, err := callV3(b, tc.version, tc.action, map[string]string{"RegionId": region})
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := json.Marshal(body[tc.field]); string(n) != "0" && string(n) != `"0"` {
			t.Fatalf("B %s %s = %s", tc.action, tc.field, n)
		}
	}
	for _, action := range []string{"ListUsers", "ListRoles", "ListGroups"} {
		body, err := callV3(b, "2015-05-01", action, nil)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := json.Marshal(body)
		for _, name := range []string{"alice", "EcsAppRole", "team"} {
			if json.Valid(raw) && contains(string(raw), name) {
				t.Fatalf("B %s shows %s: %s", action, name, raw)
			}
		}
	}
	body, err := callV3(b, bhVersion, "DescribeInstances", map[string]string{"RegionId": region})
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(body)
	if contains(string(raw), bhInstA) {
		t.Fatalf("B sees A's bastion instance: %s", raw)
	}
}

func contains(s, sub string) bool {
	return len(sub) > 0 && len(s) >= len(sub) && (func() bool {
		for i := 0; i+len(sub) <= len(s); i++ {
			if s[i:i+len(sub)] == sub {
				return true
			}
		}
		return false
	})()
}
