package e2e_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
)

const (
	explainProduct = "Localyun"
	explainVersion = "2026-11-30"
	ramProduct     = "Ram"
)

// clients returns a caller per official client and format for one
// product: v1 CommonRequest JSON and XML, and darabonba CallApi (V3).
func (e *env) clients(ak, secret, product, version string) map[string]bhCaller {
	v1, v3 := e.v1Client(ak, secret), e.teaClient(ak, secret)
	call := func(format string) bhCaller {
		return func(action string, params map[string]string) (map[string]any, error) {
			res, err := e.common(v1, product, version, action, format, params)
			if err != nil {
				return nil, err
			}
			if format == "XML" {
				return decodeXMLMap(res.GetHttpContentBytes())
			}
			var body map[string]any
			dec := json.NewDecoder(bytes.NewReader(res.GetHttpContentBytes()))
			dec.UseNumber()
			return body, dec.Decode(&body)
		}
	}
	return map[string]bhCaller{"v1-JSON": call("JSON"), "v1-XML": call("XML"),
		"v3": func(action string, params map[string]string) (map[string]any, error) {
			return callV3(v3, version, action, params)
		}}
}

// deciding names the deciding statements of an explanation (a decoded
// message's MatchedPolicies or ExplainAccess's Statements) as
// "<policy>@<version>[<index>]".
func deciding(items []map[string]any) []string {
	var out []string
	for _, st := range items {
		if str(st["Deciding"]) == "true" {
			out = append(out, str(st["PolicyName"])+"@"+str(st["PolicyVersion"])+"["+str(st["StatementIndex"])+"]")
		}
	}
	return out
}

// explainWorld is the revocation runbook of the seed flows in account A:
// instance role EcsAppRole on an instance; RAM user operator in group ops,
// which holds AliyunECSFullAccess; operator's own policy DetachGuard, whose
// default version v2 denies (statement 1) detaching roles from the
// instance; a bastion user in user group ops granted host web's root
// account (AttachHostAccountsToUserGroup).
func explainWorld(t *testing.T) (e *env, instanceID, opKey, opSecret string) {
	e = newBastionEnv(t)
	_, instanceID = ecsWorld(t, e)
	m := newIAM(e, keyA, secretA)
	opKey, opSecret = m.user("operator")
	root := e.clients(keyA, secretA, ramProduct, ramVersion)["v1-JSON"]
	must := func(_ map[string]any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(root("CreateGroup", map[string]string{"GroupName": "ops"}))
	must(root("AddUserToGroup", map[string]string{"GroupName": "ops", "UserName": "operator"}))
	must(root("AttachPolicyToGroup", map[string]string{"PolicyType": "System", "PolicyName": "AliyunECSFullAccess", "GroupName": "ops"}))
	m.customPolicy("DetachGuard", `{"Version":"1","Statement":[{"Effect":"Allow","Action":"ecs:Describe*","Resource":"*"}]}`)
	must(root("CreatePolicyVersion", map[string]string{"PolicyName": "DetachGuard", "SetAsDefault": "true",
		"PolicyDocument": `{"Version":"1","Statement":[{"Effect":"Allow","Action":"ecs:Describe*","Resource":"*"},` +
			`{"Effect":"Deny","Action":"ecs:DetachInstanceRamRole","Resource":"acs:ecs:*:*:instance/` + instanceID + `"}]}`}))
	m.attach("Custom", "DetachGuard", "operator")

	bh := e.bhClients(keyA, secretA)["v1-JSON"]
	do := func(action string, kv ...string) {
		t.Helper()
		must(bh(action, p(bhInstA, kv...)))
	}
	do("CreateHost", "HostName", "web", "OSType", "Linux", "Source", "Local", "ActiveAddressType", "Private", "HostPrivateAddress", "10.0.0.1")
	do("CreateHostAccount", "HostId", "1", "HostAccountName", "root", "ProtocolName", "SSH", "Password", "Passw0rd!x")
	do("CreateUser", "UserName", "bob", "Source", "Local", "Password", "Passw0rd!x")
	do("CreateUserGroup", "UserGroupName", "ops")
	do("AddUsersToGroup", "UserGroupId", "1", "UserIds", `["1"]`)
	do("AttachHostAccountsToUserGroup", "UserGroupId", "1", "Hosts", `[{"HostId":"1","HostAccountIds":["1"]}]`)
	return e, instanceID, opKey, opSecret
}

// TestExplainSeedFlows: the explain output for the seed flows
// (DetachInstanceRamRole, DetachHostAccountsFromUserGroup) names the exact
// statement and grant path, through every official client and format.
func TestExplainSeedFlows(t *testing.T) {
	e, inst, _, _ := explainWorld(t)
	arn := "acs:ecs:" + region + ":" + accountA + ":instance/" + inst
	for name, call := range e.clients(keyA, secretA, explainProduct, explainVersion) {
		t.Run(name, func(t *testing.T) {
			out, err := call("ExplainAccess", map[string]string{"UserName": "operator", "AuthAction": "ecs:DetachInstanceRamRole", "AuthResource": arn})
			if err != nil {
				t.Fatal(err)
			}
			if str(out["Decision"]) != "ExplicitDeny" || str(out["Allowed"]) != "false" || str(out["PolicyType"]) != "AccountLevelIdentityBasedPolicy" {
				t.Fatalf("ExplainAccess = %v", out)
			}
			if got := deciding(list(out["Statements"])); strings.Join(got, ",") != "DetachGuard@v2[1]" {
				t.Errorf("deciding %v, want DetachGuard@v2[1]", got)
			}
			// The PassRole step of the instance's role: nothing allows it.
			pr, _ := out["PassRole"].(map[string]any)
			if str(pr["RoleName"]) != "EcsAppRole" || str(pr["Decision"]) != "ImplicitDeny" || str(pr["AuthAction"]) != "ram:PassRole" {
				t.Errorf("PassRole = %v", pr)
			}
			// Another instance: allowed by the group's system policy, statement 0.
			out, err = call("ExplainAccess", map[string]string{"UserName": "operator", "AuthAction": "ecs:DetachInstanceRamRole",
				"AuthResource": "acs:ecs:" + region + ":" + accountA + ":instance/i-other"})
			if err != nil {
				t.Fatal(err)
			}
			sts := list(out["Statements"])
			if str(out["Decision"]) != "Allowed" || strings.Join(deciding(sts), ",") != "AliyunECSFullAccess@v1[0]" ||
				field(sts, "Attachment") != "User,Group:ops" || field(sts, "Applied") != "false,true" {
				t.Errorf("ExplainAccess other instance = %v", out)
			}

			hosts, err := call("ExplainHostAccess", map[string]string{"InstanceId": bhInstA, "HostId": "1"})
			if err != nil {
				t.Fatal(err)
			}
			users := list(hosts["Users"])
			if field(users, "UserName") != "bob" {
				t.Fatalf("ExplainHostAccess users = %v", hosts)
			}
			accts := list(users[0]["HostAccounts"])
			paths := list(accts[0]["GrantPaths"])
			if field(accts, "HostAccountName") != "root" || field(paths, "Kind") != "UserGroup" || field(paths, "UserGroupName") != "ops" ||
				field(paths, "UserGroupId") != "1" || field(paths, "Via") != "group:1" {
				t.Errorf("ExplainHostAccess grant = %v", accts)
			}
			user, err := call("ExplainUserAccess", map[string]string{"InstanceId": bhInstA, "UserId": "1"})
			if err != nil {
				t.Fatal(err)
			}
			if a := list(user["HostAccounts"]); field(a, "HostName") != "web" || field(list(a[0]["GrantPaths"]), "Via") != "group:1" {
				t.Errorf("ExplainUserAccess = %v", user)
			}
			ram, err := call("ExplainUserAccess", map[string]string{"UserName": "OPERATOR"})
			if err != nil {
				t.Fatal(err)
			}
			if pols := list(ram["Policies"]); field(pols, "PolicyName") != "DetachGuard,AliyunECSFullAccess" ||
				field(pols, "Attachment") != "User,Group:ops" || strings.Join(strs(ram["Groups"]), ",") != "ops" {
				t.Errorf("ExplainUserAccess RAM = %v", ram)
			}
			in, err := call("ExplainInstance", map[string]string{"RegionId": region, "InstanceId": inst})
			if err != nil {
				t.Fatal(err)
			}
			role, _ := in["Role"].(map[string]any)
			if str(in["RamRoleName"]) != "EcsAppRole" || str(role["TrustsEcs"]) != "true" {
				t.Errorf("ExplainInstance = %v", in)
			}
		})
	}
	// The seed flow revokes: nobody reaches the host any more.
	if _, err := e.bhClients(keyA, secretA)["v1-JSON"]("DetachHostAccountsFromUserGroup",
		p(bhInstA, "UserGroupId", "1", "Hosts", `[{"HostId":"1","HostAccountIds":["1"]}]`)); err != nil {
		t.Fatal(err)
	}
	hosts, err := e.clients(keyA, secretA, explainProduct, explainVersion)["v1-JSON"]("ExplainHostAccess", map[string]string{"InstanceId": bhInstA, "HostId": "1"})
	if err != nil || len(list(hosts["Users"])) != 0 {
		t.Fatalf("after the detach: %v %v", hosts, err)
	}
}

// TestDecodeDiagnosticMessage: a denied call's EncodedDiagnosticMessage
// decodes, for its account only, to the statement that denied it.
func TestDecodeDiagnosticMessage(t *testing.T) {
	e, inst, opKey, opSecret := explainWorld(t)
	ecsc := e.v1Client(opKey, opSecret)
	_, err := e.common(ecsc, "Ecs", "2014-05-26", "DetachInstanceRamRole", "JSON",
		map[string]string{"RegionId": region, "InstanceIds": `["` + inst + `"]`})
	var se *sdkerrors.ServerError
	if !errors.As(err, &se) || se.HttpStatus() != http.StatusForbidden {
		t.Fatalf("detach = %v", err)
	}
	encoded := str(se.AccessDeniedDetail()["EncodedDiagnosticMessage"])
	if encoded == "" {
		t.Fatalf("denial without EncodedDiagnosticMessage: %v", se.AccessDeniedDetail())
	}
	for name, call := range e.clients(keyA, secretA, ramProduct, ramVersion) {
		t.Run(name, func(t *testing.T) {
			out, err := call("DecodeDiagnosticMessage", map[string]string{"EncodedDiagnosticMessage": encoded})
			if err != nil {
				t.Fatal(err)
			}
			m, _ := out["DecodedDiagnosticMessage"].(map[string]any)
			pr, _ := m["AuthPrincipal"].(map[string]any)
			if str(m["ExplicitDeny"]) != "true" || str(m["AuthAction"]) != "ecs:DetachInstanceRamRole" ||
				!strings.HasSuffix(str(m["AuthResource"]), "instance/"+inst) || str(pr["AuthPrincipalDisplayName"]) != "operator" ||
				str(m["NoPermissionPolicyType"]) != "AccountLevelIdentityBasedPolicy" {
				t.Fatalf("decoded = %v", m)
			}
			var got []string
			for _, pol := range list(m["MatchedPolicies"]) {
				for _, st := range list(pol["Statements"]) {
					if str(st["Deciding"]) == "true" {
						got = append(got, str(pol["PolicyName"])+"@"+str(pol["PolicyVersion"])+"["+str(st["Index"])+"]")
					}
				}
			}
			if strings.Join(got, ",") != "DetachGuard@v2[1]" {
				t.Errorf("deciding %v, want DetachGuard@v2[1]", got)
			}
		})
	}
	// Another account cannot decode it, nor can a message altered.
	_, err = e.clients(keyB, secretB, ramProduct, ramVersion)["v1-JSON"]("DecodeDiagnosticMessage", map[string]string{"EncodedDiagnosticMessage": encoded})
	serverError(t, err, "InvalidParameter.EncodedDiagnosticMessage", http.StatusBadRequest)
	tampered := []byte(encoded)
	tampered[len(tampered)/2] ^= 1
	_, err = e.clients(keyA, secretA, ramProduct, ramVersion)["v1-JSON"]("DecodeDiagnosticMessage", map[string]string{"EncodedDiagnosticMessage": string(tampered)})
	serverError(t, err, "InvalidParameter.EncodedDiagnosticMessage", http.StatusBadRequest)
}

// TestExplainHidesExistence: a caller RAM does not allow to explain learns
// nothing of whether the user or role it names exists (403 NoPermission
// either way); the account root is told (404).
func TestExplainHidesExistence(t *testing.T) {
	e, _, _, _ := explainWorld(t)
	key, secret := newIAM(e, keyA, secretA).user("nobody")
	nobody := e.clients(key, secret, explainProduct, explainVersion)["v1-JSON"]
	root := e.clients(keyA, secretA, explainProduct, explainVersion)["v1-JSON"]
	for _, c := range []struct{ action, param, exists, missing, notExist string }{
		{"ExplainAccess", "UserName", "operator", "ghost", "EntityNotExist.User"},
		{"ExplainAccess", "RoleName", "EcsAppRole", "GhostRole", "EntityNotExist.Role"},
		{"ExplainUserAccess", "UserName", "operator", "ghost", "EntityNotExist.User"},
	} {
		params := func(name string) map[string]string {
			m := map[string]string{c.param: name}
			if c.action == "ExplainAccess" {
				m["AuthAction"] = "ecs:DescribeInstances"
			}
			return m
		}
		for _, name := range []string{c.exists, c.missing} {
			_, err := nobody(c.action, params(name))
			serverError(t, err, "NoPermission", http.StatusForbidden)
		}
		_, err := root(c.action, params(c.missing))
		serverError(t, err, c.notExist, http.StatusNotFound)
	}
}

// TestExplainPassRoleOnRun: RunInstances and CreateInstance with
// RamRoleName have the ram:PassRole step ECS decides when it serves them
// (on the role's stored spelling); without RamRoleName they have none.
func TestExplainPassRoleOnRun(t *testing.T) {
	e, _, opKey, opSecret := explainWorld(t)
	call := e.clients(keyA, secretA, explainProduct, explainVersion)["v1-JSON"]
	for _, action := range []string{"ecs:RunInstances", "ecs:CreateInstance"} {
		out, err := call("ExplainAccess", map[string]string{"UserName": "operator", "AuthAction": action, "RamRoleName": "ecsapprole"})
		if err != nil {
			t.Fatal(err)
		}
		pr, _ := out["PassRole"].(map[string]any)
		if str(out["Decision"]) != "Allowed" || str(out["Allowed"]) != "false" || str(pr["RoleName"]) != "EcsAppRole" ||
			str(pr["Decision"]) != "ImplicitDeny" || str(pr["AuthAction"]) != "ram:PassRole" {
			t.Errorf("%s with RamRoleName = %v", action, out)
		}
		out, err = call("ExplainAccess", map[string]string{"UserName": "operator", "AuthAction": action})
		if err != nil {
			t.Fatal(err)
		}
		if out["PassRole"] != nil || str(out["Allowed"]) != "true" {
			t.Errorf("%s without RamRoleName = %v", action, out)
		}
	}
	// Serving agrees: operator's RunInstances passing the role is refused.
	_, err := e.common(e.v1Client(opKey, opSecret), "Ecs", "2014-05-26", "RunInstances", "JSON",
		map[string]string{"RegionId": region, "ImageId": "img", "InstanceType": "ecs.g7.large", "RamRoleName": "EcsAppRole"})
	serverError(t, err, "InvalidUser.PassRoleForbidden", http.StatusForbidden)
}
