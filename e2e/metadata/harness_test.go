// Package metadata_test drives the instance metadata service of a real
// `localyun serve` (issue 14) with the official, unmodified credential
// providers: credentials-go's ECS RAM role provider (token mode and
// ALIBABA_CLOUD_IMDSV1_DISABLED), its credentials-URI provider, the v1
// SDK's NewClientWithEcsRamRole and its legacy EcsRamRoleSigner.
//
// Go reads the proxy environment once per process, so every client runs in
// a process of its own: the test binary re-executed with
// LOCALYUN_METADATA_CLIENT naming the client (TestClientHelper), with a
// clean environment whose HTTP_PROXY is what `localyun metadata-url`
// prints, and no NO_PROXY. The API endpoint is on loopback, which Go's
// transport never proxies, but the v1 SDK and the Tea clients send their
// API calls through HTTP_PROXY anyway, and the server serves those for its
// own address (TestAPIThroughProxy); nothing here ever dials
// 100.100.100.200 itself.
//
// When a test ends, the audit trail of its server is checked against the
// server's access log (internal/trailcheck, checkTrail): the credentials
// issued and refused, the changes and the denials of its calls.
//
// Time moves through the server's hidden LOCALYUN_TEST_CLOCK_OFFSET (see
// issueOffset and expiredOffset), never through sleeps.
package metadata_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/alibabacloud-go/tea/dara"
	"github.com/alibabacloud-go/tea/tea"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	sdkecs "github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"

	"github.com/localyun/localyun/internal/pgtest"
	"github.com/localyun/localyun/internal/trailcheck"
)

// The seeded world: account A has role AppRole (trusting ECS, allowed only
// ecs:DescribeInstances), role UntrustedRole (not trusting ECS), a RAM user
// reader allowed only ecs:Describe*, and instances; account B has an
// instance with a role of its own.
const (
	accountA     = "1111222233334444"
	rootKey      = "LTAI5tMetaRootKeyA0001"
	rootSecret   = "metaRootSecretA00000000000000001"
	readerKey    = "LTAI5tMetaReaderKey0001"
	readerSecret = "metaReaderSecret000000000000001"
	accountB     = "5555666677778888"
	rootKeyB     = "LTAI5tMetaRootKeyB0001"
	rootSecretB  = "metaRootSecretB00000000000000001"
	region       = "cn-hangzhou"
	appRole      = "AppRole"
	roleB        = "BRole"

	// Instances of A with AppRole attached: one per client run (each run
	// detaches its own), optional tokens unless setRequired marks them.
	instCGoToken  = "i-metacgotoken0001" // HttpTokens=required
	instCGoV1Off  = "i-metacgov1off0001" // optional
	instSDKV1     = "i-metasdkv100001"   // optional
	instSDKV1Req  = "i-metasdkv1req0001" // HttpTokens=required
	instURI       = "i-metauri00000001"  // optional
	instWire      = "i-metawire0000001"  // optional, for the wire tests
	instWireReq   = "i-metawirereq0001"  // HttpTokens=required
	instNoRole    = "i-metanorole00001"  // no role
	instUntrusted = "i-metauntrusted01"  // UntrustedRole
	instB         = "i-metabinstance01"  // account B, BRole

	trustECS = `'{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":["ecs.aliyuncs.com"]}}],"Version":"1"}'`
	seedYAML = `accounts:
  - id: "` + accountA + `"
    name: meta-a
    access_keys:
      - {id: ` + rootKey + `, secret: ` + rootSecret + `}
    ram:
      policies:
        - name: DescribeInstancesOnly
          document: '{"Version":"1","Statement":[{"Effect":"Allow","Action":"ecs:DescribeInstances","Resource":"*"}]}'
        - name: EcsDescribeOnly
          document: '{"Version":"1","Statement":[{"Effect":"Allow","Action":"ecs:Describe*","Resource":"*"}]}'
      roles:
        - name: ` + appRole + `
          assume_role_policy: ` + trustECS + `
          policies: [DescribeInstancesOnly]
        - name: UntrustedRole
          assume_role_policy: ` + trustECS + `
          policies: [DescribeInstancesOnly]
      users:
        - name: reader
          access_keys:
            - {id: ` + readerKey + `, secret: ` + readerSecret + `}
          policies: [EcsDescribeOnly]
    ecs:
      instances:
        - {id: ` + instCGoToken + `, region: cn-hangzhou, ram_role: ` + appRole + `}
        - {id: ` + instCGoV1Off + `, region: cn-hangzhou, ram_role: ` + appRole + `}
        - {id: ` + instSDKV1 + `, region: cn-hangzhou, ram_role: ` + appRole + `}
        - {id: ` + instSDKV1Req + `, region: cn-hangzhou, ram_role: ` + appRole + `}
        - {id: ` + instURI + `, region: cn-hangzhou, ram_role: ` + appRole + `}
        - {id: ` + instWire + `, region: cn-hangzhou, ram_role: ` + appRole + `}
        - {id: ` + instWireReq + `, region: cn-hangzhou, ram_role: ` + appRole + `}
        - {id: ` + instNoRole + `, region: cn-hangzhou}
        - {id: ` + instUntrusted + `, region: cn-hangzhou, ram_role: UntrustedRole}
  - id: "` + accountB + `"
    name: meta-b
    access_keys:
      - {id: ` + rootKeyB + `, secret: ` + rootSecretB + `}
    ram:
      roles:
        - name: ` + roleB + `
          assume_role_policy: ` + trustECS + `
    ecs:
      instances:
        - {id: ` + instB + `, region: cn-hangzhou, ram_role: ` + roleB + `}
`
)

// The clock of the tests. Sessions last credTTL (the STS minimum). Served
// under issueOffset, one expires 140 s after it was issued by the clients'
// (real) clock: within credentials-go's 180-second refresh rule, so every
// GetCredential fetches again (a refresh), while the server still sees
// 900 s left and keeps them valid. Restarted under expiredOffset the
// server sees every such session expired, and client signatures stay
// within the 15-minute timestamp window.
const (
	credTTL       = "15m"
	issueOffset   = "-760s"
	expiredOffset = "300s"
)

var (
	buildOnce sync.Once
	buildDir  string
	buildBin  string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := pgtest.Main(m)
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// mustBuild builds cmd/localyun once and returns the binary.
func mustBuild(tb testing.TB) string {
	tb.Helper()
	buildOnce.Do(func() {
		if buildDir, buildErr = os.MkdirTemp("", "localyun-metadata-"); buildErr != nil {
			return
		}
		buildBin = filepath.Join(buildDir, "localyun")
		out, err := exec.Command("go", "build", "-o", buildBin, "github.com/localyun/localyun/cmd/localyun").CombinedOutput()
		if err != nil {
			buildErr = errors.New("go build: " + err.Error() + "\n" + string(out))
		}
	})
	if buildErr != nil {
		tb.Fatal(buildErr)
	}
	return buildBin
}

// server is one `localyun serve` on a fixed loopback address and data
// directory, which restart keeps.
type server struct {
	t         testing.TB
	bin, dir  string
	seed      string
	addr      string
	revoke    string // --revocation
	store     string // --store: "" for SQLite in dir, or a postgres:// DSN
	cmd       *exec.Cmd
	done      chan error
	stderr    *syncBuffer // this process's
	log       *syncBuffer // every process's, restarts included: the JSON access log
	extraArgs []string
}

// startServer seeds a fresh data directory and serves it with
// --revocation revoke under the clock offset.
func startServer(t testing.TB, revoke, offset string, extraArgs ...string) *server {
	t.Helper()
	dir := t.TempDir()
	seed := filepath.Join(dir, "seed.yaml")
	if err := os.WriteFile(seed, []byte(seedYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	s := &server{t: t, bin: mustBuild(t), dir: filepath.Join(dir, "data"), seed: seed, addr: freeAddr(t),
		revoke: revoke, extraArgs: extraArgs, store: storeOf(t), log: &syncBuffer{}}
	s.start(offset)
	t.Cleanup(func() { s.stop() })
	t.Cleanup(func() { s.checkTrail(t) }) // runs first: the server is up
	for _, id := range []string{instCGoToken, instSDKV1Req, instWireReq} {
		s.setRequired(id)
	}
	return s
}

func (s *server) start(offset string) {
	s.t.Helper()
	args := append([]string{"serve", "--addr", s.addr, "--tls-addr", "off", "--data-dir", s.dir, "--seed", s.seed,
		"--quiet", "--revocation", s.revoke, "--metadata-credential-ttl", credTTL, "--log-format", "json", "--access-log"},
		s.storeArgs()...)
	args = append(args, s.extraArgs...)
	s.cmd = exec.Command(s.bin, args...)
	s.cmd.Env = append(serverEnv(), "LOCALYUN_TEST_CLOCK_OFFSET="+offset)
	s.stderr = &syncBuffer{}
	s.cmd.Stdout, s.cmd.Stderr = s.stderr, io.MultiWriter(s.stderr, s.log)
	s.done = make(chan error, 1)
	if err := s.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	go func() { s.done <- s.cmd.Wait() }()
	deadline := time.After(60 * time.Second)
	for {
		if res, err := http.Get("http://" + s.addr + "/healthz"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case err := <-s.done:
			s.done <- err
			s.t.Fatalf("localyun serve %v exited: %v\n%s", args, err, s.stderr)
		case <-deadline:
			s.t.Fatalf("localyun serve did not answer /healthz\n%s", s.stderr)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// stop ends the process with SIGTERM (it is killed if it hangs).
func (s *server) stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	select {
	case err := <-s.done:
		s.done <- err
		return
	default:
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
}

// checkTrail checks the audit trail of both accounts against the access
// log of every process of s (internal/trailcheck), unless t failed (the
// first failure says more) or the server is not running.
func (s *server) checkTrail(t testing.TB) {
	select {
	case err := <-s.done:
		s.done <- err
		return
	default:
	}
	if !t.Failed() {
		trailcheck.Check(t, s.addr, s.log.String, []trailcheck.Account{
			{ID: accountA, KeyID: rootKey, Secret: rootSecret}, {ID: accountB, KeyID: rootKeyB, Secret: rootSecretB}})
	}
}

// restart stops the server and serves the same data directory on the same
// address under another clock offset.
func (s *server) restart(offset string) {
	s.t.Helper()
	s.stop()
	s.start(offset)
}

// serverEnv is this process's environment without LOCALYUN_* settings.
func serverEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "LOCALYUN_") {
			env = append(env, kv)
		}
	}
	return env
}

// metadataURL runs `localyun metadata-url id` for the server (with
// --credentials-uri when uri) and returns the one line it prints.
func (s *server) metadataURL(id string, uri bool) string {
	s.t.Helper()
	args := append([]string{"metadata-url", id, "--addr", s.addr, "--data-dir", s.dir}, s.keyArgs()...)
	if uri {
		args = append(args, "--credentials-uri")
	}
	cmd := exec.Command(s.bin, args...)
	cmd.Env = serverEnv()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		s.t.Fatalf("localyun %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	line := strings.TrimSuffix(string(out), "\n")
	if line == "" || strings.Contains(line, "\n") {
		s.t.Fatalf("localyun %s printed %q, want one line", strings.Join(args, " "), out)
	}
	return line
}

// ecs is a v1 SDK ECS client of an AccessKey pointed at the server.
func (s *server) ecs(key, secret string) *sdkecs.Client {
	s.t.Helper()
	return ecsClient(s.t, s.addr, key, secret)
}

func ecsClient(tb testing.TB, addr, key, secret string) *sdkecs.Client {
	tb.Helper()
	c, err := sdkecs.NewClientWithOptions(region, sdk.NewConfig().WithAutoRetry(false), credentials.NewAccessKeyCredential(key, secret))
	if err != nil {
		tb.Fatal(err)
	}
	c.Domain = addr
	return c
}

// setRequired sets HttpTokens=required on instance id of account A.
func (s *server) setRequired(id string) {
	s.t.Helper()
	req := sdkecs.CreateModifyInstanceMetadataOptionsRequest()
	req.RegionId, req.InstanceId, req.HttpTokens = region, id, "required"
	if _, err := s.ecs(rootKey, rootSecret).ModifyInstanceMetadataOptions(req); err != nil {
		s.t.Fatalf("ModifyInstanceMetadataOptions %s: %v", id, err)
	}
}

// child is a client run in a process of its own (TestClientHelper).
type child struct {
	cmd    *exec.Cmd
	stdin  *os.File
	out    *bufio.Scanner
	log    *syncBuffer
	cancel context.CancelFunc
}

// helperEnv is the whole environment of a client process: no
// ALIBABA_CLOUD_* or proxy setting of this process leaks in, HOME is an
// empty directory (no ~/.aliyun or ~/.alibabacloud), the CLI profile is
// off, plus extra.
func helperEnv(tb testing.TB, extra ...string) []string {
	env := []string{"HOME=" + tb.TempDir(), "ALIBABA_CLOUD_CLI_PROFILE_DISABLED=true"}
	for _, name := range []string{"PATH", "TMPDIR", "GOCOVERDIR"} {
		if v, ok := os.LookupEnv(name); ok {
			env = append(env, name+"="+v)
		}
	}
	return append(env, extra...)
}

// startChild runs TestClientHelper as client with env; its stdout is read
// line by line by step, and anything it writes is kept for the log.
func startChild(t *testing.T, client string, env []string) *child {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestClientHelper$", "-test.v", "-test.count=1")
	cmd.Env = append(env, clientEnvVar+"="+client)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, stdin: w, log: &syncBuffer{}, cancel: cancel}
	cmd.Stdin, cmd.Stderr = r, c.log
	c.out = bufio.NewScanner(stdout)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r.Close()
	t.Cleanup(func() {
		cancel()
		w.Close()
	})
	return c
}

// until reads the child's output up to a line "LOCALYUN-STEP name"; false
// when the output ends first.
func (c *child) until(name string) bool {
	for c.out.Scan() {
		line := c.out.Text()
		c.log.Write([]byte(line + "\n"))
		if line == stepPrefix+name {
			return true
		}
	}
	return false
}

// resume lets a child waiting in step go on.
func (c *child) resume() { c.stdin.Write([]byte("go\n")) }

// wait reads the rest of the output and waits for the exit: an error
// unless the helper test passed.
func (c *child) wait() error {
	c.until("\x00never")
	c.stdin.Close()
	err := c.cmd.Wait()
	if err == nil && !strings.Contains(c.log.String(), "--- PASS: TestClientHelper") {
		err = errors.New("the helper did not pass")
	}
	return err
}

const (
	clientEnvVar = "LOCALYUN_METADATA_CLIENT"
	stepPrefix   = "LOCALYUN-STEP "
)

// apiError returns the HTTP status and error code an SDK error carries
// (v1 SDK or Tea), or 0 and "" for any other error.
func apiError(err error) (int, string) {
	var se *sdkerrors.ServerError
	var te *tea.SDKError
	var de *dara.SDKError
	switch {
	case errors.As(err, &se):
		return se.HttpStatus(), se.ErrorCode()
	case errors.As(err, &te):
		return tea.IntValue(te.StatusCode), tea.StringValue(te.Code)
	case errors.As(err, &de):
		return dara.IntValue(de.StatusCode), dara.StringValue(de.Code)
	}
	return 0, ""
}

func freeAddr(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// syncBuffer is a bytes.Buffer safe for exec's copying goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// postgresBackend names the backend of the tests that run on PostgreSQL
// too (see storeOf).
const postgresBackend = "postgres"

// storeOf returns the --store of a server of test t: a fresh PostgreSQL
// database when t runs under a "postgres" subtest (pgtest: skipped without
// PostgreSQL, failed when required), else "" (SQLite in the data dir).
func storeOf(t testing.TB) string {
	for _, part := range strings.Split(t.Name(), "/") {
		if part == postgresBackend {
			return pgtest.NewDatabase(t)
		}
	}
	return ""
}

// storeArgs are serve's flags for s's store: PostgreSQL needs the master
// key file every node shares.
func (s *server) storeArgs() []string {
	if s.store == "" {
		return nil
	}
	return append([]string{"--store", s.store}, s.keyArgs()...)
}

// keyArgs names the master key file explicitly on PostgreSQL (serve
// creates it there; metadata-url reads it).
func (s *server) keyArgs() []string {
	if s.store == "" {
		return nil
	}
	return []string{"--master-key-file", filepath.Join(s.dir, "master.key")}
}
