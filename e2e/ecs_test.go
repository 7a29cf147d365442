package e2e_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	openapi "github.com/alibabacloud-go/darabonba-openapi/v2/client"
	"github.com/alibabacloud-go/tea/dara"
	"github.com/alibabacloud-go/tea/tea"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/responses"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ram"

	"github.com/localyun/localyun"
)

const (
	ecsVersion = "2014-05-26"
	ramVersion = "2015-05-01"
	fcTrust    = `{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":["fc.aliyuncs.com"]}}],"Version":"1"}`
)

// The three ways every action is driven: the v1 typed client asking for
// JSON, the same asking for XML, and darabonba CallApi (V3 signature).
var transports = []string{"JSON", "XML", "V3"}

// P is a request's parameters.
type P map[string]string

// caller holds the clients of one AccessKey.
type caller struct {
	e  *env
	v1 *sdk.Client
	v3 *openapi.Client
}

func (e *env) as(key, secret string) caller {
	return caller{e: e, v1: e.v1Client(key, secret), v3: e.teaClient(key, secret)}
}

// asNoRegion is as, with a v1 client configured without a region: it
// sends RegionId= (empty) when the request sets none.
func (e *env) asNoRegion(key, secret string) caller {
	e.t.Helper()
	c := e.as(key, secret)
	var err error
	if c.v1, err = sdk.NewClientWithOptions("", sdk.NewConfig(), credentials.NewAccessKeyCredential(key, secret)); err != nil {
		e.t.Fatal(err)
	}
	c.v1.Domain = e.Host
	return c
}

// call sends one action through transport tr. For V1 the parameters are
// set on the typed request's fields (by their `name` tag) and the typed
// response is decoded by the SDK; for V3 the action and version come from
// the typed request and the JSON body is decoded into the same response.
func call[Req requests.AcsRequest, Resp responses.AcsResponse](tb testing.TB, c caller, tr string, newReq func() Req, newResp func() Resp, params P) (Resp, error) {
	tb.Helper()
	req, resp := newReq(), newResp()
	if tr == "V3" {
		body, err := callV3(c.v3, req.GetVersion(), req.GetActionName(), params)
		if err != nil {
			return resp, err
		}
		buf, err := json.Marshal(body)
		if err != nil {
			tb.Fatal(err)
		}
		if err := json.Unmarshal(buf, resp); err != nil {
			tb.Fatalf("V3 %s body %s: %v", req.GetActionName(), buf, err)
		}
		return resp, nil
	}
	setParams(tb, req, params)
	reflect.ValueOf(req).Elem().FieldByName("AcceptFormat").SetString(tr)
	err := c.v1.DoAction(req, resp)
	return resp, err
}

// setParams sets the string-kinded fields of a typed v1 request by tag.
func setParams(tb testing.TB, req any, params P) {
	tb.Helper()
	v := reflect.ValueOf(req).Elem()
	for name, val := range params {
		found := false
		for i := 0; i < v.NumField(); i++ {
			f := v.Type().Field(i)
			if f.Tag.Get("name") == name && f.Type.Kind() == reflect.String {
				v.Field(i).SetString(val)
				found = true
			}
		}
		if f := v.FieldByName(name); !found && f.IsValid() && f.Kind() == reflect.String {
			f.SetString(val) // RegionId lives in the embedded RpcRequest
			found = true
		}
		if !found {
			tb.Fatalf("%T has no string field named %s", req, name)
		}
	}
}

// apiError asserts err carries code and status, whichever SDK produced it.
// The v1 SDK does not parse XML error bodies (G7): it reports the raw
// <Error> document as the message.
func apiError(tb testing.TB, tr string, err error, code string, status int) {
	tb.Helper()
	var se *sdkerrors.ServerError
	var te *tea.SDKError
	switch {
	case err == nil:
		tb.Fatalf("%s: no error, want %s/%d", tr, code, status)
	case errors.As(err, &se) && tr == "XML":
		if se.HttpStatus() != status || se.ErrorCode() != "" || !strings.Contains(se.Message(), "<Error>") ||
			!strings.Contains(se.Message(), "<Code>"+code+"</Code>") {
			tb.Fatalf("%s: got %d %q %q, want %s/%d as an XML <Error>", tr, se.HttpStatus(), se.ErrorCode(), se.Message(), code, status)
		}
	case errors.As(err, &se):
		if se.ErrorCode() != code || se.HttpStatus() != status {
			tb.Fatalf("%s: got %s/%d (%s), want %s/%d", tr, se.ErrorCode(), se.HttpStatus(), se.Message(), code, status)
		}
	case errors.As(err, &te):
		if dara.StringValue(te.Code) != code || dara.IntValue(te.StatusCode) != status {
			tb.Fatalf("%s: got %s/%d (%v), want %s/%d", tr, dara.StringValue(te.Code), dara.IntValue(te.StatusCode), err, code, status)
		}
	default:
		tb.Fatalf("%s: got %v (%T), want %s/%d", tr, err, err, code, status)
	}
}

// canon is a response as comparable data: its JSON form without RequestId,
// with empty lists as absent (XML cannot tell them apart).
func canon(tb testing.TB, v any) any {
	tb.Helper()
	buf, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(buf, &out); err != nil {
		tb.Fatal(err)
	}
	var clean func(any) any
	clean = func(x any) any {
		switch x := x.(type) {
		case map[string]any:
			delete(x, "RequestId")
			for k, v := range x {
				if c := clean(v); c == nil {
					delete(x, k)
				} else {
					x[k] = c
				}
			}
			return x
		case []any:
			if len(x) == 0 {
				return nil
			}
			for i := range x {
				x[i] = clean(x[i])
			}
		}
		return x
	}
	return clean(out)
}

// same asserts two responses carry the same data.
func same(tb testing.TB, what string, got, want any) {
	tb.Helper()
	g, w := canon(tb, got), canon(tb, want)
	if !reflect.DeepEqual(g, w) {
		gb, _ := json.Marshal(g)
		wb, _ := json.Marshal(w)
		tb.Fatalf("%s:\n got %s\nwant %s", what, gb, wb)
	}
}

// idsJSON is the InstanceIds form: a JSON array string.
func idsJSON(ids ...string) string {
	b, _ := json.Marshal(ids)
	return string(b)
}

// mustInstance creates an instance through the store.
func (e *env) mustInstance(account, regionID, id, network, role string) {
	e.t.Helper()
	in := localyun.Instance{ID: id, AccountID: account, RegionID: regionID, ZoneID: regionID + "-a", Name: id,
		Status: localyun.StatusRunning, NetworkType: network, PrivateIP: "10.0.0.1", ImageID: "img",
		InstanceType: "ecs.g7.large", RAMRoleName: role, CreatedAt: time.Now().UTC()}
	if network == localyun.NetworkVPC {
		in.VpcID, in.VSwitchID = "vpc-1", "vsw-1"
	}
	if err := e.Store.CreateInstances(context.Background(), []localyun.Instance{in}); err != nil {
		e.t.Fatal(err)
	}
}

// mustRole creates a RAM role through the store.
func (e *env) mustRole(account, name, trust string) {
	e.t.Helper()
	now := time.Now().UTC().Truncate(time.Second)
	if err := e.Store.CreateRole(context.Background(), localyun.Role{ID: strconv.FormatInt(now.UnixNano(), 10) + name,
		AccountID: account, Name: name, AssumeRolePolicyDocument: trust, MaxSessionDuration: 3600,
		CreatedAt: now, UpdatedAt: now}); err != nil {
		e.t.Fatal(err)
	}
}

// state is everything an account holds, to show a rejected request
// changed nothing.
func (e *env) state(account string) string {
	e.t.Helper()
	ctx := context.Background()
	insts, _, err := e.Store.FindInstances(ctx, localyun.InstanceFilter{AccountID: account})
	if err != nil {
		e.t.Fatal(err)
	}
	roles, err := e.Store.FindRoles(ctx, localyun.RoleFilter{AccountID: account})
	if err != nil {
		e.t.Fatal(err)
	}
	return fmt.Sprintf("%+v\n%+v", insts, roles)
}

// roleOf returns the instance RAM role of an instance, read from the store.
func (e *env) roleOf(account, id string) string {
	e.t.Helper()
	insts, _, err := e.Store.FindInstances(context.Background(), localyun.InstanceFilter{AccountID: account, IDs: []string{id}})
	if err != nil || len(insts) != 1 {
		e.t.Fatalf("instance %s: %v, %v", id, insts, err)
	}
	return insts[0].RAMRoleName
}

func TestDescribeRegions(t *testing.T) {
	e := newEnv(t)
	a := e.as(keyA, secretA)
	var first *ecs.DescribeRegionsResponse
	for _, tr := range transports {
		res, err := call(t, a, tr, ecs.CreateDescribeRegionsRequest, ecs.CreateDescribeRegionsResponse, P{"AcceptLanguage": "en-US"})
		if err != nil {
			t.Fatalf("%s: %v", tr, err)
		}
		if first == nil {
			first = res
			var hz *ecs.Region
			for i, r := range res.Regions.Region {
				if r.Status != "available" || r.RegionEndpoint != "ecs."+r.RegionId+".aliyuncs.com" {
					t.Fatalf("region %+v", r)
				}
				if r.RegionId == region {
					hz = &res.Regions.Region[i]
				}
			}
			if len(res.Regions.Region) < 20 || hz == nil || hz.LocalName != "China (Hangzhou)" {
				t.Fatalf("regions %+v", res.Regions.Region)
			}
			continue
		}
		same(t, tr, res, first)
	}
	zh, err := call(t, a, "JSON", ecs.CreateDescribeRegionsRequest, ecs.CreateDescribeRegionsResponse, P{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range zh.Regions.Region {
		if r.RegionId == region && r.LocalName != "华东1（杭州）" {
			t.Fatalf("default language: %+v", r)
		}
	}
	for _, tr := range transports {
		_, err := call(t, a, tr, ecs.CreateDescribeRegionsRequest, ecs.CreateDescribeRegionsResponse, P{"AcceptLanguage": "xx-YY"})
		apiError(t, tr, err, "InvalidAcceptLanguage.NotFound", 404)
		_, err = call(t, a, tr, ecs.CreateDescribeRegionsRequest, ecs.CreateDescribeRegionsResponse, P{"ResourceType": "bucket"})
		apiError(t, tr, err, "InvalidResourceType.NotFound", 404)
	}
}

func TestRunInstances(t *testing.T) {
	e := newEnv(t)
	a := e.as(keyA, secretA)
	e.mustRole(accountA, "EcsRole", ecsTrust)
	e.mustRole(accountA, "FcRole", fcTrust)
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			name := "run-" + strings.ToLower(tr)
			res, err := call(t, a, tr, ecs.CreateRunInstancesRequest, ecs.CreateRunInstancesResponse, P{"RegionId": region,
				"ImageId": "img-1", "InstanceType": "ecs.g7.large", "Amount": "2", "InstanceName": name, "RamRoleName": "ecsrole",
				"ZoneId": "cn-hangzhou-h", "Description": "d"})
			if err != nil {
				t.Fatal(err)
			}
			ids := res.InstanceIdSets.InstanceIdSet
			if len(ids) != 2 || ids[0] == ids[1] || !strings.HasPrefix(ids[0], "i-") {
				t.Fatalf("ids %v", ids)
			}
			d, err := call(t, a, tr, ecs.CreateDescribeInstancesRequest, ecs.CreateDescribeInstancesResponse,
				P{"RegionId": region, "InstanceIds": idsJSON(ids...)})
			if err != nil {
				t.Fatal(err)
			}
			if d.TotalCount != 2 {
				t.Fatalf("describe %+v", d)
			}
			for i, in := range d.Instances.Instance {
				if in.InstanceId != ids[i] || in.Status != "Running" || in.InstanceNetworkType != "vpc" || in.InstanceName != name ||
					in.ZoneId != "cn-hangzhou-h" || in.RegionId != region || in.ImageId != "img-1" || in.InstanceType != "ecs.g7.large" ||
					in.Description != "d" || !strings.HasPrefix(in.VpcAttributes.VpcId, "vpc-") ||
					!strings.HasPrefix(in.VpcAttributes.VSwitchId, "vsw-") || len(in.VpcAttributes.PrivateIpAddress.IpAddress) != 1 {
					t.Fatalf("instance %d %+v", i, in)
				}
				// The role given at creation is attached, in its stored case.
				if got := e.roleOf(accountA, in.InstanceId); got != "EcsRole" {
					t.Fatalf("role %q", got)
				}
			}
		})
	}

	before := e.state(accountA)
	noRegion := e.asNoRegion(keyA, secretA)
	base := P{"RegionId": region, "ImageId": "img", "InstanceType": "t"}
	with := func(k, v string) P {
		p := P{}
		for kk, vv := range base {
			p[kk] = vv
		}
		if v == "\x00" {
			delete(p, k)
		} else {
			p[k] = v
		}
		return p
	}
	tests := []struct {
		name   string
		c      caller
		params P
		code   string
		status int
	}{
		{"RegionId empty (client without region)", noRegion, with("RegionId", "\x00"), "MissingParameter.RegionId", 400},
		{"RegionId unknown", a, with("RegionId", "mars-1"), "InvalidRegionId.NotFound", 404},
		{"ImageId missing", a, with("ImageId", "\x00"), "MissingParameter.ImageId", 400},
		{"InstanceType missing", a, with("InstanceType", "\x00"), "MissingParameter.InstanceType", 400},
		{"Amount 0", a, with("Amount", "0"), "InvalidAmount.Malformed", 400},
		{"Amount 101", a, with("Amount", "101"), "InvalidAmount.Malformed", 400},
		{"Amount not a number", a, with("Amount", "two"), "InvalidAmount.Malformed", 400},
		{"role unknown", a, with("RamRoleName", "NoSuchRole"), "InvalidRamRole.NotFound", 404},
		{"role of another account", e.as(keyB, secretB), with("RamRoleName", "EcsRole"), "InvalidRamRole.NotFound", 404},
		{"role not trusting ECS", a, with("RamRoleName", "FcRole"), "InvalidRamRole.NotEcsRole", 404},
		{"name too long", a, with("InstanceName", strings.Repeat("n", 129)), "InvalidInstanceName.Malformed", 400},
	}
	for _, tt := range tests {
		for _, tr := range transports {
			t.Run(tt.name+"/"+tr, func(t *testing.T) {
				_, err := call(t, tt.c, tr, ecs.CreateRunInstancesRequest, ecs.CreateRunInstancesResponse, tt.params)
				apiError(t, tr, err, tt.code, tt.status)
				if got := e.state(accountA); got != before {
					t.Fatalf("a rejected RunInstances changed state:\n%s\nwas\n%s", got, before)
				}
			})
		}
	}
}

func TestDescribeInstances(t *testing.T) {
	e := newEnv(t)
	a := e.as(keyA, secretA)
	run := func(name string, amount int) []string {
		t.Helper()
		res, err := call(t, a, "JSON", ecs.CreateRunInstancesRequest, ecs.CreateRunInstancesResponse, P{"RegionId": region,
			"ImageId": "img", "InstanceType": "t", "InstanceName": name, "Amount": strconv.Itoa(amount)})
		if err != nil {
			t.Fatal(err)
		}
		return res.InstanceIdSets.InstanceIdSet
	}
	web := run("web-a", 2)
	web = append(web, run("web-b", 1)...)
	db := run("db-[1]", 1) // "*" and "?" are no InstanceName characters
	e.mustInstance(accountA, region, "i-classic", localyun.NetworkClassic, "")
	e.mustInstance(accountA, "cn-beijing", "i-beijing", localyun.NetworkVPC, "")
	e.mustInstance(accountB, region, "i-otheraccount", localyun.NetworkVPC, "")
	if _, err := call(t, a, "JSON", ecs.CreateStopInstanceRequest, ecs.CreateStopInstanceResponse, P{"InstanceId": web[2]}); err != nil {
		t.Fatal(err)
	}
	all := append(append(append([]string{}, web...), db...), "i-classic")

	ids := func(res *ecs.DescribeInstancesResponse) []string {
		out := []string{}
		for _, in := range res.Instances.Instance {
			out = append(out, in.InstanceId)
		}
		return out
	}
	tests := []struct {
		name      string
		params    P
		want      []string
		wantTotal int
	}{
		{"region", P{}, all, 5},
		{"other region", P{"RegionId": "cn-beijing"}, []string{"i-beijing"}, 1},
		{"InstanceIds, unknown and foreign ids absent", P{"InstanceIds": idsJSON(db[0], web[0], "i-nope", "i-otheraccount", "i-beijing")},
			[]string{web[0], db[0]}, 2},
		{"vpc", P{"InstanceNetworkType": "vpc"}, all[:4], 4},
		{"classic", P{"InstanceNetworkType": "classic"}, []string{"i-classic"}, 1},
		{"Stopped", P{"Status": "Stopped"}, []string{web[2]}, 1},
		{"Running", P{"Status": "Running"}, []string{web[0], web[1], db[0], "i-classic"}, 4},
		{"name prefix", P{"InstanceName": "web-*"}, web, 3},
		{"name exact", P{"InstanceName": "web-a"}, web[:2], 2},
		{"name suffix", P{"InstanceName": "*-b"}, web[2:], 1},
		{"name with glob characters is literal", P{"InstanceName": "db*[1]"}, db, 1},
		{"name literal ? does not match any", P{"InstanceName": "web-?"}, []string{}, 0},
		{"filters combine", P{"InstanceName": "web*", "Status": "Running", "InstanceNetworkType": "vpc"}, web[:2], 2},
		{"page 1", P{"PageSize": "4"}, all[:4], 5},
		{"page 2", P{"PageSize": "4", "PageNumber": "2"}, all[4:], 5},
		{"page past the end", P{"PageSize": "4", "PageNumber": "3"}, []string{}, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			params := P{"RegionId": region}
			for k, v := range tt.params {
				params[k] = v
			}
			var first *ecs.DescribeInstancesResponse
			for _, tr := range transports {
				res, err := call(t, a, tr, ecs.CreateDescribeInstancesRequest, ecs.CreateDescribeInstancesResponse, params)
				if err != nil {
					t.Fatalf("%s: %v", tr, err)
				}
				if got := ids(res); !reflect.DeepEqual(got, tt.want) || res.TotalCount != tt.wantTotal {
					t.Fatalf("%s: got %v (total %d), want %v (total %d)", tr, got, res.TotalCount, tt.want, tt.wantTotal)
				}
				if first == nil {
					first = res
				} else {
					same(t, tr, res, first)
				}
			}
		})
	}

	t.Run("NextToken", func(t *testing.T) {
		for _, tr := range transports {
			var got []string
			token := ""
			for page := 0; ; page++ {
				params := P{"RegionId": region, "MaxResults": "2"}
				if token != "" {
					params["NextToken"] = token
				}
				res, err := call(t, a, tr, ecs.CreateDescribeInstancesRequest, ecs.CreateDescribeInstancesResponse, params)
				if err != nil {
					t.Fatal(err)
				}
				if page > 2 || len(res.Instances.Instance) > 2 {
					t.Fatalf("%s: paging does not end: %+v", tr, res)
				}
				got = append(got, ids(res)...)
				token = res.NextToken
				if token == "" {
					break
				}
			}
			if !reflect.DeepEqual(got, all) {
				t.Fatalf("%s: paged %v, want %v", tr, got, all)
			}
		}
	})

	t.Run("instance fields", func(t *testing.T) {
		res, err := call(t, a, "XML", ecs.CreateDescribeInstancesRequest, ecs.CreateDescribeInstancesResponse,
			P{"RegionId": region, "InstanceIds": idsJSON("i-classic", web[2])})
		if err != nil {
			t.Fatal(err)
		}
		vpc, classic := res.Instances.Instance[0], res.Instances.Instance[1]
		if vpc.Status != "Stopped" || vpc.InstanceNetworkType != "vpc" || vpc.VpcAttributes.VpcId == "" ||
			len(vpc.VpcAttributes.PrivateIpAddress.IpAddress) != 1 || len(vpc.InnerIpAddress.IpAddress) != 0 {
			t.Fatalf("vpc instance %+v", vpc)
		}
		if classic.InstanceNetworkType != "classic" || classic.VpcAttributes.VpcId != "" || len(classic.InnerIpAddress.IpAddress) != 1 {
			t.Fatalf("classic instance %+v", classic)
		}
		if _, err := time.Parse("2006-01-02T15:04Z", vpc.CreationTime); err != nil {
			t.Fatalf("CreationTime %q: %v", vpc.CreationTime, err)
		}
	})

	for _, tr := range transports {
		// An empty RegionId counts as missing; the v1 SDK sends RegionId=
		// when its client has no region, Tea sends RegionId= as given.
		_, err := call(t, e.asNoRegion(keyA, secretA), tr, ecs.CreateDescribeInstancesRequest, ecs.CreateDescribeInstancesResponse, P{"RegionId": ""})
		apiError(t, tr, err, "MissingParameter.RegionId", 400)
		_, err = call(t, e.asNoRegion(keyA, secretA), tr, ecs.CreateDescribeInstancesRequest, ecs.CreateDescribeInstancesResponse, P{"RegionId": " "})
		apiError(t, tr, err, "MissingParameter.RegionId", 400)
	}
	errTests := []struct {
		name   string
		params P
		code   string
		status int
	}{
		{"RegionId unknown", P{"RegionId": "cn-nowhere"}, "InvalidRegionId.NotFound", 404},
		{"network type", P{"InstanceNetworkType": "VPC"}, "InvalidNetworkType.NotFound", 404},
		{"status", P{"Status": "running"}, "InvalidStatus.NotFound", 404},
		{"InstanceIds not JSON", P{"InstanceIds": "i-1,i-2"}, "InvalidInstanceIds.Malformed", 400},
		{"InstanceIds empty array", P{"InstanceIds": "[]"}, "InvalidInstanceIds.Malformed", 400},
		{"PageSize 0", P{"PageSize": "0"}, "InvalidParameter", 400},
		{"PageSize 101", P{"PageSize": "101"}, "InvalidParameter", 400},
		{"PageNumber 0", P{"PageNumber": "0"}, "InvalidParameter", 400},
		{"PageNumber text", P{"PageNumber": "x"}, "InvalidParameter", 400},
		{"MaxResults 0", P{"MaxResults": "0"}, "InvalidParameter", 400},
		{"MaxResults 101", P{"MaxResults": "101"}, "InvalidParameter", 400},
		{"NextToken garbage", P{"NextToken": "zz"}, "InvalidParameter", 400},
	}
	for _, tt := range errTests {
		for _, tr := range transports {
			t.Run(tt.name+"/"+tr, func(t *testing.T) {
				params := P{"RegionId": region}
				for k, v := range tt.params {
					params[k] = v
				}
				_, err := call(t, a, tr, ecs.CreateDescribeInstancesRequest, ecs.CreateDescribeInstancesResponse, params)
				apiError(t, tr, err, tt.code, tt.status)
			})
		}
	}
}

func TestInstanceLifecycle(t *testing.T) {
	e := newEnv(t)
	a := e.as(keyA, secretA)
	e.mustInstance(accountB, region, "i-foreign", localyun.NetworkVPC, "")
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			res, err := call(t, a, tr, ecs.CreateRunInstancesRequest, ecs.CreateRunInstancesResponse,
				P{"RegionId": region, "ImageId": "img", "InstanceType": "t", "Amount": "4"})
			if err != nil {
				t.Fatal(err)
			}
			ids := res.InstanceIdSets.InstanceIdSet
			status := func(id string) string {
				t.Helper()
				insts, _, err := e.Store.FindInstances(context.Background(), localyun.InstanceFilter{AccountID: accountA, IDs: []string{id}})
				if err != nil {
					t.Fatal(err)
				}
				if len(insts) == 0 {
					return "deleted"
				}
				return insts[0].Status
			}
			rejected := func(err error, code string, httpStatus int) {
				t.Helper()
				before := e.state(accountA)
				apiError(t, tr, err, code, httpStatus)
				if after := e.state(accountA); after != before {
					t.Fatalf("rejected request changed state")
				}
			}
			_, err = call(t, a, tr, ecs.CreateStartInstanceRequest, ecs.CreateStartInstanceResponse, P{"InstanceId": ids[0]})
			rejected(err, "IncorrectInstanceStatus", 403)
			if _, err := call(t, a, tr, ecs.CreateStopInstanceRequest, ecs.CreateStopInstanceResponse, P{"InstanceId": ids[0]}); err != nil {
				t.Fatal(err)
			}
			if got := status(ids[0]); got != "Stopped" {
				t.Fatalf("after stop: %s", got)
			}
			_, err = call(t, a, tr, ecs.CreateStopInstanceRequest, ecs.CreateStopInstanceResponse, P{"InstanceId": ids[0]})
			rejected(err, "IncorrectInstanceStatus", 403)
			if _, err := call(t, a, tr, ecs.CreateStartInstanceRequest, ecs.CreateStartInstanceResponse, P{"InstanceId": ids[0]}); err != nil {
				t.Fatal(err)
			}
			if got := status(ids[0]); got != "Running" {
				t.Fatalf("after start: %s", got)
			}
			for _, action := range []string{"start", "stop", "delete"} {
				var err error
				switch action {
				case "start":
					_, err = call(t, a, tr, ecs.CreateStartInstanceRequest, ecs.CreateStartInstanceResponse, P{"InstanceId": "i-foreign"})
				case "stop":
					_, err = call(t, a, tr, ecs.CreateStopInstanceRequest, ecs.CreateStopInstanceResponse, P{"InstanceId": "i-foreign"})
				case "delete":
					_, err = call(t, a, tr, ecs.CreateDeleteInstanceRequest, ecs.CreateDeleteInstanceResponse, P{"InstanceId": "i-foreign", "Force": "true"})
				}
				rejected(err, "InvalidInstanceId.NotFound", 404)
			}
			_, err = call(t, a, tr, ecs.CreateStartInstanceRequest, ecs.CreateStartInstanceResponse, P{})
			rejected(err, "MissingParameter.InstanceId", 400)

			// DeleteInstance: a running instance needs Force.
			_, err = call(t, a, tr, ecs.CreateDeleteInstanceRequest, ecs.CreateDeleteInstanceResponse, P{"InstanceId": ids[0]})
			rejected(err, "IncorrectInstanceStatus", 403)
			_, err = call(t, a, tr, ecs.CreateDeleteInstanceRequest, ecs.CreateDeleteInstanceResponse, P{"InstanceId": ids[0], "Force": "maybe"})
			rejected(err, "InvalidParameter", 400)
			if _, err := call(t, a, tr, ecs.CreateDeleteInstanceRequest, ecs.CreateDeleteInstanceResponse, P{"InstanceId": ids[0], "Force": "true"}); err != nil {
				t.Fatal(err)
			}
			if got := status(ids[0]); got != "deleted" {
				t.Fatalf("after DeleteInstance: %s", got)
			}
			_, err = call(t, a, tr, ecs.CreateDeleteInstanceRequest, ecs.CreateDeleteInstanceResponse, P{"InstanceId": ids[0], "Force": "true"})
			rejected(err, "InvalidInstanceId.NotFound", 404)
			if _, err := call(t, a, tr, ecs.CreateStopInstanceRequest, ecs.CreateStopInstanceResponse, P{"InstanceId": ids[1]}); err != nil {
				t.Fatal(err)
			}
			if _, err := call(t, a, tr, ecs.CreateDeleteInstanceRequest, ecs.CreateDeleteInstanceResponse, P{"InstanceId": ids[1]}); err != nil {
				t.Fatalf("delete of a stopped instance: %v", err)
			}

			// DeleteInstances takes InstanceId.N (a repeat list): all or nothing.
			deleteInstances := func(force string, list ...string) error {
				if tr == "V3" {
					p := P{"RegionId": region}
					if force != "" {
						p["Force"] = force
					}
					for i, id := range list {
						p["InstanceId."+strconv.Itoa(i+1)] = id
					}
					_, err := callV3(a.v3, ecsVersion, "DeleteInstances", p)
					return err
				}
				req := ecs.CreateDeleteInstancesRequest()
				req.AcceptFormat = tr
				req.RegionId = region
				req.Force = requests.Boolean(force)
				req.InstanceId = &list
				_, err := (&ecs.Client{Client: *a.v1}).DeleteInstances(req)
				return err
			}
			rejected(deleteInstances("", ids[2], ids[3]), "IncorrectInstanceStatus", 403)
			rejected(deleteInstances("true", ids[2], "i-foreign"), "InvalidInstanceId.NotFound", 404)
			rejected(deleteInstances("true", ids[2], "i-nope"), "InvalidInstanceId.NotFound", 404)
			rejected(deleteInstances("true"), "MissingParameter.InstanceId", 400)
			rejected(deleteInstances("true", ids[2], ids[2]), "InvalidParameter", 400)
			many := make([]string, 101)
			for i := range many {
				many[i] = "i-" + strconv.Itoa(i)
			}
			rejected(deleteInstances("true", many...), "InvalidParameter.TooManyInstanceIds", 400)
			if status(ids[2]) != "Running" || status(ids[3]) != "Running" {
				t.Fatal("a rejected DeleteInstances deleted instances")
			}
			if err := deleteInstances("true", ids[2], ids[3]); err != nil {
				t.Fatal(err)
			}
			if status(ids[2]) != "deleted" || status(ids[3]) != "deleted" {
				t.Fatal("DeleteInstances kept instances")
			}
		})
	}
	if e.roleOf(accountB, "i-foreign") != "" {
		t.Fatal("foreign instance changed")
	}
}

func attachCall(tb testing.TB, c caller, tr string, p P) (*ecs.AttachInstanceRamRoleResponse, error) {
	return call(tb, c, tr, ecs.CreateAttachInstanceRamRoleRequest, ecs.CreateAttachInstanceRamRoleResponse, p)
}

func detachCall(tb testing.TB, c caller, tr string, p P) (*ecs.DetachInstanceRamRoleResponse, error) {
	return call(tb, c, tr, ecs.CreateDetachInstanceRamRoleRequest, ecs.CreateDetachInstanceRamRoleResponse, p)
}

func describeRoleCall(tb testing.TB, c caller, tr string, p P) (*ecs.DescribeInstanceRamRoleResponse, error) {
	return call(tb, c, tr, ecs.CreateDescribeInstanceRamRoleRequest, ecs.CreateDescribeInstanceRamRoleResponse, p)
}

// TestAttachDetachSemantics covers docs/compatibility.md E2–E7 and E9.
func TestAttachDetachSemantics(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			e := newEnv(t)
			a := e.as(keyA, secretA)
			e.mustRole(accountA, "RoleA", ecsTrust)
			e.mustRole(accountA, "RoleB", ecsTrust)
			for _, id := range []string{"i-1", "i-2", "i-3", "i-4"} {
				e.mustInstance(accountA, region, id, localyun.NetworkVPC, "")
			}
			e.mustInstance(accountA, region, "i-classic", localyun.NetworkClassic, "")
			e.mustInstance(accountA, "cn-beijing", "i-beijing", localyun.NetworkVPC, "")
			e.mustInstance(accountB, region, "i-foreign", localyun.NetworkVPC, "")

			// Attach to two instances.
			ar, err := attachCall(t, a, tr, P{"RegionId": region, "InstanceIds": idsJSON("i-1", "i-2"), "RamRoleName": "rolea"})
			if err != nil {
				t.Fatal(err)
			}
			want := &ecs.AttachInstanceRamRoleResponse{RamRoleName: "RoleA", TotalCount: 2, FailCount: 0}
			want.AttachInstanceRamRoleResults.AttachInstanceRamRoleResult = []ecs.AttachInstanceRamRoleResult{
				{InstanceId: "i-1", Code: "200", Message: "success", Success: true},
				{InstanceId: "i-2", Code: "200", Message: "success", Success: true},
			}
			same(t, "attach", ar, want)

			// E2: an instance that already has a role (same or other) fails
			// alone; the rest of the batch proceeds; its role stays.
			ar, err = attachCall(t, a, tr, P{"RegionId": region, "InstanceIds": idsJSON("i-1", "i-3", "i-2"), "RamRoleName": "RoleB"})
			if err != nil {
				t.Fatal(err)
			}
			want = &ecs.AttachInstanceRamRoleResponse{RamRoleName: "RoleB", TotalCount: 3, FailCount: 2}
			want.AttachInstanceRamRoleResults.AttachInstanceRamRoleResult = []ecs.AttachInstanceRamRoleResult{
				{InstanceId: "i-1", Code: "InvalidRamRole.Attached", Message: "The instance already has an instance RAM role attached."},
				{InstanceId: "i-3", Code: "200", Message: "success", Success: true},
				{InstanceId: "i-2", Code: "InvalidRamRole.Attached", Message: "The instance already has an instance RAM role attached."},
			}
			same(t, "E2 attach over a role", ar, want)
			ar, err = attachCall(t, a, tr, P{"RegionId": region, "InstanceIds": idsJSON("i-1"), "RamRoleName": "RoleA"})
			if err != nil || ar.FailCount != 1 || ar.AttachInstanceRamRoleResults.AttachInstanceRamRoleResult[0].Code != "InvalidRamRole.Attached" {
				t.Fatalf("E2 same role again: %+v, %v", ar, err)
			}
			if e.roleOf(accountA, "i-1") != "RoleA" || e.roleOf(accountA, "i-2") != "RoleA" || e.roleOf(accountA, "i-3") != "RoleB" {
				t.Fatal("E2: roles changed")
			}

			// E5/E6: whole-request errors leave everything as it was.
			before := e.state(accountA)
			for _, c := range []struct {
				ids    []string
				code   string
				status int
			}{
				{[]string{"i-4", "i-nope"}, "InvalidInstanceId.NotFound", 404},
				{[]string{"i-4", "i-beijing"}, "InvalidInstanceId.NotFound", 404},
				{[]string{"i-foreign"}, "InvalidInstanceId.NotFound", 404},
				{[]string{"i-4", "i-classic"}, "InvalidNetworkType.MismatchRamRole", 403},
			} {
				_, err := attachCall(t, a, tr, P{"RegionId": region, "InstanceIds": idsJSON(c.ids...), "RamRoleName": "RoleB"})
				apiError(t, tr, err, c.code, c.status)
				_, err = detachCall(t, a, tr, P{"RegionId": region, "InstanceIds": idsJSON(append([]string{"i-1"}, c.ids...)...)})
				apiError(t, tr, err, c.code, c.status)
				if got := e.state(accountA); got != before {
					t.Fatalf("E5/E6: %v changed state", c.ids)
				}
			}
			if e.roleOf(accountB, "i-foreign") != "" {
				t.Fatal("another account's instance changed")
			}

			// E3, E4 and success in one batch: i-1 has RoleA (mismatch),
			// i-3 has RoleB (detached), i-4 has none.
			dr, err := detachCall(t, a, tr, P{"RegionId": region, "InstanceIds": idsJSON("i-1", "i-3", "i-4"), "RamRoleName": "roleb"})
			if err != nil {
				t.Fatal(err)
			}
			wantD := &ecs.DetachInstanceRamRoleResponse{RamRoleName: "RoleB", TotalCount: 3, FailCount: 2}
			ok := ecs.DetachInstanceRamRoleResult{InstanceId: "i-3", Code: "200", Message: "success", Success: true}
			ok.InstanceRamRoleSets.InstanceRamRoleSet = []ecs.InstanceRamRoleSet{{InstanceId: "i-3", RamRoleName: "RoleB"}}
			wantD.DetachInstanceRamRoleResults.DetachInstanceRamRoleResult = []ecs.DetachInstanceRamRoleResult{
				{InstanceId: "i-1", Code: "InvalidRamRole.Mismatch", Message: "The specified RamRoleName is not the instance RAM role attached to the instance."},
				ok,
				{InstanceId: "i-4", Code: "InvalidRamRole.NotAttached", Message: "The instance has no instance RAM role attached."},
			}
			same(t, "E3/E4/E9 detach", dr, wantD)
			if e.roleOf(accountA, "i-1") != "RoleA" || e.roleOf(accountA, "i-3") != "" {
				t.Fatal("E4: the attached role must stay; the named one must go")
			}

			// E7: without RamRoleName every instance's role is detached; the
			// top-level name is the common role, or "" when they differ.
			if _, err := attachCall(t, a, tr, P{"RegionId": region, "InstanceIds": idsJSON("i-3", "i-4"), "RamRoleName": "RoleB"}); err != nil {
				t.Fatal(err)
			}
			dr, err = detachCall(t, a, tr, P{"RegionId": region, "InstanceIds": idsJSON("i-3", "i-4")})
			if err != nil || dr.RamRoleName != "RoleB" || dr.TotalCount != 2 || dr.FailCount != 0 {
				t.Fatalf("E7 same role: %+v, %v", dr, err)
			}
			if _, err := attachCall(t, a, tr, P{"RegionId": region, "InstanceIds": idsJSON("i-3"), "RamRoleName": "RoleB"}); err != nil {
				t.Fatal(err)
			}
			dr, err = detachCall(t, a, tr, P{"RegionId": region, "InstanceIds": idsJSON("i-1", "i-3", "i-4", "i-2")})
			if err != nil {
				t.Fatal(err)
			}
			res := dr.DetachInstanceRamRoleResults.DetachInstanceRamRoleResult
			if dr.RamRoleName != "" || dr.TotalCount != 4 || dr.FailCount != 1 || len(res) != 4 ||
				res[0].InstanceRamRoleSets.InstanceRamRoleSet[0].RamRoleName != "RoleA" ||
				res[1].InstanceRamRoleSets.InstanceRamRoleSet[0].RamRoleName != "RoleB" ||
				res[2].Success || len(res[2].InstanceRamRoleSets.InstanceRamRoleSet) != 0 || !res[3].Success {
				t.Fatalf("E7 mixed roles: %+v", dr)
			}
			for _, id := range []string{"i-1", "i-2", "i-3", "i-4"} {
				if e.roleOf(accountA, id) != "" {
					t.Fatalf("%s kept its role", id)
				}
			}
		})
	}
}

// TestInstanceRAMRoleErrors provokes every error code of the three
// instance RAM role actions; no rejected request changes anything.
func TestInstanceRAMRoleErrors(t *testing.T) {
	e := newEnv(t)
	a := e.as(keyA, secretA)
	e.mustRole(accountA, "EcsRole", ecsTrust)
	e.mustRole(accountA, "FcRole", fcTrust)
	e.mustRole(accountB, "OtherRole", ecsTrust)
	e.mustInstance(accountA, region, "i-1", localyun.NetworkVPC, "EcsRole")
	e.mustInstance(accountA, region, "i-2", localyun.NetworkVPC, "")
	e.mustInstance(accountA, region, "i-classic", localyun.NetworkClassic, "")
	e.mustInstance(accountA, "cn-beijing", "i-beijing", localyun.NetworkVPC, "")
	e.mustInstance(accountB, region, "i-foreign", localyun.NetworkVPC, "")
	over := make([]string, 101)
	for i := range over {
		over[i] = "i-" + strconv.Itoa(i)
	}
	hundred := over[:100]
	type action int
	const (
		attach action = iota
		detach
		describe
	)
	tests := []struct {
		name    string
		actions []action
		c       caller
		params  P
		code    string
		status  int
	}{
		{"RegionId missing", []action{attach, detach, describe}, e.asNoRegion(keyA, secretA), P{"InstanceIds": idsJSON("i-2"), "RamRoleName": "EcsRole"}, "MissingParameter.RegionId", 400},
		{"RegionId empty", []action{attach, detach, describe}, e.asNoRegion(keyA, secretA), P{"RegionId": "", "InstanceIds": idsJSON("i-2"), "RamRoleName": "EcsRole"}, "MissingParameter.RegionId", 400},
		{"RegionId unknown", []action{attach, detach, describe}, a, P{"RegionId": "xx-1", "InstanceIds": idsJSON("i-2"), "RamRoleName": "EcsRole"}, "InvalidRegionId.NotFound", 404},
		{"InstanceIds missing", []action{attach, detach}, a, P{"RegionId": region, "RamRoleName": "EcsRole"}, "MissingParameter.InstanceIds", 400},
		{"InstanceIds empty", []action{attach, detach}, a, P{"RegionId": region, "InstanceIds": "", "RamRoleName": "EcsRole"}, "MissingParameter.InstanceIds", 400},
		{"RamRoleName missing", []action{attach}, a, P{"RegionId": region, "InstanceIds": idsJSON("i-2")}, "MissingParameter.RamRoleName", 400},
		{"both empty", []action{describe}, a, P{"RegionId": region}, "InvalidParameter.AllEmpty", 403},
		{"both empty strings", []action{describe}, a, P{"RegionId": region, "InstanceIds": "", "RamRoleName": ""}, "InvalidParameter.AllEmpty", 403},
		{"InstanceIds not a JSON array", []action{attach, detach, describe}, a, P{"RegionId": region, "InstanceIds": "i-2", "RamRoleName": "EcsRole"}, "InvalidInstanceIds.Malformed", 400},
		{"InstanceIds numbers", []action{attach, detach, describe}, a, P{"RegionId": region, "InstanceIds": "[1]", "RamRoleName": "EcsRole"}, "InvalidInstanceIds.Malformed", 400},
		{"InstanceIds []", []action{attach, detach, describe}, a, P{"RegionId": region, "InstanceIds": "[]", "RamRoleName": "EcsRole"}, "InvalidInstanceIds.Malformed", 400},
		{"InstanceIds 101", []action{attach, detach, describe}, a, P{"RegionId": region, "InstanceIds": idsJSON(over...), "RamRoleName": "EcsRole"}, "InvalidInstanceIds.Malformed", 400},
		{"InstanceIds duplicate", []action{attach, detach, describe}, a, P{"RegionId": region, "InstanceIds": idsJSON("i-2", "i-2"), "RamRoleName": "EcsRole"}, "InvalidInstanceIds.Malformed", 400},
		{"InstanceIds 100 (E11), one unknown", []action{attach, detach, describe}, a, P{"RegionId": region, "InstanceIds": idsJSON(hundred...), "RamRoleName": "EcsRole"}, "InvalidInstanceId.NotFound", 404},
		{"instance unknown", []action{attach, detach, describe}, a, P{"RegionId": region, "InstanceIds": idsJSON("i-2", "i-nope"), "RamRoleName": "EcsRole"}, "InvalidInstanceId.NotFound", 404},
		{"instance of another region", []action{attach, detach, describe}, a, P{"RegionId": region, "InstanceIds": idsJSON("i-beijing"), "RamRoleName": "EcsRole"}, "InvalidInstanceId.NotFound", 404},
		{"instance of another account", []action{attach, detach, describe}, a, P{"RegionId": region, "InstanceIds": idsJSON("i-foreign"), "RamRoleName": "EcsRole"}, "InvalidInstanceId.NotFound", 404},
		{"role unknown (E13)", []action{attach, detach, describe}, a, P{"RegionId": region, "InstanceIds": idsJSON("i-1"), "RamRoleName": "NoSuchRole"}, "InvalidRamRole.NotFound", 404},
		{"role of another account", []action{attach, detach, describe}, a, P{"RegionId": region, "InstanceIds": idsJSON("i-2"), "RamRoleName": "OtherRole"}, "InvalidRamRole.NotFound", 404},
		{"role not trusting ECS", []action{attach}, a, P{"RegionId": region, "InstanceIds": idsJSON("i-2"), "RamRoleName": "FcRole"}, "InvalidRamRole.NotEcsRole", 404},
		{"classic instance", []action{attach, detach, describe}, a, P{"RegionId": region, "InstanceIds": idsJSON("i-2", "i-classic"), "RamRoleName": "EcsRole"}, "InvalidNetworkType.MismatchRamRole", 403},
		{"Policy not JSON (E19)", []action{attach}, a, P{"RegionId": region, "InstanceIds": idsJSON("i-2"), "RamRoleName": "EcsRole", "Policy": "allow all"}, "InvalidParameter.Policy", 400},
		{"Policy empty (E19)", []action{attach}, a, P{"RegionId": region, "InstanceIds": idsJSON("i-2"), "RamRoleName": "EcsRole", "Policy": ""}, "InvalidParameter.Policy", 400},
		{"Policy over 1024 (E19)", []action{attach}, a, P{"RegionId": region, "InstanceIds": idsJSON("i-2"), "RamRoleName": "EcsRole", "Policy": `{"a":"` + strings.Repeat("x", 1020) + `"}`}, "InvalidParameter.Policy", 400},
		{"PageSize 51", []action{describe}, a, P{"RegionId": region, "RamRoleName": "EcsRole", "PageSize": "51"}, "InvalidParameter", 400},
		{"PageNumber 0", []action{describe}, a, P{"RegionId": region, "RamRoleName": "EcsRole", "PageNumber": "0"}, "InvalidParameter", 400},
	}
	for _, tt := range tests {
		for _, act := range tt.actions {
			for _, tr := range transports {
				name := []string{"Attach", "Detach", "Describe"}[act]
				t.Run(tt.name+"/"+name+"/"+tr, func(t *testing.T) {
					params := P{}
					for k, v := range tt.params {
						if k == "Policy" && act != attach {
							continue
						}
						if k == "PageSize" || k == "PageNumber" {
							if act != describe {
								continue
							}
						}
						params[k] = v
					}
					if tr != "V3" && tt.params["Policy"] == "" && act == attach {
						if _, ok := tt.params["Policy"]; ok {
							// The v1 SDK drops empty fields: send Policy= with a CommonRequest.
							_, err := e.common(tt.c.v1, "Ecs", ecsVersion, "AttachInstanceRamRole", tr, params)
							apiError(t, tr, err, tt.code, tt.status)
							return
						}
					}
					before, beforeB := e.state(accountA), e.state(accountB)
					var err error
					switch act {
					case attach:
						_, err = attachCall(t, tt.c, tr, params)
					case detach:
						_, err = detachCall(t, tt.c, tr, params)
					case describe:
						_, err = describeRoleCall(t, tt.c, tr, params)
					}
					apiError(t, tr, err, tt.code, tt.status)
					if e.state(accountA) != before || e.state(accountB) != beforeB {
						t.Fatal("a rejected request changed state")
					}
				})
			}
		}
	}
	// A valid Policy is accepted (E19).
	for _, tr := range transports {
		ar, err := attachCall(t, a, tr, P{"RegionId": region, "InstanceIds": idsJSON("i-2"), "RamRoleName": "EcsRole",
			"Policy": `{"Statement":[{"Action":"oss:GetObject","Effect":"Allow","Resource":"*"}],"Version":"1"}`})
		if err != nil || ar.FailCount != 0 || e.roleOf(accountA, "i-2") != "EcsRole" {
			t.Fatalf("%s: attach with Policy: %+v, %v", tr, ar, err)
		}
		if _, err := detachCall(t, a, tr, P{"RegionId": region, "InstanceIds": idsJSON("i-2")}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestDescribeInstanceRamRole(t *testing.T) {
	e := newEnv(t)
	a := e.as(keyA, secretA)
	e.mustRole(accountA, "EcsRole", ecsTrust)
	e.mustRole(accountA, "Unused", ecsTrust)
	for i := range 7 {
		e.mustInstance(accountA, region, fmt.Sprintf("i-r%d", i), localyun.NetworkVPC, "EcsRole")
	}
	e.mustInstance(accountA, region, "i-none", localyun.NetworkVPC, "")
	e.mustInstance(accountA, "cn-beijing", "i-bj", localyun.NetworkVPC, "EcsRole")
	e.mustInstance(accountB, region, "i-b", localyun.NetworkVPC, "")

	rows := func(res *ecs.DescribeInstanceRamRoleResponse) []string {
		var out []string
		for _, s := range res.InstanceRamRoleSets.InstanceRamRoleSet {
			out = append(out, s.InstanceId+"="+s.RamRoleName)
		}
		return out
	}
	tests := []struct {
		name      string
		params    P
		want      []string
		wantTotal int
	}{
		{"E12 InstanceIds only, role-less listed with an empty name", P{"InstanceIds": idsJSON("i-none", "i-r1")}, []string{"i-r1=EcsRole", "i-none="}, 2},
		{"by role, default page of 10", P{"RamRoleName": "ecsrole"}, []string{"i-r0=EcsRole", "i-r1=EcsRole", "i-r2=EcsRole", "i-r3=EcsRole", "i-r4=EcsRole", "i-r5=EcsRole", "i-r6=EcsRole"}, 7},
		{"by role, page 2 of 3", P{"RamRoleName": "EcsRole", "PageSize": "3", "PageNumber": "2"}, []string{"i-r3=EcsRole", "i-r4=EcsRole", "i-r5=EcsRole"}, 7},
		{"by role, last page", P{"RamRoleName": "EcsRole", "PageSize": "3", "PageNumber": "3"}, []string{"i-r6=EcsRole"}, 7},
		{"role with no instance", P{"RamRoleName": "Unused"}, nil, 0},
		{"role and ids", P{"RamRoleName": "EcsRole", "InstanceIds": idsJSON("i-none", "i-r2")}, []string{"i-r2=EcsRole"}, 1},
		{"other region", P{"RegionId": "cn-beijing", "RamRoleName": "EcsRole"}, []string{"i-bj=EcsRole"}, 1},
		{"PageSize 50", P{"RamRoleName": "EcsRole", "PageSize": "50"}, []string{"i-r0=EcsRole", "i-r1=EcsRole", "i-r2=EcsRole", "i-r3=EcsRole", "i-r4=EcsRole", "i-r5=EcsRole", "i-r6=EcsRole"}, 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			params := P{"RegionId": region}
			for k, v := range tt.params {
				params[k] = v
			}
			var first *ecs.DescribeInstanceRamRoleResponse
			for _, tr := range transports {
				res, err := describeRoleCall(t, a, tr, params)
				if err != nil {
					t.Fatalf("%s: %v", tr, err)
				}
				if got := rows(res); !reflect.DeepEqual(got, tt.want) || res.TotalCount != tt.wantTotal || res.RegionId != params["RegionId"] {
					t.Fatalf("%s: got %v total %d region %q, want %v total %d", tr, got, res.TotalCount, res.RegionId, tt.want, tt.wantTotal)
				}
				if first == nil {
					first = res
				} else {
					same(t, tr, res, first)
				}
			}
		})
	}
}

// TestDeleteRoleKeepsInstanceRole covers E20.
func TestDeleteRoleKeepsInstanceRole(t *testing.T) {
	e := newEnv(t)
	a := e.as(keyA, secretA)
	e.mustRole(accountA, "Gone", ecsTrust)
	e.mustInstance(accountA, region, "i-1", localyun.NetworkVPC, "")
	e.mustInstance(accountA, region, "i-2", localyun.NetworkVPC, "")
	if _, err := attachCall(t, a, "JSON", P{"RegionId": region, "InstanceIds": idsJSON("i-1", "i-2"), "RamRoleName": "Gone"}); err != nil {
		t.Fatal(err)
	}
	if _, err := call(t, a, "V3", ram.CreateDeleteRoleRequest, ram.CreateDeleteRoleResponse, P{"RoleName": "Gone"}); err != nil {
		t.Fatal(err)
	}
	if e.roleOf(accountA, "i-1") != "Gone" {
		t.Fatal("E20: the instance lost the role name")
	}
	d, err := describeRoleCall(t, a, "XML", P{"RegionId": region, "InstanceIds": idsJSON("i-1")})
	if err != nil || d.InstanceRamRoleSets.InstanceRamRoleSet[0].RamRoleName != "Gone" {
		t.Fatalf("describe %+v, %v", d, err)
	}
	// Naming the deleted role is an unknown role...
	_, err = detachCall(t, a, "JSON", P{"RegionId": region, "InstanceIds": idsJSON("i-1"), "RamRoleName": "Gone"})
	apiError(t, "JSON", err, "InvalidRamRole.NotFound", 404)
	// ...but Detach without RamRoleName removes it.
	for _, tr := range []string{"XML", "V3"} {
		id := map[string]string{"XML": "i-1", "V3": "i-2"}[tr]
		dr, err := detachCall(t, a, tr, P{"RegionId": region, "InstanceIds": idsJSON(id)})
		if err != nil || dr.FailCount != 0 || dr.RamRoleName != "Gone" || e.roleOf(accountA, id) != "" {
			t.Fatalf("%s: detach %+v, %v", tr, dr, err)
		}
	}
}

// TestDetachSeedErrors provokes the error table of the seed document
// (DetachInstanceRamRole) and checks codes, messages and statuses exactly,
// plus the message forms of E15/E16.
func TestDetachSeedErrors(t *testing.T) {
	e := newEnv(t)
	e.mustRole(accountA, "RamRoleTest", ecsTrust)
	e.mustInstance(accountA, region, "i-instance1", localyun.NetworkVPC, "RamRoleTest")
	e.mustInstance(accountA, region, "i-classic", localyun.NetworkClassic, "")
	tests := []struct {
		name    string
		c       caller
		params  P
		code    string
		message string
		status  int
	}{
		{"InstanceIds missing", e.as(keyA, secretA), P{"RegionId": region}, "MissingParameter.InstanceIds",
			"The input parameter InstanceIds that is mandatory for processing this request is missing.", 400},
		{"RegionId missing", e.asNoRegion(keyA, secretA), P{"InstanceIds": idsJSON("i-instance1")}, "MissingParameter.RegionId",
			"The input parameter RegionId that is mandatory for processing this request is missing.", 400},
		{"InstanceIds malformed", e.as(keyA, secretA), P{"RegionId": region, "InstanceIds": "i-instance1"}, "InvalidInstanceIds.Malformed",
			"The specified InstanceIds is not valid.", 400},
		{"classic", e.as(keyA, secretA), P{"RegionId": region, "InstanceIds": idsJSON("i-classic")}, "InvalidNetworkType.MismatchRamRole",
			"Ram role cannot be attached to instances of Classic network type.", 403},
		{"instance unknown", e.as(keyA, secretA), P{"RegionId": region, "InstanceIds": idsJSON("i-instance2")}, "InvalidInstanceId.NotFound",
			"The specified InstanceId does not exist.", 404},
		{"instance of another account", e.as(keyB, secretB), P{"RegionId": region, "InstanceIds": idsJSON("i-instance1")}, "InvalidInstanceId.NotFound",
			"The specified InstanceId does not exist.", 404},
		{"role unknown", e.as(keyA, secretA), P{"RegionId": region, "InstanceIds": idsJSON("i-instance1"), "RamRoleName": "RamRoleTest2"}, "InvalidRamRole.NotFound",
			"The specified RamRoleName does not exist.", 404},
		{"E16 message", e.as(keyA, secretA), P{"RegionId": region, "InstanceIds": idsJSON("i-instance1")}, "", "", 0},
	}
	for _, tt := range tests {
		if tt.code == "" {
			_, err := call(t, e.as(keyA, secretA), "JSON", ecs.CreateDescribeInstanceRamRoleRequest, ecs.CreateDescribeInstanceRamRoleResponse,
				P{"RegionId": region, "RamRoleName": "RamRoleTest", "PageSize": "0"})
			var se *sdkerrors.ServerError
			if !errors.As(err, &se) || se.ErrorCode() != "InvalidParameter" || se.Message() != `The specified parameter "PageSize" is not valid.` {
				t.Fatalf("E16: %v", err)
			}
			continue
		}
		for _, tr := range transports {
			t.Run(tt.name+"/"+tr, func(t *testing.T) {
				_, err := detachCall(t, tt.c, tr, tt.params)
				apiError(t, tr, err, tt.code, tt.status)
				var se *sdkerrors.ServerError
				var te *tea.SDKError
				switch {
				case tr == "JSON" && errors.As(err, &se):
					if se.Message() != tt.message {
						t.Fatalf("message %q, want %q", se.Message(), tt.message)
					}
				case tr == "V3" && errors.As(err, &te):
					if !strings.Contains(dara.StringValue(te.Message), tt.message) {
						t.Fatalf("message %q, want %q", dara.StringValue(te.Message), tt.message)
					}
				}
				if e.roleOf(accountA, "i-instance1") != "RamRoleTest" {
					t.Fatal("a rejected detach detached")
				}
			})
		}
	}
}
