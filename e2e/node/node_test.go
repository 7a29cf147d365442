// Package node_test drives the Node.js SDK suite in testdata/ (the
// official @alicloud/* packages, installed by `npm ci` from the committed
// lockfile) against a real `localyun serve`: each *.test.mjs file runs under
// `node --test` as a subtest, and a failing Node test fails it with the
// Node output.
//
// When the suite ends, the audit trail of the seeded account is checked
// against the server's access log (internal/trailcheck): every change the
// Node SDKs made and every denial has its event with the caller's
// identity, and nothing else has one.
//
// Without node and npm the test is skipped, unless LOCALYUN_REQUIRE_NODE=1
// (set by .ci/run), which makes their absence a failure. The npm project is
// under testdata/ so that the go tool never looks into node_modules.
package node_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/localyun/localyun/internal/trailcheck"
)

// The seeded account and the objects the Node tests expect (helpers.mjs).
const (
	accountID  = "1234567890123456"
	rootKey    = "LTAI5tNodeRootKey0001"
	rootSecret = "nodeRootSecret00000000000000001"
	// metaInstance's credentials URI is LOCALYUN_METADATA_URI (metadata.test.mjs).
	metaInstance = "i-nodemeta0000000001"
	seedYAML     = `accounts:
  - id: "` + accountID + `"
    name: node
    access_keys:
      - id: ` + rootKey + `
        secret: ` + rootSecret + `
    ram:
      policies:
        - name: NodeDescribeInstances
          document: '{"Version":"1","Statement":[{"Effect":"Allow","Action":"ecs:DescribeInstances","Resource":"*"}]}'
      roles:
        - name: NodeMetadataRole
          assume_role_policy: '{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":["ecs.aliyuncs.com"]}}],"Version":"1"}'
          policies: [NodeDescribeInstances]
        - name: EcsAppRole
          assume_role_policy: '{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":["ecs.aliyuncs.com"]}}],"Version":"1"}'
        - name: EcsOtherRole
          assume_role_policy: '{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":["ecs.aliyuncs.com"]}}],"Version":"1"}'
    ecs:
      instances:
        - {id: i-nodeseed0000000001, region: cn-hangzhou, name: web-1, ram_role: EcsAppRole}
        - {id: i-nodeseed0000000002, region: cn-hangzhou, network_type: classic}
        - {id: ` + metaInstance + `, region: cn-hangzhou, name: meta-1, ram_role: NodeMetadataRole}
    bastionhost:
      instances:
        - id: bastionhost-cn-node0000001
          region: cn-hangzhou
          hosts:
            - {name: web-1, private_address: 10.0.0.1, accounts: [{name: root, password: "S3cret!pass"}, {name: deploy, password: "D3ploy!pass"}]}
            - {name: db-1, private_address: 10.0.0.2, accounts: [{name: root, password: "S3cret!pass"}]}
          users:
            - {name: bob, password: "Bob-passw0rd!"}
          user_groups:
            - {name: ops, members: [bob]}
`
)

func TestNodeSDKs(t *testing.T) {
	requireNode(t)
	project, err := filepath.Abs("testdata")
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(project, "*.test.mjs"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no Node test files in %s (%v)", project, err)
	}
	npmCI(t, project)
	srv := startServer(t)
	t.Cleanup(func() {
		if !t.Failed() { // the first failure says more
			trailcheck.Check(t, srv.addr, srv.log.String, []trailcheck.Account{{ID: accountID, KeyID: rootKey, Secret: rootSecret}})
		}
	})

	env := nodeEnv(srv)
	t.Run("files", func(t *testing.T) {
		for _, f := range files {
			t.Run(filepath.Base(f), func(t *testing.T) {
				t.Parallel()
				runNode(t, project, f, env)
			})
		}
	})
}

// requireNode skips the test when node or npm is missing, or fails it when
// LOCALYUN_REQUIRE_NODE=1.
func requireNode(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("LOCALYUN_REQUIRE_NODE") == "1" {
				t.Fatalf("%s not found and LOCALYUN_REQUIRE_NODE=1: %v", tool, err)
			}
			t.Skipf("%s not found: skipping the Node SDK suite (set LOCALYUN_REQUIRE_NODE=1 to make this a failure)", tool)
		}
	}
	out, err := exec.Command("node", "--version").Output()
	if err != nil {
		t.Fatalf("node --version: %v", err)
	}
	// node:test with --test-reporter needs Node 18.15 or later.
	var major, minor int
	if _, err := fmt.Sscanf(string(out), "v%d.%d", &major, &minor); err != nil || major < 18 || major == 18 && minor < 15 {
		t.Fatalf("node %s: the Node SDK suite needs Node 18.15 or later", strings.TrimSpace(string(out)))
	}
}

// npmCI installs testdata/node_modules with `npm ci` unless it was
// installed from the current package-lock.json (a stamp file holds the
// lockfile's SHA-256).
func npmCI(t *testing.T, project string) {
	t.Helper()
	lock, err := os.ReadFile(filepath.Join(project, "package-lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(lock)
	want := hex.EncodeToString(sum[:])
	stamp := filepath.Join(project, "node_modules", ".localyun-lock-sha256")
	if got, err := os.ReadFile(stamp); err == nil && strings.TrimSpace(string(got)) == want {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	// --ignore-scripts: the only install script (@alicloud/openapi-core's)
	// matters for Node 10 and 12 alone.
	cmd := exec.CommandContext(ctx, "npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund")
	cmd.Dir = project
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm ci in %s: %v\n%s", project, err, out)
	}
	if err := os.WriteFile(stamp, []byte(want+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// server is a running `localyun serve`.
type server struct {
	addr, tlsAddr, caFile string
	metadataURI           string      // `localyun metadata-url --credentials-uri --path-secret` of metaInstance
	log                   *syncBuffer // its stderr: the JSON access log
}

// startServer builds cmd/localyun and starts it with the seed on free
// loopback ports, with its HTTPS listener (and the local CA it creates).
func startServer(t *testing.T) *server {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "localyun")
	build := exec.Command("go", "build", "-o", bin, "github.com/localyun/localyun/cmd/localyun")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	seed := filepath.Join(dir, "seed.yaml")
	if err := os.WriteFile(seed, []byte(seedYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	srv := &server{addr: freeAddr(t), tlsAddr: freeAddr(t), caFile: filepath.Join(data, "ca.pem"), log: &syncBuffer{}}
	if err := serve(t, bin, data, seed, srv); err != nil {
		t.Fatalf("localyun serve: %v\nstderr:\n%s", err, srv.log)
	}
	out, err := exec.Command(bin, "metadata-url", metaInstance, "--credentials-uri", "--path-secret", "--addr", srv.addr, "--data-dir", data).Output()
	if err != nil {
		t.Fatalf("localyun metadata-url: %v", err)
	}
	srv.metadataURI = strings.TrimSpace(string(out))
	return srv
}

// serve starts the binary for srv, its stderr (a JSON log) in srv.log,
// and waits until /healthz answers (and, with TLS, the CA file exists);
// it returns the error of an early exit. The process is killed when the
// test ends.
func serve(t *testing.T, bin, data, seed string, srv *server) error {
	t.Helper()
	args := []string{"serve", "--addr", srv.addr, "--data-dir", data, "--seed", seed, "--quiet",
		"--log-format", "json", "--access-log"}
	if srv.tlsAddr != "" {
		args = append(args, "--tls-addr", srv.tlsAddr)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "LOCALYUN_MEMORY=", "LOCALYUN_STORE=", "LOCALYUN_MASTER_KEY_FILE=", "LOCALYUN_RATE_LIMIT=")
	cmd.Stderr = srv.log
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		select {
		case <-done:
		default:
			cmd.Process.Kill()
			<-done
		}
	})
	deadline := time.After(60 * time.Second)
	for !ready(srv) {
		select {
		case err := <-done:
			done <- err
			if err == nil {
				err = errors.New("exited")
			}
			return err
		case <-deadline:
			return errors.New("not ready after 60s")
		case <-time.After(20 * time.Millisecond):
		}
	}
	return nil
}

func ready(srv *server) bool {
	res, err := http.Get("http://" + srv.addr + "/healthz")
	if err != nil {
		return false
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return false
	}
	if srv.caFile == "" {
		return true
	}
	_, err = os.Stat(srv.caFile)
	return err == nil
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// nodeEnv is the environment of the Node tests: this process's, without
// Alibaba Cloud credentials or proxies that could redirect the SDKs, plus
// the server's endpoints and keys.
func nodeEnv(srv *server) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch up := strings.ToUpper(name); {
		case strings.HasPrefix(up, "ALIBABA_CLOUD_"), strings.HasPrefix(up, "ALICLOUD_"),
			up == "HTTP_PROXY", up == "HTTPS_PROXY", up == "ALL_PROXY", up == "NO_PROXY",
			up == "NODE_OPTIONS", up == "NODE_EXTRA_CA_CERTS", strings.HasPrefix(up, "LOCALYUN_"):
			continue
		}
		env = append(env, kv)
	}
	env = append(env,
		"NO_PROXY=*",
		"LOCALYUN_ENDPOINT="+srv.addr,
		"LOCALYUN_ACCOUNT_ID="+accountID,
		"LOCALYUN_ACCESS_KEY_ID="+rootKey,
		"LOCALYUN_ACCESS_KEY_SECRET="+rootSecret,
		"LOCALYUN_METADATA_URI="+srv.metadataURI,
	)
	env = append(env, "LOCALYUN_TLS_ENDPOINT="+srv.tlsAddr, "NODE_EXTRA_CA_CERTS="+srv.caFile)
	return env
}

// runNode runs one test file under `node --test` and fails with its output
// when a Node test fails.
func runNode(t *testing.T, project, file string, env []string) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "--test", "--test-reporter=spec", file)
	cmd.Dir, cmd.Env = project, env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("node --test %s: %v\n%s", filepath.Base(file), err, out.String())
	}
	t.Logf("node --test %s:\n%s", filepath.Base(file), out.String())
}

// syncBuffer is a bytes.Buffer safe for exec's copying goroutine.
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
