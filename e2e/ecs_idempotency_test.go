package e2e_test

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"

	"github.com/localyun/localyun"
)

// ecsTrustDoc lets ECS assume a role.
const ecsTrustDoc = `{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":["ecs.aliyuncs.com"]}}],"Version":"1"}`

// runParams are the parameters of a RunInstances (or CreateInstance) of
// the tests, with extra ones on top.
func runParams(extra P) P {
	p := P{"RegionId": region, "ImageId": "aliyun_3_x64", "InstanceType": "ecs.g7.large"}
	for k, v := range extra {
		p[k] = v
	}
	return p
}

func runInstances(t *testing.T, c caller, tr string, params P) (*ecs.RunInstancesResponse, error) {
	t.Helper()
	return call(t, c, tr, ecs.CreateRunInstancesRequest, ecs.CreateRunInstancesResponse, params)
}

func createInstance(t *testing.T, c caller, tr string, params P) (*ecs.CreateInstanceResponse, error) {
	t.Helper()
	return call(t, c, tr, ecs.CreateCreateInstanceRequest, ecs.CreateCreateInstanceResponse, params)
}

// TestDryRun: every instance action that documents DryRun answers
// DryRunOperation (400) when the call would succeed, the call's own error
// when it would not, and changes nothing either way. On main DryRun was
// ignored: RunInstances created an instance, StopInstance stopped it.
func TestDryRun(t *testing.T) {
	e := newEnv(t)
	a := e.as(keyA, secretA)
	e.mustRole(accountA, "EcsRole", ecsTrustDoc)
	e.mustRole(accountA, "FcRole", fcTrust)
	e.mustInstance(accountA, region, "i-running", localyun.NetworkVPC, "")
	before := e.state(accountA)
	type check struct {
		name   string
		do     func(tr string) error
		code   string
		status int
	}
	checks := []check{
		{"RunInstances", func(tr string) error {
			_, err := runInstances(t, a, tr, runParams(P{"DryRun": "true", "Amount": "3", "RamRoleName": "EcsRole"}))
			return err
		}, "DryRunOperation", 400},
		{"RunInstances missing ImageId", func(tr string) error {
			_, err := runInstances(t, a, tr, P{"RegionId": region, "InstanceType": "ecs.g7.large", "DryRun": "true"})
			return err
		}, "MissingParameter.ImageId", 400},
		{"RunInstances role not for ECS", func(tr string) error {
			_, err := runInstances(t, a, tr, runParams(P{"DryRun": "true", "RamRoleName": "FcRole"}))
			return err
		}, "InvalidRamRole.NotEcsRole", 404},
		{"RunInstances DryRun malformed", func(tr string) error {
			_, err := runInstances(t, a, tr, runParams(P{"DryRun": "maybe"}))
			return err
		}, "InvalidParameter", 400},
		{"CreateInstance", func(tr string) error {
			_, err := createInstance(t, a, tr, runParams(P{"DryRun": "true"}))
			return err
		}, "DryRunOperation", 400},
		{"StopInstance", func(tr string) error {
			_, err := call(t, a, tr, ecs.CreateStopInstanceRequest, ecs.CreateStopInstanceResponse, P{"InstanceId": "i-running", "DryRun": "true"})
			return err
		}, "DryRunOperation", 400},
		{"StartInstance of a running instance", func(tr string) error {
			_, err := call(t, a, tr, ecs.CreateStartInstanceRequest, ecs.CreateStartInstanceResponse, P{"InstanceId": "i-running", "DryRun": "true"})
			return err
		}, "IncorrectInstanceStatus", 403},
		{"StartInstance of no instance", func(tr string) error {
			_, err := call(t, a, tr, ecs.CreateStartInstanceRequest, ecs.CreateStartInstanceResponse, P{"InstanceId": "i-none", "DryRun": "true"})
			return err
		}, "InvalidInstanceId.NotFound", 404},
		{"DeleteInstance of a running instance", func(tr string) error {
			_, err := call(t, a, tr, ecs.CreateDeleteInstanceRequest, ecs.CreateDeleteInstanceResponse, P{"InstanceId": "i-running", "DryRun": "true"})
			return err
		}, "IncorrectInstanceStatus", 403},
		{"DeleteInstance Force", func(tr string) error {
			_, err := call(t, a, tr, ecs.CreateDeleteInstanceRequest, ecs.CreateDeleteInstanceResponse, P{"InstanceId": "i-running", "Force": "true", "DryRun": "true"})
			return err
		}, "DryRunOperation", 400},
		{"DescribeInstances", func(tr string) error {
			_, err := call(t, a, tr, ecs.CreateDescribeInstancesRequest, ecs.CreateDescribeInstancesResponse, P{"RegionId": region, "DryRun": "true"})
			return err
		}, "DryRunOperation", 400},
	}
	for _, tr := range transports {
		for _, c := range checks {
			err := c.do(tr)
			if err == nil {
				t.Fatalf("%s %s: succeeded, want %s", tr, c.name, c.code)
			}
			apiError(t, tr, err, c.code, c.status)
			if got := e.state(accountA); got != before {
				t.Fatalf("%s %s changed the store:\n%s\nwant\n%s", tr, c.name, got, before)
			}
		}
	}
	testDryRunBatchAndRAM(t, e)
}

// testDryRunBatchAndRAM: DeleteInstances (InstanceId.N) through
// CommonRequest in JSON and XML, and a RAM user without permission, whose
// dry run is denied as the call would be.
func testDryRunBatchAndRAM(t *testing.T, e *env) {
	c := e.v1Client(keyA, secretA)
	before := e.state(accountA)
	for _, format := range []string{"JSON", "XML"} {
		for _, tc := range []struct {
			params P
			code   string
			status int
		}{
			{P{"RegionId": region, "InstanceId.1": "i-running", "Force": "true", "DryRun": "true"}, "DryRunOperation", 400},
			{P{"RegionId": region, "InstanceId.1": "i-running", "InstanceId.2": "i-none", "Force": "true", "DryRun": "true"}, "InvalidInstanceId.NotFound", 404},
			{P{"RegionId": region, "InstanceId.1": "i-running", "DryRun": "TRUE"}, "IncorrectInstanceStatus", 403},
			{P{"RegionId": region, "InstanceId.1": "i-running", "DryRun": "1x"}, "InvalidParameter", 400},
		} {
			res, err := e.common(c, "Ecs", ecsVersion, "DeleteInstances", format, tc.params)
			if err == nil {
				t.Fatalf("%s DeleteInstances %v: %d %s, want %s", format, tc.params, res.GetHttpStatus(), res.GetHttpContentString(), tc.code)
			}
			apiError(t, format, err, tc.code, tc.status)
		}
	}
	if got := e.state(accountA); got != before {
		t.Fatalf("DeleteInstances dry runs changed the store:\n%s\nwant\n%s", got, before)
	}
	m := newIAM(e, keyA, secretA)
	ak, sk := m.user("nobody")
	before = e.state(accountA)
	for _, tr := range transports {
		_, err := runInstances(t, e.as(ak, sk), tr, runParams(P{"DryRun": "true"}))
		apiError(t, tr, err, "Forbidden.RAM", 403)
	}
	if got := e.state(accountA); got != before {
		t.Fatalf("denied dry runs changed the store:\n%s\nwant\n%s", got, before)
	}
}

// TestClientToken: a retried RunInstances or CreateInstance with the same
// ClientToken and parameters answers the first request's instances and
// creates none; other parameters answer IdempotentParameterMismatch. On
// main every retry created new instances.
func TestClientToken(t *testing.T) {
	e := newEnv(t)
	a := e.as(keyA, secretA)
	for i, tr := range transports {
		token := fmt.Sprintf("123e4567-e89b-12d3-a456-42665544000%d", i)
		params := runParams(P{"ClientToken": token, "Amount": "2", "InstanceName": "web"})
		first, err := runInstances(t, a, tr, params)
		if err != nil {
			t.Fatalf("%s: %v", tr, err)
		}
		ids := first.InstanceIdSets.InstanceIdSet
		if len(ids) != 2 {
			t.Fatalf("%s: RunInstances = %v, want 2 ids", tr, ids)
		}
		before := e.state(accountA)
		for _, retry := range []string{"JSON", "XML", "V3"} { // a retry may come another way
			again, err := runInstances(t, a, retry, params)
			if err != nil || !reflect.DeepEqual(again.InstanceIdSets.InstanceIdSet, ids) {
				t.Fatalf("%s retry by %s = %v, %v; want %v", tr, retry, again.InstanceIdSets.InstanceIdSet, err, ids)
			}
			if again.RequestId == "" || again.RequestId == first.RequestId {
				t.Fatalf("%s retry by %s: RequestId %q, first %q; want a RequestId of its own", tr, retry, again.RequestId, first.RequestId)
			}
		}
		// Parameters that mean the same (Amount spelled differently, order) match.
		same := runParams(P{"ClientToken": token, "Amount": " 2", "InstanceName": "web"})
		if again, err := runInstances(t, a, tr, same); err != nil || !reflect.DeepEqual(again.InstanceIdSets.InstanceIdSet, ids) {
			t.Fatalf("%s retry with Amount ' 2' = %v, %v; want %v", tr, again.InstanceIdSets.InstanceIdSet, err, ids)
		}
		for _, other := range []P{
			runParams(P{"ClientToken": token, "Amount": "3", "InstanceName": "web"}),
			runParams(P{"ClientToken": token, "Amount": "2", "InstanceName": "db"}),
		} {
			_, err := runInstances(t, a, tr, other)
			apiError(t, tr, err, "IdempotentParameterMismatch", 400)
		}
		_, err = createInstance(t, a, tr, runParams(P{"ClientToken": token, "InstanceName": "web"}))
		apiError(t, tr, err, "IdempotentParameterMismatch", 400)
		// A dry run of the retry would succeed; of a mismatch, it would not.
		_, err = runInstances(t, a, tr, runParams(P{"ClientToken": token, "Amount": "2", "InstanceName": "web", "DryRun": "true"}))
		apiError(t, tr, err, "DryRunOperation", 400)
		_, err = runInstances(t, a, tr, runParams(P{"ClientToken": token, "Amount": "9", "DryRun": "true"}))
		apiError(t, tr, err, "IdempotentParameterMismatch", 400)
		for _, bad := range []string{strings.Repeat("x", 65), "tök", "a\tb"} {
			_, err = runInstances(t, a, tr, runParams(P{"ClientToken": bad}))
			apiError(t, tr, err, "InvalidClientToken.ValueNotSupported", 400)
		}
		if got := e.state(accountA); got != before {
			t.Fatalf("%s: retries changed the store:\n%s\nwant\n%s", tr, got, before)
		}
		// Tokens are the account's own: account B's same token creates B's instances.
		other, err := runInstances(t, e.as(keyB, secretB), tr, params)
		if err != nil || len(other.InstanceIdSets.InstanceIdSet) != 2 || reflect.DeepEqual(other.InstanceIdSets.InstanceIdSet, ids) {
			t.Fatalf("%s: account B with A's token = %v, %v", tr, other.InstanceIdSets.InstanceIdSet, err)
		}
	}
	testCreateInstanceToken(t, e)
}

// testCreateInstanceToken: CreateInstance creates one Stopped instance,
// and its retries answer that one.
func testCreateInstanceToken(t *testing.T, e *env) {
	a := e.as(keyA, secretA)
	var id string
	for _, tr := range transports {
		res, err := createInstance(t, a, tr, runParams(P{"ClientToken": "create-once", "InstanceName": "box"}))
		if err != nil || res.InstanceId == "" || (id != "" && res.InstanceId != id) {
			t.Fatalf("%s: CreateInstance = %+v, %v (first id %q)", tr, res, err, id)
		}
		id = res.InstanceId
	}
	insts, _, err := e.Store.FindInstances(context.Background(), localyun.InstanceFilter{AccountID: accountA, NamePattern: "box"})
	if err != nil || len(insts) != 1 || insts[0].ID != id || insts[0].Status != localyun.StatusStopped {
		t.Fatalf("CreateInstance made %+v, %v; want one Stopped instance %s", insts, err, id)
	}
}

// TestClientTokenConcurrent: requests with one token at once create one
// set of instances, and all of them answer it. They go through the v1 SDK
// (JSON and XML): darabonba's Tea runtime writes a shared HTTP client on
// every call, which the race detector reports under concurrent use.
func TestClientTokenConcurrent(t *testing.T) {
	e := newEnv(t)
	const n = 12
	ids := make([][]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := runInstances(t, e.as(keyA, secretA), []string{"JSON", "XML"}[i%2], runParams(P{"ClientToken": "at-once", "Amount": "3"}))
			if err == nil {
				ids[i] = res.InstanceIdSets.InstanceIdSet
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil || len(ids[i]) != 3 || !reflect.DeepEqual(ids[i], ids[0]) {
			t.Fatalf("call %d = %v, %v; call 0 = %v", i, ids[i], errs[i], ids[0])
		}
	}
	insts, total, err := e.Store.FindInstances(context.Background(), localyun.InstanceFilter{AccountID: accountA})
	if err != nil || total != 3 {
		t.Fatalf("the store holds %d instances (%+v, %v), want 3", total, insts, err)
	}
}

// TestClientTokenAfterRestart: the token outlives the process: a retry
// sent to a new localyun process on the same SQLite file answers the first
// process's instances and creates none.
func TestClientTokenAfterRestart(t *testing.T) {
	processLevel(t)
	seed := writeMultiSeed(t)
	store := "sqlite:" + filepath.Join(t.TempDir(), "localyun.db")
	client := func(n *node) *ecs.Client {
		c, err := sdk.NewClientWithOptions(region, sdk.NewConfig(), credentials.NewAccessKeyCredential(multiKey, multiSecret))
		if err != nil {
			t.Fatal(err)
		}
		c.Domain = n.Addr
		return &ecs.Client{Client: *c}
	}
	run := func(n *node) []string {
		req := ecs.CreateRunInstancesRequest()
		req.Scheme = "http"
		req.RegionId, req.ImageId, req.InstanceType, req.Amount = region, "aliyun_3_x64", "ecs.g7.large", "2"
		req.ClientToken = "survives-restart"
		res, err := client(n).RunInstances(req)
		if err != nil {
			t.Fatal(err)
		}
		return res.InstanceIdSets.InstanceIdSet
	}
	count := func(n *node) int {
		req := ecs.CreateDescribeInstancesRequest()
		req.Scheme = "http"
		req.RegionId = region
		res, err := client(n).DescribeInstances(req)
		if err != nil {
			t.Fatal(err)
		}
		return res.TotalCount
	}
	first := startNode(t, store, seed)
	ids := run(first)
	want := count(first)
	first.cmd.Process.Signal(syscall.SIGTERM)
	first.cmd.Wait()
	second := startNode(t, store, seed)
	if got := run(second); !reflect.DeepEqual(got, ids) {
		t.Fatalf("after a restart the retry answered %v, want %v", got, ids)
	}
	if got := count(second); got != want {
		t.Fatalf("after a restart the retry left %d instances, want %d", got, want)
	}
}
