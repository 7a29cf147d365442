// Package e2e_test drives a real localyun server over HTTP with the
// official Alibaba Cloud Go SDKs: alibaba-cloud-sdk-go (V1 signatures,
// JSON and XML) and darabonba-openapi/v2 CallApi (V3 signatures).
package e2e_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	openapi "github.com/alibabacloud-go/darabonba-openapi/v2/client"
	openapiutil "github.com/alibabacloud-go/darabonba-openapi/v2/utils"
	"github.com/alibabacloud-go/tea/dara"
	"github.com/alibabacloud-go/tea/tea"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/responses"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/server"
)

// Test accounts. Every env has two accounts so isolation can be checked.
const (
	accountA = "1234567890123456"
	keyA     = "LTAI5tTestAccountA000001"
	secretA  = "secretA0000000000000000000000001"
	accountB = "6543210987654321"
	keyB     = "LTAI5tTestAccountB000001"
	secretB  = "secretB0000000000000000000000001"
	region   = "cn-hangzhou"
)

// env is one running localyun server on a loopback port, on the matrix's
// backend (SQLite file, SQLite in memory, or PostgreSQL).
type env struct {
	t     testing.TB
	URL   string
	Host  string // host:port, as SDKs take it
	Store localyun.Store
	srv   *httptest.Server

	server *server.Server
	audit  *auditRecorder // every API call, for the audit check (audit_harness_test.go)
}

// newEnv starts a server on a fresh store of the matrix's backend (see
// openTestStore) with accounts A and B.
func newEnv(t testing.TB) *env {
	t.Helper()
	ctx := context.Background()
	st := openTestStore(t)
	now := time.Now().UTC()
	for _, a := range []struct{ id, key, secret string }{{accountA, keyA, secretA}, {accountB, keyB, secretB}} {
		if err := st.CreateAccount(ctx, localyun.Account{ID: a.id, Name: a.id, CreatedAt: now}); err != nil {
			t.Fatal(err)
		}
		if err := st.CreateAccessKey(ctx, localyun.AccessKey{ID: a.key, Secret: a.secret, AccountID: a.id,
			Status: localyun.AccessKeyActive, CreatedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	s := server.New(server.Options{Store: st})
	rec := &auditRecorder{st: st, keys: map[string]keyOwner{}}
	srv := httptest.NewServer(rec.wrap(s))
	e := &env{t: t, URL: srv.URL, Store: st, srv: srv, server: s, audit: rec}
	u, _ := url.Parse(srv.URL)
	e.Host = u.Host
	t.Cleanup(func() {
		srv.Close()
		s.FlushAuditEvents()
		st.Close()
	})
	t.Cleanup(func() { e.checkAudit(t) }) // first: the server still runs
	return e
}

// v1Client returns a legacy SDK client (V1 HMAC-SHA1 signatures) for an
// AccessKey pair, pointed at the server.
func (e *env) v1Client(ak, secret string) *sdk.Client {
	e.t.Helper()
	c, err := sdk.NewClientWithOptions(region, sdk.NewConfig(), credentials.NewAccessKeyCredential(ak, secret))
	if err != nil {
		e.t.Fatal(err)
	}
	c.Domain = e.Host
	return c
}

// common sends a V1 CommonRequest (POST, all parameters in the query) and
// returns the raw response. format is "JSON" or "XML".
func (e *env) common(c *sdk.Client, product, version, action, format string, params map[string]string) (*responses.CommonResponse, error) {
	req := requests.NewCommonRequest()
	req.Method = "POST"
	req.Scheme = "http"
	req.Domain = e.Host
	req.Product = product
	req.Version = version
	req.ApiName = action
	req.AcceptFormat = format
	for k, v := range params {
		req.QueryParams[k] = v
	}
	return c.ProcessCommonRequest(req)
}

// teaClient returns a darabonba-openapi client (V3 ACS3-HMAC-SHA256).
func (e *env) teaClient(ak, secret string) *openapi.Client {
	e.t.Helper()
	c, err := openapi.NewClient(&openapi.Config{
		AccessKeyId:     dara.String(ak),
		AccessKeySecret: dara.String(secret),
		Endpoint:        dara.String(e.Host),
		Protocol:        dara.String("http"),
		RegionId:        dara.String(region),
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// callV3 calls an RPC action with V3 signing; query holds the parameters.
func callV3(c *openapi.Client, version, action string, query map[string]string) (map[string]any, error) {
	q := map[string]*string{}
	for k, v := range query {
		q[k] = dara.String(v)
	}
	params := &openapiutil.Params{
		Action: dara.String(action), Version: dara.String(version), Protocol: dara.String("HTTP"),
		Pathname: dara.String("/"), Method: dara.String("POST"), AuthType: dara.String("AK"),
		Style: dara.String("RPC"), ReqBodyType: dara.String("formData"), BodyType: dara.String("json"),
	}
	res, err := c.CallApi(params, &openapiutil.OpenApiRequest{Query: q}, &dara.RuntimeOptions{})
	if err != nil {
		return nil, err
	}
	body, _ := res["body"].(map[string]any)
	return body, nil
}

// serverError asserts err is a v1 SDK ServerError with code and status.
func serverError(t testing.TB, err error, code string, status int) {
	t.Helper()
	var se *sdkerrors.ServerError
	if !errors.As(err, &se) {
		t.Fatalf("got error %v (%T), want ServerError %s", err, err, code)
	}
	if se.ErrorCode() != code || se.HttpStatus() != status {
		t.Fatalf("got %s/%d (%s), want %s/%d", se.ErrorCode(), se.HttpStatus(), se.Message(), code, status)
	}
}

// teaError asserts err is a Tea SDKError with code and status.
func teaError(t testing.TB, err error, code string, status int) {
	t.Helper()
	var se *tea.SDKError
	if !errors.As(err, &se) {
		t.Fatalf("got error %v (%T), want Tea SDKError %s", err, err, code)
	}
	if dara.StringValue(se.Code) != code || dara.IntValue(se.StatusCode) != status {
		t.Fatalf("got %s/%d (%v), want %s/%d", dara.StringValue(se.Code), dara.IntValue(se.StatusCode), err, code, status)
	}
}
