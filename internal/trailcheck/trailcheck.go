// Package trailcheck checks the audit trail of a real `localyun serve`
// process against its access log, for the suites that drive one (e2e/node,
// e2e/metadata): "every state change appears in LookupEvents with the
// right identity and nothing else does".
//
// The server runs with --log-format json --access-log (the access log is
// off by default); the suite hands Check everything the process wrote on stderr
// and the root AccessKey of every account. Check pages LookupEvents (the
// official v1 SDK typed client, as each account's root, the whole time
// range) and asserts that the events are exactly those the log calls for,
// matched by eventId:
//   - every API line with audit=written (the server writes it when the
//     call's event was written with its change, in the transaction that
//     committed it): a 200 of an action that does not read (Describe*,
//     List*, Get*... answering one fails), with the event's requestId,
//     eventName and the identity of the line's principal (accessKeyId,
//     type, userName, recipientAccountId). Not only the server's word: a
//     200 of an action that does not read without audit=written fails the
//     check, as the suites make no call that succeeds and changes nothing
//     (a suite that did, an idempotent replay say, would need to say so);
//   - every denial, classified here from the line's status and code, not
//     from the server's word: a 403 of an authenticated call with a
//     product's RAM denial code (NoPermission, Forbidden.RAM,
//     InvalidUser.PassRoleForbidden), a throttled call (Throttling.User),
//     a gateway refusal (SignatureDoesNotMatch, an expired or mismatched
//     SecurityToken...) of a key the log shows authenticated or a root key
//     of the seed; each must also be audit=queued, and nothing else may be.
//     A gateway refusal of a key the log never saw authenticated may have
//     an event (with that accessKeyId) or not: the server drops it when the
//     key has no account;
//   - on the metadata service, every line with audit=written is a 200 with
//     an IssueInstanceCredentials event (MetadataServiceCall) of its
//     instance, and the first credentials of each instance served in the
//     log must be such a line (an instance's first session is new);
//     credentials served again from a current session have no event, and
//     the log cannot tell a later new session (after an expiry or a role
//     change) from a served one, so those are matched only by the
//     server's word. A wrong instance secret (audit=queued, 401 or 407)
//     must have its InstanceCredentialsRefused event when a later line
//     served that instance (it existed), may otherwise.
//
// The check is duplicated in spirit from e2e/audit_harness_test.go, which
// does the same for the in-process suites from the HTTP answers; the
// classification of denials is the same (it reads the AccessDeniedDetail
// in the body where this reads the code).
package trailcheck

import (
	"bufio"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/actiontrail"

	"github.com/localyun/localyun"
)

// Account is an account whose trail is read, with a root AccessKey pair.
type Account struct {
	ID, KeyID, Secret string
}

// line is one access-log line (internal/server/accesslog.go).
type line struct {
	Plane     string `json:"plane"`
	RequestID string `json:"request_id"`
	Action    string `json:"action"`
	Status    int    `json:"status"`
	Code      string `json:"code"`
	Event     string `json:"event"`
	Audit     string `json:"audit"`
	Claimed   string `json:"access_key_id"` // a refused authentication's key
	Principal *struct {
		Type        string `json:"type"`
		Account     string `json:"account"`
		AccessKeyID string `json:"access_key_id"`
		User        string `json:"user"`
		RoleSession string `json:"role_session"`
	} `json:"principal"`
	Instance string `json:"instance"`
	Via      string `json:"via"`
	Path     string `json:"path"`
}

// identity is who an event must name; an empty field is not checked.
type identity struct {
	keyID, typ, userName, account string
}

// expectation is the event a line calls for.
type expectation struct {
	line      line
	name, typ string // eventName, eventType
	who       identity
	must      bool
}

const (
	written = "written"
	queued  = "queued"

	eventAPICall  = "ApiCall"
	eventMetadata = "MetadataServiceCall"
)

// denyCodes are the codes of the products' RAM denials (protocol.Product
// DenyCode) and of a refused PassRole: a 403 with AccessDeniedDetail.
var denyCodes = map[string]bool{"NoPermission": true, "Forbidden.RAM": true, "InvalidUser.PassRoleForbidden": true}

// credentialsRE are the metadata paths that serve role credentials.
var credentialsRE = regexp.MustCompile(`^(/localyun/instance-credentials|/latest/meta-data/ram/security-credentials/[^/]+)$`)

// Check asserts that the trail of the accounts is what the access log
// calls for (see the package comment); endpoint is the server's host:port
// (HTTP), log returns what the server wrote on stderr so far; accounts
// are every account the log may name (at least one: the first makes the
// call that settles the log).
func Check(t testing.TB, endpoint string, log func() string, accounts []Account) {
	t.Helper()
	lines, err := parse(settled(t, endpoint, log, accounts[0]))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	want := expect(t, lines, accounts)
	var missing, extra []string
	// Denials are written by a queue: wait a little for the stragglers.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		events := map[string]map[string]any{}
		for _, a := range accounts {
			for _, ev := range lookupAll(t, endpoint, a) {
				events[str(ev["eventId"])] = ev
			}
		}
		if missing, _ = compare(t, want, events, false); len(missing) == 0 || time.Now().After(deadline) {
			missing, extra = compare(t, want, events, true)
			break
		}
	}
	if len(missing) > 0 || len(extra) > 0 {
		t.Errorf("audit trail differs from the access log (%d lines):\n\tmissing: %v\n\tunexpected: %v", len(lines), missing, extra)
	}
	counts := map[string]int{}
	for _, e := range want {
		k := e.typ + " " + e.line.Audit
		if !e.must {
			k += " (may)"
		}
		counts[k]++
	}
	t.Logf("audit trail: %d access lines; events expected %v; checked in %v", len(lines), counts, time.Since(start).Round(time.Millisecond))
}

// settled returns the log once it holds every line of the requests
// answered before the call: a line is written before its answer, but it
// reaches log through a pipe. It makes one call (LookupEvents as a) and
// waits for that call's line, written after all of theirs.
func settled(t testing.TB, endpoint string, log func() string, a Account) string {
	t.Helper()
	c, err := actiontrail.NewClientWithAccessKey("cn-hangzhou", a.KeyID, a.Secret)
	if err != nil {
		t.Fatal(err)
	}
	req := actiontrail.CreateLookupEventsRequest()
	req.Domain, req.Scheme, req.MaxResults = endpoint, "http", "1"
	res, err := c.LookupEvents(req)
	if err != nil || res.RequestId == "" {
		t.Fatalf("LookupEvents as the root of %s: %v", a.ID, err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if l := log(); strings.Contains(l, res.RequestId) {
			return l
		} else if time.Now().After(deadline) {
			t.Fatalf("the access log has no line of request %s after 10s:\n%s", res.RequestId, l)
		}
	}
}

// parse returns the access lines of log: JSON lines whose msg is
// "access" (other lines, JSON or not, are skipped).
func parse(log string) ([]line, error) {
	var out []line
	sc := bufio.NewScanner(strings.NewReader(log))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		b := sc.Bytes()
		if !strings.Contains(string(b), `"msg":"access"`) {
			continue
		}
		var l line
		if err := json.Unmarshal(b, &l); err != nil {
			return nil, fmt.Errorf("access line %q: %v", b, err)
		}
		out = append(out, l)
	}
	return out, sc.Err()
}

// expect returns the events lines call for, by eventId, and fails t on a
// line whose audit note contradicts its classification.
func expect(t testing.TB, lines []line, accounts []Account) map[string]expectation {
	t.Helper()
	owners := map[string]identity{} // AccessKeyId → who it authenticates
	known := map[string]bool{}
	for _, a := range accounts {
		owners[a.KeyID] = identity{a.KeyID, "root-account", "root", a.ID}
		known[a.ID] = true
	}
	for _, l := range lines {
		if l.Principal != nil {
			owners[l.Principal.AccessKeyID] = principalIdentity(l)
			if !known[l.Principal.Account] {
				t.Errorf("access log: %s %s in account %s, whose trail the check does not read", l.Action, l.RequestID, l.Principal.Account)
			}
		}
	}
	want := map[string]expectation{}
	firstCredentials := map[string]bool{}
	for i, l := range lines {
		var e expectation
		var ok bool
		if l.Plane == "metadata" {
			e, ok = expectMetadata(t, l, lines[i+1:], firstCredentials)
		} else {
			e, ok = expectAPI(t, l, owners)
		}
		if ok {
			want[l.Event] = e
		}
	}
	return want
}

// principalIdentity is the identity of the principal of l.
func principalIdentity(l line) identity {
	p := l.Principal
	id := identity{keyID: p.AccessKeyID, account: p.Account}
	switch p.Type {
	case "RootUser":
		id.typ, id.userName = "root-account", "root"
	case "SubUser":
		id.typ, id.userName = "ram-user", p.User
	case "AssumedRoleUser":
		id.typ, id.userName = "assumed-role", p.RoleSession
	}
	return id
}

// expectAPI returns the event an API line calls for, if any.
func expectAPI(t testing.TB, l line, owners map[string]identity) (expectation, bool) {
	t.Helper()
	e := expectation{line: l, name: l.Action, typ: eventAPICall, must: true}
	authenticated := l.Principal != nil
	denial := authenticated && (l.Status == 403 && denyCodes[l.Code] || l.Code == "Throttling.User")
	gateway := !authenticated && localyun.GatewayDenial(l.Code) && l.Claimed != ""
	switch {
	case l.Audit == written:
		if l.Status != 200 || localyun.ReadAction(l.Action) || !authenticated || l.Event == "" {
			t.Errorf("access log: %s %s (status %d %s) has an event written with a change", l.Action, l.RequestID, l.Status, l.Code)
		}
		e.who = principalIdentity(l)
	case denial || gateway:
		if l.Audit != queued || l.Event == "" {
			t.Errorf("access log: the denial %s %s (%d %s) queued no event (audit %q)", l.Action, l.RequestID, l.Status, l.Code, l.Audit)
			return e, false
		}
		if denial {
			e.who = principalIdentity(l)
		} else if who, ok := owners[l.Claimed]; ok {
			e.who = who
		} else {
			e.who, e.must = identity{keyID: l.Claimed}, false
		}
	case l.Audit != "" || l.Event != "":
		t.Errorf("access log: %s %s (%d %s) is no change and no denial, but has event %q (audit %q)", l.Action, l.RequestID, l.Status, l.Code, l.Event, l.Audit)
		return e, false
	case l.Status == 200 && authenticated && !localyun.ReadAction(l.Action):
		t.Errorf("access log: %s %s succeeded, but no event was written with it", l.Action, l.RequestID)
		return e, false
	default:
		return e, false
	}
	return e, true
}

// expectMetadata returns the event a metadata-service line calls for, if
// any; later are the lines after it; first holds the instances already
// served credentials.
func expectMetadata(t testing.TB, l line, later []line, first map[string]bool) (expectation, bool) {
	t.Helper()
	isCredentials := l.Status == 200 && credentialsRE.MatchString(l.Path)
	if isCredentials && !first[l.Instance] {
		first[l.Instance] = true
		if l.Audit != written {
			t.Errorf("access log: the first credentials of %s (%s %s) have no event written", l.Instance, l.Via, l.Path)
		}
	}
	who := identity{typ: "ecs-instance", userName: l.Instance}
	switch l.Audit {
	case "":
		return expectation{}, false
	case written:
		if !isCredentials || l.Event == "" {
			t.Errorf("access log: metadata %s %s (status %d) has an event written", l.Via, l.Path, l.Status)
		}
		return expectation{line: l, name: "IssueInstanceCredentials", typ: eventMetadata, who: who, must: true}, true
	case queued:
		if l.Status != 401 && l.Status != 407 || l.Instance == "" {
			t.Errorf("access log: metadata %s %s (status %d) queued an event", l.Via, l.Instance, l.Status)
		}
		must := false
		for _, m := range later {
			must = must || m.Plane == "metadata" && m.Instance == l.Instance && m.Status == 200
		}
		return expectation{line: l, name: "InstanceCredentialsRefused", typ: eventMetadata, who: who, must: must}, true
	}
	t.Errorf("access log: metadata line with audit %q", l.Audit)
	return expectation{}, false
}

// compare matches the events against want: it returns the events
// missing and those no line calls for, and fails t on a matched event
// whose name, type, request or identity is not the line's (when report).
func compare(t testing.TB, want map[string]expectation, events map[string]map[string]any, report bool) (missing, extra []string) {
	t.Helper()
	for id, ev := range events {
		e, ok := want[id]
		if !ok {
			extra = append(extra, fmt.Sprintf("%v %v %v %v", ev["eventType"], ev["eventName"], ev["requestId"], ev["errorCode"]))
			continue
		}
		if !report {
			continue
		}
		if diff := mismatch(e, ev); diff != "" {
			t.Errorf("audit: event %s of %s %s: %s", id, e.name, e.line.RequestID, diff)
		}
	}
	for id, e := range want {
		if _, ok := events[id]; !ok && e.must {
			missing = append(missing, fmt.Sprintf("%s %s %s %d %s", e.name, id, e.line.RequestID, e.line.Status, e.line.Code))
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	return missing, extra
}

// mismatch describes how ev differs from e ("" when it does not).
func mismatch(e expectation, ev map[string]any) string {
	var out []string
	check := func(field string, got any, want string) {
		if want != "" && str(got) != want {
			out = append(out, fmt.Sprintf("%s %q, want %q", field, str(got), want))
		}
	}
	id, _ := ev["userIdentity"].(map[string]any)
	check("eventName", ev["eventName"], e.name)
	check("eventType", ev["eventType"], e.typ)
	if e.typ == eventAPICall {
		check("requestId", ev["requestId"], e.line.RequestID)
	}
	check("userIdentity.accessKeyId", id["accessKeyId"], e.who.keyID)
	check("userIdentity.type", id["type"], e.who.typ)
	check("userIdentity.userName", id["userName"], e.who.userName)
	check("recipientAccountId", ev["recipientAccountId"], e.who.account)
	return strings.Join(out, "; ")
}

// lookupAll pages LookupEvents as the root of a over every time.
func lookupAll(t testing.TB, endpoint string, a Account) []map[string]any {
	t.Helper()
	c, err := actiontrail.NewClientWithAccessKey("cn-hangzhou", a.KeyID, a.Secret)
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	token := ""
	for {
		req := actiontrail.CreateLookupEventsRequest()
		req.Domain, req.Scheme = endpoint, "http"
		req.StartTime, req.EndTime = "2000-01-01T00:00:00Z", "2100-01-01T00:00:00Z"
		req.MaxResults, req.NextToken = "50", token
		res, err := c.LookupEvents(req)
		if err != nil {
			t.Fatalf("LookupEvents as the root of %s: %v", a.ID, err)
		}
		for _, ev := range res.Events {
			if ev["recipientAccountId"] != a.ID {
				t.Errorf("LookupEvents as the root of %s: an event of %v", a.ID, ev["recipientAccountId"])
			}
		}
		out = append(out, res.Events...)
		if token = res.NextToken; token == "" {
			return out
		}
	}
}

func str(v any) string {
	s, _ := v.(string)
	return s
}
