package console_test

import (
	"bufio"
	"context"
	"fmt"
	"html"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/server"
	"github.com/localyun/localyun/internal/sqlite"
)

// streamEvent appends an event of account A with id at t, straight into
// the store (as the audit queue writes a denial).
func (w *world) streamEvent(id string, t time.Time) {
	w.t.Helper()
	must(w.t, w.store.AppendEvents(context.Background(), []localyun.Event{eventAt(id, t)}))
}

func eventAt(id string, t time.Time) localyun.Event {
	return localyun.Event{ID: id, Name: "DescribeInstances",
		Time: t.UTC(), Source: "ecs.aliyuncs.com", Type: localyun.EventTypeAPICall, RW: localyun.EventRead,
		Region: region, Service: "Ecs", SourceIP: "127.0.0.1", RequestID: id, Parameters: map[string]string{},
		Identity:  localyun.EventIdentity{Type: "root-account", AccountID: account, AccessKeyID: rootKey, UserName: "root"},
		AccountID: account, Additional: map[string]string{}}
}

// openStream opens the live stream from since and returns its lines.
func (b *browser) openStream(since time.Time) <-chan string {
	b.t.Helper()
	q := url.Values{"since": {since.UTC().Format("2006-01-02T15:04:05Z")}}
	ctx, cancel := context.WithCancel(context.Background())
	b.t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", b.w.srv.URL+"/console/events/stream?"+q.Encode(), nil)
	res, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	b.t.Cleanup(func() { res.Body.Close() })
	if res.StatusCode != http.StatusOK {
		b.t.Fatalf("stream: %d", res.StatusCode)
	}
	lines := make(chan string, 10000)
	go func() {
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	return lines
}

// awaitEvent waits for the stream's event id.
func awaitEvent(t *testing.T, lines <-chan string, id string) {
	t.Helper()
	timeout := time.After(8 * time.Second)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("the stream ended before event %s", id)
			}
			if strings.HasPrefix(l, "data: ") && strings.Contains(l, `"id":"`+id+`"`) {
				return
			}
		case <-timeout:
			t.Fatalf("event %s never reached the stream", id)
		}
	}
}

// TestStreamCrowdedSecond: more events in one second than a poll reads
// do not stop the stream at that second.
func TestStreamCrowdedSecond(t *testing.T) {
	w := newWorld(t, true)
	b := w.newBrowser()
	b.signIn(rootKey, rootSecret)
	now := time.Now().UTC().Truncate(time.Second).Add(time.Second)
	lines := b.openStream(now)
	var evs []localyun.Event
	for i := range 1200 {
		evs = append(evs, eventAt(fmt.Sprintf("EV-CROWD-%019d", i), now.Add(time.Duration(i)*time.Microsecond)))
	}
	must(t, w.store.AppendEvents(context.Background(), evs))
	w.streamEvent("EV-AFTER-0000000000000000001", now.Add(time.Second))
	awaitEvent(t, lines, "EV-AFTER-0000000000000000001")
}

// TestStreamLateEvent: an event stored after a newer one was sent, with an
// older eventTime (a queued denial, a group commit), still reaches the
// live stream.
func TestStreamLateEvent(t *testing.T) {
	w := newWorld(t, true)
	b := w.newBrowser()
	b.signIn(rootKey, rootSecret)
	now := time.Now().UTC()
	lines := b.openStream(now)
	w.streamEvent("EV-NEWER-0000000000000000001", now.Add(time.Second))
	awaitEvent(t, lines, "EV-NEWER-0000000000000000001")
	w.streamEvent("EV-LATE-00000000000000000001", now.Add(-2*time.Second))
	awaitEvent(t, lines, "EV-LATE-00000000000000000001")
}

// TestConsoleThrottled: console calls take the key's rate like signed
// requests: with one request per 100 s, the second page shows
// Throttling.User.
func TestConsoleThrottled(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "localyun.db"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	must(t, st.CreateAccount(ctx, localyun.Account{ID: account, Name: "console", CreatedAt: now}))
	must(t, st.CreateAccessKey(ctx, localyun.AccessKey{ID: rootKey, Secret: rootSecret, AccountID: account,
		Status: localyun.AccessKeyActive, CreatedAt: now}))
	w := &world{t: t, store: st, logs: &syncBuffer{}}
	w.srv = httptest.NewServer(server.New(server.Options{Store: st, Console: true, RateLimit: 0.01, // one call, then none for 100 s
		Logger: slog.New(slog.NewTextHandler(w.logs, nil)), MasterKey: testMasterKey}))
	t.Cleanup(func() { w.srv.Close(); st.Close() })
	b := w.newBrowser()
	b.signIn(rootKey, rootSecret)
	if _, page := b.get("/console/events"); strings.Contains(page, "Throttling.User") {
		t.Fatalf("the first page was throttled")
	}
	if _, page := b.get("/console/events"); !strings.Contains(page, "Throttling.User") {
		t.Fatalf("the second page in a second was not throttled:\n%s", page)
	}
}

// sessionCookie returns the browser's session cookie.
func (b *browser) sessionCookie() *http.Cookie {
	u, _ := url.Parse(b.w.srv.URL + "/console/")
	for _, c := range b.client.Jar.Cookies(u) {
		if c.Name == "localyun_console" {
			return c
		}
	}
	b.t.Fatal("no session cookie")
	return nil
}

// TestSignOutCopiedCookie: a copy of the session cookie stops working on
// the server where its session was signed out.
func TestSignOutCopiedCookie(t *testing.T) {
	w := newWorld(t, true)
	b := w.newBrowser()
	b.signIn(rootKey, rootSecret)
	_, page := b.get(instancesURL)
	thief := w.newBrowser()
	u, _ := url.Parse(w.srv.URL + "/console/")
	thief.client.Jar.SetCookies(u, []*http.Cookie{{Name: "localyun_console", Value: b.sessionCookie().Value, Path: "/console"}})
	if res, _ := thief.get(instancesURL); res.Request.URL.Path != instancesURL {
		t.Fatalf("the copied cookie did not work before sign-out: %s", res.Request.URL)
	}
	b.do("POST", "/console/signout", url.Values{"csrf": {csrfOf(t, page)}}, nil)
	if res, body := thief.get(instancesURL); res.Request.URL.Path != signInPath || !strings.Contains(body, "signed out") {
		t.Fatalf("after sign-out the copied cookie reached %s:\n%s", res.Request.URL, body)
	}
}

// TestFormWithoutSession: a form posted once the session is gone goes to
// the sign-in form, which says so, rather than a 403.
func TestFormWithoutSession(t *testing.T) {
	w := newWorld(t, true)
	b := w.newBrowser()
	same := map[string]string{"Origin": w.srv.URL, "Sec-Fetch-Site": "same-origin"}
	res, _ := b.do("POST", "/console/instances/detach", url.Values{"csrf": {"x"}, "region": {region},
		"instance": {instanceID}, "role": {roleName}}, same)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != signInPath {
		t.Fatalf("form without a session: %d → %q", res.StatusCode, res.Header.Get("Location"))
	}
	if _, body := b.get(signInPath); !strings.Contains(body, "session ended") {
		t.Fatalf("the sign-in form does not say the session ended:\n%s", body)
	}
	if w.roleOfInstance() != roleName {
		t.Fatal("the form changed the instance")
	}
}

// TestEventsOneBound: a range with only "from" or only "to" is completed
// (to: now; from: a week before to), not refused.
func TestEventsOneBound(t *testing.T) {
	w := newWorld(t, true)
	b := w.newBrowser()
	b.signIn(rootKey, rootSecret)
	hourAgo := time.Now().UTC().Add(-time.Hour).Format("2006-01-02T15:04:05Z")
	later := time.Now().UTC().Add(time.Hour).Format("2006-01-02T15:04:05Z")
	for _, q := range []url.Values{{"start": {hourAgo}}, {"end": {later}}} {
		_, page := b.get("/console/events?" + q.Encode())
		if strings.Contains(page, "InvalidParameter") || !strings.Contains(page, "CreateHostAccount") {
			t.Errorf("events %v:\n%s", q, page)
		}
	}
}

// TestEventsOneBoundNextPage: with only "from", the next page keeps the
// "to" the first page completed (a NextToken is bound to both bounds), so
// it still answers a second later.
func TestEventsOneBoundNextPage(t *testing.T) {
	w := newWorld(t, true)
	now := time.Now().UTC()
	var evs []localyun.Event
	for i := range 60 {
		evs = append(evs, localyun.Event{ID: fmt.Sprintf("EV-PAGE-%020d", i), Name: "CreateRole", Time: now.Add(-time.Minute),
			AccountID: account, Service: "Ram", Type: localyun.EventTypeAPICall, RW: localyun.EventWrite,
			Identity: localyun.EventIdentity{Type: localyun.IdentityRoot, AccountID: account, UserName: "root"}})
	}
	must(t, w.store.AppendEvents(context.Background(), evs))
	b := w.newBrowser()
	b.signIn(rootKey, rootSecret)
	_, page := b.get("/console/events?" + url.Values{"start": {now.Add(-time.Hour).Format("2006-01-02T15:04:05Z")}}.Encode())
	i := strings.Index(page, `/console/events?`)
	for i >= 0 && !strings.Contains(page[i:i+strings.IndexByte(page[i:], '"')], "next=") {
		j := strings.Index(page[i+1:], `/console/events?`)
		if j < 0 {
			i = -1
			break
		}
		i += 1 + j
	}
	if i < 0 {
		t.Fatalf("no next-page link:\n%s", page[strings.Index(page, "pages"):])
	}
	link := html.UnescapeString(page[i : i+strings.IndexByte(page[i:], '"')])
	time.Sleep(1100 * time.Millisecond) // the first page's "now" is a second old
	if _, next := b.get(link); strings.Contains(next, "InvalidParameter") || !strings.Contains(next, "EV-PAGE-") {
		t.Fatalf("the next page (%s) failed:\n%s", link, next)
	}
}
