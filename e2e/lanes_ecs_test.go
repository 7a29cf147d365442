package e2e_test

// Issue 10's attacks on ECS authorization, through the official SDKs: RAM
// decides on exactly the instances the action acts on, whatever other,
// duplicated, differently spelled or padded parameters say. Every refused
// request answers the documented code and changes nothing.

import (
	"context"
	"strings"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/responses"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"

	"github.com/localyun/localyun"
)

// ecsCommon sends an ECS action as a V1 CommonRequest (JSON) with query
// parameters and, when form is not nil, form-body parameters (the SDK signs
// both; a body parameter wins over a query parameter of the same name).
func (e *env) ecsCommon(c *sdk.Client, action string, query, form P) (*responses.CommonResponse, error) {
	req := requests.NewCommonRequest()
	req.Method, req.Scheme, req.Domain = "POST", "http", e.Host
	req.Product, req.Version, req.ApiName = "Ecs", ecsVersion, action
	for k, v := range query {
		req.QueryParams[k] = v
	}
	for k, v := range form {
		req.FormParams[k] = v
	}
	return c.ProcessCommonRequest(req)
}

// instanceStatus reads an instance's status from the store ("deleted" when
// it is gone).
func (e *env) instanceStatus(account, id string) string {
	e.t.Helper()
	insts, _, err := e.Store.FindInstances(context.Background(), localyun.InstanceFilter{AccountID: account, IDs: []string{id}})
	if err != nil {
		e.t.Fatal(err)
	}
	if len(insts) == 0 {
		return "deleted"
	}
	return insts[0].Status
}

// refused asserts that a V1 call was refused with code and status and that
// account A's state is still before.
func refused(t *testing.T, e *env, before string, err error, code string, status int) {
	t.Helper()
	serverError(t, err, code, status)
	if after := e.state(accountA); after != before {
		t.Fatalf("a refused request changed state:\n before %s\n after  %s", before, after)
	}
}

// TestLanesECSParameterConfusion: StartInstance, StopInstance and
// DeleteInstance act on InstanceId, DeleteInstances on InstanceId.N; an
// InstanceIds naming an allowed instance, a parameter spelled in another
// case, or a RegionId naming another region must not decide for them.
func TestLanesECSParameterConfusion(t *testing.T) {
	e := newEnv(t)
	const a, b, bj = "i-lanesallowed", "i-lanesother", "i-lanesbeijing"
	e.mustInstance(accountA, region, a, localyun.NetworkVPC, "")
	e.mustInstance(accountA, region, b, localyun.NetworkVPC, "")
	e.mustInstance(accountA, "cn-beijing", bj, localyun.NetworkVPC, "")
	m := newIAM(e, keyA, secretA)
	m.customPolicy("OnlyA", `{"Version":"1","Statement":[{"Effect":"Allow","Action":"ecs:*","Resource":"acs:ecs:*:`+accountA+`:instance/`+a+`"},`+
		`{"Effect":"Allow","Action":["ecs:Describe*"],"Resource":"*"}]}`)
	m.customPolicy("HangzhouOnly", `{"Version":"1","Statement":[{"Effect":"Allow","Action":"ecs:*","Resource":"acs:ecs:cn-hangzhou:`+accountA+`:*"}]}`)
	uk, us := m.user("only-a")
	m.attach("Custom", "OnlyA", "only-a")
	hk, hs := m.user("hangzhou-only")
	m.attach("Custom", "HangzhouOnly", "hangzhou-only")
	user, root := e.as(uk, us), e.as(keyA, secretA)
	// B is stopped, so that StartInstance would change it.
	if _, err := e.ecsCommon(root.v1, "StopInstance", P{"InstanceId": b}, nil); err != nil {
		t.Fatal(err)
	}
	onlyA := idsJSON(a)
	for _, c := range []struct {
		action string
		query  P
	}{
		{"StopInstance", P{"RegionId": region, "InstanceId": b, "InstanceIds": onlyA}},
		{"StartInstance", P{"RegionId": region, "InstanceId": b, "InstanceIds": onlyA}},
		{"DeleteInstance", P{"RegionId": region, "InstanceId": b, "InstanceIds": onlyA, "Force": "true"}},
		{"DeleteInstances", P{"RegionId": region, "InstanceId.1": b, "InstanceIds": onlyA, "Force": "true"}},
		{"DeleteInstances", P{"RegionId": region, "InstanceId.1": b, "InstanceId": a, "Force": "true"}},
		{"DeleteInstance", P{"RegionId": region, "InstanceId": b, "InstanceId.1": a, "Force": "true"}},
	} {
		t.Run(c.action, func(t *testing.T) {
			before := e.state(accountA)
			_, err := e.ecsCommon(user.v1, c.action, c.query, nil)
			refused(t, e, before, err, "Forbidden.RAM", 403)
		})
	}
	t.Run("V3", func(t *testing.T) {
		before := e.state(accountA)
		_, err := callV3(user.v3, ecsVersion, "DeleteInstance", P{"InstanceId": b, "InstanceIds": onlyA, "Force": "true"})
		teaError(t, err, "Forbidden.RAM", 403)
		if e.state(accountA) != before {
			t.Fatal("a refused V3 request changed state")
		}
	})
	if e.instanceStatus(accountA, b) != localyun.StatusStopped {
		t.Fatalf("B is %s, want it untouched (Stopped)", e.instanceStatus(accountA, b))
	}
	// The other way round the action is allowed, and acts on A alone; a
	// parameter name in another case is no InstanceId at all.
	if _, err := e.ecsCommon(user.v1, "StopInstance", P{"InstanceId": a, "InstanceIds": idsJSON(b), "instanceId": b}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.ecsCommon(user.v1, "StartInstance", P{"InstanceId": a, "instanceId": b, "INSTANCEID": b}, nil); err != nil {
		t.Fatal(err)
	}
	if e.instanceStatus(accountA, a) != localyun.StatusRunning || e.instanceStatus(accountA, b) != localyun.StatusStopped {
		t.Fatalf("A %s, B %s; want Running, Stopped", e.instanceStatus(accountA, a), e.instanceStatus(accountA, b))
	}
	// An instance of any region is authorized in the region it lives in,
	// not in the RegionId sent.
	hangzhou := e.as(hk, hs)
	for _, action := range []string{"StopInstance", "DeleteInstance"} {
		before := e.state(accountA)
		_, err := e.ecsCommon(hangzhou.v1, action, P{"RegionId": region, "InstanceId": bj, "Force": "true"}, nil)
		refused(t, e, before, err, "Forbidden.RAM", 403)
	}
	if e.instanceStatus(accountA, bj) != localyun.StatusRunning {
		t.Fatal("the Beijing instance changed")
	}
}

// TestLanesECSPaddingAndDuplicates: an InstanceIds padded past 64 KiB, sent
// twice (query and body), sent under another spelling of its name, or
// naming an id in another case is decided on exactly the ids the service
// acts on. The user may do anything but touch instance B.
func TestLanesECSPaddingAndDuplicates(t *testing.T) {
	e := newEnv(t)
	const a, b, role = "i-lanespada", "i-lanespadb", "LanesRole"
	e.mustRole(accountA, role, ecsTrust)
	e.mustInstance(accountA, region, a, localyun.NetworkVPC, "")
	e.mustInstance(accountA, region, b, localyun.NetworkVPC, "")
	m := newIAM(e, keyA, secretA)
	m.customPolicy("NotB", `{"Version":"1","Statement":[{"Effect":"Deny","Action":"ecs:*","Resource":"acs:ecs:*:*:instance/`+b+`"}]}`)
	uk, us := m.user("not-b", "AdministratorAccess")
	m.attach("Custom", "NotB", "not-b")
	user, root := e.as(uk, us), e.as(keyA, secretA)
	c := &ecs.Client{Client: *user.v1}
	pad := strings.Repeat(" ", 65536)

	attach := ecs.CreateAttachInstanceRamRoleRequest()
	attach.RegionId, attach.InstanceIds, attach.RamRoleName = region, idsJSON(b)+pad, role
	before := e.state(accountA)
	_, err := c.AttachInstanceRamRole(attach)
	refused(t, e, before, err, "Forbidden.RAM", 403)
	_, err = callV3(user.v3, ecsVersion, "AttachInstanceRamRole", P{"RegionId": region, "InstanceIds": idsJSON(b) + pad, "RamRoleName": role})
	teaError(t, err, "Forbidden.RAM", 403)
	if e.roleOf(accountA, b) != "" {
		t.Fatal("padded InstanceIds attached a role to B")
	}
	// The same padding around A is A, and allowed.
	attach.InstanceIds = idsJSON(a) + pad
	if res, err := c.AttachInstanceRamRole(attach); err != nil || res.FailCount != 0 || e.roleOf(accountA, a) != role {
		t.Fatalf("padded attach to A: %+v, %v", res, err)
	}
	if _, err := attachCall(t, root, "JSON", P{"RegionId": region, "InstanceIds": idsJSON(b), "RamRoleName": role}); err != nil {
		t.Fatal(err)
	}

	detach := func(query, form P) error {
		_, err := e.ecsCommon(user.v1, "DetachInstanceRamRole", query, form)
		return err
	}
	for _, tc := range []struct {
		name        string
		query, form P
		code        string
		status      int
	}{
		{"padded", P{"RegionId": region, "InstanceIds": idsJSON(b) + pad}, nil, "Forbidden.RAM", 403},
		{"query A, body B", P{"RegionId": region, "InstanceIds": idsJSON(a)}, P{"InstanceIds": idsJSON(b)}, "Forbidden.RAM", 403},
		{"A and B", P{"RegionId": region, "InstanceIds": idsJSON(a, b)}, nil, "Forbidden.RAM", 403},
		{"B in upper case", P{"RegionId": region, "InstanceIds": idsJSON(strings.ToUpper(b))}, nil, "InvalidInstanceId.NotFound", 404},
		{"B twice", P{"RegionId": region, "InstanceIds": idsJSON(b, b)}, nil, "InvalidInstanceIds.Malformed", 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := e.state(accountA)
			refused(t, e, before, detach(tc.query, tc.form), tc.code, tc.status)
		})
	}
	// Where the parameter the service reads names A, A alone is detached.
	for _, tc := range []struct {
		name        string
		query, form P
	}{
		{"query B, body A", P{"RegionId": region, "InstanceIds": idsJSON(b)}, P{"InstanceIds": idsJSON(a)}},
		{"instanceIds B", P{"RegionId": region, "InstanceIds": idsJSON(a), "instanceIds": idsJSON(b), "INSTANCEIDS": idsJSON(b)}, nil},
	} {
		if e.roleOf(accountA, a) == "" {
			if _, err := attachCall(t, root, "JSON", P{"RegionId": region, "InstanceIds": idsJSON(a), "RamRoleName": role}); err != nil {
				t.Fatal(err)
			}
		}
		if err := detach(tc.query, tc.form); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if e.roleOf(accountA, a) != "" || e.roleOf(accountA, b) != role {
			t.Fatalf("%s: A holds %q, B %q; want none, %s", tc.name, e.roleOf(accountA, a), e.roleOf(accountA, b), role)
		}
	}
}
