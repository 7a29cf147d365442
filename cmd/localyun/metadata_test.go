package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/metadata"
	"github.com/localyun/localyun/internal/sqlite"
)

const metadataSeed = `
accounts:
  - id: "1234567890123456"
    access_keys:
      - {id: LTAI5tMetaKey0001, secret: metasecret0000000000000001}
    ram:
      roles:
        - name: AppRole
          assume_role_policy: '{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":["ecs.aliyuncs.com"]}}],"Version":"1"}'
    ecs:
      instances:
        - {id: i-mdapp, region: cn-hangzhou, ram_role: AppRole}
        - {id: i-mdnorole, region: cn-hangzhou}
        - {id: i-mdhard, region: cn-hangzhou, ram_role: AppRole, metadata_options: {http_tokens: required}}
        - {id: i-mdoff, region: cn-hangzhou, ram_role: AppRole, metadata_options: {http_endpoint: disabled, http_tokens: optional}}
  - id: "6543210987654321"
    ecs:
      instances:
        - {id: i-mdother, region: cn-beijing}
`

func TestSeedMetadataOptions(t *testing.T) {
	s, err := ParseSeed([]byte(metadataSeed))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := sqlite.Open(ctx, ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := s.Apply(ctx, st, time.Now()); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]localyun.MetadataOptions{
		"i-mdapp":  localyun.DefaultMetadataOptions,
		"i-mdhard": {HTTPEndpoint: localyun.MetadataEnabled, HTTPTokens: localyun.TokensRequired, HopLimit: 1},
		"i-mdoff":  {HTTPEndpoint: localyun.MetadataDisabled, HTTPTokens: localyun.TokensOptional, HopLimit: 1},
	} {
		in, err := st.FindInstanceByID(ctx, id)
		if err != nil || in.Metadata != want {
			t.Errorf("%s: metadata options %+v (%v), want %+v", id, in.Metadata, err, want)
		}
	}
	inst := func(opts string) string {
		return "accounts:\n  - id: \"1234567890123456\"\n    ecs:\n      instances:\n        - {id: i-a, region: cn-hangzhou, metadata_options: " + opts + "}\n"
	}
	for _, tt := range []struct{ opts, want string }{
		{"{http_endpoint: off}", `accounts[0].ecs.instances[0].metadata_options.http_endpoint: "off" must be enabled or disabled`},
		{"{http_tokens: Required}", `accounts[0].ecs.instances[0].metadata_options.http_tokens: "Required" must be optional or required`},
		{"{http_token: required}", "accounts[0].ecs.instances[0].metadata_options.http_token: unknown field (did you mean http_tokens?)"},
	} {
		if _, err := ParseSeed([]byte(inst(tt.opts))); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("metadata_options %s: error %v, want %q", tt.opts, err, tt.want)
		}
	}
}

// mustMasterKey writes a master key into dir as serve does and returns it.
func mustMasterKey(t *testing.T, dir string) []byte {
	t.Helper()
	key, err := LoadMasterKey(filepath.Join(dir, "master.key"))
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func TestMetadataURLCommand(t *testing.T) {
	dir := t.TempDir()
	key := mustMasterKey(t, dir)
	other := filepath.Join(t.TempDir(), "other.key")
	otherKey, err := LoadMasterKey(other)
	if err != nil {
		t.Fatal(err)
	}
	secret := metadata.InstanceSecret(key, "i-abc")
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"defaults", []string{"i-abc", "--data-dir", dir}, nil, "http://i-abc:" + secret + "@127.0.0.1:8080\n"},
		{"flags first", []string{"--data-dir", dir, "--addr", "0.0.0.0:9000", "i-abc"}, nil, "http://i-abc:" + secret + "@127.0.0.1:9000\n"},
		{"credentials URI", []string{"i-abc", "--credentials-uri", "--addr", "127.0.0.1:9001", "--data-dir", dir}, nil,
			"http://i-abc:" + secret + "@127.0.0.1:9001/localyun/instance-credentials\n"},
		{"credentials URI, secret in the path", []string{"i-abc", "--credentials-uri", "--path-secret", "--addr", "127.0.0.1:9001", "--data-dir", dir}, nil,
			"http://127.0.0.1:9001/localyun/instance-credentials/i-abc/" + secret + "\n"},
		{"environment", []string{"i-abc"}, map[string]string{"LOCALYUN_DATA_DIR": dir, "LOCALYUN_ADDR": "127.0.0.1:9002"},
			"http://i-abc:" + secret + "@127.0.0.1:9002\n"},
		{"master key file", []string{"i-abc", "--master-key-file", other}, nil,
			"http://i-abc:" + metadata.InstanceSecret(otherKey, "i-abc") + "@127.0.0.1:8080\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			getenv := func(k string) string { return tt.env[k] }
			if err := run(context.Background(), append([]string{"metadata-url"}, tt.args...), getenv, &out, &errOut); err != nil {
				t.Fatalf("%v (stderr %q)", err, errOut.String())
			}
			if out.String() != tt.want {
				t.Fatalf("printed %q, want %q", out.String(), tt.want)
			}
		})
	}
	empty := t.TempDir()
	for _, tt := range []struct {
		name  string
		args  []string
		usage bool
		want  string
	}{
		{"no id", []string{"--data-dir", dir}, true, "usage: localyun metadata-url <instance-id>"},
		{"two ids", []string{"i-a", "i-b", "--data-dir", dir}, true, "usage: localyun metadata-url <instance-id>"},
		{"not an id", []string{"web-1", "--data-dir", dir}, true, `"web-1" is not an instance id`},
		{"unknown flag", []string{"i-a", "--adr", "x"}, true, "adr"},
		{"path secret without the URI", []string{"i-a", "--path-secret", "--data-dir", dir}, true, "--path-secret only with --credentials-uri"},
		{"no master key", []string{"i-a", "--data-dir", empty}, false, "no master key at " + filepath.Join(empty, "master.key")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := run(context.Background(), append([]string{"metadata-url"}, tt.args...), func(string) string { return "" }, &out, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.want) || errors.Is(err, errUsage) != tt.usage || out.Len() != 0 {
				t.Fatalf("err %v (usage: %v), printed %q; want %q (usage: %v)", err, errors.Is(err, errUsage), out.String(), tt.want, tt.usage)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(empty, "master.key")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("metadata-url created a master key: %v", err)
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"metadata-url", "--help"}, func(string) string { return "" }, &out, io.Discard); err != nil ||
		!strings.Contains(out.String(), "--credentials-uri") {
		t.Errorf("--help: %v, %q", err, out.String())
	}
}

func TestLoadConfigMetadata(t *testing.T) {
	for _, tt := range []struct {
		args []string
		env  map[string]string
		want string // "" : accepted
	}{
		{[]string{"--metadata-addr", "127.0.0.1:0", "--metadata-instance", "i-a"}, nil, ""},
		{nil, map[string]string{"LOCALYUN_METADATA_ADDR": "127.0.0.1:0", "LOCALYUN_METADATA_INSTANCE": "i-a"}, ""},
		{[]string{"--metadata-addr", "127.0.0.1:0"}, nil, "also pass --metadata-instance"},
		{[]string{"--metadata-instance", "i-a"}, nil, "only with --metadata-addr"},
		{[]string{"--metadata-addr", "127.0.0.1:0", "--metadata-instance", "web-1"}, nil, "not an instance id"},
		{[]string{"--metadata-addr", "0.0.0.0:80", "--metadata-instance", "i-a"}, nil, "without a secret"},
		{[]string{"--metadata-addr", "192.168.1.5:80", "--metadata-instance", "i-a"}, nil, "without a secret"},
		{[]string{"--metadata-addr", "metadata.example:80", "--metadata-instance", "i-a"}, nil, "without a secret"},
	} {
		c, err := LoadConfig(tt.args, func(k string) string { return tt.env[k] }, io.Discard)
		if tt.want == "" && (err != nil || c.MetadataAddr != "127.0.0.1:0" || c.MetadataInstance != "i-a") {
			t.Errorf("%v %v: %+v, %v", tt.args, tt.env, c, err)
		}
		if tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("%v: err %v, want %q", tt.args, err, tt.want)
		}
	}
}

// metadataURL runs the built binary's `localyun metadata-url` (the
// operator's tool) for the server p, and returns the URL it prints.
func (p *proc) metadataURL(t *testing.T, dir, id string, extra ...string) *url.URL {
	t.Helper()
	out, err := exec.Command(mustBuild(t), append([]string{"metadata-url", id, "--addr", p.addr, "--data-dir", dir}, extra...)...).Output()
	if err != nil {
		t.Fatalf("metadata-url %s: %v", id, err)
	}
	u, err := url.Parse(strings.TrimSuffix(string(out), "\n"))
	if err != nil || strings.Count(string(out), "\n") != 1 {
		t.Fatalf("metadata-url printed %q: %v", out, err)
	}
	return u
}

// viaProxy is a client whose transport sends every request to proxy, as
// Go's default transport does with HTTP_PROXY set to proxy.
func viaProxy(proxy *url.URL) *http.Client {
	return &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(proxy)}, Timeout: 10 * time.Second}
}

// get makes one request and returns its status and body.
func get(t *testing.T, c *http.Client, method, rawURL string, header map[string]string) (int, string) {
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
	return res.StatusCode, string(body)
}

// TestMetadataProxyServe drives the proxy rules of a real `localyun serve`
// with the HTTP_PROXY values `localyun metadata-url` prints.
func TestMetadataProxyServe(t *testing.T) {
	dir := t.TempDir()
	seed := filepath.Join(t.TempDir(), "seed.yaml")
	if err := os.WriteFile(seed, []byte(metadataSeed), 0o600); err != nil {
		t.Fatal(err)
	}
	metaAddr := freeAddr(t)
	p := mustServeEnv(t, dir, seed, "LOCALYUN_METADATA_ADDR="+metaAddr, "LOCALYUN_METADATA_INSTANCE=i-mdapp")
	const imds = "http://100.100.100.200/latest/"
	app, other := p.metadataURL(t, dir, "i-mdapp"), p.metadataURL(t, dir, "i-mdother")
	wrong := *app
	wrong.User = url.UserPassword("i-mdapp", "a"+strings.Repeat("b", 31))
	otherAccount := *other
	otherAccount.User = url.UserPassword("i-mdother", must(app.User.Password()))
	ttl := func(v string) map[string]string { return map[string]string{metadata.TokenTTLHeader: v} }
	tests := []struct {
		name   string
		proxy  *url.URL
		method string
		url    string
		header map[string]string
		want   int
		body   string
	}{
		{"instance id", app, "GET", imds + "meta-data/instance-id", nil, 200, "i-mdapp"},
		{"role name", app, "GET", imds + "meta-data/ram/security-credentials/", nil, 200, "AppRole"},
		{"the other account's instance, its own secret", other, "GET", imds + "meta-data/owner-account-id", nil, 200, "6543210987654321"},
		{"wrong secret", &wrong, "GET", imds + "meta-data/instance-id", nil, 407, ""},
		{"another account's instance, this secret", &otherAccount, "GET", imds + "meta-data/instance-id", nil, 407, ""},
		{"non-metadata host", app, "GET", "http://example.com/", nil, 403, ""},
		// The v1 SDK and Tea clients send API calls through HTTP_PROXY even
		// to loopback: a request for the server's own address is served as
		// if sent directly (nothing is dialled); its port on another host is
		// not the server, and a proxied request for it stays 403.
		{"the server itself, proxied", app, "GET", "http://" + p.addr + "/healthz", nil, 200, "ok\n"},
		{"the server as localhost, proxied", app, "GET", "http://localhost:" + port(p.addr) + "/healthz", nil, 200, "ok\n"},
		{"the server's port on another loopback address", app, "GET", "http://127.0.0.2:" + port(p.addr) + "/healthz", nil, 403, ""},
		{"another loopback port", app, "GET", "http://" + freeAddr(t) + "/healthz", nil, 403, ""},
		{"X-Forwarded-For", app, "PUT", imds + "api/token", map[string]string{metadata.TokenTTLHeader: "60", "X-Forwarded-For": "10.0.0.1"}, 403, ""},
		{"ttl 0", app, "PUT", imds + "api/token", ttl("0"), 400, ""},
		{"ttl 21601", app, "PUT", imds + "api/token", ttl("21601"), 400, ""},
		{"ttl 21600", app, "PUT", imds + "api/token", ttl("21600"), 200, ""},
		{"HttpTokens=required, no token", p.metadataURL(t, dir, "i-mdhard"), "GET", imds + "meta-data/instance-id", nil, 403, ""},
		{"HttpEndpoint=disabled", p.metadataURL(t, dir, "i-mdoff"), "GET", imds + "meta-data/instance-id", nil, 404, ""},
		{"no role", p.metadataURL(t, dir, "i-mdnorole"), "GET", imds + "meta-data/ram/security-credentials/", nil, 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := get(t, viaProxy(tt.proxy), tt.method, tt.url, tt.header)
			if code != tt.want || tt.body != "" && body != tt.body {
				t.Fatalf("got %d %q, want %d %q", code, body, tt.want, tt.body)
			}
		})
	}
	t.Run("HttpTokens=required, with a token", func(t *testing.T) {
		c := viaProxy(p.metadataURL(t, dir, "i-mdhard"))
		code, tok := get(t, c, "PUT", imds+"api/token", ttl("21600"))
		if code != 200 {
			t.Fatalf("token: %d %q", code, tok)
		}
		if code, body := get(t, c, "GET", imds+"meta-data/instance-id", map[string]string{metadata.TokenHeader: tok}); code != 200 || body != "i-mdhard" {
			t.Fatalf("with the token: %d %q", code, body)
		}
	})
	t.Run("CONNECT", func(t *testing.T) {
		auth := "Basic " + base64.StdEncoding.EncodeToString([]byte(app.User.String()))
		for _, target := range []string{"100.100.100.200:80", "100.100.100.200:443", "example.com:443"} {
			if got := connectStatus(t, p.addr, target, auth); got != http.StatusForbidden {
				t.Errorf("CONNECT %s: %d, want 403", target, got)
			}
		}
	})
	t.Run("credentials URI", func(t *testing.T) {
		uri := p.metadataURL(t, dir, "i-mdnorole", "--credentials-uri")
		if code, _ := get(t, http.DefaultClient, "GET", uri.String(), nil); code != 404 {
			t.Errorf("no role: %d, want 404", code)
		}
		uri.User = url.UserPassword("i-mdnorole", "wrong")
		if code, _ := get(t, http.DefaultClient, "GET", uri.String(), nil); code != 401 {
			t.Errorf("wrong secret: %d, want 401", code)
		}
		// The same answers with the secret in the path (--path-secret).
		byPath := p.metadataURL(t, dir, "i-mdapp", "--credentials-uri", "--path-secret")
		if byPath.User != nil || !strings.HasPrefix(byPath.Path, "/localyun/instance-credentials/i-mdapp/") {
			t.Fatalf("--path-secret printed %s", byPath)
		}
		if code, body := get(t, http.DefaultClient, "GET", byPath.String(), nil); code != 200 || !strings.Contains(body, `"Code":"Success"`) {
			t.Errorf("secret in the path: %d %q, want 200 with the credentials", code, body)
		}
		noRole := p.metadataURL(t, dir, "i-mdnorole", "--credentials-uri", "--path-secret")
		if code, _ := get(t, http.DefaultClient, "GET", noRole.String(), nil); code != 404 {
			t.Errorf("secret in the path, no role: %d, want 404", code)
		}
		secret := byPath.Path[strings.LastIndex(byPath.Path, "/")+1:]
		for _, rest := range []string{"/i-mdapp/wrong", "/i-mdapp", "/i-mdapp/", "/i-mdapp/" + secret + "/", "/i-mdother/" + secret, "/"} {
			u := *byPath
			u.Path = "/localyun/instance-credentials" + rest
			if code, body := get(t, http.DefaultClient, "GET", u.String(), nil); code != 401 || strings.Contains(body, "STS.") {
				t.Errorf("GET %s: %d %q, want 401", u.Path, code, body)
			}
		}
	})
	t.Run("--metadata-addr", func(t *testing.T) {
		if code, body := get(t, http.DefaultClient, "GET", "http://"+metaAddr+"/latest/meta-data/instance-id", nil); code != 200 || body != "i-mdapp" {
			t.Errorf("plain GET: %d %q", code, body)
		}
		if !strings.Contains(p.stdout.String(), "metadata: http://"+metaAddr+" answers as instance i-mdapp") {
			t.Errorf("banner:\n%s", p.stdout)
		}
	})
}

func must[T any](v T, _ bool) T { return v }

// port is the port of a host:port address.
func port(addr string) string {
	_, p, _ := net.SplitHostPort(addr)
	return p
}

// connectStatus sends CONNECT target with the Proxy-Authorization auth to
// the server at addr and returns the status.
func connectStatus(t *testing.T, addr, target, auth string) int {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, "CONNECT "+target+" HTTP/1.1\r\nHost: "+target+"\r\nProxy-Authorization: "+auth+"\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}
