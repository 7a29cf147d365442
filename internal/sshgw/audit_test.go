package sshgw_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/actiontrail"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/bastionhost"
	"github.com/localyun/localyun/internal/pgtest"
	"github.com/localyun/localyun/internal/postgres"
	"github.com/localyun/localyun/internal/server"
	"github.com/localyun/localyun/internal/sqlite"
	"github.com/localyun/localyun/internal/sshgw"
	"github.com/localyun/localyun/internal/sshtest"
)

// The gateway's audit events, end to end: a real OpenSSH sshd is the host,
// the unmodified ssh client logs in to the gateway, the revocation is an
// API call signed by the official v1 SDK, and the events are read back
// with the SDK's ActionTrail LookupEvents client from a server on the same
// store.

const (
	auditKey, auditSecret = "LTAI5tSSHAuditRoot001", "sshAuditRootSecret00000000000001"
	auditAlicePW          = "Alice-Audit-pw-7"
	auditWrongPW          = "Wrong-Audit-pw-9"
)

// auditWorld is a store with one bastion instance whose host is the sshd,
// the gateway, and an API server on the store.
type auditWorld struct {
	t     *testing.T
	st    localyun.Store
	gw    *sshgw.Gateway
	api   *httptest.Server
	sshd  *sshtest.Server
	cli   *sshtest.Client
	host  localyun.BastionHost
	acct  localyun.BastionHostAccount
	alice localyun.BastionUser
	ops   localyun.BastionGroup
}

// auditStores open a fresh store of each kind for a test.
var auditStores = map[string]func(t *testing.T) localyun.Store{
	"sqlite": func(t *testing.T) localyun.Store {
		st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "audit.db"))
		must(t, err)
		t.Cleanup(func() { st.Close() })
		return st
	},
	"postgres": func(t *testing.T) localyun.Store {
		st, err := postgres.Open(context.Background(), pgtest.NewDatabase(t))
		must(t, err)
		t.Cleanup(func() { st.Close() })
		return st
	},
}

// newAuditWorld makes alice, who reaches the sshd's account on host web
// through her group ops, on a SQLite store. wrap, when set, wraps the
// store the gateway uses.
func newAuditWorld(t *testing.T, wrap func(localyun.Store) sshgw.Store) *auditWorld {
	return newAuditWorldOn(t, auditStores["sqlite"], wrap)
}

func newAuditWorldOn(t *testing.T, open func(t *testing.T) localyun.Store, wrap func(localyun.Store) sshgw.Store) *auditWorld {
	t.Helper()
	sshd := sshtest.StartT(t)
	ctx := context.Background()
	st := open(t)
	var err error
	w := &auditWorld{t: t, st: st, sshd: sshd, cli: sshtest.NewClientT(t)}
	must(t, st.CreateAccount(ctx, localyun.Account{ID: account, Name: "a", CreatedAt: time.Now()}))
	must(t, st.CreateAccessKey(ctx, localyun.AccessKey{ID: auditKey, Secret: auditSecret, AccountID: account,
		Status: localyun.AccessKeyActive, CreatedAt: time.Now()}))
	must(t, st.CreateBastionInstance(ctx, localyun.BastionInstance{ID: instance, AccountID: account, RegionID: "cn-beijing",
		Status: localyun.BastionRunning, CreatedAt: time.Now(), ExpiresAt: time.Now().AddDate(1, 0, 0)}))
	w.host, err = st.CreateBastionHost(ctx, localyun.BastionHost{InstanceID: instance, Name: "web", OSType: "Linux",
		Source: localyun.BastionSourceLocal, ActiveAddressType: localyun.BastionAddressPrivate, PrivateAddress: sshd.Host})
	must(t, err)
	_, err = st.SetBastionHostsPort(ctx, instance, []string{w.host.ID}, "SSH", sshd.Port)
	must(t, err)
	w.acct, err = st.CreateBastionHostAccount(ctx, localyun.BastionHostAccount{InstanceID: instance, HostID: w.host.ID,
		Name: sshd.Account.Name, ProtocolName: "SSH"}, localyun.BastionSecret{PrivateKey: string(sshd.Account.PrivateKey)})
	must(t, err)
	w.alice, err = st.CreateBastionUser(ctx, localyun.BastionUser{InstanceID: instance, Name: "alice",
		Source: localyun.BastionUserLocal}, localyun.BastionSecret{Password: auditAlicePW})
	must(t, err)
	w.ops, err = st.CreateBastionGroup(ctx, localyun.BastionGroup{Kind: localyun.BastionGroupUser, InstanceID: instance, Name: "ops"})
	must(t, err)
	_, err = st.AddBastionGroupMembers(ctx, localyun.BastionGroupUser, instance, w.ops.ID, []string{w.alice.ID})
	must(t, err)
	_, err = st.ApplyBastionHostGrants(ctx, instance, localyun.BastionGrantee{Kind: localyun.GranteeUserGroup, ID: w.ops.ID}, 0,
		[]localyun.BastionHostGrantChange{{Op: localyun.BastionGrantAdd, HostID: w.host.ID},
			{Op: localyun.BastionGrantAdd, HostID: w.host.ID, AccountID: w.acct.ID}})
	must(t, err)

	var gst sshgw.Store = st
	if wrap != nil {
		gst = wrap(st)
	}
	w.gw = sshgw.New(sshgw.Options{Access: bastionhost.NewService(st, bastionhost.Options{}), Store: gst,
		Addr: "127.0.0.1:0", DialTimeout: 5 * time.Second})
	must(t, w.gw.Start(ctx))
	t.Cleanup(func() { w.gw.Close() })
	w.api = httptest.NewServer(server.New(server.Options{Store: st}))
	t.Cleanup(w.api.Close)
	return w
}

// ssh runs the ssh client against the gateway as user with password.
func (w *auditWorld) ssh(ctx context.Context, user, password string, args ...string) *exec.Cmd {
	return w.cli.SSH(ctx, sshtest.Login{User: user, Password: password}, w.gw.Addr(instance), args...)
}

// call makes a Bastionhost API call with the v1 SDK's CommonRequest.
func (w *auditWorld) call(action string, params map[string]string) {
	w.t.Helper()
	c, err := sdk.NewClientWithOptions("cn-beijing", sdk.NewConfig(), credentials.NewAccessKeyCredential(auditKey, auditSecret))
	must(w.t, err)
	req := requests.NewCommonRequest()
	req.Method, req.Scheme, req.Domain = "POST", "http", strings.TrimPrefix(w.api.URL, "http://")
	req.Product, req.Version, req.ApiName = "Yundun-bastionhost", "2019-12-09", action
	req.QueryParams["RegionId"], req.QueryParams["InstanceId"] = "cn-beijing", instance
	for k, v := range params {
		req.QueryParams[k] = v
	}
	if _, err := c.ProcessCommonRequest(req); err != nil {
		w.t.Fatalf("%s: %v", action, err)
	}
}

// sshEvents returns the account's BastionSSH events, oldest first, read
// with the SDK's LookupEvents client, and the raw JSON of all of them.
func (w *auditWorld) sshEvents() ([]map[string]any, string) {
	w.t.Helper()
	w.gw.FlushEvents()
	c, err := actiontrail.NewClientWithAccessKey("cn-beijing", auditKey, auditSecret)
	must(w.t, err)
	var out []map[string]any
	token := ""
	for {
		req := actiontrail.CreateLookupEventsRequest()
		req.Domain, req.Scheme = strings.TrimPrefix(w.api.URL, "http://"), "http"
		req.MaxResults, req.NextToken, req.Direction = "50", token, "FORWARD"
		res, err := c.LookupEvents(req)
		must(w.t, err)
		for _, ev := range res.Events {
			if ev["eventType"] == localyun.EventTypeBastionSSH {
				out = append(out, ev)
			}
		}
		if token = res.NextToken; token == "" {
			break
		}
	}
	raw, err := json.Marshal(out)
	must(w.t, err)
	return out, string(raw)
}

// summary is the part of an event the tests compare: name, error code,
// userName, principalId, end reason.
func summary(ev map[string]any) string {
	id, _ := ev["userIdentity"].(map[string]any)
	add, _ := ev["additionalEventData"].(map[string]any)
	s := []string{ev["eventName"].(string), ev["errorCode"].(string), str(id["userName"]), str(id["principalId"])}
	return strings.Join(append(s, str(add["EndReason"])), " ")
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// checkCommon fails unless ev has the fields every gateway event has.
func (w *auditWorld) checkCommon(ev map[string]any) {
	w.t.Helper()
	id, _ := ev["userIdentity"].(map[string]any)
	params, _ := ev["requestParameters"].(map[string]any)
	if ev["eventSource"] != "yundun-bastionhost.aliyuncs.com" || ev["serviceName"] != "Bastionhost" ||
		ev["acsRegion"] != "cn-beijing" || ev["sourceIpAddress"] != "127.0.0.1" || ev["recipientAccountId"] != account ||
		!strings.HasPrefix(str(ev["userAgent"]), "SSH-2.0-OpenSSH") || ev["eventRW"] != "Write" ||
		id["type"] != sshgw.IdentityBastionUser || id["accountId"] != account || id["accessKeyId"] != "" ||
		params["InstanceId"] != instance || !strings.HasPrefix(str(ev["resourceName"]), instance) ||
		!strings.HasPrefix(str(ev["resourceType"]), "ACS::BastionHost::Instance") {
		w.t.Errorf("event fields: %v", ev)
	}
}

// noSecrets fails if the events' JSON holds a password or a key.
func (w *auditWorld) noSecrets(raw string) {
	w.t.Helper()
	secrets := []string{auditAlicePW, auditWrongPW, auditSecret, "PRIVATE KEY"}
	if w.sshd.Account.Password != "" {
		secrets = append(secrets, w.sshd.Account.Password)
	}
	for _, s := range secrets {
		if strings.Contains(raw, s) {
			w.t.Errorf("the events hold a secret (%.8s...): %s", s, raw)
		}
	}
}

// TestAuditSSH: a wrong password, an unknown user, a session that exits,
// a host account alice may not use, and a session cut by revoking her
// group's grant (DetachHostAccountsFromUserGroup through the API) are
// exactly the gateway's events, with alice's identity, the end reasons and
// no secret.
func TestAuditSSH(t *testing.T) {
	for _, kind := range []string{"sqlite", "postgres"} {
		t.Run(kind, func(t *testing.T) { testAuditSSH(t, newAuditWorldOn(t, auditStores[kind], nil)) })
	}
}

func testAuditSSH(t *testing.T, w *auditWorld) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	acct := w.sshd.Account.Name
	if err := w.ssh(ctx, "alice", auditWrongPW, acct+"@web", "true").Run(); err == nil {
		t.Fatal("a wrong password logged in")
	}
	if err := w.ssh(ctx, "mallory", auditAlicePW, acct+"@web", "true").Run(); err == nil {
		t.Fatal("an unknown user logged in")
	}
	if out, err := w.ssh(ctx, "alice", auditAlicePW, acct+"@web", "whoami").Output(); err != nil || strings.TrimSpace(string(out)) != acct {
		t.Fatalf("whoami = %q, %v", out, err)
	}
	if err := w.ssh(ctx, "alice", auditAlicePW, "nobody@web", "true").Run(); err == nil {
		t.Fatal("an account alice may not use")
	}
	// A session cut by the revocation of her group's grant.
	long := w.ssh(ctx, "alice", auditAlicePW, acct+"@web", "sleep", "60")
	must(t, long.Start())
	for deadline := time.Now().Add(10 * time.Second); w.gw.Stats().Live == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the long session did not start")
		}
	}
	w.call("DetachHostAccountsFromUserGroup", map[string]string{"UserGroupId": w.ops.ID,
		"Hosts": `[{"HostId":"` + w.host.ID + `","HostAccountIds":["` + w.acct.ID + `"]}]`})
	done := make(chan error, 1)
	go func() { done <- long.Wait() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the revoked session is still up")
	}
	// The record ends once the session has ended: wait (bounded) for it.
	var evs []map[string]any
	var raw string
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if evs, raw = w.sshEvents(); len(evs) >= 7 || time.Now().After(deadline) {
			break
		}
	}
	var got []string
	for _, ev := range evs {
		w.checkCommon(ev)
		got = append(got, summary(ev))
	}
	sort.Strings(got)
	if strings.Contains(raw, "mallory") {
		t.Errorf("the trail holds the user name no user has (people type passwords there):\n%s", raw)
	}
	a := w.alice.ID
	want := []string{
		"BastionSSHLogin  alice " + a + " ", // the exit session
		"BastionSSHLogin  alice " + a + " ", // the revoked session
		"BastionSSHLogin InvalidPassword alice " + a + " ",
		"BastionSSHLogin InvalidUserName HIDDEN_DUE_TO_SECURITY_REASONS  ", // "mallory": no such user
		"BastionSSHLogin NoPermission alice " + a + " ",
		"BastionSSHSessionEnd  alice " + a + " exit",
		"BastionSSHSessionEnd  alice " + a + " revoked",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("events:\n%s\nwant:\n%s\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"), raw)
	}
	w.checkSessions(evs)
	w.noSecrets(raw)
}

// checkSessions fails unless each session's start and end share their
// requestId and name the host account, and each end names its record.
func (w *auditWorld) checkSessions(evs []map[string]any) {
	w.t.Helper()
	starts := map[string]map[string]any{}
	for _, ev := range evs {
		if ev["eventName"] == sshgw.EventLogin && ev["errorCode"] == "" {
			starts[str(ev["requestId"])] = ev
		}
	}
	ends := 0
	for _, ev := range evs {
		if ev["eventName"] != sshgw.EventSessionEnd {
			continue
		}
		ends++
		start, ok := starts[str(ev["requestId"])]
		add, _ := ev["additionalEventData"].(map[string]any)
		for _, e := range []map[string]any{start, ev} {
			params, _ := e["requestParameters"].(map[string]any)
			if params["HostId"] != w.host.ID || params["HostAccountName"] != w.sshd.Account.Name ||
				params["LoginMethod"] != "password" || e["resourceName"] != instance+","+w.host.ID {
				w.t.Errorf("session event %v", e)
			}
		}
		if !ok || str(add["SessionId"]) == "" || str(add["DurationSeconds"]) == "" || add["SessionMode"] != "exec" {
			w.t.Errorf("session end %v (start %v)", ev, start)
		}
	}
	if ends != 2 || len(starts) != 2 {
		w.t.Errorf("%d session starts, %d ends", len(starts), ends)
	}
}

// failingSessions is a store whose session records cannot be created: the
// store is asked for a record of an instance that does not exist, which
// fails inside its transaction.
type failingSessions struct{ localyun.Store }

func (f failingSessions) CreateBastionSession(ctx context.Context, s localyun.BastionSession) (localyun.BastionSession, error) {
	s.InstanceID = "bastionhost-cn-missing"
	return f.Store.CreateBastionSession(ctx, s)
}

// TestAuditSSHRecordFails: a session whose record the store could not
// create has no BastionSSHLogin event (nor an end: it has no record),
// although the session ran.
func TestAuditSSHRecordFails(t *testing.T) {
	for _, kind := range []string{"sqlite", "postgres"} {
		t.Run(kind, func(t *testing.T) {
			testAuditSSHRecordFails(t, newAuditWorldOn(t, auditStores[kind],
				func(st localyun.Store) sshgw.Store { return failingSessions{st} }))
		})
	}
}

func testAuditSSHRecordFails(t *testing.T, w *auditWorld) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	acct := w.sshd.Account.Name
	if out, err := w.ssh(ctx, "alice", auditAlicePW, acct+"@web", "whoami").Output(); err != nil || strings.TrimSpace(string(out)) != acct {
		t.Fatalf("whoami = %q, %v", out, err)
	}
	// The refused login after it is written: the trail is up to date.
	if err := w.ssh(ctx, "alice", auditWrongPW, acct+"@web", "true").Run(); err == nil {
		t.Fatal("a wrong password logged in")
	}
	evs, raw := w.sshEvents()
	if len(evs) != 1 || summary(evs[0]) != "BastionSSHLogin InvalidPassword alice "+w.alice.ID+" " {
		t.Fatalf("events %s", raw)
	}
}

// TestAuditSSHOfferedKey: a key the user has not registered, offered by a
// client that then gives up, is one InvalidPublicKey event.
func TestAuditSSHOfferedKey(t *testing.T) {
	w := newAuditWorld(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	keyFile := filepath.Join(t.TempDir(), "id")
	pemKey, _ := newKey(t)
	must(t, os.WriteFile(keyFile, []byte(pemKey), 0o600))
	cmd := w.cli.SSH(ctx, sshtest.Login{User: "alice", KeyFile: keyFile}, w.gw.Addr(instance), "true")
	if err := cmd.Run(); err == nil {
		t.Fatal("an unregistered key logged in")
	}
	// The gateway sees the client leave after the client has: wait
	// (bounded) for the event.
	var evs []map[string]any
	var raw string
	for deadline := time.Now().Add(5 * time.Second); len(evs) == 0 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		evs, raw = w.sshEvents()
	}
	if len(evs) != 1 || summary(evs[0]) != "BastionSSHLogin InvalidPublicKey alice "+w.alice.ID+" " {
		t.Fatalf("events %s", raw)
	}
	w.checkCommon(evs[0])
}

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
