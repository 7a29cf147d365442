package e2e_test

import (
	"encoding/base64"
	"strings"
	"testing"
)

// TestBastionEveryAction drives every Bastionhost action through each
// official client (v1 CommonRequest JSON and XML, darabonba V3) on a fresh
// server, asserting what each returns.
func TestBastionEveryAction(t *testing.T) {
	for _, client := range []string{"v1-JSON", "v1-XML", "v3"} {
		t.Run(client, func(t *testing.T) {
			e := newBastionEnv(t)
			bastionScenario(t, e.bhClients(keyA, secretA)[client])
		})
	}
}

func bastionScenario(t *testing.T, call bhCaller) {
	do := func(action string, params map[string]string) map[string]any {
		t.Helper()
		body, err := call(action, params)
		if err != nil {
			t.Fatalf("%s %v: %v", action, params, err)
		}
		if str(body["RequestId"]) == "" {
			t.Fatalf("%s: no RequestId in %v", action, body)
		}
		return body
	}
	fail := func(action string, params map[string]string, status int, code string) {
		t.Helper()
		_, err := call(action, params)
		if gs, gc := apiCode(err); gs != status || gc != code {
			t.Fatalf("%s %v: got %d %s (%v), want %d %s", action, params, gs, gc, err, status, code)
		}
	}
	eq := func(what string, got, want any) {
		t.Helper()
		if str(got) != str(want) {
			t.Fatalf("%s = %q, want %q", what, str(got), str(want))
		}
	}
	I := bhInstA

	// Instances and regions.
	b := do("DescribeInstances", map[string]string{"InstanceId.1": bhInstA, "InstanceId.2": bhInstB})
	eq("DescribeInstances TotalCount", b["TotalCount"], "1")
	insts := list(b["Instances"])
	eq("instance", field(insts, "InstanceId")+"/"+field(insts, "InstanceStatus"), bhInstA+"/RUNNING")
	b = do("DescribeInstances", map[string]string{"PageSize": "1", "PageNumber": "2"})
	eq("DescribeInstances page 2", b["TotalCount"], "2")
	eq("page 2 instance", field(list(b["Instances"]), "InstanceId"), bhInstA2)
	b = do("DescribeRegions", map[string]string{"AcceptLanguage": "en-US"})
	if rs := list(b["Regions"]); len(rs) < 10 || str(rs[0]["RegionId"]) != "cn-hangzhou" || str(rs[0]["LocalName"]) != "China (Hangzhou)" {
		t.Fatalf("DescribeRegions %v", b)
	}

	// Hosts.
	eq("CreateHost", do("CreateHost", p(I, "HostName", "web", "OSType", "Linux", "Source", "Local",
		"ActiveAddressType", "Private", "HostPrivateAddress", "10.0.0.1", "Comment", "c"))["HostId"], "1")
	eq("CreateHost ecs", do("CreateHost", p(I, "HostName", "win", "OSType", "Windows", "Source", "Ecs",
		"SourceInstanceId", "i-abc", "InstanceRegionId", "cn-hangzhou", "ActiveAddressType", "Public",
		"HostPublicAddress", "1.2.3.4"))["HostId"], "2")
	eq("CreateHost 3", do("CreateHost", p(I, "HostName", "db", "OSType", "Linux", "Source", "Local",
		"ActiveAddressType", "Private", "HostPrivateAddress", "10.0.0.3"))["HostId"], "3")
	h := do("GetHost", p(I, "HostId", "2"))["Host"].(map[string]any)
	eq("GetHost", str(h["HostName"])+"/"+str(h["Source"])+"/"+str(h["SourceInstanceId"])+"/"+str(h["SourceInstanceState"])+"/"+str(h["HostPublicAddress"]),
		"win/Ecs/i-abc/Normal/1.2.3.4")
	eq("GetHost protocol", field(list(h["Protocols"]), "ProtocolName")+":"+field(list(h["Protocols"]), "Port"), "RDP:3389")
	do("ModifyHost", p(I, "HostId", "1", "HostName", "web1", "PrefKex", "curve25519-sha256", "Comment", "new"))
	h = do("GetHost", p(I, "HostId", "1"))["Host"].(map[string]any)
	eq("ModifyHost", str(h["HostName"])+"/"+str(h["PrefKex"])+"/"+str(h["Comment"]), "web1/curve25519-sha256/new")
	b = do("ListHosts", p(I, "OSType", "Linux"))
	eq("ListHosts Linux", b["TotalCount"], "2")
	eq("ListHosts ids", field(list(b["Hosts"]), "HostId"), "1,3")
	eq("ListHosts address", field(list(do("ListHosts", p(I, "HostAddress", "1.2.3.4"))["Hosts"]), "HostName"), "win")
	eq("ListHosts source", field(list(do("ListHosts", p(I, "Source", "Ecs", "SourceInstanceId", "i-abc", "SourceInstanceState", "Normal"))["Hosts"]), "HostId"), "2")
	eq("ListHosts paging", field(list(do("ListHosts", p(I, "PageSize", "1", "PageNumber", "3"))["Hosts"]), "HostId"), "3")

	// Host accounts: credentials are never returned.
	key := base64.StdEncoding.EncodeToString([]byte("-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n"))
	eq("CreateHostAccount", do("CreateHostAccount", p(I, "HostId", "1", "HostAccountName", "root", "ProtocolName", "SSH",
		"Password", "pw-secret-1"))["HostAccountId"], "1")
	eq("CreateHostAccount key", do("CreateHostAccount", p(I, "HostId", "1", "HostAccountName", "deploy", "ProtocolName", "SSH",
		"PrivateKey", key, "PassPhrase", "phrase-secret"))["HostAccountId"], "2")
	eq("CreateHostAccount rdp", do("CreateHostAccount", p(I, "HostId", "2", "HostAccountName", "Administrator", "ProtocolName", "RDP"))["HostAccountId"], "3")
	eq("CreateHostAccount 4", do("CreateHostAccount", p(I, "HostId", "1", "HostAccountName", "app", "ProtocolName", "SSH"))["HostAccountId"], "4")
	a := do("GetHostAccount", p(I, "HostAccountId", "2"))
	ha := a["HostAccount"].(map[string]any)
	eq("GetHostAccount", str(ha["HostAccountName"])+"/"+str(ha["HasPassword"])+"/"+str(ha["ProtocolName"])+"/"+str(ha["HostId"]), "deploy/false/SSH/1")
	if fp := str(ha["PrivateKeyFingerprint"]); !strings.HasPrefix(fp, "SHA256:") {
		t.Fatalf("PrivateKeyFingerprint %q", fp)
	}
	do("ModifyHostAccount", p(I, "HostAccountId", "2", "HostAccountName", "deployer", "Password", "pw2-secret"))
	ha = do("GetHostAccount", p(I, "HostAccountId", "2"))["HostAccount"].(map[string]any)
	eq("ModifyHostAccount", str(ha["HostAccountName"])+"/"+str(ha["HasPassword"]), "deployer/true")
	b = do("ListHostAccounts", p(I, "HostId", "1"))
	eq("ListHostAccounts", b["TotalCount"], "3")
	eq("ListHostAccounts names", field(list(b["HostAccounts"]), "HostAccountName"), "root,deployer,app")
	eq("ListHostAccounts HasPassword", field(list(b["HostAccounts"]), "HasPassword"), "true,true,false")
	eq("ListHostAccounts by name", field(list(do("ListHostAccounts", p(I, "HostId", "1", "HostAccountName", "app"))["HostAccounts"]), "HostAccountId"), "4")
	eq("ListHostAccounts HostIds", field(list(do("ListHostAccounts", p(I, "HostId", "1", "HostIds", `["2"]`, "ProtocolName", "RDP"))["HostAccounts"]), "HostAccountId"), "3")
	eq("HostAccountCount", field(list(do("ListHosts", p(I, "HostName", "web1"))["Hosts"]), "HostAccountCount"), "3")

	// Users.
	eq("CreateUser", do("CreateUser", p(I, "UserName", "alice", "Source", "Local", "Password", "Passw0rd!x",
		"DisplayName", "Alice", "Email", "alice@example.com", "Mobile", "13800000000", "TwoFactorStatus", "Enable",
		"TwoFactorMethods", `["sms","email"]`, "NeedResetPassword", "true"))["UserId"], "1")
	eq("CreateUser ram", do("CreateUser", p(I, "UserName", "bob", "Source", "Ram", "SourceUserId", "212345678901234567"))["UserId"], "2")
	eq("CreateUser 3", do("CreateUser", p(I, "UserName", "carol", "Source", "local", "Password", "Another1#pass"))["UserId"], "3")
	u := do("GetUser", p(I, "UserId", "1"))["User"].(map[string]any)
	eq("GetUser", str(u["UserName"])+"/"+str(u["DisplayName"])+"/"+str(u["Source"])+"/"+str(u["NeedResetPassword"])+"/"+strings.Join(strs(u["TwoFactorMethods"]), "+")+"/"+strings.Join(strs(u["UserState"]), "+"),
		"alice/Alice/Local/true/sms+email/Normal")
	if _, leaked := u["Password"]; leaked {
		t.Fatal("GetUser returned a password")
	}
	do("ModifyUser", p(I, "UserId", "3", "DisplayName", "Carol C", "Comment", "x", "Password", "Changed1#pass"))
	eq("ModifyUser", do("GetUser", p(I, "UserId", "3"))["User"].(map[string]any)["DisplayName"], "Carol C")
	eq("ListUsers source", field(list(do("ListUsers", p(I, "Source", "Ram"))["Users"]), "UserName"), "bob")
	eq("ListUsers all", do("ListUsers", p(I))["TotalCount"], "3")
	eq("ListUsers display", field(list(do("ListUsers", p(I, "DisplayName", "Carol C", "UserState", "Normal"))["Users"]), "UserId"), "3")

	// User groups.
	eq("CreateUserGroup", do("CreateUserGroup", p(I, "UserGroupName", "ops", "Comment", "operators"))["UserGroupId"], "1")
	eq("CreateUserGroup 2", do("CreateUserGroup", p(I, "UserGroupName", "dev"))["UserGroupId"], "2")
	ug := do("GetUserGroup", p(I, "UserGroupId", "1"))["UserGroup"].(map[string]any)
	eq("GetUserGroup", str(ug["UserGroupName"])+"/"+str(ug["Comment"]), "ops/operators")
	do("ModifyUserGroup", p(I, "UserGroupId", "2", "UserGroupName", "developers"))
	r := list(do("AddUsersToGroup", p(I, "UserGroupId", "1", "UserIds", `["1","2","9","1x"]`))["Results"])
	eq("AddUsersToGroup", field(r, "UserId")+" "+field(r, "Code")+" "+field(r, "UserGroupId"),
		"1,2,9,1x OK,OK,OBJECT_NOT_FOUND,INVALID_ARGUMENT 1,1,1,1")
	eq("AddUsersToGroup again", field(list(do("AddUsersToGroup", p(I, "UserGroupId", "1", "UserIds", `["2"]`))["Results"]), "Code"), "OBJECT_AlREADY_EXISTS")
	b = do("ListUserGroups", p(I))
	eq("ListUserGroups", field(list(b["UserGroups"]), "UserGroupName")+" "+field(list(b["UserGroups"]), "MemberCount"), "ops,developers 2,0")
	eq("ListUserGroups by name", field(list(do("ListUserGroups", p(I, "UserGroupName", "developers"))["UserGroups"]), "UserGroupId"), "2")
	eq("ListUsers group", field(list(do("ListUsers", p(I, "UserGroupId", "1"))["Users"]), "UserName"), "alice,bob")
	r = list(do("RemoveUsersFromGroup", p(I, "UserGroupId", "1", "UserIds", `["2","3"]`))["Results"])
	eq("RemoveUsersFromGroup", field(r, "Code"), "OK,OBJECT_AlREADY_EXISTS")
	eq("ListUsers group after remove", field(list(do("ListUsers", p(I, "UserGroupId", "1"))["Users"]), "UserName"), "alice")

	// Host groups.
	eq("CreateHostGroup", do("CreateHostGroup", p(I, "HostGroupName", "linux", "Comment", "all linux"))["HostGroupId"], "1")
	eq("CreateHostGroup 2", do("CreateHostGroup", p(I, "HostGroupName", "windows"))["HostGroupId"], "2")
	hg := do("GetHostGroup", p(I, "HostGroupId", "1"))["HostGroup"].(map[string]any)
	eq("GetHostGroup", str(hg["HostGroupName"])+"/"+str(hg["Comment"]), "linux/all linux")
	do("ModifyHostGroup", p(I, "HostGroupId", "1", "HostGroupName", "linux-hosts"))
	r = list(do("AddHostsToGroup", p(I, "HostGroupId", "1", "HostIds", `["1","3","7"]`))["Results"])
	eq("AddHostsToGroup", field(r, "HostId")+" "+field(r, "Code")+" "+field(r, "HostGroupId"), "1,3,7 OK,OK,OBJECT_NOT_FOUND 1,1,1")
	eq("ListHosts by group", field(list(do("ListHosts", p(I, "HostGroupId", "1"))["Hosts"]), "HostId"), "1,3")
	r = list(do("RemoveHostsFromGroup", p(I, "HostGroupId", "1", "HostIds", `["3"]`))["Results"])
	eq("RemoveHostsFromGroup", field(r, "Code"), "OK")
	b = do("ListHostGroups", p(I))
	eq("ListHostGroups", field(list(b["HostGroups"]), "HostGroupName")+" "+field(list(b["HostGroups"]), "MemberCount"), "linux-hosts,windows 1,0")
	eq("ListHostGroups by name", field(list(do("ListHostGroups", p(I, "HostGroupName", "windows"))["HostGroups"]), "HostGroupId"), "2")

	// Host account grants to the user group and to the user.
	for _, g := range []struct{ suffix, param, id string }{{"UserGroup", "UserGroupId", "1"}, {"User", "UserId", "1"}} {
		attach, detach := "AttachHostAccountsTo"+g.suffix, "DetachHostAccountsFrom"+g.suffix
		res := list(do(attach, p(I, g.param, g.id, "Hosts", `[{"HostId":"1","HostAccountIds":["1","2","3"]},{"HostId":"2"},{"HostId":"9"}]`))["Results"])
		eq(attach+" hosts", field(res, "HostId")+" "+field(res, "Code")+" "+field(res, g.param), "1,2,9 OK,OK,OBJECT_NOT_FOUND "+g.id+","+g.id+","+g.id)
		eq(attach+" accounts", field(list(res[0]["HostAccounts"]), "HostAccountId")+" "+field(list(res[0]["HostAccounts"]), "Code"), "1,2,3 OK,OK,OBJECT_NOT_FOUND")
		res = list(do(attach, p(I, g.param, g.id, "Hosts", `[{"HostId":"2"}]`))["Results"])
		eq(attach+" again", field(res, "Code"), "OBJECT_AlREADY_EXISTS")
		b = do("ListHostsFor"+g.suffix, p(I, g.param, g.id))
		eq("ListHostsFor"+g.suffix, b["TotalCount"], "2")
		eq("ListHostsFor"+g.suffix+" ids", field(list(b["Hosts"]), "HostId"), "1,2")
		eq("ListHostsFor"+g.suffix+" unauthorized", field(list(do("ListHostsFor"+g.suffix, p(I, g.param, g.id, "Mode", "Unauthorized"))["Hosts"]), "HostId"), "3")
		eq("ListHostsFor"+g.suffix+" filter", field(list(do("ListHostsFor"+g.suffix, p(I, g.param, g.id, "OSType", "Windows", "HostName", "win", "HostAddress", "1.2.3.4"))["Hosts"]), "HostName"), "win")
		accts := list(do("ListHostAccountsFor"+g.suffix, p(I, g.param, g.id, "HostId", "1"))["HostAccounts"])
		eq("ListHostAccountsFor"+g.suffix, field(accts, "HostAccountId")+" "+field(accts, "IsAuthorized"), "1,2,4 true,true,false")
		res = list(do(detach, p(I, g.param, g.id, "Hosts", `[{"HostId":"1","HostAccountIds":["2","4"]}]`))["Results"])
		eq(detach+" accounts", field(list(res[0]["HostAccounts"]), "Code"), "OK,OBJECT_AlREADY_EXISTS")
		res = list(do(detach, p(I, g.param, g.id, "Hosts", `[{"HostId":"1"},{"HostId":"3"}]`))["Results"])
		eq(detach+" hosts", field(res, "Code"), "OK,OBJECT_AlREADY_EXISTS")
		accts = list(do("ListHostAccountsFor"+g.suffix, p(I, g.param, g.id, "HostId", "1", "HostAccountName", "root"))["HostAccounts"])
		eq("after host detach", field(accts, "IsAuthorized"), "false")
		eq("hosts after detach", field(list(do("ListHostsFor"+g.suffix, p(I, g.param, g.id))["Hosts"]), "HostId"), "2")

		// Host group grants, by account name.
		hattach, hdetach := "AttachHostGroupAccountsTo"+g.suffix, "DetachHostGroupAccountsFrom"+g.suffix
		res = list(do(hattach, p(I, g.param, g.id, "HostGroups", `[{"HostGroupId":"1","HostAccountNames":["root","app"]},{"HostGroupId":"5"}]`))["Results"])
		eq(hattach, field(res, "HostGroupId")+" "+field(res, "Code")+" "+field(res, g.param), "1,5 OK,OBJECT_NOT_FOUND "+g.id+","+g.id)
		eq(hattach+" names", field(list(res[0]["HostAccountNames"]), "HostAccountName")+" "+field(list(res[0]["HostAccountNames"]), "Code"), "root,app OK,OK")
		eq("ListHostGroupAccountNamesFor"+g.suffix, strings.Join(strs(do("ListHostGroupAccountNamesFor"+g.suffix, p(I, g.param, g.id, "HostGroupId", "1"))["HostAccountNames"]), ","), "app,root")
		eq("ListHostGroupsFor"+g.suffix, field(list(do("ListHostGroupsFor"+g.suffix, p(I, g.param, g.id))["HostGroups"]), "HostGroupName"), "linux-hosts")
		eq("ListHostGroupsFor"+g.suffix+" unauthorized", field(list(do("ListHostGroupsFor"+g.suffix, p(I, g.param, g.id, "Mode", "Unauthorized", "HostGroupName", "windows"))["HostGroups"]), "HostGroupId"), "2")
		res = list(do(hdetach, p(I, g.param, g.id, "HostGroups", `[{"HostGroupId":"1","HostAccountNames":["app","nobody"]}]`))["Results"])
		eq(hdetach+" names", field(list(res[0]["HostAccountNames"]), "Code"), "OK,OBJECT_AlREADY_EXISTS")
		eq("names after detach", strings.Join(strs(do("ListHostGroupAccountNamesFor"+g.suffix, p(I, g.param, g.id, "HostGroupId", "1"))["HostAccountNames"]), ","), "root")
		res = list(do(hdetach, p(I, g.param, g.id, "HostGroups", `[{"HostGroupId":"1"}]`))["Results"])
		eq(hdetach, field(res, "Code"), "OK")
		eq("host groups after detach", do("ListHostGroupsFor"+g.suffix, p(I, g.param, g.id))["TotalCount"], "0")
	}

	// Deletes, each leaving the object gone.
	do("DeleteHostAccount", p(I, "HostAccountId", "4"))
	fail("GetHostAccount", p(I, "HostAccountId", "4"), 404, "HostAccountNotFound")
	do("DeleteHost", p(I, "HostId", "3"))
	fail("GetHost", p(I, "HostId", "3"), 404, "HostNotFound")
	do("DeleteUser", p(I, "UserId", "3"))
	fail("GetUser", p(I, "UserId", "3"), 404, "OBJECT_NOT_FOUND")
	do("DeleteUserGroup", p(I, "UserGroupId", "2"))
	fail("GetUserGroup", p(I, "UserGroupId", "2"), 404, "OBJECT_NOT_FOUND")
	do("DeleteHostGroup", p(I, "HostGroupId", "2"))
	fail("GetHostGroup", p(I, "HostGroupId", "2"), 404, "OBJECT_NOT_FOUND")
	fail("DeleteHost", p(I, "HostId", "3"), 404, "OBJECT_NOT_FOUND")
	fail("DeleteHostAccount", p(I, "HostAccountId", "4"), 404, "OBJECT_NOT_FOUND")
	fail("CreateUserGroup", p(I, "UserGroupName", "ops"), 409, "OBJECT_AlREADY_EXISTS")
	fail("ListHosts", p(bhInstB), 404, "Commodity.BizError.InvalidStatus")
	fail("GetHost", map[string]string{"HostId": "1"}, 400, "MissingInstanceId")
}
