package e2e_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/localyun/localyun/internal/pgtest"
)

// TestExportImportRoundTrip: the state of a `localyun serve --demo` store
// that served API calls and metadata credentials goes SQLite → file →
// PostgreSQL → file → a new SQLite store → file, with the unmodified
// binary; the three files are identical, a server on the last store
// answers the demo's keys with the state, an import into a store that is
// not empty is refused without --replace, and one under another master key
// is refused.
func TestExportImportRoundTrip(t *testing.T) {
	processLevel(t)
	bin := localyunBinary(t)
	dsn := pgtest.NewDatabase(t)
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "src"), filepath.Join(dir, "dst")
	key := filepath.Join(src, "master.key")
	localyun := func(wantOK bool, args ...string) string {
		t.Helper()
		out, err := exec.Command(bin, args...).CombinedOutput()
		if (err == nil) != wantOK {
			t.Fatalf("localyun %s: %v (want ok %v)\n%s", strings.Join(args, " "), err, wantOK, out)
		}
		return string(out)
	}

	// State: the demo world, a role created and an instance's credentials
	// issued (a session row, sealed secrets).
	n := startDemo(t, bin, src)
	e := &env{t: t, Host: n.Addr}
	root := e.v1Client("LTAI5tDemoRootKey0001", "demoRootSecret0000000000000001")
	trust := `{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":["ecs.aliyuncs.com"]}}],"Version":"1"}`
	if _, err := e.common(root, "Ram", ramVersion, "CreateRole", "JSON", P{"RoleName": "ExportRole", "AssumeRolePolicyDocument": trust}); err != nil {
		t.Fatal(err)
	}
	uri := strings.TrimSpace(localyun(true, "metadata-url", "i-bp1demo000000000001", "--addr", n.Addr, "--data-dir", src, "--credentials-uri", "--path-secret"))
	if resp, err := http.Get(uri); err != nil || resp.StatusCode != 200 {
		t.Fatalf("instance credentials: %v %v", resp, err)
	}
	n.stop(t)

	f1, f2, f3 := filepath.Join(dir, "1.jsonl"), filepath.Join(dir, "2.jsonl"), filepath.Join(dir, "3.jsonl")
	localyun(true, "export", "--out", f1, "--data-dir", src)
	localyun(true, "import", "--in", f1, "--store", dsn, "--master-key-file", key)
	localyun(true, "export", "--out", f2, "--store", dsn, "--master-key-file", key)
	localyun(true, "import", "--in", f2, "--data-dir", dst, "--master-key-file", key)
	localyun(true, "export", "--out", f3, "--data-dir", dst, "--master-key-file", key)
	b1, b2, b3 := readFile(t, f1), readFile(t, f2), readFile(t, f3)
	if !bytes.Equal(b1, b2) || !bytes.Equal(b1, b3) {
		t.Fatalf("the exports differ: %d, %d, %d bytes\n%s", len(b1), len(b2), len(b3), firstDiff(b1, b2, b3))
	}
	for _, table := range []string{`"table":"instances"`, `"table":"roles"`, `"table":"bastion_users"`, `"table":"instance_sessions"`} {
		if !bytes.Contains(b1, []byte(table)) {
			t.Errorf("the export has no %s", table)
		}
	}
	if bytes.Contains(b1, []byte("demoRootSecret0000000000000001")) {
		t.Error("the export holds a secret unsealed")
	}

	// Refusals: a store that is not empty; another master key.
	if out := localyun(false, "import", "--in", f1, "--data-dir", dst, "--master-key-file", key); !strings.Contains(out, "--replace") {
		t.Errorf("import into a non-empty store: %s", out)
	}
	localyun(true, "import", "--in", f1, "--data-dir", dst, "--master-key-file", key, "--replace")
	other := filepath.Join(dir, "other")
	os.MkdirAll(other, 0o700)
	os.WriteFile(filepath.Join(other, "master.key"), bytes.Repeat([]byte{1}, 32), 0o600)
	if out := localyun(false, "import", "--in", f1, "--data-dir", other); !strings.Contains(out, "master key") {
		t.Errorf("import under another key: %s", out)
	}

	// The imported store serves the state, its secrets opened by the key.
	copyFile(t, key, filepath.Join(dst, "master.key"))
	m := startDemo(t, bin, dst)
	e = &env{t: t, Host: m.Addr}
	root = e.v1Client("LTAI5tDemoRootKey0001", "demoRootSecret0000000000000001")
	res, err := e.common(root, "Ram", ramVersion, "GetRole", "JSON", P{"RoleName": "ExportRole"})
	if err != nil || !strings.Contains(res.GetHttpContentString(), "ExportRole") {
		t.Fatalf("GetRole on the imported store: %v", err)
	}
	m.stop(t)

	// localyun reset: the role is gone, the root key still signs.
	if out := localyun(true, "reset", "--account", demoAccount(t, b1), "--data-dir", dst); !strings.Contains(out, "deleted") {
		t.Fatalf("reset: %s", out)
	}
	m = startDemo(t, bin, dst, "--demo=false")
	e = &env{t: t, Host: m.Addr}
	root = e.v1Client("LTAI5tDemoRootKey0001", "demoRootSecret0000000000000001")
	if _, err := e.common(root, "Ram", ramVersion, "GetRole", "JSON", P{"RoleName": "ExportRole"}); err == nil {
		t.Fatal("GetRole after reset: the role is still there")
	} else {
		serverError(t, err, "EntityNotExist.Role", 404)
	}
	res, err = e.common(root, "Ecs", ecsVersion, "DescribeInstances", "JSON", P{"RegionId": region})
	if err != nil || !strings.Contains(res.GetHttpContentString(), `"TotalCount":0`) {
		t.Fatalf("DescribeInstances after reset: %v %s", err, res.GetHttpContentString())
	}
}

// demoAccount is the demo account's id, from an export.
func demoAccount(t *testing.T, export []byte) string {
	t.Helper()
	_, rest, ok := bytes.Cut(export, []byte(`{"table":"accounts","columns":["created_at","id","name"]}`+"\n"))
	if !ok {
		t.Fatal("no accounts table in the export")
	}
	var row []any
	if err := json.Unmarshal(rest[:bytes.IndexByte(rest, '\n')], &row); err != nil {
		t.Fatal(err)
	}
	return row[1].(string)
}

// startDemo starts `localyun serve --demo` on a data directory.
func startDemo(t *testing.T, bin, dataDir string, extra ...string) *demoProc {
	t.Helper()
	addr := freeAddr(t)
	cmd := exec.Command(bin, append([]string{"serve", "--demo", "--data-dir", dataDir, "--addr", addr, "--tls-addr", "off", "--quiet", "--access-log=false"}, extra...)...)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &demoProc{Addr: addr, cmd: cmd}
	t.Cleanup(func() { p.stop(t) })
	waitReady(t, addr)
	return p
}

type demoProc struct {
	Addr string
	cmd  *exec.Cmd
	done bool
}

func (p *demoProc) stop(t *testing.T) {
	if p.done {
		return
	}
	p.done = true
	p.cmd.Process.Signal(os.Interrupt)
	p.cmd.Wait()
}

func waitReady(t *testing.T, addr string) {
	t.Helper()
	for i := 0; i < 600; i++ {
		if resp, err := http.Get("http://" + addr + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s not ready", addr)
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	if err := os.WriteFile(to, readFile(t, from), 0o600); err != nil {
		t.Fatal(err)
	}
}

// firstDiff shows the first line where the files differ.
func firstDiff(files ...[]byte) string {
	a := strings.Split(string(files[0]), "\n")
	for _, f := range files[1:] {
		b := strings.Split(string(f), "\n")
		for i := range min(len(a), len(b)) {
			if a[i] != b[i] {
				return "line " + a[i] + "\n  vs " + b[i]
			}
		}
	}
	return ""
}
