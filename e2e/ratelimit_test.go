package e2e_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	openapiutil "github.com/alibabacloud-go/darabonba-openapi/v2/utils"
	"github.com/alibabacloud-go/tea/dara"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"

	"github.com/localyun/localyun/internal/protocol"
	"github.com/localyun/localyun/internal/server"
)

// TestRateLimit checks --rate-limit through both SDKs: beyond the limit a
// key gets 400 Throttling.User, and the Tea SDK turns the
// x-ratelimit-user-api header into a ThrottlingError with RetryAfter.
func TestRateLimit(t *testing.T) {
	e := newEnv(t)
	rl := server.New(server.Options{Store: e.Store, RateLimit: 0.5})
	srv := httptest.NewServer(e.audit.wrap(rl))
	host := e.Host // the audit check reads through the env's own server
	t.Cleanup(func() { rl.FlushAuditEvents(); srv.Close(); e.Host = host })
	u, _ := url.Parse(srv.URL)
	e.Host = u.Host

	tea := e.teaClient(keyA, secretA)
	if _, err := callV3(tea, "2014-05-26", "DescribeRegions", nil); err != nil {
		t.Fatalf("first call: %v", err)
	}
	// CallApi flattens Tea's ThrottlingError into a tea.SDKError (dropping
	// RetryAfter), so the code and status are what a caller sees ...
	_, err := callV3(tea, "2014-05-26", "DescribeRegions", nil)
	teaError(t, err, "Throttling.User", 400)
	// ... and the header is checked with the SDK's own parser.
	resp, err := http.Post(signedV1For(e.Host, keyA, secretA, map[string]string{"Action": "DescribeRegions", "Version": "2014-05-26"}),
		"application/x-www-form-urlencoded", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	h := resp.Header.Get("x-ratelimit-user-api")
	left := openapiutil.GetThrottlingTimeLeft(map[string]*string{"x-ratelimit-user-api": dara.String(h)})
	if resp.StatusCode != 400 || dara.Int64Value(left) <= 0 {
		t.Fatalf("status %d, x-ratelimit-user-api %q: TimeLeft %d", resp.StatusCode, h, dara.Int64Value(left))
	}
	// The limit is per AccessKey: account B is not throttled by A's calls.
	if _, err := callV3(e.teaClient(keyB, secretB), "2014-05-26", "DescribeRegions", nil); err != nil {
		t.Fatalf("other key throttled: %v", err)
	}
	c := &ecs.Client{Client: *e.v1Client(keyA, secretA)}
	req := ecs.CreateDescribeRegionsRequest()
	req.Domain = e.Host
	_, err = c.DescribeRegions(req)
	serverError(t, err, "Throttling.User", 400)
}

// signedV1For returns a V1-signed POST URL for params on host with a key.
func signedV1For(host, ak, secret string, params map[string]string) string {
	v := url.Values{}
	for k, val := range params {
		v.Set(k, val)
	}
	v.Set("AccessKeyId", ak)
	v.Set("Format", "JSON")
	v.Set("SignatureMethod", "HMAC-SHA1")
	v.Set("SignatureVersion", "1.0")
	v.Set("SignatureNonce", server.NewRequestID())
	v.Set("Timestamp", time.Now().UTC().Format("2006-01-02T15:04:05Z"))
	v.Set("Signature", protocol.SignV1(protocol.StringToSignV1("POST", v), secret))
	return "http://" + host + "/?" + v.Encode()
}
