package e2e_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/actiontrail"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/protocol"
	"github.com/localyun/localyun/internal/server"
)

// The audit check of every e2e test ("every state change of the e2e
// suites appears in LookupEvents with the right identity and nothing else
// does"). newEnv wraps the server in auditRecorder, which records every
// API call: its RequestId, action, status, error code, AccessKeyId, and
// the x-localyun-audit-event header. At the end of the test, checkAudit
// pages LookupEvents (the official v1 SDK typed client, as each account's
// root) for every account a recorded call's key belongs to, and asserts
// that the RequestIds of the API events (ApiCall) are exactly:
//   - every successful call that answered the header: the server sets it
//     only when the call's event was written with its change, inside the
//     transaction that committed it; the criterion of "state-changing" is
//     that a write transaction of the call committed (a read, a call that
//     changed nothing and a failed call commit none). A read action
//     (Describe*, List*, Get*, Lookup*...) answering the header fails the
//     check, so that the header is not trusted blindly;
//   - every RAM denial (403 with AccessDeniedDetail) and throttled call;
//   - every gateway refusal of a key that still exists at the end
//     (SignatureDoesNotMatch, InvalidAccessKeyId.Inactive, ...);
// each with the identity of the key that signed it: userIdentity's
// accessKeyId, type and userName from the store's record of the key.

// recordedCall is one API call the recorder saw.
type recordedCall struct {
	rid, action, keyID, code string
	status                   int
	eventID                  string
	denial                   bool
}

// keyOwner is who an AccessKeyId authenticates.
type keyOwner struct {
	account, typ, userName string
}

type auditRecorder struct {
	st    localyun.Store
	mu    sync.Mutex
	calls []recordedCall
	keys  map[string]keyOwner // by AccessKeyId; zero account: unknown
}

var codeRE = regexp.MustCompile(`"Code":"([^"]*)"|<Code>([^<]*)</Code>`)

// wrap returns h with every API call ("/") recorded.
func (a *auditRecorder) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" || r.URL.IsAbs() {
			h.ServeHTTP(w, r)
			return
		}
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		params := r.URL.Query()
		if form, err := url.ParseQuery(string(body)); err == nil {
			for k, v := range form {
				params[k] = v
			}
		}
		keyID := params.Get("AccessKeyId")
		if auth := r.Header.Get("Authorization"); strings.HasPrefix(auth, "ACS3-") {
			if v3, err := protocol.ParseV3Authorization(auth); err == nil {
				keyID = v3.AccessKeyID
			}
		}
		action := params.Get("Action")
		if action == "" {
			action = r.Header.Get("x-acs-action")
		}
		a.learnKey(r.Context(), keyID)
		rw := &teeWriter{ResponseWriter: w}
		h.ServeHTTP(rw, r)
		c := recordedCall{rid: rw.Header().Get("X-Acs-Request-Id"), action: action, keyID: keyID, status: rw.status,
			eventID: rw.Header().Get(server.AuditEventHeader)}
		if m := codeRE.FindSubmatch(rw.body.Bytes()); m != nil {
			c.code = string(m[1]) + string(m[2])
		}
		c.denial = rw.status == http.StatusForbidden && bytes.Contains(rw.body.Bytes(), []byte("AccessDeniedDetail"))
		a.mu.Lock()
		a.calls = append(a.calls, c)
		a.mu.Unlock()
	})
}

// learnKey records who keyID authenticates, as the store says now.
func (a *auditRecorder) learnKey(ctx context.Context, keyID string) {
	a.mu.Lock()
	_, known := a.keys[keyID]
	a.mu.Unlock()
	if keyID == "" || known {
		return
	}
	var o keyOwner
	if strings.HasPrefix(keyID, "STS.") {
		if s, err := a.st.FindSession(ctx, keyID); err == nil {
			o = keyOwner{s.AccountID, localyun.IdentityAssumed, s.RoleName + ":" + s.SessionName}
		}
	} else if k, err := a.st.FindAccessKey(ctx, keyID); err == nil {
		o = keyOwner{k.AccountID, localyun.IdentityRoot, "root"}
		if k.UserName != "" {
			o.typ, o.userName = localyun.IdentityUser, k.UserName
		}
	}
	if o.account == "" {
		return // not (yet) a key: learnt if a later call uses it
	}
	a.mu.Lock()
	a.keys[keyID] = o
	a.mu.Unlock()
}

// teeWriter keeps the status and the body of an error answer.
type teeWriter struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (w *teeWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *teeWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if w.status != http.StatusOK && w.body.Len() < 1<<16 {
		w.body.Write(b)
	}
	return w.ResponseWriter.Write(b)
}

// expected returns the calls that must have an event (by RequestId, with
// the key that signed them), those that may (a gateway refusal of a key
// deleted since: the event depends on when its writer looked the key up)
// and the accounts to read.
func (a *auditRecorder) expected(t testing.TB, ctx context.Context) (want, may map[string]recordedCall, accounts map[string]bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	want, may, accounts = map[string]recordedCall{}, map[string]recordedCall{}, map[string]bool{}
	for _, c := range a.calls {
		o, ok := a.keys[c.keyID]
		if ok {
			accounts[o.account] = true
		}
		if c.eventID != "" && (c.status != http.StatusOK || localyun.ReadAction(c.action)) {
			t.Errorf("audit: %s %s (status %d) answered an audit event", c.action, c.rid, c.status)
		}
		must := c.eventID != "" || c.denial || c.code == "Throttling.User"
		if localyun.GatewayDenial(c.code) && ok {
			_, err := a.st.FindAccessKey(ctx, c.keyID)
			_, errS := a.st.FindSession(ctx, c.keyID)
			must = err == nil || errS == nil
			if !must {
				may[c.rid] = c
			}
		}
		if must && ok {
			want[c.rid] = c
		}
	}
	return want, may, accounts
}

// checkAudit is the audit check of a test (see the top of this file).
func (e *env) checkAudit(t testing.TB) {
	if t.Failed() {
		return // the first failure says more
	}
	ctx := context.Background()
	e.server.FlushAuditEvents()
	want, may, accounts := e.audit.expected(t, ctx)
	got := map[string]map[string]any{}
	for acct := range accounts {
		for _, ev := range e.lookupAllEvents(t, acct) {
			if ev["eventType"] != localyun.EventTypeAPICall {
				continue // data-plane events: their own tests
			}
			rid, _ := ev["requestId"].(string)
			got[rid] = ev
		}
	}
	var missing, extra []string
	for rid, c := range want {
		ev, ok := got[rid]
		if !ok {
			missing = append(missing, c.action+" "+rid+" "+c.code)
			continue
		}
		o := e.audit.keys[c.keyID]
		id, _ := ev["userIdentity"].(map[string]any)
		if id["accessKeyId"] != c.keyID || id["type"] != o.typ || id["userName"] != o.userName || ev["recipientAccountId"] != o.account {
			t.Errorf("audit: %s %s: identity %v, want %s %s %s in %s", c.action, rid, id, c.keyID, o.typ, o.userName, o.account)
		}
		if ev["eventName"] != c.action {
			t.Errorf("audit: %s: eventName %v, want %s", rid, ev["eventName"], c.action)
		}
	}
	for rid, ev := range got {
		_, ok := want[rid]
		if _, maybe := may[rid]; !ok && !maybe {
			extra = append(extra, ev["eventName"].(string)+" "+rid+" "+ev["errorCode"].(string))
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 || len(extra) > 0 {
		t.Errorf("audit trail differs from the calls:\n\tmissing: %v\n\tunexpected: %v", missing, extra)
	}
}

// lookupAllEvents pages LookupEvents (v1 typed client) as the root of
// acct, with a root key the harness adds to the store.
func (e *env) lookupAllEvents(t testing.TB, acct string) []map[string]any {
	keyID, secret := "LTAI5tAuditCheck"+acct, "auditCheckSecret0000000000000000"
	err := e.Store.CreateAccessKey(context.Background(), localyun.AccessKey{ID: keyID, Secret: secret, AccountID: acct,
		Status: localyun.AccessKeyActive, CreatedAt: time.Now()})
	if err != nil && !errors.Is(err, localyun.ErrAlreadyExists) {
		t.Fatal(err)
	}
	c, err := actiontrail.NewClientWithAccessKey(region, keyID, secret)
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	token := ""
	for {
		req := actiontrail.CreateLookupEventsRequest()
		req.Domain, req.Scheme = e.Host, "http"
		req.MaxResults, req.NextToken = "50", token
		res, err := c.LookupEvents(req)
		if err != nil {
			t.Fatalf("LookupEvents as %s: %v", acct, err)
		}
		out = append(out, res.Events...)
		if token = res.NextToken; token == "" {
			return out
		}
	}
}
