package e2e_test

import (
	"fmt"
	"testing"
)

// TestBastionGrantLanesDecideOnTheInstance: every grant action is decided
// by RAM on the instance it acts on, in the region that instance lives in.
// A RAM user allowed everything but denied instance A in its region cannot
// act on A by leaving RegionId out (the ARN used to carry "*" then, which
// the Deny did not match), nor by sending another region; nothing changes.
// The same user still acts on instance A2.
func TestBastionGrantLanesDecideOnTheInstance(t *testing.T) {
	e := newBastionEnv(t)
	root := e.bhClients(keyA, secretA)["v1-JSON"]
	bhWorld(t, root)
	m := newIAM(e, keyA, secretA)
	m.customPolicy("AllButInstanceA", fmt.Sprintf(`{"Version":"1","Statement":[
		{"Effect":"Allow","Action":"yundun-bastionhost:*","Resource":"*"},
		{"Effect":"Deny","Action":"yundun-bastionhost:*","Resource":"acs:yundun-bastionhost:%s:%s:instance/%s"}]}`, region, accountA, bhInstA))
	key, secret := m.user("bhop")
	m.attach("Custom", "AllButInstanceA", "bhop")
	before := bhSnapshot(t, root)

	hosts := `[{"HostId":"1","HostAccountIds":["1"]},{"HostId":"2"}]`
	groups := `[{"HostGroupId":"1","HostAccountNames":["root"]}]`
	actions := []struct {
		action string
		params map[string]string
	}{
		{"AttachHostAccountsToUserGroup", map[string]string{"UserGroupId": "1", "Hosts": hosts}},
		{"DetachHostAccountsFromUserGroup", map[string]string{"UserGroupId": "1", "Hosts": hosts}},
		{"ListHostsForUserGroup", map[string]string{"UserGroupId": "1"}},
		{"ListHostAccountsForUserGroup", map[string]string{"UserGroupId": "1", "HostId": "1"}},
		{"AttachHostAccountsToUser", map[string]string{"UserId": "1", "Hosts": hosts}},
		{"DetachHostAccountsFromUser", map[string]string{"UserId": "1", "Hosts": hosts}},
		{"ListHostsForUser", map[string]string{"UserId": "1"}},
		{"ListHostAccountsForUser", map[string]string{"UserId": "1", "HostId": "1"}},
		{"AttachHostGroupAccountsToUserGroup", map[string]string{"UserGroupId": "1", "HostGroups": groups}},
		{"DetachHostGroupAccountsFromUserGroup", map[string]string{"UserGroupId": "1", "HostGroups": groups}},
		{"ListHostGroupsForUserGroup", map[string]string{"UserGroupId": "1"}},
		{"ListHostGroupAccountNamesForUserGroup", map[string]string{"UserGroupId": "1", "HostGroupId": "1"}},
		{"AttachHostGroupAccountsToUser", map[string]string{"UserId": "1", "HostGroups": groups}},
		{"DetachHostGroupAccountsFromUser", map[string]string{"UserId": "1", "HostGroups": groups}},
		{"ListHostGroupsForUser", map[string]string{"UserId": "1"}},
		{"ListHostGroupAccountNamesForUser", map[string]string{"UserId": "1", "HostGroupId": "1"}},
	}
	for _, a := range actions {
		for _, regionID := range []string{"", "cn-beijing", region} {
			t.Run(a.action+"/RegionId="+regionID, func(t *testing.T) {
				params := map[string]string{"InstanceId": bhInstA}
				for k, v := range a.params {
					params[k] = v
				}
				if regionID != "" {
					params["RegionId"] = regionID
				}
				status, code := e.raw(t, rawCall{key: key, secret: secret, version: bhVersion, action: a.action, params: params})
				if status != 403 || code != "NoPermission" {
					t.Fatalf("got %d %s, want 403 NoPermission", status, code)
				}
				if after := bhSnapshot(t, root); after != before {
					t.Fatalf("state changed:\n%s\nwant\n%s", after, before)
				}
			})
		}
	}
	// Instance A2 is not denied: the same user grants there.
	for _, s := range []struct {
		action string
		params map[string]string
	}{
		{"CreateHost", p(bhInstA2, "HostName", "h", "OSType", "Linux", "Source", "Local", "ActiveAddressType", "Private", "HostPrivateAddress", "10.0.0.9")},
		{"CreateUserGroup", p(bhInstA2, "UserGroupName", "ops")},
	} {
		if _, err := root(s.action, s.params); err != nil {
			t.Fatalf("%s: %v", s.action, err)
		}
	}
	status, code := e.raw(t, rawCall{key: key, secret: secret, version: bhVersion, action: "AttachHostAccountsToUserGroup",
		params: map[string]string{"InstanceId": bhInstA2, "UserGroupId": "1", "Hosts": `[{"HostId":"1"}]`}})
	if status != 200 {
		t.Fatalf("attach on instance A2: %d %s", status, code)
	}
}
