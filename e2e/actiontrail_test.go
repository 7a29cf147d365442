package e2e_test

import (
	"strings"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/actiontrail"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
)

// lookup pages nothing: one LookupEvents call with the typed client.
func (e *env) lookup(t *testing.T, key, secret string, set func(*actiontrail.LookupEventsRequest), attrs ...string) (*actiontrail.LookupEventsResponse, error) {
	t.Helper()
	c, err := actiontrail.NewClientWithAccessKey(region, key, secret)
	if err != nil {
		t.Fatal(err)
	}
	req := actiontrail.CreateLookupEventsRequest()
	req.Domain, req.Scheme = e.Host, "http"
	var as []actiontrail.LookupEventsLookupAttribute
	for i := 0; i+1 < len(attrs); i += 2 {
		as = append(as, actiontrail.LookupEventsLookupAttribute{Key: attrs[i], Value: attrs[i+1]})
	}
	if as != nil {
		req.LookupAttribute = &as
	}
	if set != nil {
		set(req)
	}
	return c.LookupEvents(req)
}

func eventNames(evs []map[string]any) []string {
	var out []string
	for _, ev := range evs {
		out = append(out, ev["eventName"].(string))
	}
	return out
}

// TestLookupEvents: the audit trail through the official SDKs: the typed
// v1 client, CommonRequest JSON and XML, V3 CallApi; its lookup keys,
// paging, order, errors, RAM authorization and account scoping.
func TestLookupEvents(t *testing.T) {
	e := newEnv(t)
	ecsc, id := ecsWorld(t, e) // CreateRole, RunInstances as root of A
	m := newIAM(e, keyA, secretA)
	devKey, devSecret := m.user("dev")
	devEcs := &ecs.Client{Client: *e.v1Client(devKey, devSecret)}
	if _, err := devEcs.DetachInstanceRamRole(detachReq(e, id)); err == nil {
		t.Fatal("dev detached without a policy")
	}
	if _, err := ecsc.DetachInstanceRamRole(detachReq(e, id)); err != nil {
		t.Fatal(err)
	}
	e.server.FlushAuditEvents() // denials are written in the background

	// The detach, with its identity and resource.
	res, err := e.lookup(t, keyA, secretA, nil, "EventName", "DetachInstanceRamRole")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Events) != 2 || res.NextToken != "" {
		t.Fatalf("DetachInstanceRamRole events = %v", res.Events)
	}
	ok, denied := res.Events[0], res.Events[1] // newest first
	id0 := ok["userIdentity"].(map[string]any)
	if ok["errorCode"] != "" || id0["type"] != "root-account" || id0["accessKeyId"] != keyA || ok["resourceName"] != id ||
		ok["resourceType"] != "ACS::ECS::Instance" || ok["eventSource"] != "ecs.aliyuncs.com" || ok["eventRW"] != "Write" ||
		ok["serviceName"] != "Ecs" || ok["acsRegion"] != region || ok["eventVersion"] != "1" {
		t.Fatalf("detach event = %v", ok)
	}
	params := ok["requestParameters"].(map[string]any)
	if params["RamRoleName"] != "EcsAppRole" || params["Signature"] != nil || params["AccessKeyId"] != keyA {
		t.Fatalf("requestParameters = %v", params)
	}
	id1 := denied["userIdentity"].(map[string]any)
	if denied["errorCode"] != "Forbidden.RAM" || id1["type"] != "ram-user" || id1["userName"] != "dev" || id1["accessKeyId"] != devKey {
		t.Fatalf("denial event = %v", denied)
	}

	// Each lookup key, and two at once.
	for _, tc := range []struct {
		attrs []string
		want  string
	}{
		{[]string{"ResourceName", id}, "DetachInstanceRamRole,DetachInstanceRamRole,RunInstances"},
		{[]string{"User", "dev"}, "DetachInstanceRamRole"},
		{[]string{"ServiceName", "Ram"}, "CreateAccessKey,CreateUser,CreateRole"},
		{[]string{"ResourceType", "ACS::RAM::Role"}, "CreateRole"},
		{[]string{"EventAccessKeyId", devKey}, "DetachInstanceRamRole"},
		{[]string{"EventRW", "Write", "User", "dev"}, "DetachInstanceRamRole"},
		{[]string{"EventId", ok["eventId"].(string)}, "DetachInstanceRamRole"},
	} {
		res, err := e.lookup(t, keyA, secretA, nil, tc.attrs...)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(eventNames(res.Events), ","); got != tc.want {
			t.Errorf("%v: %s, want %s", tc.attrs, got, tc.want)
		}
	}

	// Paging, forward: one event a page, the token bound to the request.
	var names []string
	token := ""
	for {
		res, err := e.lookup(t, keyA, secretA, func(r *actiontrail.LookupEventsRequest) {
			r.MaxResults, r.NextToken, r.Direction = "1", token, "FORWARD"
		}, "EventRW", "Write")
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, eventNames(res.Events)...)
		if token = res.NextToken; token == "" {
			break
		}
		if _, err := e.lookup(t, keyA, secretA, func(r *actiontrail.LookupEventsRequest) { r.NextToken = token }); err == nil {
			t.Fatal("a NextToken of other parameters was accepted")
		} else {
			serverError(t, err, "InvalidParameter.NextToken", 400)
		}
	}
	if got := strings.Join(names, ","); got != "CreateRole,RunInstances,CreateUser,CreateAccessKey,DetachInstanceRamRole,DetachInstanceRamRole" {
		t.Fatalf("forward pages: %s", got)
	}

	// Bad input: 400s.
	for _, tc := range []struct {
		set   func(*actiontrail.LookupEventsRequest)
		attrs []string
		code  string
	}{
		{nil, []string{"Bogus", "x"}, "InvalidParameter.LookupAttribute"},
		{nil, []string{"User", "a", "User", "b", "EventRW", "Write"}, "InvalidParameter.LookupAttribute"},
		{func(r *actiontrail.LookupEventsRequest) { r.StartTime = "2026-01-01T00:00:00Z" }, nil, "InvalidParameter.Time"},
		{func(r *actiontrail.LookupEventsRequest) { r.StartTime, r.EndTime = "2026-01-01", "2026-01-02" }, nil, "InvalidParameter.StartTime"},
		{func(r *actiontrail.LookupEventsRequest) { r.MaxResults = "51" }, nil, "InvalidParameter.MaxResults"},
		{func(r *actiontrail.LookupEventsRequest) { r.Direction = "UP" }, nil, "InvalidParameter.Direction"},
		{func(r *actiontrail.LookupEventsRequest) { r.NextToken = "garbage" }, nil, "InvalidParameter.NextToken"},
	} {
		_, err := e.lookup(t, keyA, secretA, tc.set, tc.attrs...)
		serverError(t, err, tc.code, 400)
	}

	// RAM: dev may not; with a policy it may, and sees the account's events.
	_, err = e.lookup(t, devKey, devSecret, nil)
	serverError(t, err, "NoPermission", 403)
	m.customPolicy("AuditRead", `{"Version":"1","Statement":[{"Effect":"Allow","Action":"actiontrail:LookupEvents","Resource":"acs:actiontrail:*:`+accountA+`:*"}]}`)
	m.attach("Custom", "AuditRead", "dev")
	e.server.FlushAuditEvents()
	if res, err := e.lookup(t, devKey, devSecret, nil, "User", "dev"); err != nil || len(res.Events) != 2 {
		t.Fatalf("dev's events: %v, %v", res, err)
	}

	// Account B sees none of A's events.
	if res, err := e.lookup(t, keyB, secretB, nil); err != nil || len(res.Events) != 0 {
		t.Fatalf("B's events: %v, %v", res, err)
	}

	// CommonRequest JSON and XML, V3 CallApi.
	c := e.v1Client(keyA, secretA)
	q := map[string]string{"LookupAttribute.1.Key": "EventName", "LookupAttribute.1.Value": "RunInstances"}
	js, err := e.common(c, "Actiontrail", "2020-07-06", "LookupEvents", "JSON", q)
	if err != nil || !strings.Contains(js.GetHttpContentString(), `"eventName":"RunInstances"`) {
		t.Fatalf("JSON: %v %v", js, err)
	}
	x, err := e.common(c, "Actiontrail", "2020-07-06", "LookupEvents", "XML", q)
	if err != nil || !strings.Contains(x.GetHttpContentString(), "<Events>") ||
		!strings.Contains(x.GetHttpContentString(), "<eventName>RunInstances</eventName>") {
		t.Fatalf("XML: %v %v", x, err)
	}
	body, err := callV3(e.teaClient(keyA, secretA), "2020-07-06", "LookupEvents", q)
	if err != nil {
		t.Fatal(err)
	}
	evs, _ := body["Events"].([]any)
	if len(evs) != 1 || evs[0].(map[string]any)["resourceName"] != id {
		t.Fatalf("V3: %v", body)
	}
}
