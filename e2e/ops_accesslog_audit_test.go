package e2e_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/localyun/localyun"
	imds "github.com/localyun/localyun/internal/metadata"
	"github.com/localyun/localyun/internal/server"
)

// TestAccessLogAuditEvents: an access-log line names the audit event of
// its request: a change committed with its event has event=<eventId> and
// audit=written (the id the X-Localyun-Audit-Event header answers), a RAM
// denial and a gateway refusal of a known key audit=queued, credentials
// the metadata service issues audit=written and a wrong instance secret
// audit=queued; a read, a session served again and a refusal of an
// unknown key have none. A refused authentication names its
// AccessKeyId. The eventIds of the log are exactly those LookupEvents
// answers, each with its line's RequestId.
func TestAccessLogAuditEvents(t *testing.T) {
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
	masterKey := bytes.Repeat([]byte{9}, 32)
	srv := server.New(server.Options{Store: st, MasterKey: masterKey, AccessLog: slog.New(slog.NewJSONHandler(&logBuf, nil))})
	hs := httptest.NewServer(srv)
	defer hs.Close()
	u, _ := url.Parse(hs.URL)
	e := &env{t: t, URL: hs.URL, Host: u.Host, Store: st, srv: hs, server: srv}
	root := e.v1Client(keyA, secretA)
	call := func(action string, params P) string {
		t.Helper()
		res, err := e.common(root, "Ram", ramVersion, action, "JSON", params)
		must(err)
		return res.GetHttpHeaders()[server.AuditEventHeader][0]
	}
	created := call("CreateRole", P{"RoleName": "LogRole", "AssumeRolePolicyDocument": ecsTrust})
	if _, err := e.common(root, "Ram", ramVersion, "GetRole", "JSON", P{"RoleName": "LogRole"}); err != nil {
		t.Fatal(err)
	}
	call("CreateUser", P{"UserName": "nobody"})
	ak, err := e.common(root, "Ram", ramVersion, "CreateAccessKey", "JSON", P{"UserName": "nobody"})
	must(err)
	body, err := decodeJSON(ak.GetHttpContentBytes())
	must(err)
	key := body["AccessKey"].(map[string]any)
	if _, err := e.common(e.v1Client(str(key["AccessKeyId"]), str(key["AccessKeySecret"])), "Ram", ramVersion, "ListUsers", "JSON", P{}); err == nil {
		t.Fatal("ListUsers without a policy: allowed")
	}
	if _, err := e.common(e.v1Client(keyA, "not-the-secret"), "Ram", ramVersion, "ListUsers", "JSON", P{}); err == nil {
		t.Fatal("a wrong secret: allowed")
	}
	if _, err := e.common(e.v1Client("LTAI5tNoSuchKey000001", "x"), "Ram", ramVersion, "ListUsers", "JSON", P{}); err == nil {
		t.Fatal("an unknown key: allowed")
	}
	run, err := e.common(root, "Ecs", ecsVersion, "RunInstances", "JSON", runParams(P{"RamRoleName": "LogRole"}))
	must(err)
	body, err = decodeJSON(run.GetHttpContentBytes())
	must(err)
	inst := str(body["InstanceIdSets"].(map[string]any)["InstanceIdSet"].([]any)[0])
	secret := imds.InstanceSecret(masterKey, inst)
	for _, s := range []string{secret, secret, "wrong"} {
		res, err := http.Get(hs.URL + imds.CredentialsPath + "/" + inst + "/" + s)
		must(err)
		res.Body.Close()
	}
	hs.Close() // every line is written
	srv.FlushAuditEvents()
	lines := accessLines(t, logBuf.String())
	assertLine(t, lines, map[string]any{"action": "CreateRole", "status": 200.0, "event": created, "audit": "written"})
	assertLine(t, lines, map[string]any{"action": "ListUsers", "status": 403.0, "code": "NoPermission", "audit": "queued"})
	assertLine(t, lines, map[string]any{"action": "ListUsers", "code": "SignatureDoesNotMatch", "access_key_id": keyA, "audit": "queued"})
	assertLine(t, lines, map[string]any{"plane": "metadata", "instance": inst, "status": 200.0, "audit": "written"})
	assertLine(t, lines, map[string]any{"plane": "metadata", "instance": inst, "status": 401.0, "audit": "queued"})
	logged := map[string]string{} // eventId → the line's RequestId ("" on the metadata plane)
	issued := 0
	for _, l := range lines {
		id, _ := l["event"].(string)
		switch {
		case l["action"] == "GetRole" || l["code"] == "InvalidAccessKeyId.NotFound":
			if id != "" || l["audit"] != nil {
				t.Errorf("%v %v: event %q", l["action"], l["code"], id)
			}
		case l["plane"] == "metadata" && l["status"] == 200.0 && id != "":
			logged[id] = ""
			if issued++; issued > 1 {
				t.Errorf("credentials served again: event %s", id)
			}
		case id != "":
			logged[id] = str(l["request_id"])
		}
	}
	if l := accessLineOf(lines, "InvalidAccessKeyId.NotFound"); l == nil || l["access_key_id"] != "LTAI5tNoSuchKey000001" || l["principal"] != nil {
		t.Errorf("unknown key's line: %v", l)
	}
	hs2 := httptest.NewServer(srv)
	defer hs2.Close()
	e.Host = hs2.Listener.Addr().String()
	var fromLog, fromTrail []string
	for _, ev := range e.lookupAllEvents(t, accountA) {
		id := str(ev["eventId"])
		fromTrail = append(fromTrail, id)
		if rid, ok := logged[id]; ok && rid != "" && rid != ev["requestId"] {
			t.Errorf("event %s: requestId %v, the line's %s", id, ev["requestId"], rid)
		}
	}
	for id := range logged {
		fromLog = append(fromLog, id)
	}
	sort.Strings(fromLog)
	sort.Strings(fromTrail)
	if len(fromLog) != 8 || !slices.Equal(fromLog, fromTrail) {
		t.Errorf("event ids of the access log (want 8):\n\t%v\nLookupEvents:\n\t%v", fromLog, fromTrail)
	}
}

// accessLineOf returns the first line with the error code, or nil.
func accessLineOf(lines []map[string]any, code string) map[string]any {
	for _, l := range lines {
		if l["code"] == code {
			return l
		}
	}
	return nil
}
