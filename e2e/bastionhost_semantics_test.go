package e2e_test

import (
	"encoding/json"
	"strings"
	"testing"
)

// bhWorld creates, through the API, hosts 1-2 with accounts 1-3 on host 1
// and 4 on host 2, user 1 in user group 1, and host group 1 holding host 1.
func bhWorld(t *testing.T, call bhCaller) {
	t.Helper()
	for _, s := range []struct {
		action string
		params map[string]string
	}{
		{"CreateHost", p(bhInstA, "HostName", "h1", "OSType", "Linux", "Source", "Local", "ActiveAddressType", "Private", "HostPrivateAddress", "10.0.0.1")},
		{"CreateHost", p(bhInstA, "HostName", "h2", "OSType", "Linux", "Source", "Local", "ActiveAddressType", "Private", "HostPrivateAddress", "10.0.0.2")},
		{"CreateHostAccount", p(bhInstA, "HostId", "1", "HostAccountName", "a1", "ProtocolName", "SSH")},
		{"CreateHostAccount", p(bhInstA, "HostId", "1", "HostAccountName", "a2", "ProtocolName", "SSH")},
		{"CreateHostAccount", p(bhInstA, "HostId", "1", "HostAccountName", "a3", "ProtocolName", "SSH")},
		{"CreateHostAccount", p(bhInstA, "HostId", "2", "HostAccountName", "b1", "ProtocolName", "SSH")},
		{"CreateUser", p(bhInstA, "UserName", "alice", "Source", "Local", "Password", "Passw0rd!x")},
		{"CreateUserGroup", p(bhInstA, "UserGroupName", "ops")},
		{"AddUsersToGroup", p(bhInstA, "UserGroupId", "1", "UserIds", `["1"]`)},
		{"CreateHostGroup", p(bhInstA, "HostGroupName", "hg")},
		{"AddHostsToGroup", p(bhInstA, "HostGroupId", "1", "HostIds", `["1"]`)},
	} {
		if _, err := call(s.action, s.params); err != nil {
			t.Fatalf("%s: %v", s.action, err)
		}
	}
}

// authorized lists the account ids the user group holds on a host.
func authorized(t *testing.T, call bhCaller, param, id, host string) string {
	t.Helper()
	b, err := call("ListHostAccountsFor"+map[string]string{"UserGroupId": "UserGroup", "UserId": "User"}[param], p(bhInstA, param, id, "HostId", host))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, a := range list(b["HostAccounts"]) {
		if str(a["IsAuthorized"]) == "true" {
			ids = append(ids, str(a["HostAccountId"]))
		}
	}
	return strings.Join(ids, ",")
}

// TestBastionTerraformScenario replays how Terraform's
// alicloud_bastionhost_host_account_user_group_attachment drives the API:
// create = attach the set; update = detach the whole old set, then attach
// the whole new (overlapping) set; read = IsAuthorized; delete = detach by
// host and accounts, then by host.
func TestBastionTerraformScenario(t *testing.T) {
	e := newBastionEnv(t)
	call := e.bhClients(keyA, secretA)["v3"]
	bhWorld(t, call)
	must := func(action string, params map[string]string) map[string]any {
		t.Helper()
		b, err := call(action, params)
		if err != nil {
			t.Fatalf("%s: %v", action, err)
		}
		return b
	}
	must("AttachHostAccountsToUserGroup", p(bhInstA, "UserGroupId", "1", "Hosts", `[{"HostId":"1","HostAccountIds":["1","2"]}]`))
	if got := authorized(t, call, "UserGroupId", "1", "1"); got != "1,2" {
		t.Fatalf("after create: %s", got)
	}
	must("DetachHostAccountsFromUserGroup", p(bhInstA, "UserGroupId", "1", "Hosts", `[{"HostId":"1","HostAccountIds":["1","2"]}]`))
	res := list(must("AttachHostAccountsToUserGroup", p(bhInstA, "UserGroupId", "1", "Hosts", `[{"HostId":"1","HostAccountIds":["2","3"]}]`))["Results"])
	if field(res, "Code") != "OK" || field(list(res[0]["HostAccounts"]), "Code") != "OK,OK" {
		t.Fatalf("update attach %v", res)
	}
	if got := authorized(t, call, "UserGroupId", "1", "1"); got != "2,3" {
		t.Fatalf("after update: %s, want 2,3", got)
	}
	// Delete as Terraform does: the host grant stays, the accounts go.
	must("DetachHostAccountsFromUserGroup", p(bhInstA, "UserGroupId", "1", "Hosts", `[{"HostId":"1","HostAccountIds":["2","3"]}]`))
	if got := authorized(t, call, "UserGroupId", "1", "1"); got != "" {
		t.Fatalf("after delete: %s", got)
	}
	if ids := field(list(must("ListHostsForUserGroup", p(bhInstA, "UserGroupId", "1"))["Hosts"]), "HostId"); ids != "1" {
		t.Fatalf("host grant after account detach: %q", ids)
	}
	// Detach by host revokes the host and every account grant on it.
	must("AttachHostAccountsToUserGroup", p(bhInstA, "UserGroupId", "1", "Hosts", `[{"HostId":"1","HostAccountIds":["1"]}]`))
	must("DetachHostAccountsFromUserGroup", p(bhInstA, "UserGroupId", "1", "Hosts", `[{"HostId":"1"}]`))
	if got := authorized(t, call, "UserGroupId", "1", "1"); got != "" {
		t.Fatalf("after host detach: %s", got)
	}
	if b := must("ListHostsForUserGroup", p(bhInstA, "UserGroupId", "1")); num(b["TotalCount"]) != 0 {
		t.Fatalf("hosts after host detach: %v", b)
	}
}

// TestBastionCascadeE2E deletes each kind of object through the API and
// checks that no grant naming it survives.
func TestBastionCascadeE2E(t *testing.T) {
	e := newBastionEnv(t)
	call := e.bhClients(keyA, secretA)["v1-JSON"]
	bhWorld(t, call)
	must := func(action string, params map[string]string) map[string]any {
		t.Helper()
		b, err := call(action, params)
		if err != nil {
			t.Fatalf("%s: %v", action, err)
		}
		return b
	}
	grantAll := func() {
		for _, g := range []struct{ suffix, param string }{{"UserGroup", "UserGroupId"}, {"User", "UserId"}} {
			must("AttachHostAccountsTo"+g.suffix, p(bhInstA, g.param, "1", "Hosts", `[{"HostId":"1","HostAccountIds":["1","2"]},{"HostId":"2","HostAccountIds":["4"]}]`))
			must("AttachHostGroupAccountsTo"+g.suffix, p(bhInstA, g.param, "1", "HostGroups", `[{"HostGroupId":"1","HostAccountNames":["a1"]}]`))
		}
	}
	grantAll()
	// Account: its grants go, the host grant stays.
	must("DeleteHostAccount", p(bhInstA, "HostAccountId", "2"))
	for _, param := range []string{"UserGroupId", "UserId"} {
		if got := authorized(t, call, param, "1", "1"); got != "1" {
			t.Fatalf("%s after account delete: %s", param, got)
		}
	}
	// Host: its accounts and grants go; a new host with the same name is not granted.
	must("DeleteHost", p(bhInstA, "HostId", "2"))
	must("CreateHost", p(bhInstA, "HostName", "h2", "OSType", "Linux", "Source", "Local", "ActiveAddressType", "Private", "HostPrivateAddress", "10.0.0.2"))
	for _, g := range []struct{ suffix, param string }{{"UserGroup", "UserGroupId"}, {"User", "UserId"}} {
		if ids := field(list(must("ListHostsFor"+g.suffix, p(bhInstA, g.param, "1"))["Hosts"]), "HostId"); ids != "1" {
			t.Fatalf("%s hosts after host delete: %s", g.suffix, ids)
		}
	}
	if _, err := call("GetHostAccount", p(bhInstA, "HostAccountId", "4")); err == nil {
		t.Fatal("account of a deleted host survived")
	}
	// Host group: its grants go; a new group with the same name has none.
	must("DeleteHostGroup", p(bhInstA, "HostGroupId", "1"))
	must("CreateHostGroup", p(bhInstA, "HostGroupName", "hg"))
	for _, g := range []struct{ suffix, param string }{{"UserGroup", "UserGroupId"}, {"User", "UserId"}} {
		if b := must("ListHostGroupsFor"+g.suffix, p(bhInstA, g.param, "1")); num(b["TotalCount"]) != 0 {
			t.Fatalf("%s host groups after delete: %v", g.suffix, b)
		}
	}
	// User group and user: re-created ones start without grants or members.
	must("DeleteUserGroup", p(bhInstA, "UserGroupId", "1"))
	must("DeleteUser", p(bhInstA, "UserId", "1"))
	if _, err := call("ListHostsForUserGroup", p(bhInstA, "UserGroupId", "1")); err == nil {
		t.Fatal("ListHostsForUserGroup of a deleted group succeeded")
	}
	must("CreateUserGroup", p(bhInstA, "UserGroupName", "ops"))
	must("CreateUser", p(bhInstA, "UserName", "alice", "Source", "Local", "Password", "Passw0rd!x"))
	for _, g := range []struct{ suffix, param string }{{"UserGroup", "UserGroupId"}, {"User", "UserId"}} {
		if b := must("ListHostsFor"+g.suffix, p(bhInstA, g.param, "2")); num(b["TotalCount"]) != 0 {
			t.Fatalf("recreated %s has grants: %v", g.suffix, b)
		}
	}
	if b := must("ListUserGroups", p(bhInstA)); field(list(b["UserGroups"]), "MemberCount") != "0" {
		t.Fatalf("recreated group has members: %v", b)
	}
}

// bhSnapshot renders every listing of instance A, for "nothing changed" checks.
func bhSnapshot(t *testing.T, call bhCaller) string {
	t.Helper()
	var parts []string
	for _, s := range []struct {
		action string
		params map[string]string
	}{
		{"ListHosts", p(bhInstA)}, {"ListHostAccounts", p(bhInstA, "HostId", "1")}, {"ListUsers", p(bhInstA)},
		{"ListUserGroups", p(bhInstA)}, {"ListHostGroups", p(bhInstA)},
		{"ListHostsForUserGroup", p(bhInstA, "UserGroupId", "1")}, {"ListHostAccountsForUserGroup", p(bhInstA, "UserGroupId", "1", "HostId", "1")},
		{"ListHostsForUser", p(bhInstA, "UserId", "1")}, {"ListHostAccountsForUser", p(bhInstA, "UserId", "1", "HostId", "1")},
		{"ListHostGroupsForUserGroup", p(bhInstA, "UserGroupId", "1")}, {"ListHostGroupAccountNamesForUserGroup", p(bhInstA, "UserGroupId", "1", "HostGroupId", "1")},
		{"GetHost", p(bhInstA, "HostId", "1")}, {"GetHostAccount", p(bhInstA, "HostAccountId", "1")}, {"GetUser", p(bhInstA, "UserId", "1")},
	} {
		b, err := call(s.action, s.params)
		if err != nil {
			t.Fatalf("%s: %v", s.action, err)
		}
		delete(b, "RequestId")
		j, _ := json.Marshal(b)
		parts = append(parts, s.action+"="+string(j))
	}
	return strings.Join(parts, "\n")
}

// TestBastionBadInput sends every kind of malformed parameter and checks
// the documented 4xx code and that nothing changed.
func TestBastionBadInput(t *testing.T) {
	e := newBastionEnv(t)
	clients := e.bhClients(keyA, secretA)
	call := clients["v1-JSON"]
	bhWorld(t, call)
	if _, err := call("AttachHostAccountsToUserGroup", p(bhInstA, "UserGroupId", "1", "Hosts", `[{"HostId":"1","HostAccountIds":["1"]}]`)); err != nil {
		t.Fatal(err)
	}
	before := bhSnapshot(t, call)
	eleven := make([]string, 11)
	for i := range eleven {
		eleven[i] = `{"HostId":"` + string(rune('a'+i)) + `"}`
	}
	tooManyAccounts := `[{"HostId":"1","HostAccountIds":["1","2","3","4","5","6","7","8","9","10","11"]}]`
	ids101 := make([]string, 101)
	for i := range ids101 {
		ids101[i] = `"` + strings.Repeat("1", 1+i/9) + string(rune('0'+i%9)) + `"`
	}
	long := strings.Repeat("x", 129)
	tests := []struct {
		name, action string
		params       map[string]string
		status       int
		code         string
	}{
		{"hosts not JSON", "AttachHostAccountsToUserGroup", p(bhInstA, "UserGroupId", "1", "Hosts", `[{"HostId":"1"`), 400, "InvalidParameter"},
		{"hosts not array", "DetachHostAccountsFromUserGroup", p(bhInstA, "UserGroupId", "1", "Hosts", `{"HostId":"1"}`), 400, "InvalidParameter"},
		{"hosts empty", "AttachHostAccountsToUserGroup", p(bhInstA, "UserGroupId", "1", "Hosts", `[]`), 400, "InvalidParameter"},
		{"11 hosts", "AttachHostAccountsToUserGroup", p(bhInstA, "UserGroupId", "1", "Hosts", "["+strings.Join(eleven, ",")+"]"), 400, "InvalidParameter"},
		{"11 accounts", "DetachHostAccountsFromUserGroup", p(bhInstA, "UserGroupId", "1", "Hosts", tooManyAccounts), 400, "InvalidParameter"},
		{"duplicate host", "DetachHostAccountsFromUserGroup", p(bhInstA, "UserGroupId", "1", "Hosts", `[{"HostId":"1"},{"HostId":"1"}]`), 400, "InvalidParameter"},
		{"duplicate account", "AttachHostAccountsToUser", p(bhInstA, "UserId", "1", "Hosts", `[{"HostId":"1","HostAccountIds":["2","2"]}]`), 400, "InvalidParameter"},
		{"no HostId", "DetachHostAccountsFromUser", p(bhInstA, "UserId", "1", "Hosts", `[{"HostAccountIds":["1"]}]`), 400, "InvalidParameter"},
		{"HostId object", "AttachHostAccountsToUserGroup", p(bhInstA, "UserGroupId", "1", "Hosts", `[{"HostId":{"a":1}}]`), 400, "InvalidParameter"},
		{"missing Hosts", "DetachHostAccountsFromUserGroup", p(bhInstA, "UserGroupId", "1"), 400, "MissingHosts"},
		{"missing UserGroupId", "DetachHostAccountsFromUserGroup", p(bhInstA, "Hosts", `[{"HostId":"1"}]`), 400, "MissingUserGroupId"},
		{"missing InstanceId", "DetachHostAccountsFromUserGroup", map[string]string{"UserGroupId": "1", "Hosts": `[{"HostId":"1"}]`}, 400, "MissingInstanceId"},
		{"unknown group", "DetachHostAccountsFromUserGroup", p(bhInstA, "UserGroupId", "9", "Hosts", `[{"HostId":"1"}]`), 404, "OBJECT_NOT_FOUND"},
		{"unknown user", "AttachHostAccountsToUser", p(bhInstA, "UserId", "9", "Hosts", `[{"HostId":"1"}]`), 404, "OBJECT_NOT_FOUND"},
		{"region mismatch", "DetachHostAccountsFromUserGroup", p(bhInstA, "RegionId", "cn-beijing", "UserGroupId", "1", "Hosts", `[{"HostId":"1"}]`), 404, "Commodity.BizError.InvalidStatus"},
		{"host groups bad", "AttachHostGroupAccountsToUserGroup", p(bhInstA, "UserGroupId", "1", "HostGroups", `[{"HostGroupId":"1","HostAccountNames":[""]}]`), 400, "InvalidParameter"},
		{"host groups dup", "DetachHostGroupAccountsFromUser", p(bhInstA, "UserId", "1", "HostGroups", `[{"HostGroupId":"1"},{"HostGroupId":"1"}]`), 400, "InvalidParameter"},
		{"UserIds not JSON", "AddUsersToGroup", p(bhInstA, "UserGroupId", "1", "UserIds", `1,2`), 400, "InvalidParameter"},
		{"101 UserIds", "RemoveUsersFromGroup", p(bhInstA, "UserGroupId", "1", "UserIds", "["+strings.Join(ids101, ",")+"]"), 400, "InvalidParameter"},
		{"HostIds dup", "AddHostsToGroup", p(bhInstA, "HostGroupId", "1", "HostIds", `["1","1"]`), 400, "InvalidParameter"},
		{"PageSize 0", "ListHosts", p(bhInstA, "PageSize", "0"), 400, "InvalidParameter"},
		{"PageSize 101", "ListUsers", p(bhInstA, "PageSize", "101"), 400, "InvalidParameter"},
		{"PageNumber text", "ListHostsForUserGroup", p(bhInstA, "UserGroupId", "1", "PageNumber", "abc"), 400, "InvalidParameter"},
		{"Mode", "ListHostsForUser", p(bhInstA, "UserId", "1", "Mode", "All"), 400, "InvalidParameter"},
		{"OSType", "CreateHost", p(bhInstA, "HostName", "x", "OSType", "BSD", "Source", "Local", "ActiveAddressType", "Private", "HostPrivateAddress", "10.1.1.1"), 400, "InvalidParameter"},
		{"public without address", "CreateHost", p(bhInstA, "HostName", "x", "OSType", "Linux", "Source", "Local", "ActiveAddressType", "Public", "HostPrivateAddress", "10.1.1.1"), 400, "MissingHostPublicAddress"},
		{"ecs without source id", "CreateHost", p(bhInstA, "HostName", "x", "OSType", "Linux", "Source", "Ecs", "InstanceRegionId", "cn-hangzhou", "ActiveAddressType", "Private", "HostPrivateAddress", "10.1.1.1"), 400, "MissingSourceInstanceId"},
		{"ecs without region", "CreateHost", p(bhInstA, "HostName", "x", "OSType", "Linux", "Source", "Rds", "SourceInstanceId", "rm-1", "ActiveAddressType", "Private", "HostPrivateAddress", "10.1.1.1"), 400, "MissingInstanceRegionId"},
		{"ecs bad region", "CreateHost", p(bhInstA, "HostName", "x", "OSType", "Linux", "Source", "Ecs", "SourceInstanceId", "i-1", "InstanceRegionId", "Hangzhou 1", "ActiveAddressType", "Private", "HostPrivateAddress", "10.1.1.1"), 400, "InvalidParameter"},
		{"host name too long", "CreateHost", p(bhInstA, "HostName", long, "OSType", "Linux", "Source", "Local", "ActiveAddressType", "Private", "HostPrivateAddress", "10.1.1.1"), 400, "InvalidParameter"},
		{"bad address", "CreateHost", p(bhInstA, "HostName", "x", "OSType", "Linux", "Source", "Local", "ActiveAddressType", "Private", "HostPrivateAddress", "10.0.0.1; rm"), 400, "InvalidParameter"},
		{"InstanceMemberId", "CreateHost", p(bhInstA, "HostName", "x", "OSType", "Linux", "Source", "Local", "ActiveAddressType", "Private", "HostPrivateAddress", "10.1.1.1", "InstanceMemberId", "x"), 400, "InvalidParameter"},
		{"modify clears active address", "ModifyHost", p(bhInstA, "HostId", "1", "HostPrivateAddress", ""), 400, "MissingHostPrivateAddress"},
		{"PrefKex", "ModifyHost", p(bhInstA, "HostId", "1", "PrefKex", "none"), 400, "InvalidParameter"},
		{"protocol", "CreateHostAccount", p(bhInstA, "HostId", "1", "HostAccountName", "z", "ProtocolName", "Telnet"), 400, "InvalidParameter"},
		{"rdp key", "CreateHostAccount", p(bhInstA, "HostId", "1", "HostAccountName", "z", "ProtocolName", "RDP", "PrivateKey", "QUJD"), 400, "InvalidParameter"},
		{"key not base64", "CreateHostAccount", p(bhInstA, "HostId", "1", "HostAccountName", "z", "ProtocolName", "SSH", "PrivateKey", "%%%"), 400, "InvalidParameter"},
		{"duplicate account", "CreateHostAccount", p(bhInstA, "HostId", "1", "HostAccountName", "a1", "ProtocolName", "SSH"), 409, "OBJECT_AlREADY_EXISTS"},
		{"account on unknown host", "CreateHostAccount", p(bhInstA, "HostId", "9", "HostAccountName", "z", "ProtocolName", "SSH"), 404, "HostNotFound"},
		{"weak password", "CreateUser", p(bhInstA, "UserName", "z", "Source", "Local", "Password", "password"), 400, "InvalidParameter"},
		{"local without password", "CreateUser", p(bhInstA, "UserName", "z", "Source", "Local"), 400, "MissingPassword"},
		{"ram without id", "CreateUser", p(bhInstA, "UserName", "z", "Source", "Ram"), 400, "MissingSourceUserId"},
		{"user name chars", "CreateUser", p(bhInstA, "UserName", "a b", "Source", "Ram", "SourceUserId", "1"), 400, "InvalidParameter"},
		{"duplicate user", "CreateUser", p(bhInstA, "UserName", "alice", "Source", "Local", "Password", "Passw0rd!x"), 409, "OBJECT_AlREADY_EXISTS"},
		{"email", "ModifyUser", p(bhInstA, "UserId", "1", "Email", "nope"), 400, "InvalidParameter"},
		{"two factor methods", "ModifyUser", p(bhInstA, "UserId", "1", "TwoFactorMethods", `["pigeon"]`), 400, "InvalidParameter"},
		{"end before start", "ModifyUser", p(bhInstA, "UserId", "1", "EffectiveStartTime", "200", "EffectiveEndTime", "100"), 400, "InvalidParameter"},
		{"NeedResetPassword", "ModifyUser", p(bhInstA, "UserId", "1", "NeedResetPassword", "maybe"), 400, "InvalidParameter"},
		{"UserState", "ListUsers", p(bhInstA, "UserState", "Sleeping"), 400, "InvalidParameter"},
		{"group name empty", "CreateUserGroup", p(bhInstA), 400, "MissingUserGroupName"},
		{"rename to own name", "ModifyUserGroup", p(bhInstA, "UserGroupId", "1", "UserGroupName", "ops"), 200, ""},
		{"host group name long", "CreateHostGroup", p(bhInstA, "HostGroupName", long), 400, "InvalidParameter"},
		{"InstanceStatus", "DescribeInstances", map[string]string{"InstanceStatus": "BROKEN"}, 400, "InvalidParameter"},
		{"AcceptLanguage", "DescribeRegions", map[string]string{"AcceptLanguage": "fr"}, 400, "InvalidParameter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := call(tt.action, tt.params)
			if tt.status == 200 {
				if err != nil {
					t.Fatalf("%s: %v", tt.action, err)
				}
			} else if status, code := apiCode(err); status != tt.status || code != tt.code {
				t.Fatalf("%s: got %d %s (%v), want %d %s", tt.action, status, code, err, tt.status, tt.code)
			}
			if after := bhSnapshot(t, call); after != before {
				t.Fatalf("state changed:\n%s\nwant\n%s", after, before)
			}
		})
	}
	// The V3 client sees the same codes.
	_, err := clients["v3"]("AttachHostAccountsToUserGroup", p(bhInstA, "UserGroupId", "1", "Hosts", "["+strings.Join(eleven, ",")+"]"))
	teaError(t, err, "InvalidParameter", 400)
}

// TestBastionTenantIsolation: account B gets for A's instance exactly what
// it gets for an instance that does not exist.
func TestBastionTenantIsolation(t *testing.T) {
	e := newBastionEnv(t)
	bhWorld(t, e.bhClients(keyA, secretA)["v1-JSON"])
	for name, call := range e.bhClients(keyB, secretB) {
		for _, action := range []struct {
			name   string
			params func(inst string) map[string]string
		}{
			{"GetHost", func(i string) map[string]string { return p(i, "HostId", "1") }},
			{"ListHosts", func(i string) map[string]string { return p(i) }},
			{"DetachHostAccountsFromUserGroup", func(i string) map[string]string {
				return p(i, "UserGroupId", "1", "Hosts", `[{"HostId":"1"}]`)
			}},
			{"CreateUserGroup", func(i string) map[string]string { return p(i, "UserGroupName", "x") }},
		} {
			_, errA := call(action.name, action.params(bhInstA))
			_, errN := call(action.name, action.params("bastionhost-cn-nonexistent"))
			sa, ca := apiCode(errA)
			sn, cn := apiCode(errN)
			if sa != 404 || ca != "Commodity.BizError.InvalidStatus" || sa != sn || ca != cn {
				t.Errorf("%s %s: A's instance %d %s, nonexistent %d %s", name, action.name, sa, ca, sn, cn)
			}
		}
		b, err := call("DescribeInstances", map[string]string{"InstanceId.1": bhInstA})
		if err != nil || num(b["TotalCount"]) != 0 {
			t.Errorf("%s DescribeInstances of A's instance: %v %v", name, b, err)
		}
	}
	// Nothing of A's changed.
	b, err := e.bhClients(keyA, secretA)["v1-JSON"]("ListUserGroups", p(bhInstA))
	if err != nil || field(list(b["UserGroups"]), "UserGroupName") != "ops" {
		t.Fatalf("A's groups: %v %v", b, err)
	}
}
