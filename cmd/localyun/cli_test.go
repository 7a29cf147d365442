package main

import (
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	sdkecs "github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/sts"

	"github.com/localyun/localyun"
)

// runBinary runs the built binary with args and returns its exit code and
// output.
func runBinary(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(mustBuild(t), args...)
	cmd.Env = append(os.Environ(), "LOCALYUN_QUIET=", "LOCALYUN_MEMORY=", "LOCALYUN_STORE=", "LOCALYUN_SEED=", "LOCALYUN_DEMO=")
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return code, out.String(), errOut.String()
}

// TestCommandLine: help on every command exits 0 and prints to stdout,
// --version prints the version, and a command line that cannot run exits 2.
func TestCommandLine(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "world.yaml")
	tests := []struct {
		args       []string
		code       int
		stdout     []string
		stderr     []string
		quietOnOut bool // nothing on stdout
	}{
		{args: []string{"serve", "--help"}, stdout: []string{"usage: localyun serve [flags]", "-addr", "-seed", "-demo", "LOCALYUN_ADDR"}},
		{args: []string{"serve", "-h"}, stdout: []string{"usage: localyun serve [flags]", "-data-dir"}},
		{args: []string{"serve", "--memory", "-help"}, stdout: []string{"usage: localyun serve [flags]"}},
		{args: []string{"migrate", "--help"}, stdout: []string{"usage: localyun migrate", "-from", "-to"}},
		{args: []string{"migrate", "-h"}, stdout: []string{"usage: localyun migrate"}},
		{args: []string{"help"}, stdout: []string{"localyun serve", "localyun migrate", "Exit status"}},
		{args: []string{"--help"}, stdout: []string{"localyun serve"}},
		{args: []string{"-h"}, stdout: []string{"localyun serve"}},
		{args: []string{"version"}, stdout: []string{"localyun " + localyun.Version + "\n"}},
		{args: []string{"--version"}, stdout: []string{"localyun " + localyun.Version + "\n"}},
		{args: []string{"-version"}, stdout: []string{"localyun " + localyun.Version + "\n"}},
		{args: nil, code: 2, stderr: []string{"usage:", "localyun serve"}, quietOnOut: true},
		{args: []string{"bogus"}, code: 2, stderr: []string{`unknown command "bogus"`, "usage:"}, quietOnOut: true},
		{args: []string{"-v"}, code: 2, stderr: []string{`unknown command "-v"`}, quietOnOut: true},
		{args: []string{"serve", "--nope"}, code: 2, stderr: []string{"serve: flag provided but not defined: -nope", "localyun serve --help"}, quietOnOut: true},
		{args: []string{"serve", "extra"}, code: 2, stderr: []string{`unexpected argument "extra"`}, quietOnOut: true},
		{args: []string{"migrate", "--nope"}, code: 2, stderr: []string{"migrate: flag provided but not defined: -nope"}, quietOnOut: true},
		{args: []string{"serve", "--memory", "--addr", "127.0.0.1:0", "--seed", missing}, code: 1,
			stderr: []string{"seed file " + missing + " does not exist", "README"}, quietOnOut: true},
	}
	for _, tt := range tests {
		code, stdout, stderr := runBinary(t, tt.args...)
		if code != tt.code {
			t.Errorf("localyun %q: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", tt.args, code, tt.code, stdout, stderr)
			continue
		}
		for _, w := range tt.stdout {
			if !strings.Contains(stdout, w) {
				t.Errorf("localyun %q: stdout lacks %q:\n%s\nstderr:\n%s", tt.args, w, stdout, stderr)
			}
		}
		for _, w := range tt.stderr {
			if !strings.Contains(stderr, w) {
				t.Errorf("localyun %q: stderr lacks %q:\n%s", tt.args, w, stderr)
			}
		}
		if tt.code == 0 && stderr != "" {
			t.Errorf("localyun %q: stderr %q, want nothing", tt.args, stderr)
		}
		if tt.quietOnOut && stdout != "" {
			t.Errorf("localyun %q: stdout %q, want nothing", tt.args, stdout)
		}
	}
}

// TestServeAfterFailedFirstStart: a first start that cannot listen, then
// a start that can, then a restart: each start that serves tells the user
// where the generated credentials are, and no restart reprints the secret.
func TestServeAfterFailedFirstStart(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runBinary(t, "serve", "--addr", busy.Addr().String(), "--data-dir", dir)
	busy.Close()
	if code == 0 {
		t.Fatal("serve on a busy port exited 0")
	}
	if !strings.Contains(stderr, "address already in use") {
		t.Errorf("busy port: stderr %q", stderr)
	}

	path := filepath.Join(dir, "credentials")
	for start := range 2 {
		p := mustServe(t, dir, "")
		waitFor(p.stdout, "ready in")
		if err := p.stop(t, syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		out := p.stdout.String()
		creds := readCredentials(t, path)
		if !strings.Contains(out, path) || !strings.Contains(out, creds["access_key_id"]) || !strings.Contains(out, creds["account_id"]) {
			t.Fatalf("start %d: the banner neither shows the generated key nor points at %s:\n%s", start+2, path, out)
		}
		if start == 1 && strings.Contains(out, creds["access_key_secret"]) {
			t.Fatalf("a restart printed the secret again:\n%s", out)
		}
		// The key the banner points at works.
		p = mustServe(t, dir, "")
		if _, err := p.ecs(t, creds["access_key_id"], creds["access_key_secret"]).DescribeRegions(sdkecs.CreateDescribeRegionsRequest()); err != nil {
			t.Fatal(err)
		}
		p.stop(t, syscall.SIGTERM)
	}
}

// TestServeNoCredentialsHintWithOtherAccounts: once the store holds other
// accounts than the generated one, the banner does not point at its file.
func TestServeNoCredentialsHintWithOtherAccounts(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	p := mustServe(t, dir, "")
	p.stop(t, syscall.SIGTERM)
	p = mustServe(t, dir, mustWriteSeed(t))
	waitFor(p.stdout, "ready in")
	p.stop(t, syscall.SIGTERM)
	if out := p.stdout.String(); strings.Contains(out, "credentials:") {
		t.Fatalf("banner points at the credentials with two accounts:\n%s", out)
	}
}

func readCredentials(t *testing.T, path string) map[string]string {
	t.Helper()
	buf, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	creds := map[string]string{}
	for line := range strings.Lines(string(buf)) {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), " = "); ok {
			creds[k] = v
		}
	}
	if creds["access_key_id"] == "" || creds["access_key_secret"] == "" || creds["account_id"] == "" {
		t.Fatalf("credentials file %q", buf)
	}
	return creds
}

// TestServeDemo: --demo (here LOCALYUN_DEMO) creates the demo world, its
// documented keys work, and a restart creates nothing again.
func TestServeDemo(t *testing.T) {
	t.Setenv("LOCALYUN_DEMO", "true")
	dir := t.TempDir()
	p := mustServe(t, dir, "")
	c := p.ecs(t, demoKeyID, demoKeySecret)
	req := sdkecs.CreateDescribeInstancesRequest()
	req.RegionId = "cn-hangzhou"
	res, err := c.DescribeInstances(req)
	if err != nil {
		t.Fatal(err)
	}
	if res.TotalCount != 4 {
		t.Fatalf("demo instances %+v", res.Instances)
	}
	// CiDeployRole can be assumed by alice, the demo's RAM user.
	sc, err := sts.NewClientWithOptions("cn-hangzhou", sdk.NewConfig(),
		credentials.NewAccessKeyCredential("LTAI5tDemoAliceKey001", "demoAliceSecret000000000000001"))
	if err != nil {
		t.Fatal(err)
	}
	sc.Domain = p.addr
	ar := sts.CreateAssumeRoleRequest()
	ar.RoleArn, ar.RoleSessionName = "acs:ram::"+demoAccountID+":role/CiDeployRole", "ci"
	if got, err := sc.AssumeRole(ar); err != nil || got.Credentials.SecurityToken == "" {
		t.Fatalf("AssumeRole CiDeployRole as alice: %+v, %v", got, err)
	}
	waitFor(p.stdout, "ready in")
	p.stop(t, syscall.SIGTERM)
	if out := p.stdout.String(); !strings.Contains(out, "demo world: 1 accounts") || !strings.Contains(out, demoKeySecret) {
		t.Fatalf("first demo banner:\n%s", out)
	}
	p = mustServe(t, dir, "")
	waitFor(p.stdout, "ready in")
	p.stop(t, syscall.SIGTERM)
	if out := p.stdout.String(); !strings.Contains(out, "demo world: 0 accounts, 0 access keys, 0 roles, 0 instances, 0 bastion instances, 0 bastion objects") {
		t.Fatalf("restart with --demo re-created the world:\n%s", out)
	}
	// Without --demo the demo key is not created on a fresh store.
	t.Setenv("LOCALYUN_DEMO", "")
	p = mustServe(t, t.TempDir(), "")
	req = sdkecs.CreateDescribeInstancesRequest()
	req.RegionId = "cn-hangzhou"
	if _, err := p.ecs(t, demoKeyID, demoKeySecret).DescribeInstances(req); err == nil || !strings.Contains(err.Error(), "InvalidAccessKeyId") {
		t.Fatalf("demo key without --demo: %v", err)
	}
	p.stop(t, syscall.SIGTERM)
}
