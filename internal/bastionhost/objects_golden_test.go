package bastionhost_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/localyun/localyun/internal/golden"
)

// TestGoldenObjects runs every Bastionhost action but the grants once, in
// the order a console would, and keeps every response body as a golden
// file: the wire shapes of hosts, accounts, users and both kinds of group
// (one file per format, the responses separated by their action names).
func TestGoldenObjects(t *testing.T) {
	inst := map[string]string{"InstanceId": seedInstance, "RegionId": "cn-hangzhou"}
	with := func(kv ...string) map[string]string {
		p := map[string]string{}
		for k, v := range inst {
			p[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			p[kv[i]] = kv[i+1]
		}
		return p
	}
	steps := []struct {
		action string
		params map[string]string
	}{
		{"DescribeRegions", map[string]string{"AcceptLanguage": "en-US"}},
		{"DescribeInstances", map[string]string{"InstanceId.1": seedInstance}},
		{"DescribeInstanceAttribute", with()},
		{"CreateHost", with("HostName", "web", "OSType", "linux", "Source", "Ecs", "SourceInstanceId", "i-1",
			"InstanceRegionId", "cn-hangzhou", "ActiveAddressType", "Public", "HostPublicAddress", "47.0.0.1", "Comment", "c")},
		{"GetHost", with("HostId", "5")},
		{"ModifyHost", with("HostId", "5", "HostName", "web2", "PrefKex", "Curve25519-sha256")},
		{"ListHosts", with("Source", "ecs", "PageSize", "5")},
		{"CreateHostAccount", with("HostId", "5", "HostAccountName", "root", "ProtocolName", "ssh", "Password", "pw",
			"PrivateKey", "QUJD", "PrivilegeType", "privileged")},
		{"GetHostAccount", with("HostAccountId", "10")},
		{"ModifyHostAccount", with("HostAccountId", "10", "HostAccountName", "admin", "Password", "")},
		{"ListHostAccounts", with("HostId", "5", "HostIds", `["2",5]`, "ProtocolName", "SSH", "PageSize", "3")},
		{"CreateUser", with("UserName", "alice", "Source", "Local", "Password", "Passw0rd!x", "DisplayName", "Alice",
			"TwoFactorMethods", `["SMS","email"]`, "TwoFactorStatus", "enable", "Mobile", "138-0000")},
		{"CreateUser", with("UserName", "bob", "Source", "Ram", "SourceUserId", "123", "EffectiveEndTime", "100")},
		{"GetUser", with("UserId", "1")},
		{"ModifyUser", with("UserId", "1", "Comment", "c", "NeedResetPassword", "true", "LanguageStatus", "custom", "Language", "EN")},
		{"ListUsers", with("PageSize", "10")},
		{"ListUsers", with("UserState", "expired")},
		{"CreateUserGroup", with("UserGroupName", "dev", "Comment", "d")},
		{"GetUserGroup", with("UserGroupId", "2")},
		{"ModifyUserGroup", with("UserGroupId", "2", "UserGroupName", "devs")},
		{"AddUsersToGroup", with("UserGroupId", "2", "UserIds", `["1",2,"9","x"]`)},
		{"AddUsersToGroup", with("UserGroupId", "2", "UserIds", `["1"]`)},
		{"RemoveUsersFromGroup", with("UserGroupId", "2", "UserIds", `["2","3"]`)},
		{"ListUserGroups", with()},
		{"ListUsers", with("UserGroupId", "2")},
		{"CreateHostGroup", with("HostGroupName", "all")},
		{"GetHostGroup", with("HostGroupId", "1")},
		{"ModifyHostGroup", with("HostGroupId", "1", "Comment", "every host")},
		{"AddHostsToGroup", with("HostGroupId", "1", "HostIds", `["1","5","77","01"]`)},
		{"RemoveHostsFromGroup", with("HostGroupId", "1", "HostIds", `["1","2"]`)},
		{"ListHostGroups", with("HostGroupName", "all")},
		{"ListHostGroups", with("HostGroupName", "none")},
		{"ListHosts", with("HostGroupId", "1")},
		{"DeleteHostGroup", with("HostGroupId", "1")},
		{"DeleteUserGroup", with("UserGroupId", "2")},
		{"DeleteUser", with("UserId", "2")},
		{"DeleteHostAccount", with("HostAccountId", "10")},
		{"DeleteHost", with("HostId", "5")},
		{"ListHosts", with()},
		{"ListUserGroups", with()},
	}
	for _, format := range []string{"JSON", "XML"} {
		t.Run(format, func(t *testing.T) {
			c, host := mustSeedWorld(t)
			var out bytes.Buffer
			for _, s := range steps {
				out.WriteString(s.action + "\n")
				out.Write(call(t, c, host, s.action, format, s.params))
				out.WriteString("\n")
			}
			golden.Check(t, "objects."+strings.ToLower(format), out.Bytes())
		})
	}
}
