package e2e_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"

	"github.com/localyun/localyun"
	imds "github.com/localyun/localyun/internal/metadata"
	"github.com/localyun/localyun/internal/server"
)

// lockedBuffer is an io.Writer the server's handlers share.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestAccessLogNoSecrets drives requests that carry secrets every way a
// client sends or receives them (an AccessKeySecret in CreateAccessKey's
// answer, a bastion user's Password, an STS SecurityToken, a V1
// Signature, the instance secret in Proxy-Authorization, Authorization and
// the credentials URI path, the role credentials the metadata service
// issues) through a server with a JSON access log, checks one line per
// request with its identity, and finds none of the secrets in the log.
func TestAccessLogNoSecrets(t *testing.T) {
	ctx := context.Background()
	var logBuf lockedBuffer
	st := openTestStore(t)
	now := time.Now().UTC()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(st.CreateAccount(ctx, localyun.Account{ID: accountA, Name: accountA, CreatedAt: now}))
	must(st.CreateAccessKey(ctx, localyun.AccessKey{ID: keyA, Secret: secretA, AccountID: accountA, Status: localyun.AccessKeyActive, CreatedAt: now}))
	must(st.CreateBastionInstance(ctx, localyun.BastionInstance{ID: "bastionhost-cn-logs", AccountID: accountA, RegionID: region,
		Status: "RUNNING", CreatedAt: now, ExpiresAt: now.Add(24 * time.Hour)}))
	masterKey := bytes.Repeat([]byte{7}, 32)
	srv := server.New(server.Options{Store: st, MasterKey: masterKey,
		AccessLog: slog.New(slog.NewJSONHandler(&logBuf, nil))})
	hs := httptest.NewServer(srv)
	defer hs.Close()
	u, _ := url.Parse(hs.URL)
	e := &env{t: t, URL: hs.URL, Host: u.Host, Store: st, srv: hs}
	root := e.v1Client(keyA, secretA)
	call := func(c *sdk.Client, product, version, action string, params P) map[string]any {
		t.Helper()
		res, err := e.common(c, product, version, action, "JSON", params)
		must(err)
		body, err := decodeJSON(res.GetHttpContentBytes())
		must(err)
		return body
	}
	secrets := []string{secretA}

	// A RAM user's AccessKey: its secret is in the answer.
	call(root, "Ram", ramVersion, "CreateUser", P{"UserName": "logger"})
	ak := call(root, "Ram", ramVersion, "CreateAccessKey", P{"UserName": "logger"})["AccessKey"].(map[string]any)
	userKey, userSecret := str(ak["AccessKeyId"]), str(ak["AccessKeySecret"])
	secrets = append(secrets, userSecret)
	// A bastion user's password, in a parameter.
	const password = "Logged-Passw0rd!never"
	secrets = append(secrets, password)
	call(root, bhProduct, bhVersion, "CreateUser", P{"InstanceId": "bastionhost-cn-logs", "RegionId": region,
		"UserName": "bob", "Source": "Local", "Password": password})
	// STS: a role session's secret and token, then a call signed with them.
	trust := `{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"RAM":["acs:ram::` + accountA + `:root"],"Service":["ecs.aliyuncs.com"]}}],"Version":"1"}`
	call(root, "Ram", ramVersion, "CreateRole", P{"RoleName": "LogRole", "AssumeRolePolicyDocument": trust})
	call(root, "Ram", ramVersion, "AttachPolicyToRole", P{"RoleName": "LogRole", "PolicyType": "System", "PolicyName": "AliyunECSFullAccess"})
	call(root, "Ram", ramVersion, "AttachPolicyToUser", P{"UserName": "logger", "PolicyType": "System", "PolicyName": "AliyunSTSAssumeRoleAccess"})
	cred := call(e.v1Client(userKey, userSecret), "Sts", "2015-04-01", "AssumeRole", P{"RoleArn": "acs:ram::" + accountA + ":role/logrole",
		"RoleSessionName": "logsession"})["Credentials"].(map[string]any)
	secrets = append(secrets, str(cred["AccessKeySecret"]), str(cred["SecurityToken"]))
	sc, err := sdk.NewClientWithOptions(region, sdk.NewConfig(), credentials.NewStsTokenCredential(str(cred["AccessKeyId"]),
		str(cred["AccessKeySecret"]), str(cred["SecurityToken"])))
	must(err)
	sc.Domain = e.Host
	call(sc, "Ecs", ecsVersion, "DescribeInstances", P{"RegionId": region})
	run := call(root, "Ecs", ecsVersion, "RunInstances", runParams(P{"RamRoleName": "LogRole"}))
	inst := str(run["InstanceIdSets"].(map[string]any)["InstanceIdSet"].([]any)[0])
	// A V1 signature, sent by hand so the test knows it.
	signed := signedV1For(e.Host, userKey, userSecret, map[string]string{"Action": "GetUser", "Version": ramVersion, "UserName": "logger"})
	su, _ := url.Parse(signed)
	secrets = append(secrets, su.Query().Get("Signature"))
	resp, err := http.Post(signed, "application/x-www-form-urlencoded", nil)
	must(err)
	resp.Body.Close()

	// Metadata: the instance secret three ways; the issued credentials.
	instSecret := imds.InstanceSecret(masterKey, inst)
	secrets = append(secrets, instSecret)
	issued := metadataRequests(t, hs.URL, inst, instSecret)
	secrets = append(secrets, issued...)

	// A line is written once its answer is: Close waits for the handlers.
	hs.Close()
	lines := accessLines(t, logBuf.String())
	if len(lines) < 12 {
		t.Fatalf("%d access lines, want one per request:\n%s", len(lines), logBuf.String())
	}
	assertLine(t, lines, map[string]any{"plane": "api", "action": "CreateAccessKey", "product": "Ram", "status": 200.0,
		"principal.type": localyun.PrincipalTypeRoot, "principal.account": accountA, "principal.access_key_id": keyA})
	assertLine(t, lines, map[string]any{"plane": "api", "action": "DescribeInstances", "product": "Ecs",
		"principal.type": localyun.PrincipalTypeAssumed, "principal.role_session": "LogRole:logsession"})
	assertLine(t, lines, map[string]any{"plane": "api", "action": "GetUser", "status": 403.0, "code": "NoPermission",
		"principal.user": "logger", "principal.access_key_id": userKey})
	assertLine(t, lines, map[string]any{"plane": "metadata", "via": "proxy", "instance": inst, "status": 200.0})
	assertLine(t, lines, map[string]any{"plane": "metadata", "via": "credentials_uri", "instance": inst, "status": 200.0,
		"path": imds.CredentialsPath})
	assertLine(t, lines, map[string]any{"plane": "metadata", "via": "credentials", "instance": inst, "status": 401.0})
	for _, s := range secrets {
		if s == "" {
			t.Fatal("a secret of the test is empty")
		}
		if strings.Contains(logBuf.String(), s) {
			t.Errorf("the access log holds the secret %q:\n%s", s, logBuf.String())
		}
	}
}

// metadataRequests asks the metadata service for inst's role credentials
// through the proxy (Proxy-Authorization), the credentials path
// (Authorization, once with a wrong secret) and the credentials URI (the
// secret in the path); it returns the secrets and tokens issued.
func metadataRequests(t *testing.T, base, inst, secret string) []string {
	t.Helper()
	proxy, _ := url.Parse(base)
	proxy.User = url.UserPassword(inst, secret)
	pc := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(proxy)}}
	get := func(c *http.Client, req *http.Request) []byte {
		t.Helper()
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return b
	}
	role, _ := http.NewRequest("GET", "http://"+imds.Host+"/latest/meta-data/ram/security-credentials/LogRole", nil)
	var out []string
	var creds struct{ AccessKeySecret, SecurityToken string }
	if err := json.Unmarshal(get(pc, role), &creds); err != nil || creds.SecurityToken == "" {
		t.Fatalf("metadata credentials: %v %+v", err, creds)
	}
	out = append(out, creds.AccessKeySecret, creds.SecurityToken)
	byHeader, _ := http.NewRequest("GET", base+imds.CredentialsPath, nil)
	byHeader.SetBasicAuth(inst, secret[:len(secret)-1]+"x")
	get(http.DefaultClient, byHeader)
	byPath, _ := http.NewRequest("GET", base+imds.CredentialsPath+"/"+inst+"/"+secret, nil)
	get(http.DefaultClient, byPath)
	return out
}

// accessLines parses the JSON lines whose msg is "access".
func accessLines(t *testing.T, log string) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(log))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("not a JSON line: %q", sc.Text())
		}
		if m["msg"] == "access" {
			out = append(out, m)
		}
	}
	return out
}

// assertLine fails unless a line has every field of want (a dotted key
// names a field of a group).
func assertLine(t *testing.T, lines []map[string]any, want map[string]any) {
	t.Helper()
	for _, l := range lines {
		ok := l["request_id"] != "" && l["duration"] != nil && l["source_ip"] != nil
		for k, v := range want {
			var got any = l
			for _, part := range strings.Split(k, ".") {
				m, _ := got.(map[string]any)
				got = m[part]
			}
			ok = ok && got == v
		}
		if ok {
			return
		}
	}
	t.Errorf("no access line with %v", want)
}
