package e2e_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"

	"github.com/localyun/localyun"
)

// TestDescribeFollowsRoleWrites: clients attach and detach the roles of
// their own instances, and of one shared instance, while others describe
// them. Once an Attach or Detach has answered, DescribeInstanceRamRole
// shows its result, never the role before it (a store that caches
// instances must carry every write into its cache or forget the rows);
// once an instance is deleted it is not found.
func TestDescribeFollowsRoleWrites(t *testing.T) {
	e := newEnv(t)
	e.mustRole(accountA, "RoleA", ecsTrust)
	e.mustRole(accountA, "RoleB", ecsTrust)
	const workers, rounds = 4, 20
	for k := range workers {
		e.mustInstance(accountA, region, fmt.Sprintf("i-own%d", k), localyun.NetworkVPC, "")
	}
	e.mustInstance(accountA, region, "i-shared", localyun.NetworkVPC, "")

	// roles describes ids and returns id → role.
	roles := func(c caller, ids ...string) (map[string]string, error) {
		res, err := describeRoleCall(t, c, "JSON", P{"RegionId": region, "InstanceIds": idsJSON(ids...)})
		if err != nil {
			return nil, err
		}
		got := map[string]string{}
		for _, s := range res.InstanceRamRoleSets.InstanceRamRoleSet {
			got[s.InstanceId] = s.RamRoleName
		}
		if len(got) != len(ids) || res.TotalCount != len(ids) {
			return got, fmt.Errorf("described %v, total %d", got, res.TotalCount)
		}
		return got, nil
	}
	var wg sync.WaitGroup
	for k := range workers {
		wg.Go(func() {
			c := e.as(keyA, secretA)
			own := fmt.Sprintf("i-own%d", k)
			for n := range rounds {
				role := []string{"RoleA", "RoleB"}[(k+n)%2]
				if res, err := attachCall(t, c, "JSON", P{"RegionId": region, "InstanceIds": idsJSON(own), "RamRoleName": role}); err != nil || res.FailCount != 0 {
					t.Errorf("attach %s: %v, %v", own, res, err)
					return
				}
				if got, err := roles(c, own, "i-shared"); err != nil || got[own] != role {
					t.Errorf("after attaching %s to %s: %v, %v", role, own, got, err)
					return
				}
				if res, err := detachCall(t, c, "JSON", P{"RegionId": region, "InstanceIds": idsJSON(own)}); err != nil || res.FailCount != 0 {
					t.Errorf("detach %s: %v, %v", own, res, err)
					return
				}
				if got, err := roles(c, own); err != nil || got[own] != "" {
					t.Errorf("after detaching %s: %v, %v", own, got, err)
					return
				}
				// The shared instance: whoever attaches it detaches it.
				res, err := attachCall(t, c, "JSON", P{"RegionId": region, "InstanceIds": idsJSON("i-shared"), "RamRoleName": role})
				if err != nil {
					t.Errorf("attach i-shared: %v", err)
					return
				}
				if res.FailCount != 0 {
					continue // another client holds it
				}
				if got, err := roles(c, "i-shared"); err != nil || got["i-shared"] != role {
					t.Errorf("after attaching %s to i-shared: %v, %v", role, got, err)
					return
				}
				if res, err := detachCall(t, c, "JSON", P{"RegionId": region, "InstanceIds": idsJSON("i-shared"), "RamRoleName": role}); err != nil || res.FailCount != 0 {
					t.Errorf("detach i-shared: %v, %v", res, err)
					return
				}
			}
		})
	}
	stop := make(chan struct{})
	var readers sync.WaitGroup
	for range 2 {
		readers.Go(func() {
			c := e.as(keyA, secretA)
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := roles(c, "i-shared", "i-own0", "i-own1"); err != nil {
					t.Errorf("describe: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	readers.Wait()
	if t.Failed() {
		return
	}
	c := e.as(keyA, secretA)
	all := []string{"i-shared"}
	for k := range workers {
		all = append(all, fmt.Sprintf("i-own%d", k))
	}
	got, err := roles(c, all...)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range all {
		if got[id] != "" {
			t.Fatalf("%s still holds %q", id, got[id])
		}
	}
	// A deleted instance is not found, though it was just described.
	if _, err := call(t, c, "JSON", ecs.CreateDeleteInstanceRequest, ecs.CreateDeleteInstanceResponse,
		P{"InstanceId": "i-own0", "Force": "true"}); err != nil {
		t.Fatal(err)
	}
	_, err = describeRoleCall(t, c, "JSON", P{"RegionId": region, "InstanceIds": idsJSON("i-own0")})
	apiError(t, "JSON", err, "InvalidInstanceId.NotFound", 404)
}
