package metadata_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/metadata"
)

var (
	masterKey = []byte("0123456789abcdef0123456789abcdef")
	epoch     = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
)

// clock is an injected clock tests move by hand.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// vpcInstance is an instance with every item, the role AppRole attached.
func vpcInstance() localyun.Instance {
	return localyun.Instance{ID: "i-meta1", AccountID: "1111111111111111", RegionID: "cn-hangzhou", ZoneID: "cn-hangzhou-h",
		Name: "web-1", NetworkType: localyun.NetworkVPC, VpcID: "vpc-abc", VSwitchID: "vsw-def", PrivateIP: "172.16.3.4",
		ImageID: "aliyun_3_x64", InstanceType: "ecs.g7.large", HostName: "iZmeta1Z", RAMRoleName: "AppRole",
		Metadata: localyun.DefaultMetadataOptions}
}

// issuer is a fake CredentialIssuer: it returns err, or fixed credentials
// of the instance, and counts its calls.
type issuer struct {
	err   error
	calls int
}

func (f *issuer) InstanceCredentials(_ context.Context, inst localyun.Instance) (metadata.Credentials, error) {
	f.calls++
	if f.err != nil {
		return metadata.Credentials{}, f.err
	}
	return metadata.Credentials{AccessKeyID: "STS.key-" + inst.ID, AccessKeySecret: "secret", SecurityToken: "token",
		Expiration: epoch.Add(6 * time.Hour), LastUpdated: epoch}, nil
}

func newService(c *clock, iss metadata.CredentialIssuer) *metadata.Service {
	return metadata.New(masterKey, iss, metadata.Options{Now: c.now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
}

// do serves one request of inst and returns the status and body.
func do(s *metadata.Service, inst localyun.Instance, method, path string, header map[string]string) (int, string, http.Header) {
	r := httptest.NewRequest(method, "http://100.100.100.200"+path, nil)
	for k, v := range header {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	s.ServeInstance(w, r, inst)
	return w.Code, w.Body.String(), w.Header()
}

// token gets a token of inst with ttl seconds.
func token(t *testing.T, s *metadata.Service, inst localyun.Instance, ttl string) string {
	t.Helper()
	code, body, _ := do(s, inst, "PUT", metadata.TokenPath, map[string]string{metadata.TokenTTLHeader: ttl})
	if code != http.StatusOK {
		t.Fatalf("token PUT: %d %s", code, body)
	}
	return body
}

func TestTokenPut(t *testing.T) {
	s := newService(&clock{epoch}, &issuer{})
	inst := vpcInstance()
	tests := []struct {
		name   string
		method string
		header map[string]string
		want   int
	}{
		{"ttl 1", "PUT", map[string]string{metadata.TokenTTLHeader: "1"}, 200},
		{"ttl 21600", "PUT", map[string]string{metadata.TokenTTLHeader: "21600"}, 200},
		{"ttl 0", "PUT", map[string]string{metadata.TokenTTLHeader: "0"}, 400},
		{"ttl 21601", "PUT", map[string]string{metadata.TokenTTLHeader: "21601"}, 400},
		{"ttl 21700 (the documented example)", "PUT", map[string]string{metadata.TokenTTLHeader: "21700"}, 400},
		{"ttl negative", "PUT", map[string]string{metadata.TokenTTLHeader: "-5"}, 400},
		{"ttl not a number", "PUT", map[string]string{metadata.TokenTTLHeader: "6h"}, 400},
		{"ttl missing", "PUT", nil, 400},
		{"lower-case header name", "PUT", map[string]string{"x-aliyun-ecs-metadata-token-ttl-seconds": "60"}, 200},
		{"X-Forwarded-For", "PUT", map[string]string{metadata.TokenTTLHeader: "60", "X-Forwarded-For": "10.0.0.1"}, 403},
		{"X-Forwarded-For empty", "PUT", map[string]string{metadata.TokenTTLHeader: "60", "X-Forwarded-For": ""}, 403},
		{"GET", "GET", map[string]string{metadata.TokenTTLHeader: "60"}, 405},
		{"POST", "POST", map[string]string{metadata.TokenTTLHeader: "60"}, 405},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body, h := do(s, inst, tt.method, metadata.TokenPath, tt.header)
			if code != tt.want {
				t.Fatalf("got %d %q, want %d", code, body, tt.want)
			}
			if code == 200 && (body == "" || strings.ContainsAny(body, " \r\n") || h.Get(metadata.TokenTTLHeader) == "") {
				t.Fatalf("token body %q (TTL header %q): want a bare token", body, h.Get(metadata.TokenTTLHeader))
			}
		})
	}
}

func TestTokenRules(t *testing.T) {
	c := &clock{epoch}
	s := newService(c, &issuer{})
	inst := vpcInstance()
	hardened := vpcInstance()
	hardened.Metadata.HTTPTokens = localyun.TokensRequired
	other := vpcInstance()
	other.ID = "i-meta2"
	tok := token(t, s, inst, "60")
	otherTok := token(t, s, other, "60")
	hardTok := token(t, s, hardened, "60")
	forged := strings.Replace(tok, strings.SplitN(tok, ".", 2)[0], fmt.Sprint(epoch.Add(time.Hour).Unix()), 1)
	tests := []struct {
		name  string
		inst  localyun.Instance
		tok   *string // nil: no token header
		later time.Duration
		want  int
	}{
		{"no token, optional", inst, nil, 0, 200},
		{"valid token", inst, &tok, 0, 200},
		{"valid token at its last second", inst, &tok, 59 * time.Second, 200},
		{"expired token", inst, &tok, 60 * time.Second, 401},
		{"garbage token", inst, ptr("aaa"), 0, 401},
		{"empty token", inst, ptr(""), 0, 401},
		{"another instance's token", inst, &otherTok, 0, 401},
		{"expiry stretched", inst, &forged, 0, 401},
		{"hardened, no token", hardened, nil, 0, 403},
		{"hardened, valid token", hardened, &hardTok, 0, 200},
		{"hardened, bad token", hardened, ptr("aaa"), 0, 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.t = epoch.Add(tt.later)
			defer func() { c.t = epoch }()
			h := map[string]string{}
			if tt.tok != nil {
				h["x-aliyun-ecs-metadata-token"] = *tt.tok
			}
			for _, p := range []string{"/latest/meta-data/instance-id", "/latest/meta-data/ram/security-credentials/AppRole", "/"} {
				if code, body, _ := do(s, tt.inst, "GET", p, h); code != tt.want {
					t.Fatalf("GET %s: got %d %q, want %d", p, code, body, tt.want)
				}
			}
		})
	}
}

func ptr(s string) *string { return &s }

func TestEndpointDisabled(t *testing.T) {
	s := newService(&clock{epoch}, &issuer{})
	inst := vpcInstance()
	inst.Metadata.HTTPEndpoint = localyun.MetadataDisabled
	for _, r := range []struct{ method, path string }{{"PUT", metadata.TokenPath}, {"GET", "/"},
		{"GET", "/latest/meta-data/instance-id"}, {"GET", "/latest/meta-data/ram/security-credentials/AppRole"}} {
		code, body, _ := do(s, inst, r.method, r.path, map[string]string{metadata.TokenTTLHeader: "60"})
		if code != http.StatusNotFound || !strings.Contains(body, "HttpEndpoint=disabled") {
			t.Errorf("%s %s: got %d %q, want 404 naming HttpEndpoint=disabled", r.method, r.path, code, body)
		}
	}
	w := httptest.NewRecorder()
	s.ServeCredentials(w, httptest.NewRequest("GET", metadata.CredentialsPath, nil), inst)
	if w.Code != http.StatusNotFound {
		t.Errorf("credentials URI: got %d, want 404", w.Code)
	}
}

func TestTree(t *testing.T) {
	s := newService(&clock{epoch}, &issuer{})
	inst := vpcInstance()
	classic := vpcInstance()
	classic.NetworkType, classic.VpcID, classic.VSwitchID, classic.RAMRoleName = localyun.NetworkClassic, "", "", ""
	mac := metadata.MAC(inst.ID)
	tests := []struct {
		path string
		inst localyun.Instance
		want int
		body string
	}{
		{"/", inst, 200, "2016-01-01\nlatest"},
		{"/latest", inst, 200, "meta-data"},
		{"/latest/", inst, 200, "meta-data"},
		{"/latest/meta-data/", inst, 200, "hostname\nimage-id\ninstance/\ninstance-id\nmac\nnetwork-type\nowner-account-id\n" +
			"private-ipv4\nram/\nregion-id\nserial-number\nvpc-id\nvswitch-id\nzone-id"},
		{"/latest/meta-data", inst, 200, "hostname\nimage-id\ninstance/\ninstance-id\nmac\nnetwork-type\nowner-account-id\n" +
			"private-ipv4\nram/\nregion-id\nserial-number\nvpc-id\nvswitch-id\nzone-id"},
		{"/latest/meta-data/", classic, 200, "hostname\nimage-id\ninstance/\ninstance-id\nmac\nnetwork-type\nowner-account-id\n" +
			"private-ipv4\nram/\nregion-id\nserial-number\nzone-id"},
		{"/latest/meta-data/instance/", inst, 200, "instance-name\ninstance-type"},
		{"/latest/meta-data/ram/", inst, 200, "security-credentials/"},
		{"/latest/meta-data/instance-id", inst, 200, "i-meta1"},
		{"/2016-01-01/meta-data/instance-id", inst, 200, "i-meta1"},
		{"/latest/meta-data/region-id", inst, 200, "cn-hangzhou"},
		{"/latest/meta-data/zone-id", inst, 200, "cn-hangzhou-h"},
		{"/latest/meta-data/hostname", inst, 200, "iZmeta1Z"},
		{"/latest/meta-data/private-ipv4", inst, 200, "172.16.3.4"},
		{"/latest/meta-data/owner-account-id", inst, 200, "1111111111111111"},
		{"/latest/meta-data/network-type", inst, 200, "vpc"},
		{"/latest/meta-data/vpc-id", inst, 200, "vpc-abc"},
		{"/latest/meta-data/vswitch-id", inst, 200, "vsw-def"},
		{"/latest/meta-data/mac", inst, 200, mac},
		{"/latest/meta-data/image-id", inst, 200, "aliyun_3_x64"},
		{"/latest/meta-data/instance/instance-type", inst, 200, "ecs.g7.large"},
		{"/latest/meta-data/instance/instance-name", inst, 200, "web-1"},
		{"/latest/meta-data/serial-number", inst, 200, metadata.SerialNumber(inst.ID)},
		{"/latest/meta-data/vpc-id", classic, 404, ""},
		{"/latest/meta-data/nothing", inst, 404, ""},
		{"/latest/meta-data/instance-id/more", inst, 404, ""},
		{"/latest/meta-dataX", inst, 404, ""},
		{"/latest/user-data", inst, 404, ""},
		{"/2020-01-01/meta-data/instance-id", inst, 404, ""},
		{"/latest/meta-data/ram/security-credentials/", inst, 200, "AppRole"},
		{"/latest/meta-data/ram/security-credentials", inst, 200, "AppRole"},
		{"/latest/meta-data/ram/security-credentials/", classic, 404, ""},
		{"/latest/meta-data/ram/security-credentials/OtherRole", inst, 404, ""},
		{"/latest/meta-data/ram/security-credentials/AppRole/x", inst, 404, ""},
		{"/latest/meta-data/ram/security-credentials/AppRole", classic, 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			code, body, _ := do(s, tt.inst, "GET", tt.path, nil)
			if code != tt.want || code == 200 && body != tt.body {
				t.Fatalf("got %d %q, want %d %q", code, body, tt.want, tt.body)
			}
		})
	}
	if code, _, h := do(s, inst, "POST", "/latest/meta-data/", nil); code != 405 || h.Get("Allow") == "" {
		t.Errorf("POST: %d, Allow %q; want 405 with Allow", code, h.Get("Allow"))
	}
	if !regexp.MustCompile(`^00:16:3e(:[0-9a-f]{2}){3}$`).MatchString(mac) || mac == metadata.MAC("i-meta2") {
		t.Errorf("MAC %q: want 00:16:3e:xx:xx:xx, distinct per instance", mac)
	}
}

// credentialFields are the keys of the credentials JSON, each a string.
func credentialFields(t *testing.T, body string) map[string]string {
	t.Helper()
	var m map[string]string
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("credentials %q: %v", body, err)
	}
	return m
}

func TestCredentials(t *testing.T) {
	inst := vpcInstance()
	want := map[string]string{"AccessKeyId": "STS.key-i-meta1", "AccessKeySecret": "secret", "SecurityToken": "token",
		"Expiration": "2026-03-04T11:06:07Z", "LastUpdated": "2026-03-04T05:06:07Z", "Code": "Success"}
	for _, path := range []string{"/latest/meta-data/ram/security-credentials/AppRole", "/latest/meta-data/ram/security-credentials/approle"} {
		s := newService(&clock{epoch}, &issuer{})
		code, body, h := do(s, inst, "GET", path, nil)
		if code != 200 {
			t.Fatalf("%s: %d %q", path, code, body)
		}
		if got := credentialFields(t, body); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: got %v, want %v", path, got, want)
		}
		if h.Get("Cache-Control") != "no-store" {
			t.Errorf("Cache-Control %q, want no-store", h.Get("Cache-Control"))
		}
	}
	s := newService(&clock{epoch}, &issuer{})
	w := httptest.NewRecorder()
	s.ServeCredentials(w, httptest.NewRequest("GET", metadata.CredentialsPath, nil), inst)
	if got := credentialFields(t, w.Body.String()); w.Code != 200 || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("credentials URI: %d %v, want 200 %v", w.Code, got, want)
	}
}

func TestCredentialErrors(t *testing.T) {
	inst := vpcInstance()
	noRole := vpcInstance()
	noRole.RAMRoleName = ""
	tests := []struct {
		name      string
		inst      localyun.Instance
		err       error
		want      int
		wantCalls int
	}{
		{"no role attached", noRole, nil, 404, 0},
		{"role gone", inst, fmt.Errorf("role AppRole: %w", localyun.ErrNotFound), 404, 1},
		{"role does not trust ECS", inst, fmt.Errorf("trust: %w", localyun.ErrDenied), 404, 1},
		{"store down", inst, errors.New("connection refused"), 500, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			iss := &issuer{err: tt.err}
			s := newService(&clock{epoch}, iss)
			code, body, _ := do(s, tt.inst, "GET", "/latest/meta-data/ram/security-credentials/AppRole", nil)
			w := httptest.NewRecorder()
			s.ServeCredentials(w, httptest.NewRequest("GET", metadata.CredentialsPath, nil), tt.inst)
			if code != tt.want || w.Code != tt.want || iss.calls != 2*tt.wantCalls {
				t.Fatalf("metadata %d %q, URI %d, %d issuer calls; want %d, %d calls", code, body, w.Code, iss.calls, tt.want, 2*tt.wantCalls)
			}
			if strings.Contains(body, "connection refused") || strings.Contains(w.Body.String(), "connection refused") {
				t.Fatalf("the cause reached the client: %q", body)
			}
		})
	}
	s := newService(&clock{epoch}, &issuer{})
	w := httptest.NewRecorder()
	s.ServeCredentials(w, httptest.NewRequest("POST", metadata.CredentialsPath, nil), inst)
	if w.Code != 405 {
		t.Errorf("POST to the credentials URI: %d, want 405", w.Code)
	}
}

func TestInstanceSecret(t *testing.T) {
	a := metadata.InstanceSecret(masterKey, "i-meta1")
	if !regexp.MustCompile(`^[a-z2-7]{32}$`).MatchString(a) {
		t.Fatalf("secret %q: want 32 lower-case base32 characters", a)
	}
	if b := metadata.InstanceSecret(masterKey, "i-meta1"); b != a {
		t.Fatalf("secret not stable: %q then %q", a, b)
	}
	other := []byte("fedcba9876543210fedcba9876543210")
	if metadata.InstanceSecret(masterKey, "i-meta2") == a || metadata.InstanceSecret(other, "i-meta1") == a {
		t.Fatal("the secret does not depend on the instance id and the master key")
	}
	if u := url.UserPassword("i-meta1", a).String(); u != "i-meta1:"+a {
		t.Fatalf("userinfo %q: the secret needs escaping", u)
	}
	s := newService(&clock{epoch}, &issuer{})
	for _, tt := range []struct {
		id, secret string
		want       bool
	}{{"i-meta1", a, true}, {"i-meta2", a, false}, {"i-meta1", a[:31], false}, {"i-meta1", "", false},
		{"i-meta1", strings.ToUpper(a), false}} {
		if got := s.CheckSecret(tt.id, tt.secret); got != tt.want {
			t.Errorf("CheckSecret(%s, %q) = %v, want %v", tt.id, tt.secret, got, tt.want)
		}
	}
}
