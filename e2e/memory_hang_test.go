package e2e_test

// A RAM user (not the root) detaching an instance RAM role without naming
// it, on `localyun serve --memory` (issue 10): the ram:PassRole check on
// the attached role read the store from inside the write transaction, and
// in memory reads and writes share one connection, so the request waited
// on itself and never answered.

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ram"
)

const (
	memoryKey    = "LTAI5tMemoryNodeKey00001"
	memorySecret = "memoryNodeSecret0000000000000001"
	memorySeed   = `accounts:
  - id: "` + accountA + `"
    name: dev
    access_keys:
      - id: ` + memoryKey + `
        secret: ` + memorySecret + `
`
)

// startMemoryNode starts `localyun serve --memory` with one account and
// its root key, and returns an env whose clients talk to it (no Store: the
// process holds the state).
func startMemoryNode(t *testing.T) *env {
	t.Helper()
	seed := filepath.Join(t.TempDir(), "seed.yaml")
	if err := os.WriteFile(seed, []byte(memorySeed), 0o600); err != nil {
		t.Fatal(err)
	}
	n := startNode(t, "", seed, "--memory")
	// A hung request would hold up a graceful shutdown: nothing in memory
	// needs one.
	t.Cleanup(func() { n.cmd.Process.Kill() })
	return &env{t: t, URL: "http://" + n.Addr, Host: n.Addr}
}

// boundedECS is a typed ECS client that gives up after timeout and never
// retries, so a request that does not answer fails the test.
func boundedECS(t *testing.T, e *env, key, secret string, timeout time.Duration) *ecs.Client {
	t.Helper()
	c, err := sdk.NewClientWithOptions(region, sdk.NewConfig().WithAutoRetry(false).WithTimeout(timeout),
		credentials.NewAccessKeyCredential(key, secret))
	if err != nil {
		t.Fatal(err)
	}
	c.Domain = e.Host
	c.SetReadTimeout(timeout)
	return &ecs.Client{Client: *c}
}

func TestMemoryDetachWithoutRoleNameAsRAMUser(t *testing.T) {
	processLevel(t)
	e := startMemoryNode(t)
	m := newIAM(e, memoryKey, memorySecret)
	cr := ram.CreateCreateRoleRequest()
	cr.Domain = e.Host
	cr.RoleName, cr.AssumeRolePolicyDocument = "EcsAppRole", ecsTrust
	if _, err := m.ram.CreateRole(cr); err != nil {
		t.Fatal(err)
	}
	m.customPolicy("EcsAndPassRole", `{"Version":"1","Statement":[{"Effect":"Allow","Action":["ecs:*","ram:PassRole"],"Resource":"*"}]}`)
	uk, us := m.user("operator")
	m.attach("Custom", "EcsAndPassRole", "operator")

	root := boundedECS(t, e, memoryKey, memorySecret, 10*time.Second)
	run := ecs.CreateRunInstancesRequest()
	run.Domain = e.Host
	run.RegionId, run.ImageId, run.InstanceType, run.RamRoleName = region, "img", "ecs.g7.large", "EcsAppRole"
	rr, err := root.RunInstances(run)
	if err != nil {
		t.Fatal(err)
	}
	id := rr.InstanceIdSets.InstanceIdSet[0]

	user := boundedECS(t, e, uk, us, 10*time.Second)
	de := ecs.CreateDetachInstanceRamRoleRequest()
	de.Domain = e.Host
	de.RegionId, de.InstanceIds = region, `["`+id+`"]`
	res, err := user.DetachInstanceRamRole(de)
	if err != nil {
		t.Fatalf("detach without RamRoleName as a RAM user on --memory: %v", err)
	}
	r := res.DetachInstanceRamRoleResults.DetachInstanceRamRoleResult
	if res.FailCount != 0 || res.RamRoleName != "EcsAppRole" || len(r) != 1 || !r[0].Success {
		t.Fatalf("detach = %+v", res)
	}
	if got := roleOf(t, e, root, id); got != "" {
		t.Fatalf("after detach the instance still has role %q", got)
	}
}
