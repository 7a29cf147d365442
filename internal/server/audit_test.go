package server_test

import (
	"context"
	"encoding/json"
	"net/url"
	"testing"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/server"
	"github.com/localyun/localyun/internal/sqlite"
)

const auditAccount = "1234567890123456"

// lookupAll returns the events LookupEvents answers the root of the
// account, through Invoke.
func lookupAll(t *testing.T, s *server.Server, params url.Values) []map[string]any {
	t.Helper()
	s.FlushAuditEvents()
	root := localyun.Principal{AccountID: auditAccount, Type: localyun.PrincipalTypeRoot, AccessKeyID: "AKroot"}
	body, _, err := s.Invoke(context.Background(), root, server.Call{Version: "2020-07-06", Action: "LookupEvents", Params: params})
	if err != nil {
		t.Fatal(err)
	}
	var res struct{ Events []map[string]any }
	if err := json.Unmarshal(body, &res); err != nil {
		t.Fatal(err)
	}
	return res.Events
}

// TestAuditThroughInvoke: a change has its event, with the identity of
// each kind of principal and the console's event type; a failed change
// and a read have none; a RAM denial has one.
func TestAuditThroughInvoke(t *testing.T) {
	st, err := sqlite.Open(context.Background(), ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	if err := st.CreateAccount(ctx, localyun.Account{ID: auditAccount}); err != nil {
		t.Fatal(err)
	}
	s := server.New(server.Options{Store: st})
	root := localyun.Principal{AccountID: auditAccount, Type: localyun.PrincipalTypeRoot, AccessKeyID: "AKroot"}
	user := localyun.Principal{AccountID: auditAccount, Type: localyun.PrincipalTypeUser, UserName: "dev", AccessKeyID: "AKdev"}
	call := func(ctx context.Context, p localyun.Principal, action string, kv ...string) (string, error) {
		params := url.Values{}
		for i := 0; i+1 < len(kv); i += 2 {
			params.Set(kv[i], kv[i+1])
		}
		_, rid, err := s.Invoke(ctx, p, server.Call{Version: "2015-05-01", Action: action, Params: params, SourceIP: "10.0.0.1", UserAgent: "console"})
		return rid, err
	}
	trust := `{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":["ecs.aliyuncs.com"]}}]}`
	created, err := call(localyun.WithEventType(ctx, localyun.EventTypeConsole), root, "CreateRole", "RoleName", "r1", "AssumeRolePolicyDocument", trust)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := call(ctx, root, "CreateRole", "RoleName", "r1", "AssumeRolePolicyDocument", trust); err == nil {
		t.Fatal("a duplicate role was created")
	}
	if _, err := call(ctx, root, "ListRoles"); err != nil {
		t.Fatal(err)
	}
	denied, err := call(ctx, user, "DeleteRole", "RoleName", "r1")
	if err == nil {
		t.Fatal("dev deleted a role without a policy")
	}
	evs := lookupAll(t, s, nil)
	if len(evs) != 2 {
		t.Fatalf("events = %v", evs)
	}
	d, c := evs[0], evs[1]
	cid := c["userIdentity"].(map[string]any)
	if c["requestId"] != created || c["eventType"] != "ConsoleOperation" || c["eventName"] != "CreateRole" ||
		c["resourceName"] != "r1" || c["resourceType"] != "ACS::RAM::Role" || c["sourceIpAddress"] != "10.0.0.1" ||
		c["userAgent"] != "console" || cid["type"] != "root-account" || cid["userName"] != "root" || cid["accessKeyId"] != "AKroot" {
		t.Fatalf("CreateRole event = %v", c)
	}
	did := d["userIdentity"].(map[string]any)
	if d["requestId"] != denied || d["errorCode"] != "NoPermission" || d["eventType"] != "ApiCall" || d["resourceName"] != "r1" ||
		did["type"] != "ram-user" || did["userName"] != "dev" || did["accessKeyId"] != "AKdev" {
		t.Fatalf("denial event = %v", d)
	}
	if doc := c["requestParameters"].(map[string]any)["AssumeRolePolicyDocument"]; doc != trust {
		t.Fatalf("requestParameters = %v", c["requestParameters"])
	}
}
