package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
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

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	sdkecs "github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
)

// The binary under test, built once by mustBuild.
var (
	buildOnce sync.Once
	buildDir  string
	buildBin  string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// mustBuild builds cmd/localyun with `go build` and returns the binary.
func mustBuild(tb testing.TB) string {
	tb.Helper()
	buildOnce.Do(func() {
		if buildDir, buildErr = os.MkdirTemp("", "localyun-bin-"); buildErr != nil {
			return
		}
		buildBin = filepath.Join(buildDir, "localyun")
		out, err := exec.Command("go", "build", "-o", buildBin, ".").CombinedOutput()
		if err != nil {
			buildErr = errors.New("go build: " + err.Error() + "\n" + string(out))
		}
	})
	if buildErr != nil {
		tb.Fatal(buildErr)
	}
	return buildBin
}

// syncBuffer is a bytes.Buffer safe for the writer goroutine of exec.
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

// proc is one running `localyun serve`.
type proc struct {
	cmd    *exec.Cmd
	addr   string
	stdout *syncBuffer
	stderr *syncBuffer
	done   chan error
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

// mustServe starts `localyun serve --addr <free port> --data-dir dir [--seed seed]`
// (HTTPS on a port of its own) and waits until /healthz answers.
func mustServe(tb testing.TB, dir, seed string) *proc {
	tb.Helper()
	return mustServeEnv(tb, dir, seed)
}

// mustServeEnv is mustServe with the environment variables env.
func mustServeEnv(tb testing.TB, dir, seed string, env ...string) *proc {
	tb.Helper()
	bin := mustBuild(tb)
	p := &proc{addr: freeAddr(tb), stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan error, 1)}
	args := []string{"serve", "--addr", p.addr, "--tls-addr", "127.0.0.1:0", "--data-dir", dir}
	if seed != "" {
		args = append(args, "--seed", seed)
	}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Env = append(append(os.Environ(), "LOCALYUN_QUIET=", "LOCALYUN_MEMORY=", "LOCALYUN_STORE="), env...)
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	if err := p.cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	tb.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+p.addr+"/healthz", nil)
		if res, err := http.DefaultClient.Do(req); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return p
			}
		}
		select {
		case err := <-p.done:
			p.done <- err
			tb.Fatalf("localyun exited before serving: %v\nstdout:\n%s\nstderr:\n%s", err, p.stdout, p.stderr)
		case <-ctx.Done():
			tb.Fatalf("localyun did not answer /healthz\nstdout:\n%s\nstderr:\n%s", p.stdout, p.stderr)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// stop sends sig and returns the exit error of the process.
func (p *proc) stop(tb testing.TB, sig os.Signal) error {
	tb.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		tb.Fatal(err)
	}
	return <-p.done
}

func (p *proc) ecs(tb testing.TB, key, secret string) *sdkecs.Client {
	tb.Helper()
	c, err := sdkecs.NewClientWithOptions("cn-hangzhou", sdk.NewConfig(), credentials.NewAccessKeyCredential(key, secret))
	if err != nil {
		tb.Fatal(err)
	}
	c.Domain = p.addr
	return c
}

const (
	seedKey    = "LTAI5tSeedKey0001"
	seedSecret = "seedsecret0000000000000001"
)

func mustWriteSeed(tb testing.TB) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "seed.yaml")
	if err := os.WriteFile(path, []byte(testSeed), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

// roleOf returns the instance RAM role of i-instance1, read with the SDK.
func roleOf(tb testing.TB, c *sdkecs.Client) string {
	tb.Helper()
	req := sdkecs.CreateDescribeInstanceRamRoleRequest()
	req.RegionId, req.InstanceIds = "cn-hangzhou", `["i-instance1"]`
	res, err := c.DescribeInstanceRamRole(req)
	if err != nil {
		tb.Fatal(err)
	}
	sets := res.InstanceRamRoleSets.InstanceRamRoleSet
	if res.TotalCount != 1 || len(sets) != 1 || sets[0].InstanceId != "i-instance1" {
		tb.Fatalf("describe %+v", res)
	}
	return sets[0].RamRoleName
}

func TestServeSurvivesSIGKILL(t *testing.T) {
	dir, seed := t.TempDir(), mustWriteSeed(t)
	p := mustServe(t, dir, seed)
	c := p.ecs(t, seedKey, seedSecret)
	if got := roleOf(t, c); got != "RamRoleTest" {
		t.Fatalf("seeded role %q", got)
	}
	req := sdkecs.CreateDetachInstanceRamRoleRequest()
	req.RegionId, req.InstanceIds, req.RamRoleName = "cn-hangzhou", `["i-instance1"]`, "RamRoleTest"
	res, err := c.DetachInstanceRamRole(req)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.stop(t, syscall.SIGKILL); err == nil {
		t.Fatal("SIGKILL: exit status 0")
	}
	if r := res.DetachInstanceRamRoleResults.DetachInstanceRamRoleResult; res.FailCount != 0 || len(r) != 1 || !r[0].Success {
		t.Fatalf("detach %+v", res)
	}

	p = mustServe(t, dir, seed)
	if got := roleOf(t, p.ecs(t, seedKey, seedSecret)); got != "" {
		t.Fatalf("after SIGKILL and restart the instance has role %q, want the detach kept", got)
	}
	if !waitFor(p.stdout, "0 accounts, 0 access keys, 0 roles, 0 instances") {
		t.Errorf("restart re-created seed entities:\n%s", p.stdout)
	}
	if err := p.stop(t, syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM: %v\n%s", err, p.stderr)
	}
}

func TestServeGracefulSIGTERM(t *testing.T) {
	dir, seed := t.TempDir(), mustWriteSeed(t)
	p := mustServe(t, dir, seed)
	c := p.ecs(t, seedKey, seedSecret)
	req := sdkecs.CreateDetachInstanceRamRoleRequest()
	req.RegionId, req.InstanceIds = "cn-hangzhou", `["i-instance1"]`
	if _, err := c.DetachInstanceRamRole(req); err != nil {
		t.Fatal(err)
	}
	run := sdkecs.CreateRunInstancesRequest()
	run.RegionId, run.ImageId, run.InstanceType, run.InstanceName = "cn-hangzhou", "img", "ecs.g7.large", "kept"
	rr, err := c.RunInstances(run)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.stop(t, syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM: exit %v, want 0\nstderr:\n%s", err, p.stderr)
	}

	p = mustServe(t, dir, seed)
	c = p.ecs(t, seedKey, seedSecret)
	if got := roleOf(t, c); got != "" {
		t.Fatalf("role %q after a graceful restart", got)
	}
	d := sdkecs.CreateDescribeInstancesRequest()
	d.RegionId, d.InstanceName = "cn-hangzhou", "kept"
	dr, err := c.DescribeInstances(d)
	if err != nil {
		t.Fatal(err)
	}
	if dr.TotalCount != 1 || dr.Instances.Instance[0].InstanceId != rr.InstanceIdSets.InstanceIdSet[0] {
		t.Fatalf("instance lost: %+v", dr.Instances)
	}
	if err := p.stop(t, os.Interrupt); err != nil {
		t.Fatalf("SIGINT: %v", err)
	}
}

func TestServeFreshDataDirCreatesAccount(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	p := mustServe(t, dir, "")
	if err := p.stop(t, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	out := p.stdout.String()

	path := filepath.Join(dir, "credentials")
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("credentials mode %v, want 0600", fi.Mode().Perm())
	}
	creds := map[string]string{}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), " = ")
		if !ok {
			t.Fatalf("credentials line %q", sc.Text())
		}
		creds[k] = v
	}
	f.Close()
	id, secret, account := creds["access_key_id"], creds["access_key_secret"], creds["account_id"]
	if id == "" || secret == "" || len(account) != 16 {
		t.Fatalf("credentials %v", creds)
	}
	if strings.Count(out, secret) != 1 || strings.Count(out, id) != 1 || !strings.Contains(out, "created account "+account) {
		t.Fatalf("the key is not printed exactly once:\n%s", out)
	}

	// The key works for a signed call, and a restart neither prints a key
	// nor creates another account.
	p = mustServe(t, dir, "")
	c := p.ecs(t, id, secret)
	res, err := c.DescribeRegions(sdkecs.CreateDescribeRegionsRequest())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Regions.Region) == 0 {
		t.Fatalf("regions %+v", res)
	}
	if err := p.stop(t, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if out := p.stdout.String(); strings.Contains(out, secret) || strings.Contains(out, "created account") {
		t.Fatalf("restart printed a key again:\n%s", out)
	}
	if after, err := os.ReadFile(path); err != nil || !strings.Contains(string(after), secret) {
		t.Fatalf("credentials rewritten: %s, %v", after, err)
	}
}

// waitFor reports whether b comes to contain s before the process output
// settles (the banner is printed just after the listener opens).
func waitFor(b *syncBuffer, s string) bool {
	for range 500 {
		if strings.Contains(b.String(), s) {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return false
}
