package e2e_test

// Several localyun processes on one PostgreSQL database (issue #5): the
// nonce window is shared, concurrent batches stay whole, and a database
// restart under load loses no acknowledged write.

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math/rand"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/localyun/localyun/internal/pgtest"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// localyunBinary builds cmd/localyun once per test process.
func localyunBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "localyun-bin-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "localyun")
		_, file, _, _ := runtime.Caller(0)
		out, err := exec.Command("go", "build", "-o", binPath, filepath.Join(filepath.Dir(file), "..", "cmd", "localyun")).CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v: %s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// node is one localyun process.
type node struct {
	Addr string
	cmd  *exec.Cmd
	log  *strings.Builder
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startNode starts `localyun serve` on store with the seed file and waits
// until it is ready. Every node of a test shares the seed's directory's
// master key, as nodes of one database must.
func startNode(t *testing.T, store, seed string, extra ...string) *node {
	t.Helper()
	n := &node{Addr: freeAddr(t), log: &strings.Builder{}}
	key := filepath.Join(filepath.Dir(seed), "master.key")
	args := append([]string{"serve", "--addr", n.Addr, "--store", store, "--seed", seed,
		"--master-key-file", key, "--tls-addr", "off", "--quiet"}, extra...)
	n.cmd = exec.Command(localyunBinary(t), args...)
	n.cmd.Dir = t.TempDir()
	stderr, _ := n.cmd.StderrPipe()
	n.cmd.Stdout = io.Discard
	if err := n.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			mu.Lock()
			n.log.WriteString(sc.Text() + "\n")
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		n.cmd.Process.Signal(syscall.SIGTERM)
		n.cmd.Wait()
		if t.Failed() {
			mu.Lock()
			t.Logf("node %s log:\n%s", n.Addr, n.log.String())
			mu.Unlock()
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + n.Addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return n
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("node %s not ready: %v", n.Addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

const multiSeed = `accounts:
  - id: "1234567890123456"
    name: dev
    access_keys:
      - id: LTAI5tMultiNodeKey000001
        secret: multiNodeSecret00000000000000001
    ram:
      roles:
        - name: RoleOne
          assume_role_policy: '{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":["ecs.aliyuncs.com"]}}],"Version":"1"}'
        - name: RoleTwo
          assume_role_policy: '{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":["ecs.aliyuncs.com"]}}],"Version":"1"}'
    ecs:
      instances:
%s    bastionhost:
      instances:
        - id: bastionhost-cn-multinode
          region: cn-hangzhou
          hosts:
            - {name: h1, private_address: 10.0.0.1, accounts: [{name: root}, {name: admin}, {name: app}]}
            - {name: h2, private_address: 10.0.0.2, accounts: [{name: root}, {name: admin}, {name: app}]}
            - {name: h3, private_address: 10.0.0.3, accounts: [{name: root}, {name: admin}, {name: app}]}
          user_groups:
            - {name: ops}
`

const (
	multiKey    = "LTAI5tMultiNodeKey000001"
	multiSecret = "multiNodeSecret00000000000000001"
	multiN      = 12
)

func writeMultiSeed(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	for i := 0; i < multiN; i++ {
		fmt.Fprintf(&b, "        - {id: i-multi%02d, region: cn-hangzhou}\n", i)
	}
	path := filepath.Join(t.TempDir(), "seed.yaml")
	if err := os.WriteFile(path, []byte(fmt.Sprintf(multiSeed, b.String())), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// signedV1 returns a V1-signed POST URL for params on addr, signed with
// the seeded multi-node key.
func signedV1(addr string, params map[string]string) string {
	return signedV1For(addr, multiKey, multiSecret, params)
}

// httpClient bounds every request, so a hung node fails the test instead
// of hanging it.
var httpClient = &http.Client{Timeout: 20 * time.Second}

func post(t *testing.T, u string) (int, map[string]any) {
	t.Helper()
	resp, err := httpClient.Post(u, "application/x-www-form-urlencoded", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body
}

func TestMultiNodeNonceShared(t *testing.T) {
	processLevel(t)
	dsn := pgtest.NewDatabase(t)
	seed := writeMultiSeed(t)
	a, b := startNode(t, dsn, seed), startNode(t, dsn, seed)
	u := signedV1(a.Addr, map[string]string{"Action": "DescribeRegions", "Version": "2014-05-26"})
	if code, body := post(t, u); code != 200 {
		t.Fatalf("node A: %d %v", code, body)
	}
	replay := strings.Replace(u, a.Addr, b.Addr, 1)
	code, body := post(t, replay)
	if code != 400 || body["Code"] != "SignatureNonceUsed" {
		t.Fatalf("replay on node B: %d %v, want 400 SignatureNonceUsed", code, body)
	}
	if code, body := post(t, u); code != 400 || body["Code"] != "SignatureNonceUsed" {
		t.Fatalf("replay on node A: %d %v", code, body)
	}
}

// outcome tallies the acknowledged per-instance results of one instance.
type outcome struct{ attached, detached int }

// roleOps drives random Attach/Detach batches over overlapping instances
// against the nodes and tallies the acknowledged per-item results. Some
// batches name an unknown instance and must change nothing.
func roleOps(t *testing.T, nodes []*node, workers, perWorker int, tally map[string]*outcome, mu *sync.Mutex, allow5xx bool) (ok, failed int) {
	t.Helper()
	var wg sync.WaitGroup
	var cmu sync.Mutex
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			rng := rand.New(rand.NewSource(int64(w)))
			for i := 0; i < perWorker; i++ {
				n := nodes[(w+i)%len(nodes)]
				k := 1 + rng.Intn(5)
				ids := map[string]bool{}
				for len(ids) < k {
					ids[fmt.Sprintf("i-multi%02d", rng.Intn(multiN))] = true
				}
				var list []string
				for id := range ids {
					list = append(list, id)
				}
				poison := rng.Intn(10) == 0
				if poison {
					list = append(list, "i-doesnotexist")
				}
				idsJSON, _ := json.Marshal(list)
				params := map[string]string{"Version": "2014-05-26", "RegionId": "cn-hangzhou", "InstanceIds": string(idsJSON)}
				attach := rng.Intn(2) == 0
				results := "DetachInstanceRamRoleResults"
				item := "DetachInstanceRamRoleResult"
				params["Action"] = "DetachInstanceRamRole"
				if attach {
					params["Action"], results, item = "AttachInstanceRamRole", "AttachInstanceRamRoleResults", "AttachInstanceRamRoleResult"
					params["RamRoleName"] = []string{"RoleOne", "RoleTwo"}[rng.Intn(2)]
				}
				resp, err := httpClient.Post(signedV1(n.Addr, params), "application/x-www-form-urlencoded", nil)
				if err != nil {
					if allow5xx {
						cmu.Lock()
						failed++
						cmu.Unlock()
						continue
					}
					t.Errorf("transport: %v", err)
					return
				}
				var body map[string]any
				json.NewDecoder(resp.Body).Decode(&body)
				resp.Body.Close()
				switch {
				case resp.StatusCode == 200 && !poison:
					mu.Lock()
					for _, it := range body[results].(map[string]any)[item].([]any) {
						r := it.(map[string]any)
						if r["Success"] == true {
							o := tally[r["InstanceId"].(string)]
							if attach {
								o.attached++
							} else {
								o.detached++
							}
						}
					}
					mu.Unlock()
					cmu.Lock()
					ok++
					cmu.Unlock()
				case poison && resp.StatusCode == 404 && body["Code"] == "InvalidInstanceId.NotFound":
				case allow5xx && resp.StatusCode >= 500:
					if body["Code"] != "ServiceUnavailable" && body["Code"] != "InternalError" {
						t.Errorf("5xx without a clean code: %d %v", resp.StatusCode, body)
					}
					cmu.Lock()
					failed++
					cmu.Unlock()
				default:
					t.Errorf("%s via %s: %d %v", params["Action"], n.Addr, resp.StatusCode, body)
				}
			}
		}(w)
	}
	wg.Wait()
	return ok, failed
}

// checkTally verifies every instance's acknowledged history against its
// final state: attaches and detaches alternate, so their difference is 0
// or 1 and says whether the instance ends with a role.
func checkTally(t *testing.T, addr string, tally map[string]*outcome) {
	t.Helper()
	var ids []string
	for id := range tally {
		ids = append(ids, id)
	}
	idsJSON, _ := json.Marshal(ids)
	code, body := post(t, signedV1(addr, map[string]string{"Action": "DescribeInstanceRamRole", "Version": "2014-05-26",
		"RegionId": "cn-hangzhou", "InstanceIds": string(idsJSON), "PageSize": "50"}))
	if code != 200 {
		t.Fatalf("describe: %d %v", code, body)
	}
	roles := map[string]string{}
	for _, it := range body["InstanceRamRoleSets"].(map[string]any)["InstanceRamRoleSet"].([]any) {
		r := it.(map[string]any)
		roles[r["InstanceId"].(string)] = r["RamRoleName"].(string)
	}
	for id, o := range tally {
		diff := o.attached - o.detached
		has := roles[id] != ""
		if diff < 0 || diff > 1 || has != (diff == 1) {
			t.Errorf("%s: %d acknowledged attaches, %d detaches, final role %q: not a serial history", id, o.attached, o.detached, roles[id])
		}
	}
}

func newTally() map[string]*outcome {
	tally := map[string]*outcome{}
	for i := 0; i < multiN; i++ {
		tally[fmt.Sprintf("i-multi%02d", i)] = &outcome{}
	}
	return tally
}

func TestMultiNodeConcurrentRoleBatches(t *testing.T) {
	processLevel(t)
	dsn := pgtest.NewDatabase(t)
	seed := writeMultiSeed(t)
	nodes := []*node{startNode(t, dsn, seed), startNode(t, dsn, seed)}
	tally, mu := newTally(), &sync.Mutex{}
	ok, _ := roleOps(t, nodes, 16, 25, tally, mu, false)
	if ok < 200 {
		t.Fatalf("only %d successful batches", ok)
	}
	checkTally(t, nodes[1].Addr, tally)
	t.Logf("%d acknowledged batches over 2 nodes", ok)
}

func TestMultiNodeDatabaseRestart(t *testing.T) {
	processLevel(t)
	pgtest.Server(t) // skips (or fails in CI) without PostgreSQL
	cluster, err := pgtest.StartCluster()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cluster.Stop)
	dsn := cluster.DSN("postgres")
	seed := writeMultiSeed(t)
	nodes := []*node{startNode(t, dsn, seed), startNode(t, dsn, seed)}
	tally, mu := newTally(), &sync.Mutex{}
	done := make(chan struct{})
	var ok, failed int
	go func() {
		defer close(done)
		ok, failed = roleOps(t, nodes, 8, 150, tally, mu, true)
	}()
	time.Sleep(300 * time.Millisecond)
	if err := cluster.Restart(); err != nil {
		t.Fatal(err)
	}
	<-done
	// The service recovers without restarting localyun.
	deadline := time.Now().Add(20 * time.Second)
	for {
		code, _ := post(t, signedV1(nodes[0].Addr, map[string]string{"Action": "DescribeInstanceRamRole", "Version": "2014-05-26",
			"RegionId": "cn-hangzhou", "RamRoleName": "RoleOne"}))
		if code == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not recovered: %d", code)
		}
		time.Sleep(100 * time.Millisecond)
	}
	checkTally(t, nodes[0].Addr, tally)
	t.Logf("%d acknowledged, %d refused with 5xx during the restart", ok, failed)
}

// bastionCall sends a V1-signed Bastionhost call and decodes the answer.
func bastionCall(t *testing.T, addr, action string, params map[string]string) (int, map[string]any) {
	t.Helper()
	p := map[string]string{"Action": action, "Version": "2019-12-09", "InstanceId": "bastionhost-cn-multinode", "RegionId": "cn-hangzhou"}
	for k, v := range params {
		p[k] = v
	}
	return post(t, signedV1(addr, p))
}

func items(t *testing.T, body map[string]any, key string) []map[string]any {
	t.Helper()
	items, _ := body[key].([]any)
	out := make([]map[string]any, len(items))
	for i, it := range items {
		out[i] = it.(map[string]any)
	}
	return out
}

// TestMultiNodeConcurrentBastionGrants races account-level Attach and
// Detach batches on one user group through two nodes; every account's
// acknowledged history must be a serial one that ends in its final state.
func TestMultiNodeConcurrentBastionGrants(t *testing.T) {
	processLevel(t)
	dsn := pgtest.NewDatabase(t)
	seed := writeMultiSeed(t)
	nodes := []*node{startNode(t, dsn, seed), startNode(t, dsn, seed)}
	addr := nodes[0].Addr
	_, groups := bastionCall(t, addr, "ListUserGroups", nil)
	gs := items(t, groups, "UserGroups")
	if len(gs) != 1 {
		t.Fatalf("user groups: %v", groups)
	}
	group := gs[0]["UserGroupId"].(string)
	_, hostsBody := bastionCall(t, addr, "ListHosts", map[string]string{"PageSize": "100"})
	accounts := map[string][]string{} // host → account ids
	for _, h := range items(t, hostsBody, "Hosts") {
		id := h["HostId"].(string)
		_, ab := bastionCall(t, addr, "ListHostAccounts", map[string]string{"HostId": id, "PageSize": "100"})
		for _, a := range items(t, ab, "HostAccounts") {
			accounts[id] = append(accounts[id], a["HostAccountId"].(string))
		}
	}
	if len(accounts) != 3 {
		t.Fatalf("hosts: %v", accounts)
	}
	var hostIDs []string
	for h := range accounts {
		hostIDs = append(hostIDs, h)
	}
	type key struct{ host, account string }
	tally := map[key]*outcome{}
	for h, as := range accounts {
		for _, a := range as {
			tally[key{h, a}] = &outcome{}
		}
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	var acked int
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			rng := rand.New(rand.NewSource(int64(100 + w)))
			for i := 0; i < 40; i++ {
				var entries []map[string]any
				for _, h := range hostIDs {
					if rng.Intn(2) == 0 {
						continue
					}
					var ids []string
					for _, a := range accounts[h] {
						if rng.Intn(2) == 0 {
							ids = append(ids, a)
						}
					}
					if len(ids) > 0 {
						entries = append(entries, map[string]any{"HostId": h, "HostAccountIds": ids})
					}
				}
				if len(entries) == 0 {
					continue
				}
				hosts, _ := json.Marshal(entries)
				action := "AttachHostAccountsToUserGroup"
				attach := rng.Intn(2) == 0
				if !attach {
					action = "DetachHostAccountsFromUserGroup"
				}
				code, body := bastionCall(t, nodes[(w+i)%2].Addr, action, map[string]string{"UserGroupId": group, "Hosts": string(hosts)})
				if code != 200 {
					t.Errorf("%s: %d %v", action, code, body)
					return
				}
				mu.Lock()
				acked++
				for _, r := range items(t, body, "Results") {
					for _, a := range items(t, r, "HostAccounts") {
						if a["Code"] != "OK" {
							continue
						}
						o := tally[key{r["HostId"].(string), a["HostAccountId"].(string)}]
						if attach {
							o.attached++
						} else {
							o.detached++
						}
					}
				}
				mu.Unlock()
			}
		}(w)
	}
	wg.Wait()
	for h := range accounts {
		_, body := bastionCall(t, nodes[1].Addr, "ListHostAccountsForUserGroup", map[string]string{"UserGroupId": group, "HostId": h, "PageSize": "100"})
		for _, a := range items(t, body, "HostAccounts") {
			o := tally[key{h, a["HostAccountId"].(string)}]
			diff := o.attached - o.detached
			if diff < 0 || diff > 1 || (a["IsAuthorized"] == true) != (diff == 1) {
				t.Errorf("host %s account %v: %d acknowledged grants, %d revocations, IsAuthorized %v: not a serial history",
					h, a["HostAccountId"], o.attached, o.detached, a["IsAuthorized"])
			}
		}
	}
	t.Logf("%d acknowledged bastion batches over 2 nodes", acked)
}

// TestMultiNodeRateLimitShared checks that --rate-limit is one budget per
// AccessKey across the nodes of a database, not one per node.
func TestMultiNodeRateLimitShared(t *testing.T) {
	processLevel(t)
	dsn := pgtest.NewDatabase(t)
	seed := writeMultiSeed(t)
	a := startNode(t, dsn, seed, "--rate-limit", "0.1")
	b := startNode(t, dsn, seed, "--rate-limit", "0.1")
	regions := map[string]string{"Action": "DescribeRegions", "Version": "2014-05-26"}
	if code, body := post(t, signedV1(a.Addr, regions)); code != 200 {
		t.Fatalf("first call on node A: %d %v", code, body)
	}
	code, body := post(t, signedV1(b.Addr, regions))
	if code != 400 || body["Code"] != "Throttling.User" {
		t.Fatalf("second call on node B: %d %v, want 400 Throttling.User (the budget is shared)", code, body)
	}
}
