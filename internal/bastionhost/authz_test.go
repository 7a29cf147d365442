package bastionhost_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"net/url"
	"strconv"
	"testing"
	"time"

	openapi "github.com/alibabacloud-go/darabonba-openapi/v2/client"
	openapiutil "github.com/alibabacloud-go/darabonba-openapi/v2/utils"
	"github.com/alibabacloud-go/tea/dara"
	"github.com/alibabacloud-go/tea/tea"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/server"
	"github.com/localyun/localyun/internal/sqlite"
)

// Two bastion instances of the golden account in two regions.
const (
	instHangzhou = "bastionhost-cn-authz0000a"
	instBeijing  = "bastionhost-cn-authz0000b"
)

// authzWorld starts a server with the two instances and returns its host
// and a V3 client of the account root.
func authzWorld(t *testing.T) (string, *openapi.Client) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	for _, err := range []error{
		st.CreateAccount(ctx, localyun.Account{ID: seedAccount, Name: "authz", CreatedAt: now}),
		st.CreateAccessKey(ctx, localyun.AccessKey{ID: seedKey, Secret: seedSecret, AccountID: seedAccount,
			Status: localyun.AccessKeyActive, CreatedAt: now}),
		st.CreateBastionInstance(ctx, localyun.BastionInstance{ID: instHangzhou, AccountID: seedAccount, RegionID: "cn-hangzhou",
			Status: localyun.BastionRunning, CreatedAt: now, ExpiresAt: now}),
		st.CreateBastionInstance(ctx, localyun.BastionInstance{ID: instBeijing, AccountID: seedAccount, RegionID: "cn-beijing",
			Status: localyun.BastionRunning, CreatedAt: now, ExpiresAt: now}),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(server.New(server.Options{Store: st}))
	t.Cleanup(func() {
		srv.Close()
		st.Close()
	})
	u, _ := url.Parse(srv.URL)
	return u.Host, teaClient(t, u.Host, seedKey, seedSecret)
}

func teaClient(t *testing.T, host, key, secret string) *openapi.Client {
	t.Helper()
	c, err := openapi.NewClient(&openapi.Config{AccessKeyId: dara.String(key), AccessKeySecret: dara.String(secret),
		Endpoint: dara.String(host), Protocol: dara.String("http"), RegionId: dara.String("cn-hangzhou")})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// callV3 calls an action with V3 signing, which sends exactly the query
// given (no RegionId of its own).
func callV3(c *openapi.Client, version, action string, query map[string]string) (map[string]any, error) {
	q := map[string]*string{}
	for k, v := range query {
		q[k] = dara.String(v)
	}
	res, err := c.CallApi(&openapiutil.Params{Action: dara.String(action), Version: dara.String(version),
		Protocol: dara.String("HTTP"), Pathname: dara.String("/"), Method: dara.String("POST"), AuthType: dara.String("AK"),
		Style: dara.String("RPC"), ReqBodyType: dara.String("formData"), BodyType: dara.String("json")},
		&openapiutil.OpenApiRequest{Query: q}, &dara.RuntimeOptions{})
	if err != nil {
		return nil, err
	}
	body, _ := res["body"].(map[string]any)
	return body, nil
}

// ramUser creates a RAM user with one custom policy and returns its client.
func ramUser(t *testing.T, host string, root *openapi.Client, name, policy string) *openapi.Client {
	t.Helper()
	ram := func(action string, q map[string]string) map[string]any {
		t.Helper()
		body, err := callV3(root, "2015-05-01", action, q)
		if err != nil {
			t.Fatalf("%s: %v", action, err)
		}
		return body
	}
	ram("CreateUser", map[string]string{"UserName": name})
	key, _ := ram("CreateAccessKey", map[string]string{"UserName": name})["AccessKey"].(map[string]any)
	ram("CreatePolicy", map[string]string{"PolicyName": name + "-policy", "PolicyDocument": policy})
	ram("AttachPolicyToUser", map[string]string{"PolicyType": "Custom", "PolicyName": name + "-policy", "UserName": name})
	id, _ := key["AccessKeyId"].(string)
	secret, _ := key["AccessKeySecret"].(string)
	return teaClient(t, host, id, secret)
}

func wantDenied(t *testing.T, what string, err error) {
	t.Helper()
	var se *tea.SDKError
	if !errors.As(err, &se) || dara.StringValue(se.Code) != "NoPermission" || dara.IntValue(se.StatusCode) != 403 {
		t.Fatalf("%s: got %v, want 403 NoPermission", what, err)
	}
}

// TestAuthorizationOnParsedInput: RAM decides a Bastionhost action on the
// instances the action acts on, as it parsed them, in the region they
// really live in: never on a lone InstanceId DescribeInstances does not
// read, nor on the RegionId sent ("*" without one), which would let a
// request step around a Deny written for a region by leaving RegionId out.
func TestAuthorizationOnParsedInput(t *testing.T) {
	host, root := authzWorld(t)
	const bh = "2019-12-09"
	t.Run("DescribeInstances lists what it is decided on", func(t *testing.T) {
		c := ramUser(t, host, root, "lister", `{"Version":"1","Statement":[{"Effect":"Allow",
			"Action":"yundun-bastionhost:DescribeInstances","Resource":"acs:yundun-bastionhost:*:*:instance/`+instHangzhou+`"}]}`)
		_, err := callV3(c, bh, "DescribeInstances", map[string]string{"InstanceId": instHangzhou, "InstanceId.1": instBeijing})
		wantDenied(t, "DescribeInstances of the other instance", err)
		body, err := callV3(c, bh, "DescribeInstances", map[string]string{"InstanceId.1": instHangzhou})
		if err != nil || fmt.Sprint(body["TotalCount"]) != "1" {
			t.Fatalf("DescribeInstances of the allowed instance: %v %v", body, err)
		}
	})
	t.Run("a regional Deny holds without RegionId", func(t *testing.T) {
		c := ramUser(t, host, root, "regional", `{"Version":"1","Statement":[
			{"Effect":"Allow","Action":"yundun-bastionhost:*","Resource":"*"},
			{"Effect":"Deny","Action":"yundun-bastionhost:*","Resource":"acs:yundun-bastionhost:cn-hangzhou:*:instance/*"}]}`)
		_, err := callV3(c, bh, "ListHosts", map[string]string{"InstanceId": instHangzhou})
		wantDenied(t, "ListHosts", err)
		_, err = callV3(c, bh, "CreateUserGroup", map[string]string{"InstanceId": instHangzhou, "UserGroupName": "ops"})
		wantDenied(t, "CreateUserGroup", err)
		_, err = callV3(c, bh, "DescribeInstances", map[string]string{"InstanceId.1": instHangzhou})
		wantDenied(t, "DescribeInstances", err)
		if body, err := callV3(root, bh, "ListUserGroups", map[string]string{"InstanceId": instHangzhou}); err != nil ||
			fmt.Sprint(body["TotalCount"]) != "0" {
			t.Fatalf("a denied CreateUserGroup created a group: %v %v", body, err)
		}
		for i, action := range []string{"ListHosts", "CreateUserGroup"} {
			q := map[string]string{"InstanceId": instBeijing, "UserGroupName": "ops" + strconv.Itoa(i)}
			if _, err := callV3(c, bh, action, q); err != nil {
				t.Fatalf("%s in the other region: %v", action, err)
			}
		}
	})
}
