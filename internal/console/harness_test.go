package console_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/server"
	"github.com/localyun/localyun/internal/sqlite"
)

// The seeded world: account A's root key, an instance holding a role, a
// bastion instance whose user group "ops" (member alice) is granted host
// account root@web, and a RAM user "viewer" allowed only to read ECS.
const (
	account      = "1234567890123456"
	rootKey      = "LTAI5tConsoleRoot0000001"
	rootSecret   = "consoleRootSecret00000000000001"
	region       = "cn-hangzhou"
	instanceID   = "i-console0000000000001"
	roleName     = "AppRole"
	bastionID    = "bastionhost-cn-console01"
	viewerName   = "viewer"
	bhProduct    = "Yundun-bastionhost"
	bhVersion    = "2019-12-09"
	ecsVersion   = "2014-05-26"
	ramVersion   = "2015-05-01"
	trustAnyone  = `{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":["ecs.aliyuncs.com"]}}],"Version":"1"}`
	consolePath  = "/console"
	signInPath   = consolePath + "/signin"
	instancesURL = consolePath + "/instances"
)

// world is one running localyun server (the real handler on a real
// SQLite store) with the console on and the seed above.
type world struct {
	t            testing.TB
	srv          *httptest.Server
	host         string
	store        localyun.Store
	logs         *syncBuffer
	viewerKey    string
	viewerSecret string
	// group and user ids of the bastion seed, and the granted host account
	userGroupID, userID, hostID, hostAccountID string
}

// syncBuffer is a log sink read while the server writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// newWorld starts a server with the console on (or off) and the seed.
func newWorld(t testing.TB, consoleOn bool) *world {
	t.Helper()
	return newWorldServer(t, consoleOn, httptest.NewServer, testMasterKey)
}

// testMasterKey is the master key of the test servers.
var testMasterKey = bytes.Repeat([]byte{7}, 32)

func newWorldServer(t testing.TB, consoleOn bool, start func(http.Handler) *httptest.Server, masterKey []byte) *world {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "localyun.db"))
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, store: st, logs: &syncBuffer{}}
	now := time.Now().UTC()
	must(t, st.CreateAccount(ctx, localyun.Account{ID: account, Name: "console", CreatedAt: now}))
	must(t, st.CreateAccessKey(ctx, localyun.AccessKey{ID: rootKey, Secret: rootSecret, AccountID: account,
		Status: localyun.AccessKeyActive, CreatedAt: now}))
	must(t, st.CreateRole(ctx, localyun.Role{ID: "300000000000000001", AccountID: account, Name: roleName,
		AssumeRolePolicyDocument: trustAnyone, MaxSessionDuration: 3600, CreatedAt: now, UpdatedAt: now}))
	must(t, st.CreateInstances(ctx, []localyun.Instance{{ID: instanceID, AccountID: account, RegionID: region,
		ZoneID: region + "-a", Name: "web-1", Status: localyun.StatusRunning, NetworkType: localyun.NetworkVPC,
		VpcID: "vpc-1", VSwitchID: "vsw-1", PrivateIP: "10.0.0.1", ImageID: "img", InstanceType: "ecs.g7.large",
		RAMRoleName: roleName, CreatedAt: now}}))
	must(t, st.CreateBastionInstance(ctx, localyun.BastionInstance{ID: bastionID, AccountID: account, RegionID: region,
		Status: localyun.BastionRunning, PlanCode: "cloudbastion", VpcID: "vpc-1", VSwitchID: "vsw-1",
		CreatedAt: now, ExpiresAt: now.AddDate(1, 0, 0)}))
	logger := slog.New(slog.NewTextHandler(w.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	w.srv = start(server.New(server.Options{Store: st, Console: consoleOn, Logger: logger,
		MasterKey: masterKey}))
	u, _ := url.Parse(w.srv.URL)
	w.host = u.Host
	t.Cleanup(func() {
		w.srv.Close()
		st.Close()
	})
	w.seedAPI()
	return w
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// seedAPI creates the bastion objects and the RAM user through the API,
// with the official SDK.
func (w *world) seedAPI() {
	bh := func(action string, params map[string]string) map[string]any {
		params["InstanceId"] = bastionID
		return w.sdkCall(bhProduct, bhVersion, action, params)
	}
	w.hostID = str(bh("CreateHost", map[string]string{"HostName": "web", "OSType": "Linux", "Source": "Local",
		"ActiveAddressType": "Private", "HostPrivateAddress": "10.0.0.5"})["HostId"])
	w.hostAccountID = str(bh("CreateHostAccount", map[string]string{"HostId": w.hostID, "HostAccountName": "root",
		"ProtocolName": "SSH"})["HostAccountId"])
	bh("CreateHostAccount", map[string]string{"HostId": w.hostID, "HostAccountName": "deploy", "ProtocolName": "SSH"})
	w.userGroupID = str(bh("CreateUserGroup", map[string]string{"UserGroupName": "ops"})["UserGroupId"])
	w.userID = str(bh("CreateUser", map[string]string{"UserName": "alice", "Source": "Local", "Password": "Passw0rd!x"})["UserId"])
	bh("AddUsersToGroup", map[string]string{"UserGroupId": w.userGroupID, "UserIds": `["` + w.userID + `"]`})
	bh("AttachHostAccountsToUserGroup", map[string]string{"UserGroupId": w.userGroupID,
		"Hosts": `[{"HostId":"` + w.hostID + `","HostAccountIds":["` + w.hostAccountID + `"]}]`})
	w.sdkCall("Ram", ramVersion, "CreateUser", map[string]string{"UserName": viewerName})
	w.sdkCall("Ram", ramVersion, "AttachPolicyToUser", map[string]string{"UserName": viewerName,
		"PolicyType": "System", "PolicyName": "AliyunECSReadOnlyAccess"})
	key := w.sdkCall("Ram", ramVersion, "CreateAccessKey", map[string]string{"UserName": viewerName})["AccessKey"].(map[string]any)
	w.viewerKey, w.viewerSecret = str(key["AccessKeyId"]), str(key["AccessKeySecret"])
}

func str(v any) string {
	s, _ := v.(string)
	if n, ok := v.(json.Number); ok {
		return n.String()
	}
	return s
}

// sdkCall calls an action as the root with the official v1 SDK and
// returns the decoded JSON body; it fails the test on an error.
func (w *world) sdkCall(product, version, action string, params map[string]string) map[string]any {
	w.t.Helper()
	body, err := w.sdkTry(product, version, action, params)
	if err != nil {
		w.t.Fatalf("%s: %v", action, err)
	}
	return body
}

// sdkTry is sdkCall returning the error.
func (w *world) sdkTry(product, version, action string, params map[string]string) (map[string]any, error) {
	c, err := sdk.NewClientWithOptions(region, sdk.NewConfig(), credentials.NewAccessKeyCredential(rootKey, rootSecret))
	if err != nil {
		return nil, err
	}
	c.SetHTTPSInsecure(true) // the TLS world's test certificate
	req := requests.NewCommonRequest()
	req.Method, req.Scheme, req.Domain = "POST", strings.SplitN(w.srv.URL, ":", 2)[0], w.host
	req.Product, req.Version, req.ApiName = product, version, action
	for k, v := range params {
		req.QueryParams[k] = v
	}
	res, err := c.ProcessCommonRequest(req)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(res.GetHttpContentBytes()))
	dec.UseNumber()
	var body map[string]any
	return body, dec.Decode(&body)
}

// roleOfInstance reads the instance's RAM role with the SDK
// (DescribeInstanceRamRole).
func (w *world) roleOfInstance() string {
	body := w.sdkCall("Ecs", ecsVersion, "DescribeInstanceRamRole", map[string]string{"RegionId": region,
		"InstanceIds": `["` + instanceID + `"]`})
	sets := body["InstanceRamRoleSets"].(map[string]any)["InstanceRamRoleSet"].([]any)
	for _, s := range sets {
		m := s.(map[string]any)
		if m["InstanceId"] == instanceID {
			return str(m["RamRoleName"])
		}
	}
	return ""
}

// groupHoldsAccount reports, with the SDK (ListHostAccountsForUserGroup),
// whether the seed's user group is granted the seed's host account.
func (w *world) groupHoldsAccount() bool {
	body := w.sdkCall(bhProduct, bhVersion, "ListHostAccountsForUserGroup", map[string]string{"InstanceId": bastionID,
		"UserGroupId": w.userGroupID, "HostId": w.hostID})
	for _, a := range body["HostAccounts"].([]any) {
		m := a.(map[string]any)
		if str(m["HostAccountId"]) == w.hostAccountID {
			return m["IsAuthorized"] == true
		}
	}
	return false
}

// browser is a plain HTTP client with a cookie jar that does not follow
// redirects, like a browser whose every answer the test inspects.
type browser struct {
	t      testing.TB
	w      *world
	client *http.Client
	seen   []string // every URL requested and every Location and body received
}

func (w *world) newBrowser() *browser {
	jar, _ := cookiejar.New(nil)
	c := *w.srv.Client() // a copy: the jar is this browser's own
	c.Jar = jar
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &browser{t: w.t, w: w, client: &c}
}

// do sends a request with the browser's headers for a same-origin page.
func (b *browser) do(method, path string, form url.Values, header map[string]string) (*http.Response, string) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.w.srv.URL+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	b.seen = append(b.seen, req.URL.String(), res.Header.Get("Location"), string(data))
	return res, string(data)
}

// get follows redirects within the console and returns the last page.
func (b *browser) get(path string) (*http.Response, string) {
	b.t.Helper()
	for range 5 {
		res, body := b.do("GET", path, nil, nil)
		if loc := res.Header.Get("Location"); res.StatusCode == http.StatusSeeOther && loc != "" {
			path = loc
			continue
		}
		return res, body
	}
	b.t.Fatal("too many redirects")
	return nil, ""
}

// signIn posts the sign-in form and returns the answer.
func (b *browser) signIn(key, secret string) *http.Response {
	b.t.Helper()
	res, _ := b.do("POST", signInPath, url.Values{"AccessKeyId": {key}, "AccessKeySecret": {secret}},
		map[string]string{"Origin": b.w.srv.URL, "Sec-Fetch-Site": "same-origin"})
	return res
}

// csrf reads the CSRF token from a page.
func csrfOf(t testing.TB, page string) string {
	t.Helper()
	const marker = `name="csrf" value="`
	i := strings.Index(page, marker)
	if i < 0 {
		t.Fatalf("no CSRF token on the page:\n%s", page)
	}
	rest := page[i+len(marker):]
	return rest[:strings.IndexByte(rest, '"')]
}
