package ecs_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	sdkecs "github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/ecs"
	"github.com/localyun/localyun/internal/golden"
	"github.com/localyun/localyun/internal/server"
	"github.com/localyun/localyun/internal/sqlite"
)

func TestParseInstanceIDs(t *testing.T) {
	hundred := make([]string, 100)
	for i := range hundred {
		hundred[i] = `"i-` + strconv.Itoa(i) + `"`
	}
	list := func(items []string) string { return "[" + strings.Join(items, ",") + "]" }
	tests := []struct {
		name string
		in   string
		max  int
		want []string // nil: InvalidInstanceIds.Malformed
	}{
		{"one", `["i-1"]`, 100, []string{"i-1"}},
		{"several keep order", `["i-2","i-1","i-3"]`, 100, []string{"i-2", "i-1", "i-3"}},
		{"spaces around", ` [ "i-1" , "i-2" ] `, 100, []string{"i-1", "i-2"}},
		{"exactly max", list(hundred), 100, nil},
		{"more than max", list(append(hundred, `"i-x"`)), 100, nil},
		{"empty array", `[]`, 100, nil},
		{"empty string", ``, 100, nil},
		{"not JSON", `i-1`, 100, nil},
		{"comma list", `i-1,i-2`, 100, nil},
		{"JSON string", `"i-1"`, 100, nil},
		{"object", `{"i-1":true}`, 100, nil},
		{"numbers", `[1,2]`, 100, nil},
		{"null", `null`, 100, nil},
		{"null item", `["i-1",null]`, 100, nil},
		{"nested", `[["i-1"]]`, 100, nil},
		{"empty id", `["i-1",""]`, 100, nil},
		{"duplicate", `["i-1","i-1"]`, 100, nil},
		{"unterminated", `["i-1"`, 100, nil},
		{"trailing garbage", `["i-1"]x`, 100, nil},
		{"id too long", `["i-` + strings.Repeat("a", 63) + `"]`, 100, nil},
		{"escaped", `["i-\u0031","i\/2"]`, 100, []string{"i-1", "i/2"}},
		{"escaped duplicate", `["i-1","i-\u0031"]`, 100, nil},
		{"raw tab", "[\"i-\t1\"]", 100, nil},
		{"newlines around", "[\n\"i-1\",\r\n\"i-2\"\n]", 100, []string{"i-1", "i-2"}},
		{"more than max of 2", `["i-1","i-2","i-3"]`, 2, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := tt.want
			if tt.name == "exactly max" {
				want = make([]string, 100)
				for i := range want {
					want[i] = "i-" + strconv.Itoa(i)
				}
			}
			got, err := ecs.ParseInstanceIDs(tt.in, tt.max)
			if want == nil {
				if localyun.ErrorCode(err) != "InvalidInstanceIds.Malformed" {
					t.Fatalf("ParseInstanceIDs(%q) = %v, %v; want InvalidInstanceIds.Malformed", tt.in, got, err)
				}
				var e *localyun.Error
				if !errors.As(err, &e) || e.Status != http.StatusBadRequest {
					t.Fatalf("error %#v, want status 400", err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Fatalf("ParseInstanceIDs(%q) = %v, %v; want %v", tt.in, got, err, want)
			}
		})
	}
}

func TestTrustsECS(t *testing.T) {
	tests := []struct {
		doc  string
		want bool
	}{
		{`{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":["ecs.aliyuncs.com"]}}]}`, true},
		{`{"Version":"1","Statement":[{"Effect":"Allow","Action":["sts:AssumeRole"],"Principal":{"Service":"ecs.aliyuncs.com"}}]}`, true},
		{`{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":["fc.aliyuncs.com","ecs.aliyuncs.com"]}}]}`, true},
		{`{"Version":"1","Statement":[{"Effect":"Deny","Action":"sts:AssumeRole","Principal":{"Service":["ecs.aliyuncs.com"]}}]}`, false},
		{`{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":["fc.aliyuncs.com"]}}]}`, false},
		{`{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"RAM":["acs:ram::1234567890123456:root"]}}]}`, false},
		{`{"Version":"1","Statement":[{"Effect":"Allow","Action":"ecs:*","Principal":{"Service":["ecs.aliyuncs.com"]}}]}`, false},
		// A Deny wins over an Allow, as in AssumeRole.
		{`{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"ecs.aliyuncs.com"}},{"Effect":"Deny","Action":"sts:AssumeRole","Principal":{"Service":"ecs.aliyuncs.com"}}]}`, false},
		{`not json`, false},
	}
	for _, tt := range tests {
		if got := ecs.TrustsECS(tt.doc); got != tt.want {
			t.Errorf("TrustsECS(%s) = %v, want %v", tt.doc, got, tt.want)
		}
	}
}

// The seed document's example: RegionId=cn-hangzhou, RamRoleName=RamRoleTest,
// InstanceIds=["i-instance1"], RequestId E6352369-5C2B-41CD-AB50-471550C8F674.
const (
	seedRequestID = "E6352369-5C2B-41CD-AB50-471550C8F674"
	seedAccount   = "1234567890123456"
	seedKey       = "LTAI5tGoldenKey000001"
	seedSecret    = "goldensecret0000000000000000001"
	seedRegion    = "cn-hangzhou"
	seedRole      = "RamRoleTest"
	seedInstance  = "i-instance1"
	ecsTrust      = `{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":["ecs.aliyuncs.com"]}}],"Version":"1"}`
)

// MustOpenSeedWorld starts a server with the seed document's world: one
// account, the role RamRoleTest and the VPC instance i-instance1 holding it.
func MustOpenSeedWorld(tb testing.TB) (localyun.Store, *sdkecs.Client, string) {
	tb.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, ":memory:")
	if err != nil {
		tb.Fatal(err)
	}
	now := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	must := func(err error) {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
	}
	must(st.CreateAccount(ctx, localyun.Account{ID: seedAccount, Name: "golden", CreatedAt: now}))
	must(st.CreateAccessKey(ctx, localyun.AccessKey{ID: seedKey, Secret: seedSecret, AccountID: seedAccount,
		Status: localyun.AccessKeyActive, CreatedAt: now}))
	must(st.CreateRole(ctx, localyun.Role{ID: "300000000000000001", AccountID: seedAccount, Name: seedRole,
		AssumeRolePolicyDocument: ecsTrust, MaxSessionDuration: 3600, CreatedAt: now, UpdatedAt: now}))
	must(st.CreateInstances(ctx, []localyun.Instance{{ID: seedInstance, AccountID: seedAccount, RegionID: seedRegion,
		ZoneID: seedRegion + "-a", Name: seedInstance, Status: localyun.StatusRunning, NetworkType: localyun.NetworkVPC,
		VpcID: "vpc-1", VSwitchID: "vsw-1", PrivateIP: "172.16.0.1", ImageID: "img", InstanceType: "ecs.g7.large",
		CreatedAt: now}}))
	srv := httptest.NewServer(server.New(server.Options{Store: st, NewRequestID: func() string { return seedRequestID }}))
	tb.Cleanup(func() {
		srv.Close()
		st.Close()
	})
	c, err := sdkecs.NewClientWithOptions(seedRegion, sdk.NewConfig(), credentials.NewAccessKeyCredential(seedKey, seedSecret))
	if err != nil {
		tb.Fatal(err)
	}
	u, _ := url.Parse(srv.URL)
	c.Domain = u.Host
	return st, c, u.Host
}

// MustSetRole sets the instance RAM role of i-instance1 through the store.
func MustSetRole(tb testing.TB, st localyun.Store, role string) {
	tb.Helper()
	ctx := context.Background()
	insts, _, err := st.FindInstances(ctx, localyun.InstanceFilter{AccountID: seedAccount, IDs: []string{seedInstance}})
	if err != nil || len(insts) != 1 {
		tb.Fatalf("%s: %v, %v", seedInstance, insts, err)
	}
	err = st.SetInstancesRAMRole(ctx, seedAccount, seedRegion, []localyun.InstanceRoleChange{
		{InstanceID: seedInstance, From: insts[0].RAMRoleName, To: role}})
	if err != nil {
		tb.Fatal(err)
	}
}

func TestGoldenRAMRoleActions(t *testing.T) {
	st, c, _ := MustOpenSeedWorld(t)
	for _, format := range []string{"JSON", "XML"} {
		ext := strings.ToLower(format)
		t.Run(format, func(t *testing.T) {
			MustSetRole(t, st, "")
			at := sdkecs.CreateAttachInstanceRamRoleRequest()
			at.AcceptFormat = format
			at.RegionId, at.InstanceIds, at.RamRoleName = seedRegion, `["`+seedInstance+`"]`, seedRole
			ar, err := c.AttachInstanceRamRole(at)
			if err != nil {
				t.Fatal(err)
			}
			golden.Check(t, "AttachInstanceRamRole."+ext, ar.GetHttpContentBytes())

			dr := sdkecs.CreateDescribeInstanceRamRoleRequest()
			dr.AcceptFormat = format
			dr.RegionId, dr.InstanceIds = seedRegion, `["`+seedInstance+`"]`
			desc, err := c.DescribeInstanceRamRole(dr)
			if err != nil {
				t.Fatal(err)
			}
			golden.Check(t, "DescribeInstanceRamRole."+ext, desc.GetHttpContentBytes())

			de := sdkecs.CreateDetachInstanceRamRoleRequest()
			de.AcceptFormat = format
			de.RegionId, de.InstanceIds, de.RamRoleName = seedRegion, `["`+seedInstance+`"]`, seedRole
			res, err := c.DetachInstanceRamRole(de)
			if err != nil {
				t.Fatal(err)
			}
			golden.Check(t, "DetachInstanceRamRole."+ext, res.GetHttpContentBytes())
			if ct := res.GetHttpHeaders()["Content-Type"]; len(ct) != 1 || !strings.Contains(ct[0], map[string]string{"JSON": "json", "XML": "xml"}[format]) {
				t.Errorf("Content-Type %v", ct)
			}
			// The example's values, decoded by the SDK from either format.
			r := res.DetachInstanceRamRoleResults.DetachInstanceRamRoleResult
			if res.RequestId != seedRequestID || res.TotalCount != 1 || res.FailCount != 0 || res.RamRoleName != seedRole ||
				len(r) != 1 || r[0].InstanceId != seedInstance || r[0].Code != "200" || r[0].Message != "success" || !r[0].Success {
				t.Fatalf("decoded %+v", res)
			}
			insts, _, err := st.FindInstances(context.Background(), localyun.InstanceFilter{AccountID: seedAccount, IDs: []string{seedInstance}})
			if err != nil || len(insts) != 1 || insts[0].RAMRoleName != "" {
				t.Fatalf("after detach: %+v, %v", insts, err)
			}
		})
	}
}
