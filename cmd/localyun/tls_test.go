package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/alibabacloud-go/tea/tea"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	sdkcreds "github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	sdkecs "github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	sdksts "github.com/aliyun/alibaba-cloud-sdk-go/services/sts"
	"github.com/aliyun/credentials-go/credentials"
)

// TestBindFailureWritesNothing starts the binary on a busy port, HTTP or
// HTTPS: it must exit non-zero naming the address, and leave the data
// directory as it was (no store, no credentials, no CA), so that the next
// start is a first start again.
func TestBindFailureWritesNothing(t *testing.T) {
	bin := mustBuild(t)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	for _, tc := range []struct {
		name string
		args []string
		env  []string
	}{
		// The HTTPS address comes from the environment, so that the case
		// runs (and fails) on a server without HTTPS too.
		{"http port busy", []string{"--addr", busy.Addr().String()}, []string{"LOCALYUN_TLS_ADDR=127.0.0.1:0"}},
		{"https port busy", []string{"--addr", "127.0.0.1:0", "--tls-addr", busy.Addr().String()}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			// No seed: a first start would create an account and write its key.
			cmd := exec.CommandContext(ctx, bin, append([]string{"serve", "--data-dir", dir}, tc.args...)...)
			cmd.Env = append(append(os.Environ(), "LOCALYUN_QUIET=", "LOCALYUN_MEMORY=", "LOCALYUN_STORE="), tc.env...)
			out, err := cmd.CombinedOutput()
			if err == nil || ctx.Err() != nil {
				t.Fatalf("serve on a busy port: exit %v (context %v), want a failure\n%s", err, ctx.Err(), out)
			}
			if !strings.Contains(string(out), busy.Addr().String()) || !strings.Contains(string(out), "address already in use") {
				t.Errorf("the error does not name the busy address:\n%s", out)
			}
			entries, err := os.ReadDir(dir)
			if err != nil && !errors.Is(err, os.ErrNotExist) {
				t.Fatal(err)
			}
			if len(entries) > 0 {
				var names []string
				for _, e := range entries {
					names = append(names, e.Name())
				}
				t.Fatalf("a failed bind left %v in the data directory", names)
			}
		})
	}
}

// startTLSMain runs a Main on loopback ports of its own with cfg's data
// directory and TLS settings, and returns it with its banner.
func startTLSMain(t *testing.T, cfg Config) (*Main, string) {
	t.Helper()
	cfg.Addr, cfg.Limits = "127.0.0.1:0", DefaultLimits()
	if cfg.TLSAddr == "" {
		cfg.TLSAddr = "127.0.0.1:0"
	}
	m := NewMain(cfg)
	var out bytes.Buffer
	m.Stdout = &out
	if err := m.Run(context.Background()); err != nil {
		m.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m, out.String()
}

// caPool returns a pool of the CA certificate in the PEM file path.
func caPool(t *testing.T, path string) *x509.CertPool {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		t.Fatalf("%s holds no certificate", path)
	}
	return pool
}

// handshake connects to addr over TLS as serverName, verifying with roots,
// and returns the server's certificate.
func handshake(addr, serverName string, roots *x509.CertPool) (*x509.Certificate, error) {
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", addr, &tls.Config{ServerName: serverName, RootCAs: roots})
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0], nil
}

func TestHTTPSLocalCA(t *testing.T) {
	dir := t.TempDir()
	m, banner := startTLSMain(t, Config{DataDir: dir})
	caPath := filepath.Join(dir, caCertName)
	if want := "  https: https://" + m.TLSAddr() + " (CA: " + caPath + ")\n"; !strings.Contains(banner, want) {
		t.Errorf("banner lacks %q:\n%s", want, banner)
	}
	for _, s := range []string{"SSL_CERT_FILE=" + caPath, "NODE_EXTRA_CA_CERTS=" + caPath} {
		if !strings.Contains(banner, s) {
			t.Errorf("banner lacks %q:\n%s", s, banner)
		}
	}
	for _, name := range []string{caCertName, caKeyName} {
		if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, mode %v; want mode 0600", name, err, fi.Mode().Perm())
		}
	}
	roots := caPool(t, caPath)

	// The same handler as over HTTP, on HTTP/1.1.
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}, ForceAttemptHTTP2: true}}
	res, err := client.Get("https://" + m.TLSAddr() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK || res.ProtoMajor != 1 || res.TLS == nil {
		t.Fatalf("GET /healthz over HTTPS: %s %s", res.Proto, res.Status)
	}

	// Every endpoint name an SDK builds, and the loopback addresses.
	leaf, err := handshake(m.TLSAddr(), "127.0.0.1", roots)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"localhost", "127.0.0.1", "::1", "sts.aliyuncs.com", "ecs.aliyuncs.com", "ram.aliyuncs.com",
		"yundun-bastionhost.aliyuncs.com", "ecs-cn-hangzhou.aliyuncs.com", "ecs.cn-hangzhou.aliyuncs.com",
		"sts.ap-southeast-1.aliyuncs.com", "sts-vpc.cn-beijing.aliyuncs.com", "bastionhost.cn-shanghai.aliyuncs.com"} {
		if err := leaf.VerifyHostname(name); err != nil {
			t.Errorf("the server certificate does not name %s: %v", name, err)
		}
	}
	if _, err := handshake(m.TLSAddr(), "example.com", roots); err == nil {
		t.Error("the server certificate verifies for example.com")
	}

	// No insecure fallback: a client that does not trust the CA is refused.
	var unknown x509.UnknownAuthorityError
	if _, err := http.Get("https://" + m.TLSAddr() + "/healthz"); !errors.As(err, &unknown) {
		t.Errorf("a client with the system roots: %v, want an unknown authority", err)
	}

	// The CA may certify only local names and the product endpoints.
	caCert, caKey, err := loadOrCreateCA(dir, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := forgeLeaf(t, caCert, caKey, "github.com").Verify(x509.VerifyOptions{Roots: roots, DNSName: "github.com"}); err == nil {
		t.Error("a certificate for github.com signed by the local CA verifies")
	}

	// A restart keeps the CA and issues a new server certificate.
	before, _ := os.ReadFile(caPath)
	m.Close()
	m2, _ := startTLSMain(t, Config{DataDir: dir})
	after, _ := os.ReadFile(caPath)
	leaf2, err := handshake(m2.TLSAddr(), "localhost", roots)
	if err != nil {
		t.Fatalf("after a restart: %v", err)
	}
	if !bytes.Equal(before, after) || leaf2.SerialNumber.Cmp(leaf.SerialNumber) == 0 {
		t.Errorf("restart: CA kept %v, server certificate re-issued %v", bytes.Equal(before, after), leaf2.SerialNumber.Cmp(leaf.SerialNumber) != 0)
	}
}

// forgeLeaf returns a server certificate for name signed by ca.
func forgeLeaf(t *testing.T, ca *x509.Certificate, caKey *ecdsa.PrivateKey, name string) *x509.Certificate {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{SerialNumber: big.NewInt(7), DNSNames: []string{name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}},
		ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return leaf
}

// TestHTTPSOwnCertificate serves a certificate of --tls-cert/--tls-key:
// no CA is created, and the banner names the certificate.
func TestHTTPSOwnCertificate(t *testing.T) {
	ownDir, dir := t.TempDir(), t.TempDir()
	ca, caKey, err := createCA(ownDir, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	cert, err := issueServerCert(ca, caKey, "127.0.0.1", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	certFile, keyFile := filepath.Join(ownDir, "server.pem"), filepath.Join(ownDir, "server-key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600)

	m, banner := startTLSMain(t, Config{DataDir: dir, TLSCert: certFile, TLSKey: keyFile})
	if want := "(certificate: " + certFile + ")"; !strings.Contains(banner, want) {
		t.Errorf("banner lacks %q:\n%s", want, banner)
	}
	if _, err := os.Stat(filepath.Join(dir, caCertName)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a local CA was created with --tls-cert: %v", err)
	}
	got, err := handshake(m.TLSAddr(), "localhost", caPool(t, filepath.Join(ownDir, caCertName)))
	if err != nil || !bytes.Equal(got.Raw, cert.Certificate[0]) {
		t.Fatalf("handshake: %v; served the given certificate: %v", err, err == nil && bytes.Equal(got.Raw, cert.Certificate[0]))
	}
}

// TestHTTPSMemory: --memory keeps the API state in memory, but the CA is
// the data directory's (created there), so that clients trust one CA
// across runs.
func TestHTTPSMemory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	startTLSMain(t, Config{DataDir: dir, Memory: true})
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != caKeyName+" "+caCertName {
		t.Fatalf("--memory wrote %v, want only the CA", names)
	}
}

// The RAM world of the credentials-go test: user ci may assume role
// CiDeployer, which may only describe instances, and only over HTTPS.
const (
	tlsSeedAccount = "1234567890123456"
	ciKey          = "LTAI5tCiUserKey0001"
	ciSecret       = "ciusersecret000000001"
	tlsSeed        = `
accounts:
  - id: "` + tlsSeedAccount + `"
    name: dev
    ram:
      policies:
        - name: DescribeOverTLS
          document: '{"Version":"1","Statement":[{"Effect":"Allow","Action":"ecs:DescribeInstances","Resource":"*","Condition":{"Bool":{"acs:SecureTransport":"true"}}}]}'
      roles:
        - name: CiDeployer
          assume_role_policy: '{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"RAM":["acs:ram::` + tlsSeedAccount + `:root"]}}]}'
          policies: [DescribeOverTLS]
      users:
        - name: ci
          access_keys:
            - id: ` + ciKey + `
              secret: ` + ciSecret + `
          policies: [AliyunSTSAssumeRoleAccess]
    ecs:
      instances:
        - {id: i-tls1, region: cn-hangzhou}
`
	// credHelperEnv makes TestCredentialsGoHelper run (in a process of its
	// own: Go reads SSL_CERT_FILE once, at its first verification).
	credHelperEnv = "LOCALYUN_TEST_CREDENTIALS_HELPER"
)

// TestCredentialsGoAssumeRoleOverHTTPS runs the real server with a clock
// 760 s behind (within the 15-minute signature window), so that the
// 900-second sessions it issues expire within credentials-go's 180-second
// refresh margin: every GetCredential assumes the role again. A test
// process of its own, with SSL_CERT_FILE naming the local CA, drives
// unmodified credentials-go (ram_role_arn, HTTPS only) and signs calls with
// the sessions; another, without the CA, must be refused.
func TestCredentialsGoAssumeRoleOverHTTPS(t *testing.T) {
	if os.Getenv(credHelperEnv) != "" {
		t.Skip("in the helper process")
	}
	dir := t.TempDir()
	seed := filepath.Join(t.TempDir(), "seed.yaml")
	if err := os.WriteFile(seed, []byte(tlsSeed), 0o600); err != nil {
		t.Fatal(err)
	}
	p := mustServeEnv(t, dir, seed, "LOCALYUN_TEST_CLOCK_OFFSET=-760s")
	tlsAddr := bannerTLSAddr(t, p)
	ca := filepath.Join(dir, caCertName)
	for _, mode := range []string{"assume", "untrusted"} {
		t.Run(mode, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestCredentialsGoHelper$", "-test.v", "-test.count=1")
			env := []string{credHelperEnv + "=" + mode, "LOCALYUN_TEST_STS=" + tlsAddr, "LOCALYUN_TEST_HTTP=" + p.addr}
			for _, kv := range os.Environ() {
				if !strings.HasPrefix(kv, "SSL_CERT_FILE=") && !strings.HasPrefix(kv, "SSL_CERT_DIR=") && !strings.HasPrefix(kv, "ALIBABA_CLOUD_") {
					env = append(env, kv)
				}
			}
			if mode == "assume" {
				env = append(env, "SSL_CERT_FILE="+ca)
			}
			cmd.Env = env
			out, err := cmd.CombinedOutput()
			if err != nil || !strings.Contains(string(out), "--- PASS: TestCredentialsGoHelper") {
				t.Fatalf("helper (%s): %v\n%s", mode, err, out)
			}
			t.Logf("helper (%s):\n%s", mode, out)
		})
	}
}

// bannerTLSAddr returns the HTTPS address the banner of p names.
func bannerTLSAddr(t *testing.T, p *proc) string {
	t.Helper()
	if !waitFor(p.stdout, "  https: https://") {
		t.Fatalf("no https line in the banner:\n%s", p.stdout)
	}
	_, rest, _ := strings.Cut(p.stdout.String(), "  https: https://")
	addr, _, ok := strings.Cut(rest, " ")
	if !ok {
		t.Fatalf("https line %q", rest)
	}
	return addr
}

// TestCredentialsGoHelper is the client side of
// TestCredentialsGoAssumeRoleOverHTTPS, run by it in a process of its own.
func TestCredentialsGoHelper(t *testing.T) {
	mode := os.Getenv(credHelperEnv)
	if mode == "" {
		t.Skip("run by TestCredentialsGoAssumeRoleOverHTTPS in a process of its own")
	}
	sts := os.Getenv("LOCALYUN_TEST_STS")
	cred, err := credentials.NewCredential(&credentials.Config{
		Type: tea.String("ram_role_arn"), AccessKeyId: tea.String(ciKey), AccessKeySecret: tea.String(ciSecret),
		RoleArn: tea.String("acs:ram::" + tlsSeedAccount + ":role/ciDeployer"), RoleSessionName: tea.String("pipeline-42"),
		RoleSessionExpiration: tea.Int(900), STSEndpoint: tea.String(sts),
	})
	if err != nil {
		t.Fatal(err)
	}
	if mode == "untrusted" {
		var unknown x509.UnknownAuthorityError
		_, err := cred.GetCredential()
		if err == nil || !errors.As(err, &unknown) && !strings.Contains(err.Error(), "certificate signed by unknown authority") {
			t.Fatalf("GetCredential without the CA: %v, want an unknown authority", err)
		}
		t.Logf("refused as it should be: %v", err)
		return
	}
	first, err := cred.GetCredential()
	if err != nil {
		t.Fatal(err)
	}
	second, err := cred.GetCredential()
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if !strings.HasPrefix(tea.StringValue(first.AccessKeyId), "STS.") || tea.StringValue(first.AccessKeyId) == tea.StringValue(second.AccessKeyId) {
		t.Fatalf("sessions %s then %s: want two STS sessions (the second a refresh)", tea.StringValue(first.AccessKeyId), tea.StringValue(second.AccessKeyId))
	}
	t.Logf("assumed CiDeployer over HTTPS as %s, refreshed as %s", tea.StringValue(first.AccessKeyId), tea.StringValue(second.AccessKeyId))
	for i, c := range []*credentials.CredentialModel{first, second} {
		checkAssumedRoleCalls(t, i, sts, os.Getenv("LOCALYUN_TEST_HTTP"), c)
	}
}

// checkAssumedRoleCalls signs V1 SDK calls with session c: it is the
// assumed role (GetCallerIdentity), may describe instances over HTTPS, and
// is denied what its policy does not allow (another action, or the same
// over plain HTTP) with the RAM code.
func checkAssumedRoleCalls(t *testing.T, i int, httpsAddr, httpAddr string, c *credentials.CredentialModel) {
	t.Helper()
	cfg := sdk.NewConfig().WithAutoRetry(false)
	cfg.Scheme = "HTTPS"
	sc := sdkcreds.NewStsTokenCredential(tea.StringValue(c.AccessKeyId), tea.StringValue(c.AccessKeySecret), tea.StringValue(c.SecurityToken))
	stsc, err := sdksts.NewClientWithOptions("cn-hangzhou", cfg, sc)
	if err != nil {
		t.Fatal(err)
	}
	id := sdksts.CreateGetCallerIdentityRequest()
	id.Domain = httpsAddr
	who, err := stsc.GetCallerIdentity(id)
	if want := "acs:ram::" + tlsSeedAccount + ":assumed-role/CiDeployer/pipeline-42"; err != nil || who.Arn != want {
		t.Fatalf("session %d: GetCallerIdentity %+v, %v; want Arn %s", i, who, err, want)
	}
	ecs, err := sdkecs.NewClientWithOptions("cn-hangzhou", cfg, sc)
	if err != nil {
		t.Fatal(err)
	}
	d := sdkecs.CreateDescribeInstancesRequest()
	d.Domain, d.RegionId = httpsAddr, "cn-hangzhou"
	res, err := ecs.DescribeInstances(d)
	if err != nil || res.TotalCount != 1 || res.Instances.Instance[0].InstanceId != "i-tls1" {
		t.Fatalf("session %d: DescribeInstances over HTTPS: %+v, %v", i, res, err)
	}
	denied := func(what string, err error) {
		t.Helper()
		var se *sdkerrors.ServerError
		if !errors.As(err, &se) || se.HttpStatus() != http.StatusForbidden || se.ErrorCode() != "Forbidden.RAM" {
			t.Errorf("session %d: %s: %v, want 403 Forbidden.RAM", i, what, err)
		}
	}
	r := sdkecs.CreateDescribeInstanceRamRoleRequest()
	r.Domain, r.RegionId, r.InstanceIds = httpsAddr, "cn-hangzhou", `["i-tls1"]`
	_, err = ecs.DescribeInstanceRamRole(r)
	denied("DescribeInstanceRamRole (not in the role's policy)", err)
	plain := sdkecs.CreateDescribeInstancesRequest()
	plain.Domain, plain.RegionId, plain.Scheme = httpAddr, "cn-hangzhou", "HTTP"
	_, err = ecs.DescribeInstances(plain)
	denied("DescribeInstances over HTTP (acs:SecureTransport false)", err)
}
