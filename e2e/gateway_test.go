package e2e_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	openapi "github.com/alibabacloud-go/darabonba-openapi/v2/client"
	openapiutil "github.com/alibabacloud-go/darabonba-openapi/v2/utils"
	"github.com/alibabacloud-go/tea/dara"
	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/protocol"
)

func nonce() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// rawV1 is a V1 request built by hand: Params (query), Form (body), and
// the secret it is signed with.
type rawV1 struct {
	Method string
	Params url.Values
	Form   url.Values
	Secret string
	// Signature, when set, replaces the computed one ("-": none at all).
	Signature string
}

// newRawV1 returns a valid signed DescribeRegions of account A.
func newRawV1() *rawV1 {
	return &rawV1{Method: "POST", Secret: secretA, Params: url.Values{
		"AccessKeyId": {keyA}, "Action": {"DescribeRegions"}, "Version": {ecsVersion}, "Format": {"JSON"},
		"SignatureMethod": {"HMAC-SHA1"}, "SignatureNonce": {nonce()}, "SignatureVersion": {"1.0"},
		"SignatureType": {""}, "Timestamp": {time.Now().UTC().Format("2006-01-02T15:04:05Z")}, "RegionId": {region},
	}}
}

// stringToSign is what the server signs: query and form merged.
func (r *rawV1) stringToSign() string {
	all := url.Values{}
	for k, v := range r.Params {
		all[k] = v
	}
	for k, v := range r.Form {
		all[k] = v
	}
	return protocol.StringToSignV1(r.Method, all)
}

func (r *rawV1) request(e *env) *http.Request {
	q := url.Values{}
	for k, v := range r.Params {
		q[k] = v
	}
	switch r.Signature {
	case "":
		q.Set("Signature", protocol.SignV1(r.stringToSign(), r.Secret))
	case "-":
	default:
		q.Set("Signature", r.Signature)
	}
	var body io.Reader
	if r.Form != nil {
		body = strings.NewReader(r.Form.Encode())
	}
	req, err := http.NewRequest(r.Method, e.URL+"/?"+q.Encode(), body)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req
}

// rawV3 is a V3 (ACS3-HMAC-SHA256) request built by hand.
type rawV3 struct {
	Method  string
	Query   url.Values
	Body    string
	Header  map[string]string // lower-case names; host is the server's
	Signed  []string          // SignedHeaders, sorted
	Key     string
	Secret  string
	Auth    string // when set, replaces the Authorization header
	sts     string // the string to sign, after request()
	payload string // x-acs-content-sha256 override
}

func newRawV3() *rawV3 {
	return &rawV3{Method: "POST", Query: url.Values{"RegionId": {region}}, Key: keyA, Secret: secretA,
		Header: map[string]string{
			"x-acs-action": "DescribeRegions", "x-acs-version": ecsVersion,
			"x-acs-date": time.Now().UTC().Format("2006-01-02T15:04:05Z"), "x-acs-signature-nonce": nonce(),
		},
		Signed: []string{"host", "x-acs-action", "x-acs-content-sha256", "x-acs-date", "x-acs-signature-nonce", "x-acs-version"},
	}
}

func (r *rawV3) request(e *env) *http.Request {
	sum := sha256.Sum256([]byte(r.Body))
	hash := hex.EncodeToString(sum[:])
	r.Header["x-acs-content-sha256"] = hash
	if r.payload != "" {
		r.Header["x-acs-content-sha256"] = r.payload
	}
	header := func(h string) string {
		if h == "host" {
			return e.Host
		}
		return r.Header[h]
	}
	creq := protocol.CanonicalRequestV3(r.Method, "/", r.Query, r.Signed, header, hash)
	r.sts = protocol.StringToSignV3(creq)
	auth := protocol.V3Algorithm + " Credential=" + r.Key + ",SignedHeaders=" + strings.Join(r.Signed, ";") +
		",Signature=" + protocol.SignV3(r.sts, r.Secret)
	if r.Auth != "" {
		auth = r.Auth
	}
	target := e.URL + "/"
	if len(r.Query) > 0 {
		target += "?" + r.Query.Encode()
	}
	req, err := http.NewRequest(r.Method, target, strings.NewReader(r.Body))
	if err != nil {
		e.t.Fatal(err)
	}
	for k, v := range r.Header {
		req.Header.Set(k, v)
	}
	if r.Body != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Authorization", auth)
	return req
}

// wireError is the error envelope of protocol.md §5.2.
type wireError struct {
	RequestID string `json:"RequestId" xml:"RequestId"`
	HostID    string `json:"HostId" xml:"HostId"`
	Code      string `json:"Code" xml:"Code"`
	Message   string `json:"Message" xml:"Message"`
	Recommend string `json:"Recommend" xml:"Recommend"`
}

// send sends req and returns the status, the decoded error body (if the
// status is not 200) and the raw body.
func send(tb testing.TB, req *http.Request) (int, wireError, string, http.Header) {
	tb.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		tb.Fatal(err)
	}
	var we wireError
	if res.StatusCode != http.StatusOK {
		if strings.HasPrefix(res.Header.Get("Content-Type"), "text/xml") {
			if err := xml.Unmarshal(body, &we); err != nil {
				tb.Fatalf("XML error body %s: %v", body, err)
			}
		} else if err := json.Unmarshal(body, &we); err != nil {
			tb.Fatalf("error body %s: %v", body, err)
		}
		if we.RequestID == "" || we.RequestID != res.Header.Get("x-acs-request-id") || we.HostID != req.URL.Host {
			tb.Fatalf("error envelope %+v, headers %v", we, res.Header)
		}
	}
	return res.StatusCode, we, string(body), res.Header
}

func TestGatewayErrors(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if err := e.Store.CreateAccessKey(ctx, localyun.AccessKey{ID: "LTAI5tInactiveKey01", Secret: "inactivesecret", AccountID: accountA,
		Status: localyun.AccessKeyInactive, CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	stale := time.Now().UTC().Add(-16 * time.Minute).Format("2006-01-02T15:04:05Z")
	future := time.Now().UTC().Add(16 * time.Minute).Format("2006-01-02T15:04:05Z")
	v1 := func(mod func(r *rawV1)) func() *http.Request {
		return func() *http.Request {
			r := newRawV1()
			mod(r)
			return r.request(e)
		}
	}
	v3 := func(mod func(r *rawV3)) func() *http.Request {
		return func() *http.Request {
			r := newRawV3()
			mod(r)
			return r.request(e)
		}
	}
	tests := []struct {
		name    string
		req     func() *http.Request
		status  int
		code    string
		message string // exact, when set
	}{
		{"valid V1", v1(func(r *rawV1) {}), 200, "", ""},
		{"valid V3", v3(func(r *rawV3) {}), 200, "", ""},
		{"MissingSignature", v1(func(r *rawV1) { r.Signature = "-" }), 400, "MissingSignature", "Signature is mandatory for this action."},
		{"MissingSignature, empty", v1(func(r *rawV1) { r.Signature = "-"; r.Params.Set("Signature", "") }), 400, "MissingSignature", ""},
		{"MissingAccessKeyId", v1(func(r *rawV1) { r.Params.Del("AccessKeyId") }), 400, "MissingAccessKeyId", "AccessKeyId is mandatory for this action."},
		{"MissingTimestamp", v1(func(r *rawV1) { r.Params.Del("Timestamp") }), 400, "MissingTimestamp", "Timestamp is mandatory for this action."},
		{"MissingSignatureNonce", v1(func(r *rawV1) { r.Params.Del("SignatureNonce") }), 400, "MissingSignatureNonce", ""},
		{"MissingSignatureMethod", v1(func(r *rawV1) { r.Params.Del("SignatureMethod") }), 400, "MissingSignatureMethod", ""},
		{"InvalidSignatureMethod", v1(func(r *rawV1) { r.Params.Set("SignatureMethod", "HMAC-SHA256") }), 400, "InvalidSignatureMethod", "Specified signature method is not valid."},
		{"G1 MissingAction", v1(func(r *rawV1) { r.Params.Del("Action") }), 400, "MissingAction", "Action is mandatory for this action."},
		{"G1 MissingVersion", v1(func(r *rawV1) { r.Params.Del("Version") }), 400, "MissingVersion", "Version is mandatory for this action."},
		{"G1 MissingAction V3", v3(func(r *rawV3) { delete(r.Header, "x-acs-action") }), 400, "MissingAction", ""},
		{"G2 unknown Version", v1(func(r *rawV1) { r.Params.Set("Version", "2099-01-01") }), 400, "InvalidVersion", "Specified parameter Version is not valid."},
		{"G2 unknown Version V3", v3(func(r *rawV3) { r.Header["x-acs-version"] = "2000-01-01" }), 400, "InvalidVersion", ""},
		{"InvalidAction.NotFound", v1(func(r *rawV1) { r.Params.Set("Action", "DescribeNothing") }), 404, "InvalidAction.NotFound",
			"Specified api is not found, please check your url and method."},
		{"InvalidAction.NotFound, action of another version", v1(func(r *rawV1) { r.Params.Set("Action", "CreateRole") }), 404, "InvalidAction.NotFound", ""},
		{"InvalidAction.NotFound V3", v3(func(r *rawV3) { r.Header["x-acs-action"] = "Nope" }), 404, "InvalidAction.NotFound", ""},
		{"SignatureDoesNotMatch V1", v1(func(r *rawV1) { r.Secret = "wrong" }), 400, "SignatureDoesNotMatch", ""},
		{"SignatureDoesNotMatch V1, altered parameter", v1(func(r *rawV1) {
			r.Signature = protocol.SignV1(r.stringToSign(), r.Secret)
			r.Params.Set("RegionId", "cn-beijing")
		}),
			400, "SignatureDoesNotMatch", ""},
		{"SignatureDoesNotMatch V1, signed for another method", v1(func(r *rawV1) { r.Signature = protocol.SignV1(r.stringToSign(), r.Secret); r.Method = "GET" }),
			400, "SignatureDoesNotMatch", ""},
		{"G3 SignatureDoesNotMatch V3", v3(func(r *rawV3) { r.Secret = "wrong" }), 400, "SignatureDoesNotMatch", ""},
		{"G4 content hash", v3(func(r *rawV3) { r.Body = "A=1"; r.payload = strings.Repeat("0", 64) }), 400, "InvalidParameter.ContentSha256", ""},
		{"G5 malformed Authorization", v3(func(r *rawV3) { r.Auth = "ACS3-HMAC-SHA256 garbage" }), 400, "IncompleteSignature", ""},
		{"G5 Authorization without Signature", v3(func(r *rawV3) { r.Auth = "ACS3-HMAC-SHA256 Credential=" + keyA + ",SignedHeaders=host" }), 400, "IncompleteSignature", ""},
		{"G5 x-acs-date unsigned", v3(func(r *rawV3) {
			r.Signed = []string{"host", "x-acs-action", "x-acs-content-sha256", "x-acs-signature-nonce", "x-acs-version"}
		}), 400, "IncompleteSignature", ""},
		{"G5 host unsigned", v3(func(r *rawV3) {
			r.Signed = []string{"x-acs-action", "x-acs-content-sha256", "x-acs-date", "x-acs-signature-nonce", "x-acs-version"}
		}), 400, "IncompleteSignature", ""},
		{"V3 other algorithm", v3(func(r *rawV3) { r.Auth = "ACS3-HMAC-SM3 Credential=" + keyA + ",SignedHeaders=host,Signature=ab" }), 400, "InvalidSignatureMethod", ""},
		{"InvalidTimeStamp.Expired stale", v1(func(r *rawV1) { r.Params.Set("Timestamp", stale) }), 400, "InvalidTimeStamp.Expired",
			"Specified time stamp or date value is expired."},
		{"InvalidTimeStamp.Expired future", v1(func(r *rawV1) { r.Params.Set("Timestamp", future) }), 400, "InvalidTimeStamp.Expired", ""},
		{"InvalidTimeStamp.Expired stale V3", v3(func(r *rawV3) { r.Header["x-acs-date"] = stale }), 400, "InvalidTimeStamp.Expired", ""},
		{"InvalidTimeStamp.Expired future V3", v3(func(r *rawV3) { r.Header["x-acs-date"] = future }), 400, "InvalidTimeStamp.Expired", ""},
		{"InvalidTimeStamp.Format", v1(func(r *rawV1) { r.Params.Set("Timestamp", "2026/01/01 00:00:00") }), 400, "InvalidTimeStamp.Format",
			"Specified time stamp or date value is not well formatted."},
		{"InvalidTimeStamp.Format V3", v3(func(r *rawV3) { r.Header["x-acs-date"] = "yesterday" }), 400, "InvalidTimeStamp.Format", ""},
		{"InvalidAccessKeyId.NotFound", v1(func(r *rawV1) { r.Params.Set("AccessKeyId", "LTAI5tNoSuchKey") }), 404, "InvalidAccessKeyId.NotFound",
			"Specified access key is not found."},
		{"InvalidAccessKeyId.NotFound V3", v3(func(r *rawV3) { r.Key = "LTAI5tNoSuchKey" }), 404, "InvalidAccessKeyId.NotFound", ""},
		{"InvalidAccessKeyId.Inactive", v1(func(r *rawV1) { r.Params.Set("AccessKeyId", "LTAI5tInactiveKey01"); r.Secret = "inactivesecret" }), 400,
			"InvalidAccessKeyId.Inactive", "Specified access key is disabled."},
		{"InvalidAccessKeyId.Inactive V3", v3(func(r *rawV3) { r.Key, r.Secret = "LTAI5tInactiveKey01", "inactivesecret" }), 400, "InvalidAccessKeyId.Inactive", ""},
		{"G6 body over 1 MiB", v1(func(r *rawV1) { r.Form = url.Values{"Pad": {strings.Repeat("x", protocol.MaxBodyBytes)}} }), 413, "RequestEntityTooLarge", ""},
		{"G6 body over 1 MiB V3", v3(func(r *rawV3) { r.Body = "Pad=" + strings.Repeat("x", protocol.MaxBodyBytes) }), 413, "RequestEntityTooLarge", ""},
		{"unknown Format", v1(func(r *rawV1) { r.Params.Set("Format", "YAML") }), 400, "InvalidParameter.Format", "Specified parameter format is not valid."},
		{"G10 PUT", v1(func(r *rawV1) { r.Method = "PUT" }), 405, "UnsupportedHTTPMethod", ""},
		{"G10 DELETE", v1(func(r *rawV1) { r.Method = "DELETE" }), 405, "UnsupportedHTTPMethod", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, we, body, _ := send(t, tt.req())
			if status != tt.status || we.Code != tt.code {
				t.Fatalf("got %d %s, want %d %s\n%s", status, we.Code, tt.status, tt.code, body)
			}
			if tt.message != "" && we.Message != tt.message {
				t.Fatalf("message %q, want %q", we.Message, tt.message)
			}
			if tt.code != "" && !strings.Contains(we.Recommend, "q="+tt.code) {
				t.Fatalf("Recommend %q", we.Recommend)
			}
		})
	}

	t.Run("SignatureDoesNotMatch V1 message echoes the string to sign", func(t *testing.T) {
		r := newRawV1()
		r.Secret = "wrong"
		_, we, _, _ := send(t, r.request(e))
		want := "Specified signature is not matched with our calculation. server string to sign is:" + r.stringToSign()
		if we.Message != want {
			t.Fatalf("message\n got %q\nwant %q", we.Message, want)
		}
	})
	t.Run("G3 SignatureDoesNotMatch V3 message", func(t *testing.T) {
		r := newRawV3()
		r.Secret = "wrong"
		_, we, _, _ := send(t, r.request(e))
		if want := "Specified signature does not match our calculation. server StringToSign is [" + r.sts + "]"; we.Message != want {
			t.Fatalf("message\n got %q\nwant %q", we.Message, want)
		}
	})
	t.Run("SignatureNonceUsed", func(t *testing.T) {
		for _, mk := range []func() *http.Request{v1(func(*rawV1) {}), v3(func(*rawV3) {})} {
			r := mk()
			replay := r.Clone(context.Background())
			if status, we, body, _ := send(t, r); status != 200 {
				t.Fatalf("first: %d %+v %s", status, we, body)
			}
			status, we, _, _ := send(t, replay)
			if status != 400 || we.Code != "SignatureNonceUsed" || we.Message != "Specified signature nonce was used already." {
				t.Fatalf("replay: %d %+v", status, we)
			}
		}
		// A nonce is per AccessKey: account B may use the same one.
		n := nonce()
		ra, rb := newRawV1(), newRawV1()
		ra.Params.Set("SignatureNonce", n)
		rb.Params.Set("SignatureNonce", n)
		rb.Params.Set("AccessKeyId", keyB)
		rb.Secret = secretB
		if s, _, _, _ := send(t, ra.request(e)); s != 200 {
			t.Fatal(s)
		}
		if s, we, _, _ := send(t, rb.request(e)); s != 200 {
			t.Fatalf("same nonce, other key: %d %+v", s, we)
		}
	})
	t.Run("rejected signatures do not burn the nonce", func(t *testing.T) {
		r := newRawV1()
		r.Secret = "wrong"
		if s, _, _, _ := send(t, r.request(e)); s != 400 {
			t.Fatal(s)
		}
		r.Secret = secretA
		if s, we, _, _ := send(t, r.request(e)); s != 200 {
			t.Fatalf("%d %+v", s, we)
		}
	})
	t.Run("G7 errors in XML when Format=XML", func(t *testing.T) {
		r := newRawV1()
		r.Params.Set("Format", "XML")
		r.Secret = "wrong"
		status, we, body, h := send(t, r.request(e))
		if status != 400 || we.Code != "SignatureDoesNotMatch" || h.Get("Content-Type") != "text/xml;charset=utf-8" ||
			!strings.HasPrefix(body, `<?xml version="1.0" encoding="UTF-8"?><Error>`) {
			t.Fatalf("%d %s %s", status, h.Get("Content-Type"), body)
		}
	})
	t.Run("G6 the oversized body is not read", func(t *testing.T) {
		r := newRawV1()
		r.Form = url.Values{"Pad": {strings.Repeat("x", 8*protocol.MaxBodyBytes)}}
		status, we, _, _ := send(t, r.request(e))
		if status != 413 || we.Code != "RequestEntityTooLarge" {
			t.Fatalf("%d %+v", status, we)
		}
	})
}

// TestGatewayErrorsSDK drives the gateway errors the SDKs can produce.
func TestGatewayErrorsSDK(t *testing.T) {
	e := newEnv(t)
	if err := e.Store.CreateAccessKey(context.Background(), localyun.AccessKey{ID: "LTAI5tInactiveKey01", Secret: "inactivesecret",
		AccountID: accountA, Status: localyun.AccessKeyInactive, CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			_, err := call(t, e.as(keyA, "wrongsecret"), tr, ecs.CreateDescribeRegionsRequest, ecs.CreateDescribeRegionsResponse, P{})
			apiError(t, tr, err, "SignatureDoesNotMatch", 400)
			if tr == "JSON" {
				// The v1 SDK compares the echoed string to sign with its own,
				// byte for byte: equality is what makes it blame the secret.
				var se *sdkerrors.ServerError
				if !errors.As(err, &se) || se.Recommend() != "InvalidAccessKeySecret: Please check you AccessKeySecret" {
					t.Fatalf("recommend %q", se.Recommend())
				}
			}
			_, err = call(t, e.as("LTAI5tNoSuchKey", "x"), tr, ecs.CreateDescribeRegionsRequest, ecs.CreateDescribeRegionsResponse, P{})
			apiError(t, tr, err, "InvalidAccessKeyId.NotFound", 404)
			_, err = call(t, e.as("LTAI5tInactiveKey01", "inactivesecret"), tr, ecs.CreateDescribeRegionsRequest, ecs.CreateDescribeRegionsResponse, P{})
			apiError(t, tr, err, "InvalidAccessKeyId.Inactive", 400)
		})
	}
	// The v1 SDK's recommend on a POST with a form body, where the string
	// to sign covers the body too.
	req := requests.NewCommonRequest()
	req.Method, req.Scheme, req.Domain = "POST", "http", e.Host
	req.Product, req.Version, req.ApiName = "Ecs", ecsVersion, "DescribeRegions"
	req.FormParams["AcceptLanguage"] = "en-US"
	_, err := e.v1Client(keyA, "wrongsecret").ProcessCommonRequest(req)
	var se *sdkerrors.ServerError
	if !errors.As(err, &se) || se.ErrorCode() != "SignatureDoesNotMatch" || se.Recommend() != "InvalidAccessKeySecret: Please check you AccessKeySecret" {
		t.Fatalf("form body: %v", err)
	}

	_, err = e.common(e.v1Client(keyA, secretA), "Ecs", ecsVersion, "NoSuchAction", "JSON", nil)
	serverError(t, err, "InvalidAction.NotFound", 404)
	_, err = e.common(e.v1Client(keyA, secretA), "Ecs", "2099-12-31", "DescribeRegions", "JSON", nil)
	serverError(t, err, "InvalidVersion", 400)
	_, err = callV3(e.teaClient(keyA, secretA), ecsVersion, "NoSuchAction", nil)
	teaError(t, err, "InvalidAction.NotFound", 404)
}

// TestSignatureVariants sends one action in every way an SDK signs it.
func TestSignatureVariants(t *testing.T) {
	e := newEnv(t)
	check := func(t *testing.T, body string) {
		t.Helper()
		var res struct {
			RequestId string
			Regions   struct {
				Region []struct{ RegionId, LocalName string }
			}
		}
		if err := json.Unmarshal([]byte(body), &res); err != nil || res.RequestId == "" || len(res.Regions.Region) == 0 {
			t.Fatalf("body %s: %v", body, err)
		}
		for _, r := range res.Regions.Region {
			if r.RegionId == region && r.LocalName != "China (Hangzhou)" {
				t.Fatalf("AcceptLanguage lost: %+v", r)
			}
		}
	}
	t.Run("v1 CommonRequest GET with a form body", func(t *testing.T) {
		req := requests.NewCommonRequest()
		req.Method, req.Scheme, req.Domain = "GET", "http", e.Host
		req.Product, req.Version, req.ApiName = "Ecs", ecsVersion, "DescribeRegions"
		req.FormParams["AcceptLanguage"] = "en-US"
		res, err := e.v1Client(keyA, secretA).ProcessCommonRequest(req)
		if err != nil {
			t.Fatal(err)
		}
		check(t, res.GetHttpContentString())
	})
	t.Run("v1 CommonRequest POST, query and form", func(t *testing.T) {
		req := requests.NewCommonRequest()
		req.Method, req.Scheme, req.Domain = "POST", "http", e.Host
		req.Product, req.Version, req.ApiName = "Ecs", ecsVersion, "DescribeRegions"
		req.QueryParams["AcceptLanguage"] = "zh-CN"
		req.FormParams["AcceptLanguage"] = "en-US" // the body wins
		req.FormParams["Note"] = "a b+c*~"
		res, err := e.v1Client(keyA, secretA).ProcessCommonRequest(req)
		if err != nil {
			t.Fatal(err)
		}
		check(t, res.GetHttpContentString())
	})
	t.Run("Tea V1 (SignatureAlgorithm v2)", func(t *testing.T) {
		c, err := openapi.NewClient(&openapi.Config{AccessKeyId: dara.String(keyA), AccessKeySecret: dara.String(secretA),
			Endpoint: dara.String(e.Host), Protocol: dara.String("http"), SignatureAlgorithm: dara.String("v2")})
		if err != nil {
			t.Fatal(err)
		}
		params := &openapiutil.Params{Action: dara.String("DescribeRegions"), Version: dara.String(ecsVersion), Protocol: dara.String("HTTP"),
			Pathname: dara.String("/"), Method: dara.String("POST"), AuthType: dara.String("AK"), Style: dara.String("RPC"),
			ReqBodyType: dara.String("formData"), BodyType: dara.String("json")}
		res, err := c.CallApi(params, &openapiutil.OpenApiRequest{Query: map[string]*string{"Note": dara.String("x y")},
			Body: map[string]any{"AcceptLanguage": "en-US"}}, &dara.RuntimeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(res["body"])
		check(t, string(b))
	})
	t.Run("V3 with a form body", func(t *testing.T) {
		params := &openapiutil.Params{Action: dara.String("DescribeRegions"), Version: dara.String(ecsVersion), Protocol: dara.String("HTTP"),
			Pathname: dara.String("/"), Method: dara.String("POST"), AuthType: dara.String("AK"), Style: dara.String("RPC"),
			ReqBodyType: dara.String("formData"), BodyType: dara.String("json")}
		res, err := e.teaClient(keyA, secretA).CallApi(params, &openapiutil.OpenApiRequest{
			Query: map[string]*string{"Tag.1.Key": dara.String("k 1*~")}, Body: map[string]any{"AcceptLanguage": "en-US"}}, &dara.RuntimeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(res["body"])
		check(t, string(b))
	})
	t.Run("V3 GET", func(t *testing.T) {
		r := newRawV3()
		r.Method = "GET"
		r.Query.Set("AcceptLanguage", "en-US")
		status, we, body, _ := send(t, r.request(e))
		if status != 200 {
			t.Fatalf("%d %+v", status, we)
		}
		check(t, body)
	})
	t.Run("V1 timestamp with a fraction (G9)", func(t *testing.T) {
		r := newRawV1()
		r.Params.Set("Timestamp", time.Now().UTC().Format("2006-01-02T15:04:05.000Z"))
		r.Params.Set("AcceptLanguage", "en-US")
		status, we, body, h := send(t, r.request(e))
		if status != 200 {
			t.Fatalf("%d %+v", status, we)
		}
		check(t, body)
		if h.Get("x-acs-request-id") == "" || h.Get("Content-Type") != "application/json;charset=utf-8" {
			t.Fatalf("headers %v", h)
		}
	})
}
