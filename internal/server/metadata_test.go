package server_test

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/metadata"
	"github.com/localyun/localyun/internal/server"
	"github.com/localyun/localyun/internal/sqlite"
)

var metaKey = []byte("0123456789abcdef0123456789abcdef")

const (
	acctA, acctB = "1111111111111111", "2222222222222222"
	instA        = "i-metaa"   // account A, role AppRole
	instB        = "i-metab"   // account B, role OtherRole
	instNoRole   = "i-norole"  // account A, no role
	instHardened = "i-hard"    // account A, HttpTokens=required
	instDisabled = "i-disabld" // account A, HttpEndpoint=disabled
)

// fakeIssuer stands for the STS service's instance credentials (agent M2's
// sts.(*Service).InstanceCredentials, not yet merged): fixed credentials
// of the instance's role.
var fakeIssuer = metadata.IssuerFunc(func(_ context.Context, inst localyun.Instance) (metadata.Credentials, error) {
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	return metadata.Credentials{AccessKeyID: "STS." + inst.ID, AccessKeySecret: "s", SecurityToken: "t",
		Expiration: now.Add(6 * time.Hour), LastUpdated: now}, nil
})

// metaWorld is a server over a real SQLite store holding the instances
// above, served by httptest on loopback.
type metaWorld struct {
	st  *sqlite.Store
	srv *server.Server
	ts  *httptest.Server
}

func newMetaWorld(t *testing.T) *metaWorld {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	for _, a := range []string{acctA, acctB} {
		if err := st.CreateAccount(ctx, localyun.Account{ID: a, Name: a, CreatedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	inst := func(id, account, role string, opts localyun.MetadataOptions) localyun.Instance {
		return localyun.Instance{ID: id, AccountID: account, RegionID: "cn-hangzhou", ZoneID: "cn-hangzhou-h", Name: id,
			Status: localyun.StatusRunning, NetworkType: localyun.NetworkVPC, VpcID: "vpc-1", VSwitchID: "vsw-1",
			PrivateIP: "172.16.0.9", ImageID: "img", InstanceType: "ecs.g7.large", RAMRoleName: role, CreatedAt: now,
			Metadata: opts}
	}
	def := localyun.DefaultMetadataOptions
	hard, off := def, def
	hard.HTTPTokens, off.HTTPEndpoint = localyun.TokensRequired, localyun.MetadataDisabled
	if err := st.CreateInstances(ctx, []localyun.Instance{inst(instA, acctA, "AppRole", def), inst(instNoRole, acctA, "", def),
		inst(instHardened, acctA, "AppRole", hard), inst(instDisabled, acctA, "AppRole", off)}); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateInstances(ctx, []localyun.Instance{inst(instB, acctB, "OtherRole", def)}); err != nil {
		t.Fatal(err)
	}
	srv := server.New(server.Options{Store: st, MasterKey: metaKey, InstanceCredentials: fakeIssuer,
		Now: func() time.Time { return now }, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return &metaWorld{st: st, srv: srv, ts: ts}
}

// proxyClient is a client whose transport sends every request through the
// test server as a proxy, with the Basic credentials user:password ("" for
// none).
func (w *metaWorld) proxyClient(user, password string) *http.Client {
	u, _ := url.Parse(w.ts.URL)
	if user != "" {
		u.User = url.UserPassword(user, password)
	}
	return &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(u)}, Timeout: 10 * time.Second}
}

func secretOf(id string) string { return metadata.InstanceSecret(metaKey, id) }

// call makes one request and returns the status, the body and the header.
func call(t *testing.T, c *http.Client, method, rawURL string, header map[string]string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, rawURL, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body), res.Header
}

const imds = "http://100.100.100.200"

func TestMetadataProxyCaller(t *testing.T) {
	w := newMetaWorld(t)
	tests := []struct {
		name           string
		user, password string
		want           int
		body           string
	}{
		{"instance and its secret", instA, secretOf(instA), 200, instA},
		{"the other account's instance with its own secret", instB, secretOf(instB), 200, instB},
		{"wrong secret", instA, secretOf(instA)[:31] + "x", 407, ""},
		{"another instance's secret", instA, secretOf(instB), 407, ""},
		{"another account's instance with this one's secret", instB, secretOf(instA), 407, ""},
		{"unknown instance with a well-made secret", "i-nosuch", secretOf("i-nosuch"), 407, ""},
		{"no credentials", "", "", 407, ""},
		{"empty secret", instA, "", 407, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body, h := call(t, w.proxyClient(tt.user, tt.password), "GET", imds+"/latest/meta-data/instance-id", nil)
			if code != tt.want || code == 200 && body != tt.body {
				t.Fatalf("got %d %q, want %d %q", code, body, tt.want, tt.body)
			}
			if code == 407 && h.Get("Proxy-Authenticate") != `Basic realm="localyun metadata"` {
				t.Fatalf("Proxy-Authenticate %q", h.Get("Proxy-Authenticate"))
			}
		})
	}
	// Port 80 named explicitly is the same host.
	if code, body, _ := call(t, w.proxyClient(instA, secretOf(instA)), "GET", imds+":80/latest/meta-data/instance-id", nil); code != 200 || body != instA {
		t.Errorf("host 100.100.100.200:80: %d %q", code, body)
	}
	// A deleted instance is refused at once, like an unknown one.
	if err := w.st.DeleteInstances(context.Background(), acctA, "cn-hangzhou", []string{instA}, ""); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := call(t, w.proxyClient(instA, secretOf(instA)), "GET", imds+"/latest/meta-data/instance-id", nil); code != 407 {
		t.Errorf("deleted instance: %d, want 407", code)
	}
}

// TestMetadataProxyNeverOpen: only http://100.100.100.200[:80] is served;
// any other host and every CONNECT get 403, and nothing is dialled.
func TestMetadataProxyNeverOpen(t *testing.T) {
	w := newMetaWorld(t)
	var dialled atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { dialled.Add(1) }))
	defer target.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0") // a raw TCP target: counts connections
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			dialled.Add(1)
			c.Close()
		}
	}()
	c := w.proxyClient(instA, secretOf(instA))
	for _, u := range []string{target.URL + "/", "http://" + ln.Addr().String() + "/", imds + ":8080/latest/meta-data/",
		"http://100.100.100.201/latest/meta-data/", "http://metadata.localyun.test/", w.ts.URL + "/?Action=DescribeRegions",
		w.ts.URL + "/healthz"} {
		code, body, _ := call(t, c, "GET", u, nil)
		if code != http.StatusForbidden {
			t.Errorf("GET %s through the proxy: %d %q, want 403", u, code, body)
		}
	}
	// CONNECT, by Go's transport for an https URL, and raw.
	if _, err := c.Get("https://" + ln.Addr().String() + "/"); err == nil || !strings.Contains(err.Error(), "Forbidden") {
		t.Errorf("https through the proxy: %v, want the CONNECT refused (Forbidden)", err)
	}
	for _, target := range []string{ln.Addr().String(), metadata.Host + ":80", metadata.Host + ":443"} {
		if got := rawStatus(t, w.ts.Listener.Addr().String(), "CONNECT "+target+" HTTP/1.1\r\nHost: "+target+"\r\n"+
			"Proxy-Authorization: Basic "+basic(instA, secretOf(instA))+"\r\n\r\n"); got != 403 {
			t.Errorf("CONNECT %s: %d, want 403", target, got)
		}
	}
	if n := dialled.Load(); n != 0 {
		t.Fatalf("the proxy dialled %d connections", n)
	}
}

// basic returns the Basic credentials of user and password, base64.
func basic(user, password string) string {
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + password))
}

// rawStatus sends req on a new connection to addr and returns the status.
func rawStatus(t *testing.T, addr, req string) int {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, req); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

func TestMetadataProxyWireRules(t *testing.T) {
	w := newMetaWorld(t)
	ttl := func(v string) map[string]string { return map[string]string{metadata.TokenTTLHeader: v} }
	tests := []struct {
		name   string
		inst   string
		method string
		path   string
		header map[string]string
		want   int
	}{
		{"token ttl 1", instA, "PUT", metadata.TokenPath, ttl("1"), 200},
		{"token ttl 21600", instA, "PUT", metadata.TokenPath, ttl("21600"), 200},
		{"token ttl 0", instA, "PUT", metadata.TokenPath, ttl("0"), 400},
		{"token ttl 21601", instA, "PUT", metadata.TokenPath, ttl("21601"), 400},
		{"token without ttl", instA, "PUT", metadata.TokenPath, nil, 400},
		{"token with X-Forwarded-For", instA, "PUT", metadata.TokenPath,
			map[string]string{metadata.TokenTTLHeader: "60", "X-Forwarded-For": "192.0.2.1"}, 403},
		{"bad token", instA, "GET", "/latest/meta-data/instance-id", map[string]string{metadata.TokenHeader: "aaa"}, 401},
		{"HttpTokens=required, no token", instHardened, "GET", "/latest/meta-data/ram/security-credentials/", nil, 403},
		{"HttpEndpoint=disabled", instDisabled, "GET", "/latest/meta-data/instance-id", nil, 404},
		{"HttpEndpoint=disabled, token", instDisabled, "PUT", metadata.TokenPath, ttl("60"), 404},
		{"role name", instA, "GET", "/latest/meta-data/ram/security-credentials/", nil, 200},
		{"no role", instNoRole, "GET", "/latest/meta-data/ram/security-credentials/", nil, 404},
		{"another role's name", instA, "GET", "/latest/meta-data/ram/security-credentials/OtherRole", nil, 404},
		{"credentials", instA, "GET", "/latest/meta-data/ram/security-credentials/AppRole", nil, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body, _ := call(t, w.proxyClient(tt.inst, secretOf(tt.inst)), tt.method, imds+tt.path, tt.header)
			if code != tt.want {
				t.Fatalf("got %d %q, want %d", code, body, tt.want)
			}
		})
	}
	// The token flow of a hardened instance, as credentials-go makes it.
	c := w.proxyClient(instHardened, secretOf(instHardened))
	_, tok, _ := call(t, c, "PUT", imds+metadata.TokenPath, ttl("21600"))
	code, role, _ := call(t, c, "GET", imds+"/latest/meta-data/ram/security-credentials/", map[string]string{metadata.TokenHeader: tok})
	if code != 200 || role != "AppRole" {
		t.Fatalf("role with a token: %d %q", code, role)
	}
	code, body, _ := call(t, c, "GET", imds+"/latest/meta-data/ram/security-credentials/"+role, map[string]string{metadata.TokenHeader: tok})
	var creds map[string]string
	if code != 200 || json.Unmarshal([]byte(body), &creds) != nil || creds["Code"] != "Success" || creds["Expiration"] != "2026-03-04T11:06:07Z" ||
		creds["AccessKeyId"] != "STS."+instHardened {
		t.Fatalf("credentials with a token: %d %s", code, body)
	}
	// A token of one instance is refused for another.
	if code, _, _ := call(t, w.proxyClient(instA, secretOf(instA)), "GET", imds+"/latest/meta-data/instance-id",
		map[string]string{metadata.TokenHeader: tok}); code != 401 {
		t.Fatalf("another instance's token: %d, want 401", code)
	}
	// A detach is seen at once (the store's instance cache follows it).
	c = w.proxyClient(instA, secretOf(instA))
	if code, _, _ := call(t, c, "GET", imds+"/latest/meta-data/ram/security-credentials/", nil); code != 200 {
		t.Fatalf("before the detach: %d", code)
	}
	if err := w.st.SetInstancesRAMRole(context.Background(), acctA, "cn-hangzhou",
		[]localyun.InstanceRoleChange{{InstanceID: instA, From: "AppRole", To: ""}}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/latest/meta-data/ram/security-credentials/", "/latest/meta-data/ram/security-credentials/AppRole"} {
		if code, _, _ := call(t, c, "GET", imds+p, nil); code != 404 {
			t.Fatalf("after the detach, %s: %d, want 404", p, code)
		}
	}
}

func TestInstanceCredentialsURI(t *testing.T) {
	w := newMetaWorld(t)
	c := &http.Client{Timeout: 10 * time.Second}
	uri := func(user, password string) string {
		u, _ := url.Parse(w.ts.URL + metadata.CredentialsPath)
		if user != "" {
			u.User = url.UserPassword(user, password)
		}
		return u.String()
	}
	tests := []struct {
		name   string
		url    string
		method string
		header map[string]string
		want   int
	}{
		{"instance and its secret", uri(instA, secretOf(instA)), "GET", nil, 200},
		{"HttpTokens=required does not apply", uri(instHardened, secretOf(instHardened)), "GET", nil, 200},
		{"wrong secret", uri(instA, secretOf(instB)), "GET", nil, 401},
		{"another account's instance with this secret", uri(instB, secretOf(instA)), "GET", nil, 401},
		{"unknown instance", uri("i-nosuch", secretOf("i-nosuch")), "GET", nil, 401},
		{"no credentials", uri("", ""), "GET", nil, 401},
		{"proxy credentials only", uri("", ""), "GET",
			map[string]string{"Proxy-Authorization": "Basic " + basic(instA, secretOf(instA))}, 401},
		{"no role", uri(instNoRole, secretOf(instNoRole)), "GET", nil, 404},
		{"HttpEndpoint=disabled", uri(instDisabled, secretOf(instDisabled)), "GET", nil, 404},
		{"POST", uri(instA, secretOf(instA)), "POST", nil, 405},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body, h := call(t, c, tt.method, tt.url, tt.header)
			if code != tt.want {
				t.Fatalf("got %d %q, want %d", code, body, tt.want)
			}
			if code == 401 && h.Get("WWW-Authenticate") != `Basic realm="localyun metadata"` {
				t.Fatalf("WWW-Authenticate %q", h.Get("WWW-Authenticate"))
			}
			if code == 200 {
				var m map[string]string
				if err := json.Unmarshal([]byte(body), &m); err != nil || m["Code"] != "Success" || m["Expiration"] == "" ||
					m["AccessKeyId"] == "" || m["AccessKeySecret"] == "" || m["SecurityToken"] == "" || m["LastUpdated"] == "" {
					t.Fatalf("body %s (%v): want Code, Expiration and the keys", body, err)
				}
			}
		})
	}
}

func TestMetadataListener(t *testing.T) {
	w := newMetaWorld(t)
	ts := httptest.NewServer(w.srv.MetadataHandler(instA))
	defer ts.Close()
	code, body, _ := call(t, ts.Client(), "GET", ts.URL+"/latest/meta-data/instance-id", nil)
	if code != 200 || body != instA {
		t.Fatalf("plain GET: %d %q", code, body)
	}
	u, _ := url.Parse(ts.URL)
	proxied := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(u)}}
	if code, _, _ := call(t, proxied, "GET", imds+"/latest/meta-data/instance-id", nil); code != 403 {
		t.Fatalf("a proxy request to the metadata listener: %d, want 403", code)
	}
	if err := w.st.DeleteInstances(context.Background(), acctA, "cn-hangzhou", []string{instA}, ""); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := call(t, ts.Client(), "GET", ts.URL+"/latest/meta-data/instance-id", nil); code != 404 {
		t.Fatalf("deleted instance: %d, want 404", code)
	}
}
