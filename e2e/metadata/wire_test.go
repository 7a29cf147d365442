package metadata_test

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	sdkecs "github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	sdkram "github.com/aliyun/alibaba-cloud-sdk-go/services/ram"
)

// The wire forms of the metadata service, read through the proxy path
// with our own Go client (its proxy set on the transport, not taken from
// the environment, so these run in the test process) and the negative
// cases no official client can produce: wrong proxy credentials, other
// hosts, CONNECT, X-Forwarded-For, token TTL bounds.

const imdsBase = "http://100.100.100.200"

// imds is a client whose every request goes to the proxy at proxyURL
// (userinfo and all: Go sends it as Proxy-Authorization: Basic).
type imds struct {
	t *testing.T
	c *http.Client
}

func newIMDS(t *testing.T, proxyURL string) *imds {
	u, err := url.Parse(proxyURL)
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{Proxy: http.ProxyURL(u), DisableKeepAlives: true}
	return &imds{t: t, c: &http.Client{Transport: tr, Timeout: 10 * time.Second}}
}

// do sends method rawURL with headers (name, value pairs) and returns the
// status, body and response headers.
func (m *imds) do(method, rawURL string, headers ...string) (int, string, http.Header) {
	m.t.Helper()
	req, err := http.NewRequest(method, rawURL, nil)
	if err != nil {
		m.t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := m.c.Do(req)
	if err != nil {
		m.t.Fatalf("%s %s: %v", method, rawURL, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		m.t.Fatal(err)
	}
	return res.StatusCode, string(body), res.Header
}

// get reads a metadata path (with the token when not "").
func (m *imds) get(path, token string) (int, string) {
	m.t.Helper()
	var h []string
	if token != "" {
		h = []string{"X-aliyun-ecs-metadata-token", token}
	}
	status, body, _ := m.do("GET", imdsBase+path, h...)
	return status, body
}

// token takes a metadata token of ttl seconds.
func (m *imds) token(ttl string) string {
	m.t.Helper()
	status, body, _ := m.do("PUT", imdsBase+"/latest/api/token", "X-aliyun-ecs-metadata-token-ttl-seconds", ttl)
	if status != http.StatusOK || body == "" {
		m.t.Fatalf("PUT token (ttl %s): %d %q", ttl, status, body)
	}
	return body
}

func TestWire(t *testing.T) {
	if os.Getenv(clientEnvVar) != "" {
		t.Skip("in a client process")
	}
	s := startServer(t, "tail", "0s")
	m := newIMDS(t, s.metadataURL(instWire, false))

	t.Run("token TTL bounds", func(t *testing.T) {
		m.t = t
		for _, ttl := range []string{"1", "21600"} {
			m.token(ttl)
		}
		for _, ttl := range []string{"0", "21601", "21700", "-1", "abc", ""} {
			h := []string{"X-aliyun-ecs-metadata-token-ttl-seconds", ttl}
			if ttl == "" {
				h = nil
			}
			if status, body, _ := m.do("PUT", imdsBase+"/latest/api/token", h...); status != http.StatusBadRequest {
				t.Errorf("PUT token with ttl %q: %d %q, want 400", ttl, status, body)
			}
		}
	})
	t.Run("X-Forwarded-For on the token PUT", func(t *testing.T) {
		m.t = t
		status, body, _ := m.do("PUT", imdsBase+"/latest/api/token",
			"X-aliyun-ecs-metadata-token-ttl-seconds", "60", "X-Forwarded-For", "10.0.0.1")
		if status != http.StatusForbidden {
			t.Errorf("PUT token with X-Forwarded-For: %d %q, want 403", status, body)
		}
	})
	t.Run("tokens on reads", func(t *testing.T) {
		m.t = t
		if status, body := m.get("/latest/meta-data/instance-id", "aaa"); status != http.StatusUnauthorized {
			t.Errorf("read with token aaa: %d %q, want 401", status, body)
		}
		if status, body := m.get("/latest/meta-data/instance-id", ""); status != http.StatusOK || body != instWire {
			t.Errorf("token-less read of an optional instance: %d %q, want 200 %s", status, body, instWire)
		}
		req := newIMDS(t, s.metadataURL(instWireReq, false))
		if status, body := req.get("/latest/meta-data/instance-id", ""); status != http.StatusForbidden {
			t.Errorf("token-less read of an instance with HttpTokens=required: %d %q, want 403", status, body)
		}
		if status, body := req.get("/latest/meta-data/instance-id", req.token("60")); status != http.StatusOK || body != instWireReq {
			t.Errorf("read with a token: %d %q, want 200 %s", status, body, instWireReq)
		}
	})
	t.Run("items", func(t *testing.T) { m.t = t; wireItems(t, m) })
	t.Run("credentials", func(t *testing.T) { m.t = t; wireCredentials(t, s, m) })
	t.Run("proxy credentials", func(t *testing.T) { wireProxyAuth(t, s) })
	t.Run("never an open proxy", func(t *testing.T) { wireOtherHosts(t, s) })
	t.Run("credentials URI", func(t *testing.T) { wireURI(t, s) })
}

// wireItems reads the instance's items and its directory listing.
func wireItems(t *testing.T, m *imds) {
	tok := m.token("21600")
	for path, want := range map[string]string{
		"/latest/meta-data/instance-id":      instWire,
		"/latest/meta-data/region-id":        region,
		"/latest/meta-data/owner-account-id": accountA,
	} {
		if status, body := m.get(path, tok); status != http.StatusOK || body != want {
			t.Errorf("GET %s: %d %q, want 200 %q", path, status, body, want)
		}
	}
	status, body := m.get("/latest/meta-data/", tok)
	if status != http.StatusOK {
		t.Fatalf("GET /latest/meta-data/: %d %q", status, body)
	}
	for _, item := range []string{"instance-id", "region-id", "zone-id", "hostname", "private-ipv4", "owner-account-id", "ram/"} {
		if !containsLine(body, item) {
			t.Errorf("the listing of /latest/meta-data/ lacks %q:\n%s", item, body)
		}
	}
}

func containsLine(body, line string) bool {
	for _, l := range strings.Split(body, "\n") {
		if strings.TrimSpace(l) == line {
			return true
		}
	}
	return false
}

// credentialsBody is the JSON of a role's credentials.
type credentialsBody struct {
	AccessKeyID     string `json:"AccessKeyId"`
	AccessKeySecret string
	SecurityToken   string
	Expiration      string
	LastUpdated     string
	Code            string
}

// check asserts the fields every client needs: Code Success, an STS key,
// and Expiration and LastUpdated in the one layout clients parse, about
// credTTL apart.
func (c credentialsBody) check(t *testing.T, what string) {
	t.Helper()
	exp, err1 := time.Parse("2006-01-02T15:04:05Z", c.Expiration)
	upd, err2 := time.Parse("2006-01-02T15:04:05Z", c.LastUpdated)
	if c.Code != "Success" || !strings.HasPrefix(c.AccessKeyID, "STS.") || c.AccessKeySecret == "" || c.SecurityToken == "" ||
		err1 != nil || err2 != nil || !exp.After(upd) {
		t.Fatalf("%s: %+v (%v, %v)", what, c, err1, err2)
	}
}

// wireCredentials reads the role path: the role's name, its credentials
// (the same on a second read, and for the name in another case), and 404
// for any other role name, an instance without a role or with a role that
// does not trust ECS, and for the role once detached.
func wireCredentials(t *testing.T, s *server, m *imds) {
	tok := m.token("60")
	if status, body := m.get("/latest/meta-data/ram/security-credentials/", tok); status != http.StatusOK || strings.TrimSpace(body) != appRole {
		t.Fatalf("GET ram/security-credentials/: %d %q, want %s", status, body, appRole)
	}
	var first credentialsBody
	for i := range 2 {
		status, body := m.get("/latest/meta-data/ram/security-credentials/"+appRole, tok)
		var c credentialsBody
		if err := json.Unmarshal([]byte(body), &c); status != http.StatusOK || err != nil {
			t.Fatalf("GET ram/security-credentials/%s: %d %q (%v)", appRole, status, body, err)
		}
		c.check(t, "credentials")
		if i == 1 && c.AccessKeyID != first.AccessKeyID {
			t.Errorf("a second read within the rotation period gave %s, then %s", first.AccessKeyID, c.AccessKeyID)
		}
		first = c
	}
	// Role names match ignoring case, as RAM's do (README's metadata
	// table, compatibility R1): another case of the attached role's name
	// is the same role and gets the same credentials.
	status, body := m.get("/latest/meta-data/ram/security-credentials/"+strings.ToLower(appRole), tok)
	var lower credentialsBody
	if err := json.Unmarshal([]byte(body), &lower); status != http.StatusOK || err != nil || lower.AccessKeyID != first.AccessKeyID {
		t.Errorf("GET ram/security-credentials/%s of an instance with %s: %d %q (%v), want 200 with %s",
			strings.ToLower(appRole), appRole, status, body, err, first.AccessKeyID)
	}
	for _, path := range []string{"UntrustedRole", "Other"} {
		if status, body := m.get("/latest/meta-data/ram/security-credentials/"+path, tok); status != http.StatusNotFound {
			t.Errorf("GET ram/security-credentials/%s of an instance with %s: %d %q, want 404", path, appRole, status, body)
		}
	}
	none := newIMDS(t, s.metadataURL(instNoRole, false))
	if status, body := none.get("/latest/meta-data/ram/security-credentials/", ""); status != http.StatusNotFound {
		t.Errorf("ram/security-credentials/ of an instance without a role: %d %q, want 404", status, body)
	}
	upd := sdkram.CreateUpdateRoleRequest()
	upd.RoleName = "UntrustedRole"
	upd.NewAssumeRolePolicyDocument = `{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"RAM":["acs:ram::` + accountA + `:root"]}}],"Version":"1"}`
	rc, err := sdkram.NewClientWithOptions(region, sdk.NewConfig().WithAutoRetry(false), credentials.NewAccessKeyCredential(rootKey, rootSecret))
	if err != nil {
		t.Fatal(err)
	}
	rc.Domain = s.addr
	if _, err := rc.UpdateRole(upd); err != nil {
		t.Fatalf("UpdateRole: %v", err)
	}
	untrusted := newIMDS(t, s.metadataURL(instUntrusted, false))
	if status, body := untrusted.get("/latest/meta-data/ram/security-credentials/UntrustedRole", ""); status != http.StatusNotFound {
		t.Errorf("credentials of a role that does not trust ecs.aliyuncs.com: %d %q, want 404", status, body)
	}
	b := newIMDS(t, s.metadataURL(instB, false))
	if status, body := b.get("/latest/meta-data/ram/security-credentials/", ""); status != http.StatusOK || strings.TrimSpace(body) != roleB {
		t.Errorf("account B's instance lists %d %q, want %s", status, body, roleB)
	}
	if status, body := b.get("/latest/meta-data/ram/security-credentials/"+appRole, ""); status != http.StatusNotFound {
		t.Errorf("account B's instance serves account A's %s: %d %q, want 404", appRole, status, body)
	}

	req := sdkecs.CreateDetachInstanceRamRoleRequest()
	req.RegionId, req.InstanceIds = region, `["`+instWire+`"]`
	if _, err := s.ecs(rootKey, rootSecret).DetachInstanceRamRole(req); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"", appRole} {
		if status, body := m.get("/latest/meta-data/ram/security-credentials/"+path, tok); status != http.StatusNotFound {
			t.Errorf("ram/security-credentials/%s right after the detach: %d %q, want 404", path, status, body)
		}
	}
}

// wireProxyAuth: a request naming no instance, a wrong secret (among them
// the secret of another instance, another account's and a RAM user's
// AccessKey secret), an unknown or deleted instance are all answered 407
// with Proxy-Authenticate, and serve nothing.
func wireProxyAuth(t *testing.T, s *server) {
	good, err := url.Parse(s.metadataURL(instURI, false))
	if err != nil {
		t.Fatal(err)
	}
	secret, _ := good.User.Password()
	otherSecret := secretOf(t, s.metadataURL(instB, false))
	deleted := s.metadataURL(instCGoV1Off, false)
	del := sdkecs.CreateDeleteInstanceRequest()
	del.InstanceId, del.Force = instCGoV1Off, "true"
	if _, err := s.ecs(rootKey, rootSecret).DeleteInstance(del); err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		"no credentials":                 "http://" + s.addr,
		"no secret":                      "http://" + instURI + "@" + s.addr,
		"a wrong secret":                 "http://" + instURI + ":" + strings.Repeat("0", len(secret)) + "@" + s.addr,
		"another instance's secret":      "http://" + instURI + ":" + otherSecret + "@" + s.addr,
		"account A's secret for B":       "http://" + instB + ":" + secret + "@" + s.addr,
		"a RAM user's AccessKey":         "http://" + readerKey + ":" + readerSecret + "@" + s.addr,
		"the reader's secret as a guess": "http://" + instURI + ":" + readerSecret + "@" + s.addr,
		"an unknown instance":            "http://i-metaunknown0001:" + secret + "@" + s.addr,
		"a deleted instance":             deleted,
	}
	for name, proxy := range cases {
		m := newIMDS(t, proxy)
		for _, path := range []string{"/latest/meta-data/instance-id", "/latest/meta-data/ram/security-credentials/" + appRole} {
			status, body, h := m.do("GET", imdsBase+path)
			if status != http.StatusProxyAuthRequired || h.Get("Proxy-Authenticate") == "" || strings.Contains(body, "STS.") {
				t.Errorf("%s: GET %s: %d %q (Proxy-Authenticate %q), want 407 with Proxy-Authenticate", name, path, status, body, h.Get("Proxy-Authenticate"))
			}
		}
	}
}

// secretOf returns the password of a proxy URL.
func secretOf(t *testing.T, proxy string) string {
	u, err := url.Parse(proxy)
	if err != nil {
		t.Fatal(err)
	}
	p, ok := u.User.Password()
	if !ok || p == "" {
		t.Fatalf("metadata-url printed %q: no secret", proxy)
	}
	return p
}

// wireOtherHosts: absolute-form requests for any host but
// 100.100.100.200 (port 80), and CONNECT, are refused with 403 and nothing
// is dialled: a listener of the test, proxied to, never sees a connection.
func wireOtherHosts(t *testing.T, s *server) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var dialled atomic.Int32
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
	target := ln.Addr().String()
	proxy := s.metadataURL(instURI, false)
	m := newIMDS(t, proxy)
	for _, u := range []string{"http://" + target + "/latest/meta-data/instance-id", "http://" + target + "/",
		"http://localhost:" + strings.Split(target, ":")[1] + "/", "http://100.100.100.200:8080/latest/meta-data/instance-id",
		"http://100.100.100.201/latest/meta-data/instance-id", "http://metadata.invalid/latest/meta-data/instance-id"} {
		if status, body, _ := m.do("GET", u); status != http.StatusForbidden {
			t.Errorf("GET %s through the proxy: %d %q, want 403", u, status, body)
		}
	}
	for _, hostport := range []string{target, "100.100.100.200:80"} {
		if status := connect(t, s.addr, hostport, proxy); status != http.StatusForbidden {
			t.Errorf("CONNECT %s: %d, want 403", hostport, status)
		}
	}
	if n := dialled.Load(); n != 0 {
		t.Errorf("the server dialled the proxied host %d times", n)
	}
}

// connect sends CONNECT hostport to the server at addr with the proxy
// credentials of proxyURL and returns the status.
func connect(t *testing.T, addr, hostport, proxyURL string) int {
	u, _ := url.Parse(proxyURL)
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	pw, _ := u.User.Password()
	auth := base64.StdEncoding.EncodeToString([]byte(u.User.Username() + ":" + pw))
	if _, err := io.WriteString(c, "CONNECT "+hostport+" HTTP/1.1\r\nHost: "+hostport+"\r\nProxy-Authorization: Basic "+auth+"\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("CONNECT %s: %v", hostport, err)
	}
	res.Body.Close()
	return res.StatusCode
}

// wireURI: the credentials-URI path serves one body with Code and
// Expiration to the instance's Basic credentials, and 401 to anything
// else.
func wireURI(t *testing.T, s *server) {
	uri := s.metadataURL(instURI, true)
	u, err := url.Parse(uri)
	if err != nil || u.User == nil || u.Host != s.addr {
		t.Fatalf("metadata-url --credentials-uri printed %q (%v)", uri, err)
	}
	get := func(u *url.URL) (int, string) {
		res, err := http.Get(u.String())
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	status, body := get(u)
	var c credentialsBody
	if err := json.Unmarshal([]byte(body), &c); status != http.StatusOK || err != nil {
		t.Fatalf("GET %s: %d %q (%v)", uri, status, body, err)
	}
	c.check(t, "credentials URI")
	secret, _ := u.User.Password()
	for name, user := range map[string]*url.Userinfo{
		"no credentials":          nil,
		"a wrong secret":          url.UserPassword(instURI, strings.Repeat("0", len(secret))),
		"a RAM user's AccessKey":  url.UserPassword(readerKey, readerSecret),
		"another instance's name": url.UserPassword(instB, secret),
	} {
		v := *u
		v.User = user
		if status, body := get(&v); status != http.StatusUnauthorized || strings.Contains(body, "STS.") {
			t.Errorf("credentials URI with %s: %d %q, want 401", name, status, body)
		}
	}
}
