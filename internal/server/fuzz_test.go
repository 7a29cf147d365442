package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/protocol"
	"github.com/localyun/localyun/internal/sqlite"
)

const (
	fuzzAccount = "1234567890123456"
	fuzzKey     = "LTAI5tFuzzKey000001"
	fuzzSecret  = "fuzzsecret"
)

func fuzzServer(f *testing.F) *Server {
	st, err := sqlite.Open(context.Background(), ":memory:")
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	now := time.Now().UTC()
	if err := st.CreateAccount(context.Background(), localyun.Account{ID: fuzzAccount, Name: "f", CreatedAt: now}); err != nil {
		f.Fatal(err)
	}
	if err := st.CreateAccessKey(context.Background(), localyun.AccessKey{ID: fuzzKey, Secret: fuzzSecret, AccountID: fuzzAccount,
		Status: localyun.AccessKeyActive, CreatedAt: now}); err != nil {
		f.Fatal(err)
	}
	return New(Options{Store: st, Nonces: NewMemoryNonces(10_000_000)})
}

func serve(t *testing.T, s *Server, req *http.Request) {
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code >= 500 {
		t.Fatalf("%s %s: status %d: %s", req.Method, req.URL, rec.Code, rec.Body)
	}
}

var fuzzNonce int64

// signedV1 returns a request signed by the fuzz root key.
func signedV1(version, action string, params map[string]string) *http.Request {
	fuzzNonce++
	v := url.Values{"Action": {action}, "Version": {version}, "AccessKeyId": {fuzzKey}, "SignatureMethod": {"HMAC-SHA1"},
		"SignatureVersion": {"1.0"}, "SignatureNonce": {time.Now().Format(time.RFC3339Nano) + string(rune('a'+fuzzNonce%26))},
		"Timestamp": {time.Now().UTC().Format("2006-01-02T15:04:05Z")}}
	for k, val := range params {
		v.Set(k, val)
	}
	v.Set("Signature", protocol.SignV1(protocol.StringToSignV1("POST", v), fuzzSecret))
	req := httptest.NewRequest("POST", "/", strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req
}

// FuzzV1Request feeds arbitrary query strings (V1 signature parameters
// included) to the server: no panic, no 500.
func FuzzV1Request(f *testing.F) {
	s := fuzzServer(f)
	f.Add("Action=DescribeRegions&Version=2014-05-26&AccessKeyId=" + fuzzKey + "&Signature=abc&SignatureMethod=HMAC-SHA1&Timestamp=2026-01-01T00:00:00Z&SignatureNonce=1")
	f.Add("Signature=&AccessKeyId=STS.x&SecurityToken=CAIS")
	f.Fuzz(func(t *testing.T, query string) {
		req := httptest.NewRequest("GET", "/", nil)
		req.URL.RawQuery = query
		serve(t, s, req)
	})
}

// FuzzV3Request feeds arbitrary Authorization headers and bodies.
func FuzzV3Request(f *testing.F) {
	s := fuzzServer(f)
	f.Add("ACS3-HMAC-SHA256 Credential="+fuzzKey+",SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=00", "", "DescribeRegions")
	f.Add("ACS3-HMAC-SHA256 Credential=STS.x", "a=b", "AssumeRole")
	f.Fuzz(func(t *testing.T, authz, body, action string) {
		req := httptest.NewRequest("POST", "/", strings.NewReader(body))
		req.Header.Set("Authorization", authz)
		req.Header.Set("x-acs-action", action)
		req.Header.Set("x-acs-version", "2014-05-26")
		req.Header.Set("x-acs-date", time.Now().UTC().Format("2006-01-02T15:04:05Z"))
		req.Header.Set("x-acs-signature-nonce", "n")
		req.Header.Set("x-acs-content-sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		serve(t, s, req)
	})
}

// FuzzInstanceIds sends arbitrary InstanceIds to the RAM-role actions,
// signed by the root.
func FuzzInstanceIds(f *testing.F) {
	s := fuzzServer(f)
	for _, seed := range []string{`["i-a"]`, `[]`, `[""]`, `["i-a","i-a"]`, `[[["x"]]]`, `{"a":1}`, `null`, "\xff", `["` + strings.Repeat("a", 100) + `"]`} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, ids string) {
		for _, action := range []string{"AttachInstanceRamRole", "DetachInstanceRamRole", "DescribeInstanceRamRole"} {
			serve(t, s, signedV1("2014-05-26", action, map[string]string{"RegionId": "cn-hangzhou", "InstanceIds": ids, "RamRoleName": "R"}))
		}
	})
}

// FuzzHosts sends arbitrary Hosts to the Bastionhost grant actions.
func FuzzHosts(f *testing.F) {
	s := fuzzServer(f)
	for _, seed := range []string{`[{"HostId":"1","HostAccountIds":["2"]}]`, `[]`, `[{}]`, `[{"HostId":1}]`, `"x"`, "\x00", `[{"HostId":"1","HostAccountIds":[[]]}]`} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, hosts string) {
		for _, action := range []string{"AttachHostAccountsToUserGroup", "DetachHostAccountsFromUserGroup", "AttachHostAccountsToUser", "DetachHostAccountsFromUser"} {
			serve(t, s, signedV1("2019-12-09", action, map[string]string{"RegionId": "cn-hangzhou", "InstanceId": "bastionhost-cn-x",
				"UserGroupId": "1", "UserId": "1", "Hosts": hosts}))
		}
	})
}
