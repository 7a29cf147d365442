package e2e_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"

	"github.com/localyun/localyun"
)

// Names and policy documents taken from the wire: the documented character
// rules (no control characters anywhere), and no duplicate keys.

const stsVersion = "2015-04-01"

// controls are the control characters every name refuses: C0 (NUL, ESC),
// DEL and C1 (NEL).
var controls = map[string]string{"NUL": "\x00", "ESC": "\x1b", "DEL": "\x7f", "NEL": "\u0085"}

// wire sends one action through an official client: "JSON" and "XML" are
// the v1 SDK (CommonRequest, V1 signature), "V3" darabonba CallApi.
func (e *env) wire(tr, product, version, action string, params map[string]string) error {
	e.t.Helper()
	if tr == "V3" {
		_, err := callV3(e.teaClient(keyA, secretA), version, action, params)
		return err
	}
	_, err := e.common(e.v1Client(keyA, secretA), product, version, action, tr, params)
	return err
}

// refused asserts a request is refused with status and code through every
// client, and that state is the same after each attempt.
func (e *env) refused(t *testing.T, state func() string, product, version, action string, params map[string]string, status int, code string) {
	t.Helper()
	before := state()
	for _, tr := range transports {
		err := e.wire(tr, product, version, action, params)
		if got, gotCode := apiCode(err); got != status || gotCode != code {
			t.Errorf("%s %s %q: got %d %s (%v), want %d %s", tr, action, params, got, gotCode, err, status, code)
		}
		if after := state(); after != before {
			t.Fatalf("%s %s %q changed state:\n%s\nwas\n%s", tr, action, params, after, before)
		}
	}
}

func TestInputsInstanceNameRefused(t *testing.T) {
	e := newEnv(t)
	state := func() string { return e.state(accountA) }
	run := func(k, v string) map[string]string {
		return map[string]string{"RegionId": region, "ImageId": "img", "InstanceType": "ecs.g7.large", k: v}
	}
	names := map[string]string{
		"line feed": "web\n1", "tab": "web\t1", "U+FFFF": "web\uffff", "starts with a digit": "1web",
		"starts with a hyphen": "-web", "one character": "w", "space": "web 1", "slash": "web/1",
		"http URL": "http://web", "asterisk": "web*", "question mark": "web?", "129 characters": "w" + strings.Repeat("名", 128),
	}
	for what, c := range controls {
		names[what] = "web" + c + "1"
		names[what+" first"] = c + "web"
	}
	for what, name := range names {
		t.Run(what, func(t *testing.T) {
			e.refused(t, state, "Ecs", ecsVersion, "RunInstances", run("InstanceName", name), http.StatusBadRequest, "InvalidInstanceName.Malformed")
		})
	}
	for what, c := range controls {
		t.Run("Description "+what, func(t *testing.T) {
			e.refused(t, state, "Ecs", ecsVersion, "RunInstances", run("Description", "about"+c), http.StatusBadRequest, "InvalidParameter")
		})
	}
}

// TestInputsInstanceIDsRefused: an instance id with a control character
// is malformed, not an unknown instance echoed in a per-instance result.
func TestInputsInstanceIDsRefused(t *testing.T) {
	e := newEnv(t)
	e.mustRole(accountA, "EcsRole", ecsTrust)
	e.mustInstance(accountA, region, "i-ok", localyun.NetworkVPC, "EcsRole")
	state := func() string { return e.state(accountA) }
	for what, c := range controls {
		ids := `["i-ok","i-` + jsonEscape(c) + `"]`
		for _, action := range []string{"AttachInstanceRamRole", "DetachInstanceRamRole", "DescribeInstanceRamRole"} {
			t.Run(action+"/"+what, func(t *testing.T) {
				e.refused(t, state, "Ecs", ecsVersion, action, map[string]string{"RegionId": region, "InstanceIds": ids, "RamRoleName": "EcsRole"},
					http.StatusBadRequest, "InvalidInstanceIds.Malformed")
			})
		}
	}
}

// TestInputsInstanceNameRoundTrip: names of letters of any script (Chinese
// included), digits and the documented punctuation are accepted and come
// back exactly in JSON, in XML and through V3; so does a description with
// tabs and line breaks.
func TestInputsInstanceNameRoundTrip(t *testing.T) {
	e := newEnv(t)
	a := e.as(keyA, secretA)
	const desc = "line 1\nline 2\twith a tab"
	for i, name := range []string{"测试实例-01", "Ünïcødé_名前:v1.0", "web-[1,3]", "实" + strings.Repeat("例", 127), "ab"} {
		tr := transports[i%len(transports)]
		res, err := call(t, a, tr, ecs.CreateRunInstancesRequest, ecs.CreateRunInstancesResponse, P{"RegionId": region,
			"ImageId": "img", "InstanceType": "ecs.g7.large", "InstanceName": name, "Description": desc})
		if err != nil {
			t.Fatalf("%s RunInstances %q: %v", tr, name, err)
		}
		ids := res.InstanceIdSets.InstanceIdSet
		for _, tr := range transports {
			d, err := call(t, a, tr, ecs.CreateDescribeInstancesRequest, ecs.CreateDescribeInstancesResponse,
				P{"RegionId": region, "InstanceIds": idsJSON(ids...)})
			if err != nil {
				t.Fatal(err)
			}
			if len(d.Instances.Instance) != 1 || d.Instances.Instance[0].InstanceName != name || d.Instances.Instance[0].Description != desc {
				t.Fatalf("%s: %+v, want name %q", tr, d.Instances.Instance, name)
			}
			if tr == "XML" && !strings.Contains(d.GetHttpContentString(), "<InstanceName>"+name+"</InstanceName>") {
				t.Fatalf("XML body lacks the name %q as written:\n%s", name, d.GetHttpContentString())
			}
		}
	}
}

// TestInputsControlAnywhere: a control character (or bytes that are not
// UTF-8) in any parameter, not only in names: ids, filters, lookups,
// Markers → 4xx, the same on every backend. Before, SQLite kept such
// values and PostgreSQL answered 500 (it cannot hold a NUL).
func TestInputsControlAnywhere(t *testing.T) {
	e := newBastionEnv(t)
	e.ramWorld(t)
	e.mustRole(accountA, "EcsRole", ecsTrust)
	e.mustInstance(accountA, region, "i-ok", localyun.NetworkVPC, "EcsRole")
	state := func() string { return e.state(accountA) + e.ramState() + e.state(accountB) }
	run := map[string]string{"RegionId": region, "ImageId": "img", "InstanceType": "ecs.g7.large"}
	with := func(base map[string]string, kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	marker := base64.RawURLEncoding.EncodeToString([]byte("keep\x00"))
	for what, c := range map[string]string{"NUL": "\x00", "ESC": "\x1b", "NEL": "\u0085", "not UTF-8": "\xff"} {
		for i, tc := range []struct {
			product, version, action string
			params                   map[string]string
			status                   int
			code                     string
		}{
			{"Ecs", ecsVersion, "RunInstances", with(run, "ImageId", "img"+c), 400, "InvalidParameter"},
			{"Ecs", ecsVersion, "RunInstances", with(run, "ZoneId", region+"-a"+c), 400, "InvalidParameter"},
			{"Ecs", ecsVersion, "RunInstances", with(run, "RamRoleName", "EcsRole"+c), 400, "InvalidParameter"},
			{"Ecs", ecsVersion, "DescribeInstances", map[string]string{"RegionId": region, "InstanceName": "i-*" + c}, 400, "InvalidParameter"},
			{"Ecs", ecsVersion, "DetachInstanceRamRole", map[string]string{"RegionId": region, "InstanceIds": `["i-ok"]`, "RamRoleName": "EcsRole" + c}, 400, "InvalidParameter"},
			{"Ecs", ecsVersion, "StopInstance", map[string]string{"RegionId": region, "InstanceId": "i-ok" + c}, 400, "InvalidParameter"},
			{"Ecs", ecsVersion, "DeleteInstances", map[string]string{"RegionId": region, "InstanceId.1": "i-ok" + c, "Force": "true"}, 400, "InvalidParameter"},
			{"Ram", ramVersion, "DeleteAccessKey", map[string]string{"UserName": "keep", "UserAccessKeyId": "LTAI" + c}, 400, "InvalidParameter"},
			{"Ram", ramVersion, "ListUsers", map[string]string{"Marker": marker}, 400, "InvalidParameter.Marker"},
			{"Ram", ramVersion, "UpdateRole", map[string]string{"RoleName": "KeepRole", "NewAssumeRolePolicyDocument": strings.Replace(trustAccountA, "sts:AssumeRole", "sts:AssumeRole"+c, 1)}, 400, "MalformedPolicyDocument"},
			{bhProduct, bhVersion, "ListHosts", p("bastionhost-cn-" + c), 400, "InvalidParameter"},
			{bhProduct, bhVersion, "ListHosts", p(bhInstA, "HostName", "h1"+c), 400, "InvalidParameter"},
			{bhProduct, bhVersion, "ListUsers", p(bhInstA, "Mobile", "138"+c), 400, "InvalidParameter"},
			{bhProduct, bhVersion, "CreateUser", p(bhInstA, "UserName", "bob", "Source", "Local", "Password", "Passw0rd!x", "Email", "b"+c+"@example.com"), 400, "InvalidParameter"},
			{bhProduct, bhVersion, "DescribeInstances", map[string]string{"InstanceId.1": bhInstA + c}, 400, "InvalidParameter"},
		} {
			t.Run(fmt.Sprintf("%d %s/%s", i, tc.action, what), func(t *testing.T) {
				e.refused(t, state, tc.product, tc.version, tc.action, tc.params, tc.status, tc.code)
			})
		}
	}
}

// ramState is every RAM entity of account A with its fields, policy
// versions included.
func (e *env) ramState() string {
	e.t.Helper()
	ctx := context.Background()
	var b strings.Builder
	users, err := e.Store.FindUsers(ctx, localyun.UserFilter{AccountID: accountA})
	if err != nil {
		e.t.Fatal(err)
	}
	roles, _ := e.Store.FindRoles(ctx, localyun.RoleFilter{AccountID: accountA})
	groups, _ := e.Store.FindGroups(ctx, localyun.GroupFilter{AccountID: accountA})
	pols, _ := e.Store.FindPolicies(ctx, localyun.PolicyFilter{AccountID: accountA})
	fmt.Fprintf(&b, "users %+v\nroles %+v\ngroups %+v\npolicies %+v\n", users, roles, groups, pols)
	for _, p := range pols {
		vs, _ := e.Store.FindPolicyVersions(ctx, accountA, p.Name)
		fmt.Fprintf(&b, "%s versions %+v\n", p.Name, vs)
	}
	return b.String()
}

// ramWorld creates, through the API, user keep, group keepers, role
// KeepRole and policy KeepPolicy in account A.
func (e *env) ramWorld(t *testing.T) {
	t.Helper()
	for _, s := range []struct {
		action string
		params map[string]string
	}{
		{"CreateUser", map[string]string{"UserName": "keep", "DisplayName": "Keep"}},
		{"CreateGroup", map[string]string{"GroupName": "keepers"}},
		{"CreateRole", map[string]string{"RoleName": "KeepRole", "AssumeRolePolicyDocument": trustAccountA}},
		{"CreatePolicy", map[string]string{"PolicyName": "KeepPolicy", "PolicyDocument": `{"Version":"1","Statement":[{"Effect":"Allow","Action":"ecs:Describe*","Resource":"*"}]}`}},
	} {
		if err := e.wire("JSON", "Ram", ramVersion, s.action, s.params); err != nil {
			t.Fatalf("%s: %v", s.action, err)
		}
	}
}

// TestInputsRAMNamesRefused: control characters in every RAM name and
// text → InvalidParameter.<Param>.InvalidChars, nothing created or changed.
// Names (UserName, RoleName, ...) refused them before; display names,
// comments and descriptions did not.
func TestInputsRAMNamesRefused(t *testing.T) {
	e := newEnv(t)
	e.ramWorld(t)
	for what, c := range controls {
		for _, tc := range []struct {
			action, param string
			params        map[string]string
		}{
			{"CreateUser", "UserName", map[string]string{"UserName": "u" + c}},
			{"CreateUser", "DisplayName", map[string]string{"UserName": "u1", "DisplayName": "User" + c + "One"}},
			{"CreateUser", "Comments", map[string]string{"UserName": "u1", "Comments": c}},
			{"CreateUser", "Email", map[string]string{"UserName": "u1", "Email": "u1" + c + "@example.com"}},
			{"CreateUser", "MobilePhone", map[string]string{"UserName": "u1", "MobilePhone": "86-" + c + "1380000"}},
			{"UpdateUser", "NewUserName", map[string]string{"UserName": "keep", "NewUserName": "k" + c}},
			{"UpdateUser", "NewDisplayName", map[string]string{"UserName": "keep", "NewDisplayName": c}},
			{"UpdateUser", "NewComments", map[string]string{"UserName": "keep", "NewComments": "x" + c}},
			{"CreateGroup", "GroupName", map[string]string{"GroupName": "g" + c}},
			{"CreateGroup", "Comments", map[string]string{"GroupName": "g1", "Comments": "about" + c}},
			{"UpdateGroup", "NewComments", map[string]string{"GroupName": "keepers", "NewComments": c + "x"}},
			{"CreateRole", "RoleName", map[string]string{"RoleName": "R" + c, "AssumeRolePolicyDocument": trustAccountA}},
			{"CreateRole", "Description", map[string]string{"RoleName": "R1", "AssumeRolePolicyDocument": trustAccountA, "Description": "d" + c}},
			{"UpdateRole", "NewDescription", map[string]string{"RoleName": "KeepRole", "NewDescription": "d" + c}},
			{"CreatePolicy", "PolicyName", map[string]string{"PolicyName": "P" + c, "PolicyDocument": `{"Version":"1","Statement":[{"Effect":"Allow","Action":"*"}]}`}},
			{"CreatePolicy", "Description", map[string]string{"PolicyName": "P1", "PolicyDocument": `{"Version":"1","Statement":[{"Effect":"Allow","Action":"*"}]}`, "Description": c}},
		} {
			t.Run(tc.action+"/"+tc.param+"/"+what, func(t *testing.T) {
				e.refused(t, e.ramState, "Ram", ramVersion, tc.action, tc.params, http.StatusBadRequest, "InvalidParameter."+tc.param+".InvalidChars")
			})
		}
	}
	// A display name is one line; comments and descriptions may have several.
	e.refused(t, e.ramState, "Ram", ramVersion, "CreateUser", map[string]string{"UserName": "u1", "DisplayName": "a\nb"},
		http.StatusBadRequest, "InvalidParameter.DisplayName.InvalidChars")
	for _, tr := range transports {
		name := "multi-" + strings.ToLower(tr)
		if err := e.wire(tr, "Ram", ramVersion, "CreateUser", map[string]string{"UserName": name, "DisplayName": "张三",
			"Comments": "line 1\r\nline 2\ttab"}); err != nil {
			t.Fatalf("%s: %v", tr, err)
		}
		u, err := e.Store.FindUserByName(context.Background(), accountA, name)
		if err != nil || u.DisplayName != "张三" || u.Comments != "line 1\r\nline 2\ttab" {
			t.Fatalf("%s: user %+v, %v", tr, u, err)
		}
	}
}

// TestInputsSessionNameRefused: STS RoleSessionName keeps to its
// documented set (letters, digits, . @ - _), control characters included.
func TestInputsSessionNameRefused(t *testing.T) {
	e := newEnv(t)
	e.ramWorld(t)
	key, secret := newIAM(e, keyA, secretA).user("worker", "AdministratorAccess")
	arn := "acs:ram::" + accountA + ":role/KeepRole"
	for what, c := range controls {
		for _, tr := range transports {
			var err error
			params := map[string]string{"RoleArn": arn, "RoleSessionName": "session" + c + "x"}
			if tr == "V3" {
				_, err = callV3(e.teaClient(key, secret), stsVersion, "AssumeRole", params)
			} else {
				_, err = e.common(e.v1Client(key, secret), "Sts", stsVersion, "AssumeRole", tr, params)
			}
			if status, code := apiCode(err); status != http.StatusBadRequest || code != "InvalidParameter.RoleSessionName" {
				t.Errorf("%s %s: got %d %s (%v)", what, tr, status, code, err)
			}
		}
	}
}

// TestInputsBastionNamesRefused: control characters, line breaks and tabs
// included, in every Bastionhost name → 400 InvalidParameter and nothing
// created or changed; comments may have line breaks.
func TestInputsBastionNamesRefused(t *testing.T) {
	e := newBastionEnv(t)
	clients := e.bhClients(keyA, secretA)
	bhWorld(t, clients["v1-JSON"])
	state := func() string { return bhSnapshot(t, clients["v1-JSON"]) }
	bad := map[string]string{"line feed": "\n", "tab": "\t", "carriage return": "\r"}
	for what, c := range controls {
		bad[what] = c
	}
	for what, c := range bad {
		for _, tc := range []struct {
			action string
			params map[string]string
		}{
			{"CreateHost", p(bhInstA, "HostName", "h"+c+"3", "OSType", "Linux", "Source", "Local", "ActiveAddressType", "Private", "HostPrivateAddress", "10.0.0.3")},
			{"ModifyHost", p(bhInstA, "HostId", "1", "HostName", "h1"+c)},
			{"CreateHostAccount", p(bhInstA, "HostId", "1", "HostAccountName", "root"+c, "ProtocolName", "SSH")},
			{"ModifyHostAccount", p(bhInstA, "HostAccountId", "1", "HostAccountName", c+"a1")},
			{"CreateUser", p(bhInstA, "UserName", "bob"+c, "Source", "Local", "Password", "Passw0rd!x")},
			{"CreateUser", p(bhInstA, "UserName", "bob", "DisplayName", "Bob"+c+"B", "Source", "Local", "Password", "Passw0rd!x")},
			{"ModifyUser", p(bhInstA, "UserId", "1", "DisplayName", "Alice"+c)},
			{"CreateUserGroup", p(bhInstA, "UserGroupName", "ops"+c)},
			{"ModifyUserGroup", p(bhInstA, "UserGroupId", "1", "UserGroupName", "ops"+c)},
			{"CreateHostGroup", p(bhInstA, "HostGroupName", "hg"+c)},
			{"ModifyHostGroup", p(bhInstA, "HostGroupId", "1", "HostGroupName", c)},
			{"AttachHostGroupAccountsToUserGroup", p(bhInstA, "UserGroupId", "1", "HostGroups", `[{"HostGroupId":"1","HostAccountNames":["a1`+jsonEscape(c)+`"]}]`)},
		} {
			t.Run(tc.action+"/"+what, func(t *testing.T) {
				before := state()
				for tr, call := range clients {
					_, err := call(tc.action, tc.params)
					if status, code := apiCode(err); status != http.StatusBadRequest || code != "InvalidParameter" {
						t.Errorf("%s %s %q: got %d %s (%v)", tr, tc.action, tc.params, status, code, err)
					}
				}
				if after := state(); after != before {
					t.Fatalf("%s changed state:\n%s\nwas\n%s", tc.action, after, before)
				}
			})
		}
	}
	// Ids come back in per-item results: no control characters in them
	// either (white space around one is trimmed, as before).
	for what, c := range controls {
		for _, tc := range []struct {
			action string
			params map[string]string
		}{
			{"AttachHostAccountsToUserGroup", p(bhInstA, "UserGroupId", "1", "Hosts", `[{"HostId":"1`+jsonEscape(c)+`"}]`)},
			{"DetachHostAccountsFromUserGroup", p(bhInstA, "UserGroupId", "1", "Hosts", `[{"HostId":"1","HostAccountIds":["1`+jsonEscape(c)+`1"]}]`)},
			{"AddUsersToGroup", p(bhInstA, "UserGroupId", "1", "UserIds", `["1`+jsonEscape(c)+`"]`)},
		} {
			t.Run(tc.action+"/"+what, func(t *testing.T) {
				before := state()
				for tr, call := range clients {
					_, err := call(tc.action, tc.params)
					if status, code := apiCode(err); status != http.StatusBadRequest || code != "InvalidParameter" {
						t.Errorf("%s %s %q: got %d %s (%v)", tr, tc.action, tc.params, status, code, err)
					}
				}
				if after := state(); after != before {
					t.Fatalf("%s changed state:\n%s\nwas\n%s", tc.action, after, before)
				}
			})
		}
	}
	for tr, call := range clients {
		if _, err := call("ModifyUserGroup", p(bhInstA, "UserGroupId", "1", "Comment", "line 1\nline 2\t"+tr)); err != nil {
			t.Fatalf("%s: %v", tr, err)
		}
	}
}

// jsonEscape is c as a JSON string escape.
func jsonEscape(c string) string {
	r := []rune(c)[0]
	return fmt.Sprintf(`\u%04x`, r)
}

// Policy documents with a key twice: before, the last one silently won.
const (
	dupEffect = `{"Version":"1","Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Effect":"Allow"}]}`
	// dupCondition names acs:SourceIp twice, in two spellings the engine
	// takes for one key.
	dupCondition = `{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"IpAddress":{"acs:SourceIp":"10.0.0.0/8","acs:sourceip":"0.0.0.0/0"}}}]}`
	dupStatement = `{"Version":"1","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}],"statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
	// Trust policies.
	dupTrustEffect    = `{"Version":"1","Statement":[{"Effect":"Deny","Action":"sts:AssumeRole","Principal":{"Service":["ecs.aliyuncs.com"]},"Effect":"Allow"}]}`
	dupTrustPrincipal = `{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"ecs.aliyuncs.com","Service":"fc.aliyuncs.com"}}]}`
	dupTrustStatement = `{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":["ecs.aliyuncs.com"]}}],"Statement":[]}`
)

// TestInputsDuplicateKeys: a policy, trust policy or session policy with a
// key twice, at any depth → MalformedPolicyDocument (RAM),
// InvalidParameter.PolicyGrammar (STS), InvalidParameter.Policy (ECS);
// nothing created, no policy version added, no role changed.
func TestInputsDuplicateKeys(t *testing.T) {
	e := newEnv(t)
	e.ramWorld(t)
	ram := func(action string, params map[string]string) {
		t.Helper()
		e.refused(t, e.ramState, "Ram", ramVersion, action, params, http.StatusBadRequest, "MalformedPolicyDocument")
	}
	for name, doc := range map[string]string{"Effect": dupEffect, "condition key": dupCondition, "Statement": dupStatement} {
		t.Run("identity policy/"+name, func(t *testing.T) {
			ram("CreatePolicy", map[string]string{"PolicyName": "Dup", "PolicyDocument": doc})
			ram("CreatePolicyVersion", map[string]string{"PolicyName": "KeepPolicy", "PolicyDocument": doc, "SetAsDefault": "true"})
		})
	}
	for name, doc := range map[string]string{"Effect": dupTrustEffect, "Principal": dupTrustPrincipal, "Statement": dupTrustStatement} {
		t.Run("trust policy/"+name, func(t *testing.T) {
			ram("CreateRole", map[string]string{"RoleName": "DupRole", "AssumeRolePolicyDocument": doc})
			ram("UpdateRole", map[string]string{"RoleName": "KeepRole", "NewAssumeRolePolicyDocument": doc})
		})
	}
	key, secret := newIAM(e, keyA, secretA).user("worker", "AdministratorAccess")
	assume := map[string]string{"RoleArn": "acs:ram::" + accountA + ":role/KeepRole", "RoleSessionName": "dup"}
	for name, doc := range map[string]string{"Effect": dupEffect, "condition key": dupCondition} {
		assume["Policy"] = doc
		for _, tr := range transports {
			var err error
			if tr == "V3" {
				_, err = callV3(e.teaClient(key, secret), stsVersion, "AssumeRole", assume)
			} else {
				_, err = e.common(e.v1Client(key, secret), "Sts", stsVersion, "AssumeRole", tr, assume)
			}
			if status, code := apiCode(err); status != http.StatusBadRequest || code != "InvalidParameter.PolicyGrammar" {
				t.Errorf("AssumeRole %s %s: got %d %s (%v)", name, tr, status, code, err)
			}
		}
	}
	e.mustRole(accountA, "EcsRole", ecsTrust)
	e.mustInstance(accountA, region, "i-dup", localyun.NetworkVPC, "")
	e.refused(t, func() string { return e.state(accountA) }, "Ecs", ecsVersion, "AttachInstanceRamRole",
		map[string]string{"RegionId": region, "InstanceIds": `["i-dup"]`, "RamRoleName": "EcsRole", "Policy": dupEffect},
		http.StatusBadRequest, "InvalidParameter.Policy")
}

// TestInputsGatewayControl: a NUL in the gateway's own parameters, read
// before any action parses its input, is a 4xx on every backend, never a
// 500 (PostgreSQL cannot hold a NUL; its stores answer such a value as
// invalid input).
func TestInputsGatewayControl(t *testing.T) {
	e := newEnv(t)
	for _, param := range []string{"AccessKeyId", "SecurityToken"} {
		r := newRawV1()
		r.Params.Set(param, "LTAI\x00x")
		status, we, body, _ := send(t, r.request(e))
		if status < 400 || status >= 500 {
			t.Errorf("%s with a NUL: %d %s %s", param, status, we.Code, body)
		}
		if param == "AccessKeyId" && (status != http.StatusNotFound || we.Code != "InvalidAccessKeyId.NotFound") {
			t.Errorf("AccessKeyId with a NUL: %d %s, want 404 InvalidAccessKeyId.NotFound on every backend", status, we.Code)
		}
	}
}
