package e2e_test

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"

	"github.com/localyun/localyun/internal/pgtest"
)

// TestMigrateRoundTrip populates a SQLite store through the API, copies it
// into PostgreSQL with `localyun migrate`, and checks that a server on
// each store gives identical answers (but for RequestId).
func TestMigrateRoundTrip(t *testing.T) {
	processLevel(t)
	dsn := pgtest.NewDatabase(t)
	seed := writeMultiSeed(t)
	dbPath := filepath.Join(t.TempDir(), "source.db")
	src := startNode(t, "sqlite:"+dbPath, seed)

	call := func(addr string, params map[string]string) map[string]any {
		t.Helper()
		code, body := post(t, signedV1(addr, params))
		if code != 200 {
			t.Fatalf("%s: %d %v", params["Action"], code, body)
		}
		delete(body, "RequestId")
		return body
	}
	ecs := func(action string, p map[string]string) map[string]string {
		p["Action"], p["Version"], p["RegionId"] = action, "2014-05-26", "cn-hangzhou"
		return p
	}
	ram := func(action string, p map[string]string) map[string]string {
		p["Action"], p["Version"] = action, "2015-05-01"
		return p
	}
	bh := func(action string, p map[string]string) map[string]string {
		p["Action"], p["Version"], p["InstanceId"] = action, "2019-12-09", "bastionhost-cn-multinode"
		return p
	}

	// Populate through the API: role attachments, RAM users, keys, policies,
	// bastion grants and memberships.
	call(src.Addr, ecs("AttachInstanceRamRole", map[string]string{"InstanceIds": `["i-multi00","i-multi01","i-multi02"]`, "RamRoleName": "RoleOne"}))
	call(src.Addr, ecs("DetachInstanceRamRole", map[string]string{"InstanceIds": `["i-multi01"]`}))
	call(src.Addr, ram("CreateUser", map[string]string{"UserName": "alice", "DisplayName": "Alice"}))
	call(src.Addr, ram("CreateAccessKey", map[string]string{"UserName": "alice"}))
	call(src.Addr, ram("CreatePolicy", map[string]string{"PolicyName": "ReadEcs",
		"PolicyDocument": `{"Version":"1","Statement":[{"Effect":"Allow","Action":"ecs:Describe*","Resource":"*"}]}`}))
	call(src.Addr, ram("AttachPolicyToUser", map[string]string{"PolicyType": "Custom", "PolicyName": "ReadEcs", "UserName": "alice"}))
	call(src.Addr, ram("CreateGroup", map[string]string{"GroupName": "devs"}))
	call(src.Addr, ram("AddUserToGroup", map[string]string{"GroupName": "devs", "UserName": "alice"}))
	groups := call(src.Addr, bh("ListUserGroups", map[string]string{}))
	group := groups["UserGroups"].([]any)[0].(map[string]any)["UserGroupId"].(string)
	call(src.Addr, bh("AttachHostAccountsToUserGroup", map[string]string{"UserGroupId": group, "Hosts": `[{"HostId":"1","HostAccountIds":["1","2"]},{"HostId":"2"}]`}))
	user := call(src.Addr, bh("CreateUser", map[string]string{"UserName": "bob", "Source": "Local", "Password": "Bob-passw0rd!"}))
	call(src.Addr, bh("AddUsersToGroup", map[string]string{"UserGroupId": group, "UserIds": `["` + user["UserId"].(string) + `"]`}))

	reads := []map[string]string{
		ecs("DescribeInstances", map[string]string{"PageSize": "100"}),
		ecs("DescribeInstanceRamRole", map[string]string{"RamRoleName": "RoleOne"}),
		ecs("DescribeInstanceRamRole", map[string]string{"InstanceIds": `["i-multi00","i-multi01"]`}),
		ram("ListRoles", map[string]string{}),
		ram("GetRole", map[string]string{"RoleName": "roleone"}),
		ram("GetUser", map[string]string{"UserName": "alice"}),
		ram("ListUsers", map[string]string{}),
		ram("ListAccessKeys", map[string]string{"UserName": "alice"}),
		ram("ListPoliciesForUser", map[string]string{"UserName": "alice"}),
		ram("ListPolicies", map[string]string{"PolicyType": "Custom"}),
		ram("ListGroupsForUser", map[string]string{"UserName": "alice"}),
		bh("ListHosts", map[string]string{"PageSize": "100"}),
		bh("ListHostAccounts", map[string]string{"HostId": "1"}),
		bh("ListHostsForUserGroup", map[string]string{"UserGroupId": group}),
		bh("ListHostAccountsForUserGroup", map[string]string{"UserGroupId": group, "HostId": "1"}),
		bh("ListUsers", map[string]string{"UserGroupId": group}),
		bh("GetHostAccount", map[string]string{"HostAccountId": "1"}),
	}
	before := make([]map[string]any, len(reads))
	for i, r := range reads {
		before[i] = call(src.Addr, r)
	}
	src.cmd.Process.Signal(syscall.SIGTERM)
	src.cmd.Wait()

	out, err := exec.Command(localyunBinary(t), "migrate", "--from", "sqlite:"+dbPath, "--to", dsn).CombinedOutput()
	if err != nil {
		t.Fatalf("localyun migrate: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "migrated") {
		t.Fatalf("migrate output: %s", out)
	}
	dst := startNode(t, dsn, seed) // same seed and master key: the seed must add nothing
	for i, r := range reads {
		after := call(dst.Addr, r)
		if !reflect.DeepEqual(before[i], after) {
			b, _ := json.Marshal(before[i])
			a, _ := json.Marshal(after)
			t.Errorf("%s %v differs after migrate:\nsqlite:   %s\npostgres: %s", r["Action"], r, b, a)
		}
	}
	// The migrated user's credentials still work: the key secrets were
	// copied sealed and open with the same master key.
	code, body := post(t, signedV1(dst.Addr, ecs("DescribeInstanceRamRole", map[string]string{"RamRoleName": "RoleOne"})))
	if code != 200 {
		t.Fatalf("root key after migrate: %d %v", code, body)
	}
	// A second migrate into the now populated database is refused.
	if out, err := exec.Command(localyunBinary(t), "migrate", "--from", "sqlite:"+dbPath, "--to", dsn).CombinedOutput(); err == nil {
		t.Fatalf("second migrate accepted:\n%s", out)
	}
}
