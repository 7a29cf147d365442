package e2e_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ram"

	"github.com/localyun/localyun"
	meta "github.com/localyun/localyun/internal/metadata"
	"github.com/localyun/localyun/internal/server"
)

// TestAuditMetadataCredentials: the metadata service's data-plane events:
// credentials issued to an instance (a new session, once) and a request
// refused for a wrong secret of an existing instance; an unknown instance
// leaves none.
func TestAuditMetadataCredentials(t *testing.T) {
	st := openTestStore(t)
	ctx := context.Background()
	now := time.Now().UTC()
	if err := st.CreateAccount(ctx, localyun.Account{ID: accountA, Name: accountA, CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateAccessKey(ctx, localyun.AccessKey{ID: keyA, Secret: secretA, AccountID: accountA,
		Status: localyun.AccessKeyActive, CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	master := []byte("0123456789abcdef0123456789abcdef")
	s := server.New(server.Options{Store: st, MasterKey: master})
	hs := httptest.NewServer(s)
	t.Cleanup(func() { hs.Close(); st.Close() })
	u, _ := url.Parse(hs.URL)
	e := &env{t: t, URL: hs.URL, Host: u.Host, Store: st, srv: hs, server: s}

	m := newIAM(e, keyA, secretA)
	cr := ram.CreateCreateRoleRequest()
	cr.Domain, cr.RoleName, cr.AssumeRolePolicyDocument = e.Host, "EcsAppRole", ecsTrust
	if _, err := m.ram.CreateRole(cr); err != nil {
		t.Fatal(err)
	}
	run := ecs.CreateRunInstancesRequest()
	run.Domain = e.Host
	run.RegionId, run.ImageId, run.InstanceType, run.RamRoleName = region, "img", "ecs.g7.large", "EcsAppRole"
	rr, err := (&ecs.Client{Client: *e.v1Client(keyA, secretA)}).RunInstances(run)
	if err != nil {
		t.Fatal(err)
	}
	id := rr.InstanceIdSets.InstanceIdSet[0]
	get := func(id, secret string) int {
		res, err := http.Get(hs.URL + meta.CredentialsPath + "/" + id + "/" + secret)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	secret := meta.InstanceSecret(master, id)
	for range 2 { // the second is served the same session: no event
		if code := get(id, secret); code != 200 {
			t.Fatalf("credentials: %d", code)
		}
	}
	if code := get(id, "wrong"); code != 401 {
		t.Fatalf("wrong secret: %d", code)
	}
	if code := get("i-doesnotexist00000000", "wrong"); code != 401 {
		t.Fatalf("unknown instance: %d", code)
	}
	s.FlushAuditEvents()

	res, err := e.lookup(t, keyA, secretA, nil, "EventName", "IssueInstanceCredentials")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Events) != 1 {
		t.Fatalf("issued events = %v", res.Events)
	}
	ev := res.Events[0]
	ident := ev["userIdentity"].(map[string]any)
	if ev["eventType"] != localyun.EventTypeMetadata || ident["type"] != localyun.IdentityInstance || ident["userName"] != id ||
		ev["resourceName"] != id+",EcsAppRole" || ev["resourceType"] != "ACS::ECS::Instance,ACS::RAM::Role" || ev["errorCode"] != "" {
		t.Fatalf("issued event = %v", ev)
	}
	res, err = e.lookup(t, keyA, secretA, nil, "EventName", "InstanceCredentialsRefused")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Events) != 1 || res.Events[0]["errorCode"] != "InvalidInstanceSecret" || res.Events[0]["resourceName"] != id {
		t.Fatalf("refused events = %v", res.Events)
	}
}
