package e2e_test

// The world of the SSH gateway tests (issue 15): a real OpenSSH sshd on
// loopback (internal/sshtest) standing for four bastion hosts at four
// loopback addresses, `localyun serve --ssh-addr` processes on one store,
// and bastion objects made through the official SDK (the v1 SDK's
// CommonRequest, as every Bastionhost e2e test calls the API).

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/localyun/localyun/internal/sshtest"
)

const (
	gwInst     = "bastionhost-cn-sshgw01"
	gwKey      = "LTAI5tSSHGatewayAdmin001"
	gwSecret   = "sshGatewayAdminSecret00000000001"
	gwDaveKey  = "LTAI5tSSHGatewayDave0001"
	gwDaveSec  = "sshGatewayDaveSecret000000000001"
	gwPassword = "Gw-Passw0rd!x" // every Local bastion user's password
)

// gwSeed declares the account, its admin key, the RAM user dave (whose
// bastion user, of Source Ram, asks for O&M tokens) and an empty bastion
// instance: everything else is made through the API.
const gwSeed = `accounts:
  - id: "` + accountA + `"
    name: sshgw
    access_keys:
      - {id: ` + gwKey + `, secret: ` + gwSecret + `}
    ram:
      users:
        - name: dave
          access_keys: [{id: ` + gwDaveKey + `, secret: ` + gwDaveSec + `}]
          policies: [AliyunBastionHostFullAccess]
    bastionhost:
      instances:
        - {id: ` + gwInst + `, region: cn-hangzhou}
`

// The hosts of the world, each at its own loopback address of the one sshd;
// their HostName is "h-" + name.
var gwHosts = []struct{ name, addr string }{
	{"web", "127.0.0.1"}, {"db", "127.0.0.2"}, {"cache", "127.0.0.3"}, {"vault", "127.0.0.4"},
}

// gwNode is a localyun process with its SSH gateway.
type gwNode struct {
	*node
	GW   string // the gateway's address for gwInst
	call bhCaller
	ram  func(action string, params map[string]string) (map[string]any, error)
}

// gwWorld is the sshd, the nodes and the ids of what was made.
type gwWorld struct {
	t     *testing.T
	sshd  *sshtest.Server
	cli   *sshtest.Client
	nodes []*gwNode
	host  map[string]string // host name → id
	acct  map[string]string // host name → id of its account (named as the sshd's account)
	user  map[string]string // bastion user name → id
	ops   string            // user group "ops"
	linux string            // host group "linux" (holds cache)
	keys  map[string]string // bastion user name → its private key file
}

// newGWWorld starts the sshd and nodes localyun processes on store ("":
// a SQLite file; else a PostgreSQL DSN) with the gateway on and the
// revocation mode revoke, then makes the world through the first node:
//
//	alice (password)  web directly, db through group ops, cache through host group linux
//	bob   (password)  db directly and through ops
//	carol (key)       db directly
//	dave  (Source Ram, O&M tokens) web directly
//	vault             nobody
func newGWWorld(t *testing.T, store string, nodes int, revoke string) *gwWorld {
	t.Helper()
	processLevel(t)
	var addrs []string
	for _, h := range gwHosts {
		addrs = append(addrs, h.addr)
	}
	w := &gwWorld{t: t, sshd: sshtest.StartConfigT(t, sshtest.Config{Hosts: addrs}), cli: sshtest.NewClientT(t),
		host: map[string]string{}, acct: map[string]string{}, user: map[string]string{}, keys: map[string]string{}}
	seed := filepath.Join(t.TempDir(), "seed.yaml")
	if err := os.WriteFile(seed, []byte(gwSeed), 0o600); err != nil {
		t.Fatal(err)
	}
	if store == "" {
		store = "sqlite:" + filepath.Join(t.TempDir(), "localyun.db")
	}
	for i := 0; i < nodes; i++ {
		w.nodes = append(w.nodes, w.startGWNode(store, seed, revoke))
	}
	w.build()
	return w
}

// startGWNode starts one node with its gateway at a free base address and
// waits until the gateway of gwInst answers.
func (w *gwWorld) startGWNode(store, seed, revoke string) *gwNode {
	t := w.t
	base := freeAddr(t)
	n := &gwNode{node: startNode(t, store, seed, "--ssh-addr", base, "--ssh-revoke", revoke), GW: base}
	e := &env{t: t, Host: n.Addr}
	n.call = e.bhClients(gwKey, gwSecret)["v1-JSON"]
	dave := e.v1Client(gwDaveKey, gwDaveSec)
	n.ram = func(action string, params map[string]string) (map[string]any, error) {
		res, err := e.common(dave, bhProduct, bhVersion, action, "JSON", params)
		if err != nil {
			return nil, err
		}
		return decodeJSON(res.GetHttpContentBytes())
	}
	waitBanner(t, n.GW)
	return n
}

// waitBanner waits until an SSH server answers at addr.
func waitBanner(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.SetDeadline(time.Now().Add(2 * time.Second))
			line, _ := bufio.NewReader(c).ReadString('\n')
			c.Close()
			if strings.HasPrefix(line, "SSH-2.0-") {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no SSH gateway at %s: %v", addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// do calls action on the first node and fails the test on an error.
func (w *gwWorld) do(action string, kv ...string) map[string]any {
	w.t.Helper()
	return w.doOn(w.nodes[0], action, kv...)
}

func (w *gwWorld) doOn(n *gwNode, action string, kv ...string) map[string]any {
	w.t.Helper()
	body, err := n.call(action, p(gwInst, kv...))
	if err != nil {
		w.t.Fatalf("%s %v: %v", action, kv, err)
	}
	return body
}

// okResults fails unless every result of a batch call is OK.
func (w *gwWorld) okResults(action string, body map[string]any) {
	w.t.Helper()
	for _, r := range list(body["Results"]) {
		if str(r["Code"]) != "OK" {
			w.t.Fatalf("%s: %v", action, body)
		}
	}
}

// build makes the hosts, accounts, users, groups and grants.
func (w *gwWorld) build() {
	acct := w.sshd.Account
	var ids []string
	for _, h := range gwHosts {
		id := str(w.do("CreateHost", "HostName", "h-"+h.name, "OSType", "Linux", "Source", "Local",
			"ActiveAddressType", "Private", "HostPrivateAddress", h.addr)["HostId"])
		w.host[h.name] = id
		ids = append(ids, `"`+id+`"`)
	}
	w.okResults("ModifyHostsPort", w.do("ModifyHostsPort", "HostIds", "["+strings.Join(ids, ",")+"]",
		"ProtocolName", "SSH", "Port", strconv.Itoa(w.sshd.Port)))
	for _, h := range gwHosts {
		cred := []string{"PrivateKey", base64.StdEncoding.EncodeToString(acct.PrivateKey)}
		if acct.Password != "" && h.name != "db" {
			cred = []string{"Password", acct.Password} // db alone logs in by key
		}
		w.acct[h.name] = str(w.do("CreateHostAccount", append([]string{"HostId", w.host[h.name],
			"HostAccountName", acct.Name, "ProtocolName", "SSH"}, cred...)...)["HostAccountId"])
	}
	for _, u := range []string{"alice", "bob", "carol"} {
		w.user[u] = str(w.do("CreateUser", "UserName", u, "Source", "Local", "Password", gwPassword)["UserId"])
	}
	w.addUserKey("carol")
	w.ops = str(w.do("CreateUserGroup", "UserGroupName", "ops")["UserGroupId"])
	w.okResults("AddUsersToGroup", w.do("AddUsersToGroup", "UserGroupId", w.ops,
		"UserIds", fmt.Sprintf(`["%s","%s"]`, w.user["alice"], w.user["bob"])))
	w.linux = str(w.do("CreateHostGroup", "HostGroupName", "linux")["HostGroupId"])
	w.okResults("AddHostsToGroup", w.do("AddHostsToGroup", "HostGroupId", w.linux, "HostIds", `["`+w.host["cache"]+`"]`))
	w.grant("alice", "web")
	w.okResults("AttachHostAccountsToUserGroup", w.do("AttachHostAccountsToUserGroup", "UserGroupId", w.ops, "Hosts", w.hostsParam("db")))
	w.okResults("AttachHostGroupAccountsToUser", w.do("AttachHostGroupAccountsToUser", "UserId", w.user["alice"],
		"HostGroups", fmt.Sprintf(`[{"HostGroupId":"%s","HostAccountNames":["%s"]}]`, w.linux, acct.Name)))
	w.grant("bob", "db")
	w.grant("carol", "db")
	w.makeDave()
}

// hostsParam is the Hosts parameter that names host's account.
func (w *gwWorld) hostsParam(host string) string {
	return fmt.Sprintf(`[{"HostId":"%s","HostAccountIds":["%s"]}]`, w.host[host], w.acct[host])
}

// grant attaches host's account to user directly.
func (w *gwWorld) grant(user, host string) {
	w.okResults("AttachHostAccountsToUser", w.do("AttachHostAccountsToUser", "UserId", w.user[user], "Hosts", w.hostsParam(host)))
}

// addUserKey makes a key pair for user and registers its public key.
func (w *gwWorld) addUserKey(user string) {
	file := filepath.Join(w.t.TempDir(), user+"_ed25519")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", user, "-f", file).CombinedOutput(); err != nil {
		w.t.Fatalf("ssh-keygen: %v: %s", err, out)
	}
	pub, err := os.ReadFile(file + ".pub")
	if err != nil {
		w.t.Fatal(err)
	}
	w.do("CreateUserPublicKey", "UserId", w.user[user], "PublicKeyName", user+"-laptop", "PublicKey", strings.TrimSpace(string(pub)))
	w.keys[user] = file
}

// makeDave makes the bastion user of the RAM user dave (Source Ram) with
// web granted.
func (w *gwWorld) makeDave() {
	e := &env{t: w.t, Host: w.nodes[0].Addr}
	res, err := e.common(e.v1Client(gwKey, gwSecret), "Ram", "2015-05-01", "GetUser", "JSON", map[string]string{"UserName": "dave"})
	if err != nil {
		w.t.Fatalf("RAM GetUser dave: %v", err)
	}
	body, err := decodeJSON(res.GetHttpContentBytes())
	if err != nil {
		w.t.Fatal(err)
	}
	ramID := str(body["User"].(map[string]any)["UserId"])
	w.user["dave"] = str(w.do("CreateUser", "UserName", "dave", "Source", "Ram", "SourceUserId", ramID)["UserId"])
	w.grant("dave", "web")
}

// token asks for an O&M token as dave (through the RAM user's own key).
func (w *gwWorld) token(host string) string {
	w.t.Helper()
	body, err := w.nodes[0].ram("GenerateAssetOperationToken", p(gwInst, "AssetType", "Host", "AssetId", w.host[host],
		"AssetAccountId", w.acct[host], "AssetAccountProtocolName", "SSH"))
	if err != nil {
		w.t.Fatalf("GenerateAssetOperationToken: %v", err)
	}
	tok := str(body["AssetOperationToken"].(map[string]any)["Token"])
	if tok == "" {
		w.t.Fatalf("GenerateAssetOperationToken: no token in %v", body)
	}
	return tok
}

// login is how a bastion user logs in to the gateway.
func (w *gwWorld) login(user string) sshtest.Login {
	if k := w.keys[user]; k != "" {
		return sshtest.Login{User: user, KeyFile: k}
	}
	return sshtest.Login{User: user, Password: gwPassword}
}

// hostAccount is the inner login, through the transparent proxy, to a host
// as its account: only the account's name, no credential (the gateway logs
// in with the stored one).
func (w *gwWorld) hostAccount() sshtest.Login { return sshtest.Login{User: w.sshd.Account.Name} }

// hostAddr is where the sshd serves host.
func (w *gwWorld) hostAddr(host string) string {
	for _, h := range gwHosts {
		if h.name == host {
			return net.JoinHostPort(h.addr, strconv.Itoa(w.sshd.Port))
		}
	}
	w.t.Fatalf("no host %s", host)
	return ""
}

// proxied returns the unmodified ssh running command on host through the
// gateway of n as user: ssh -o ProxyCommand="ssh user@gateway -W %h:%p"
// account@host command.
func (w *gwWorld) proxied(ctx context.Context, n *gwNode, user, host, command string) *exec.Cmd {
	in := w.hostAccount()
	args := append(w.cli.ProxyOptions(w.login(user), n.GW), "-p", strconv.Itoa(w.sshd.Port), in.User+"@"+hostIP(w.hostAddr(host)), command)
	return w.cli.Command(ctx, in, "ssh", args...)
}

func hostIP(addr string) string {
	h, _, _ := net.SplitHostPort(addr)
	return h
}

// session is a client process whose output is followed line by line.
type session struct {
	cmd   *exec.Cmd
	mu    sync.Mutex
	out   strings.Builder
	lines chan string
	ended chan struct{}
	endAt time.Time
	err   error
}

// startSession starts cmd, collecting its standard output and error.
func startSession(t *testing.T, cmd *exec.Cmd) *session {
	t.Helper()
	s := &session{cmd: cmd, lines: make(chan string, 64), ended: make(chan struct{})}
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			s.mu.Lock()
			s.out.WriteString(sc.Text() + "\n")
			s.mu.Unlock()
			select {
			case s.lines <- sc.Text():
			default:
			}
		}
	}()
	go func() {
		s.err = cmd.Wait()
		s.endAt = time.Now()
		pw.Close()
		close(s.ended)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-s.ended
	})
	return s
}

// waitLine waits for a line of output equal to want.
func (s *session) waitLine(t *testing.T, want string, timeout time.Duration) {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case l := <-s.lines:
			if strings.TrimSpace(l) == want {
				return
			}
		case <-s.ended:
			if strings.Contains(s.output(), want) {
				return
			}
			t.Fatalf("session ended (%v) before %q; output:\n%s", s.err, want, s.output())
		case <-deadline:
			t.Fatalf("no %q within %v; output:\n%s", want, timeout, s.output())
		}
	}
}

func (s *session) output() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.String()
}

// running reports whether the client still runs.
func (s *session) running() bool {
	select {
	case <-s.ended:
		return false
	default:
		return true
	}
}

// endedWithin waits up to d for the client to exit; it returns how long
// after since it ended.
func (s *session) endedWithin(d time.Duration, since time.Time) (time.Duration, bool) {
	select {
	case <-s.ended:
		return s.endAt.Sub(since), true
	case <-time.After(d):
		return 0, false
	}
}

// decodeJSON decodes a response body, numbers kept as json.Number.
func decodeJSON(b []byte) (map[string]any, error) {
	var body map[string]any
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.UseNumber()
	return body, dec.Decode(&body)
}
