package console_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// TestSignInCookie checks the session cookie's attributes, over HTTP and
// HTTPS, and that it carries neither the secret nor the key id in clear.
func TestSignInCookie(t *testing.T) {
	for _, tt := range []struct {
		name   string
		start  func(http.Handler) *httptest.Server
		secure bool
	}{{"http", httptest.NewServer, false}, {"https", httptest.NewTLSServer, true}} {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorldServer(t, true, tt.start, testMasterKey)
			res := w.newBrowser().signIn(rootKey, rootSecret)
			if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != instancesURL {
				t.Fatalf("sign-in: %d → %q, want 303 → %s", res.StatusCode, res.Header.Get("Location"), instancesURL)
			}
			var session *http.Cookie
			for _, c := range res.Cookies() {
				if c.Name == "localyun_console" {
					session = c
				}
			}
			if session == nil {
				t.Fatal("no session cookie")
			}
			if !session.HttpOnly || session.SameSite != http.SameSiteStrictMode || session.Path != "/console" || session.Secure != tt.secure {
				t.Errorf("cookie HttpOnly=%v SameSite=%v Path=%q Secure=%v, want true Strict /console %v",
					session.HttpOnly, session.SameSite, session.Path, session.Secure, tt.secure)
			}
			if strings.Contains(session.Value, rootSecret) || strings.Contains(session.Value, rootKey) {
				t.Error("the cookie shows the key in clear")
			}
		})
	}
}

// TestSignInFailure: a wrong secret or an unknown key gets the form again
// with the error code, and no session.
func TestSignInFailure(t *testing.T) {
	w := newWorld(t, true)
	for _, tt := range []struct{ name, key, secret, code string }{
		{"wrong secret", rootKey, "not-the-secret", "InvalidAccessKeySecret"},
		{"unknown key", "LTAI5tNoSuchKey000000001", rootSecret, "InvalidAccessKeyId.NotFound"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := w.newBrowser()
			res, body := b.do("POST", signInPath, url.Values{"AccessKeyId": {tt.key}, "AccessKeySecret": {tt.secret}}, nil)
			if res.StatusCode != http.StatusUnauthorized || !strings.Contains(body, tt.code) {
				t.Fatalf("got %d, body without %s:\n%s", res.StatusCode, tt.code, body)
			}
			if len(res.Cookies()) != 0 {
				t.Fatalf("a failed sign-in set cookies: %v", res.Cookies())
			}
			if res, _ := b.get(instancesURL); res.Request.URL.Path != signInPath {
				t.Fatalf("after a failed sign-in the instances page answered %s", res.Request.URL)
			}
		})
	}
}

// TestSignInNeverByGET: the sign-in is a POST form; credentials in a GET
// query sign nobody in.
func TestSignInNeverByGET(t *testing.T) {
	w := newWorld(t, true)
	b := w.newBrowser()
	res, _ := b.do("GET", signInPath+"?"+url.Values{"AccessKeyId": {rootKey}, "AccessKeySecret": {rootSecret}}.Encode(), nil, nil)
	if len(res.Cookies()) != 0 {
		t.Fatalf("GET with credentials set cookies: %v", res.Cookies())
	}
}

// TestCSRF: a change needs the session's token and a same-origin request;
// a refused form changes nothing.
func TestCSRF(t *testing.T) {
	w := newWorld(t, true)
	b := w.newBrowser()
	b.signIn(rootKey, rootSecret)
	_, page := b.get(instancesURL)
	token := csrfOf(t, page)
	form := func(tok string) url.Values {
		return url.Values{"csrf": {tok}, "region": {region}, "instance": {instanceID}, "role": {roleName}}
	}
	same := map[string]string{"Origin": w.srv.URL, "Sec-Fetch-Site": "same-origin"}
	for _, tt := range []struct {
		name   string
		form   url.Values
		header map[string]string
	}{
		{"missing token", url.Values{"region": {region}, "instance": {instanceID}, "role": {roleName}}, same},
		{"wrong token", form("AAAA" + token[4:]), same},
		{"cross-site origin", form(token), map[string]string{"Origin": "http://evil.example"}},
		{"cross-site fetch", form(token), map[string]string{"Sec-Fetch-Site": "cross-site"}},
		{"null origin", form(token), map[string]string{"Origin": "null"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res, _ := b.do("POST", "/console/instances/detach", tt.form, tt.header)
			if res.StatusCode != http.StatusForbidden {
				t.Fatalf("got %d, want 403", res.StatusCode)
			}
			if got := w.roleOfInstance(); got != roleName {
				t.Fatalf("a refused form changed the role to %q", got)
			}
		})
	}
	t.Run("token of another session", func(t *testing.T) {
		other := w.newBrowser()
		other.signIn(rootKey, rootSecret)
		_, p := other.get(instancesURL)
		res, _ := b.do("POST", "/console/instances/detach", form(csrfOf(t, p)), same)
		if res.StatusCode != http.StatusForbidden || w.roleOfInstance() != roleName {
			t.Fatalf("got %d, role %q", res.StatusCode, w.roleOfInstance())
		}
	})
	t.Run("valid", func(t *testing.T) {
		res, _ := b.do("POST", "/console/instances/detach", form(token), same)
		if res.StatusCode != http.StatusSeeOther || w.roleOfInstance() != "" {
			t.Fatalf("got %d, role %q; want 303 and no role", res.StatusCode, w.roleOfInstance())
		}
		if _, page := b.get(res.Header.Get("Location")); !strings.Contains(page, "DetachInstanceRamRole") {
			t.Fatalf("no confirmation on the page:\n%s", page)
		}
	})
}

// TestDeniedActionShowsError: a RAM user allowed only to read ECS sees the
// instances, and its detach is denied by RAM, shown with its code, and
// changes nothing.
func TestDeniedActionShowsError(t *testing.T) {
	w := newWorld(t, true)
	b := w.newBrowser()
	if res := b.signIn(w.viewerKey, w.viewerSecret); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", res.StatusCode)
	}
	_, page := b.get(instancesURL)
	if !strings.Contains(page, instanceID) || !strings.Contains(page, viewerName) {
		t.Fatalf("the viewer does not see the instance or itself:\n%s", page)
	}
	if !strings.Contains(page, "ListRoles: NoPermission") {
		t.Errorf("the page does not show the denied ListRoles:\n%s", page)
	}
	res, _ := b.do("POST", "/console/instances/detach", url.Values{"csrf": {csrfOf(t, page)}, "region": {region},
		"instance": {instanceID}, "role": {roleName}}, nil)
	_, page = b.get(res.Header.Get("Location"))
	if !strings.Contains(page, "Forbidden.RAM") {
		t.Fatalf("the denial is not shown:\n%s", page)
	}
	if got := w.roleOfInstance(); got != roleName {
		t.Fatalf("a denied detach changed the role to %q", got)
	}
}

// TestSessionEndsWithKey: the session re-checks its key on every request:
// a disabled or deleted key ends it.
func TestSessionEndsWithKey(t *testing.T) {
	for _, tt := range []struct {
		name   string
		action string
		params map[string]string
	}{
		{"disabled", "UpdateAccessKey", map[string]string{"Status": "Inactive"}},
		{"deleted", "DeleteAccessKey", map[string]string{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, true)
			b := w.newBrowser()
			b.signIn(w.viewerKey, w.viewerSecret)
			if res, _ := b.get(instancesURL); res.Request.URL.Path != instancesURL {
				t.Fatalf("signed-in visit ended at %s", res.Request.URL)
			}
			tt.params["UserName"], tt.params["UserAccessKeyId"] = viewerName, w.viewerKey
			w.sdkCall("Ram", ramVersion, tt.action, tt.params)
			res, page := b.get(instancesURL)
			if res.Request.URL.Path != signInPath || !strings.Contains(page, "InvalidAccessKeyId") {
				t.Fatalf("after the key was %s the console answered %s:\n%s", tt.name, res.Request.URL, page)
			}
		})
	}
}

// TestCookieAcrossNodes: a session cookie is good on every node of the
// same master key (the same account and key on each) and on no other; a
// tampered one is no session.
func TestCookieAcrossNodes(t *testing.T) {
	a := newWorld(t, true)
	sameKey := newWorld(t, true)
	otherKey := newWorldServer(t, true, httptest.NewServer, bytes.Repeat([]byte{8}, 32))
	res := a.newBrowser().signIn(rootKey, rootSecret)
	var value string
	for _, c := range res.Cookies() {
		value = c.Value
	}
	flipped := []byte(value)
	flipped[len(flipped)/2] ^= 1
	for _, tt := range []struct {
		name   string
		w      *world
		value  string
		accept bool
	}{
		{"same node", a, value, true},
		{"another node, same master key", sameKey, value, true},
		{"another master key", otherKey, value, false},
		{"tampered", a, string(flipped), false},
		{"not sealed", a, "e30", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", tt.w.srv.URL+instancesURL, nil)
			req.AddCookie(&http.Cookie{Name: "localyun_console", Value: tt.value})
			c := *tt.w.srv.Client()
			c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
			res, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if accepted := res.StatusCode == http.StatusOK; accepted != tt.accept {
				t.Fatalf("got %d → %s, want accepted=%v", res.StatusCode, res.Header.Get("Location"), tt.accept)
			}
		})
	}
}

// TestSecurityHeaders: every console answer forbids framing and inline
// script; pages are not stored.
func TestSecurityHeaders(t *testing.T) {
	w := newWorld(t, true)
	b := w.newBrowser()
	for _, path := range []string{signInPath, "/console/assets/console.css"} {
		res, _ := b.do("GET", path, nil, nil)
		h := res.Header
		if h.Get("X-Frame-Options") != "DENY" || !strings.Contains(h.Get("Content-Security-Policy"), "script-src 'self'") ||
			!strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") || h.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: headers %v", path, h)
		}
		if path == signInPath && h.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: Cache-Control %q", path, h.Get("Cache-Control"))
		}
	}
}

// TestConsoleOff: without the console, /console is the server's 404.
func TestConsoleOff(t *testing.T) {
	w := newWorld(t, false)
	b := w.newBrowser()
	for _, path := range []string{"/console", signInPath, "/console/assets/console.css"} {
		if res, _ := b.do("GET", path, nil, nil); res.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", path, res.StatusCode)
		}
	}
	if res, _ := b.do("POST", signInPath, url.Values{"AccessKeyId": {rootKey}, "AccessKeySecret": {rootSecret}}, nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("POST sign-in: %d, want 404", res.StatusCode)
	}
}

// TestCredentialsNeverShown walks every page and form as the root and as
// the RAM user and checks that no URL, redirect, page or log line holds a
// secret, and no URL an AccessKeyId.
func TestCredentialsNeverShown(t *testing.T) {
	w := newWorld(t, true)
	for _, who := range []struct{ key, secret string }{{rootKey, rootSecret}, {w.viewerKey, w.viewerSecret}} {
		b := w.newBrowser()
		b.do("POST", signInPath, url.Values{"AccessKeyId": {who.key}, "AccessKeySecret": {"wrong"}}, nil)
		b.signIn(who.key, who.secret)
		_, page := b.get(instancesURL)
		tok := csrfOf(t, page)
		for _, p := range []string{"/console", "/console/bastion", "/console/bastion/" + bastionID,
			"/console/bastion/" + bastionID + "/grants?group=" + w.userGroupID, "/console/bastion/" + bastionID + "/grants?user=" + w.userID,
			"/console/events", "/console/explain?action=ExplainAccess&UserName=viewer&Action=ecs:DescribeInstances&Resource=*"} {
			b.get(p)
		}
		b.do("POST", "/console/instances/attach", url.Values{"csrf": {tok}, "region": {region}, "instance": {instanceID}, "role": {roleName}}, nil)
		b.do("POST", "/console/signout", url.Values{"csrf": {tok}}, nil)
		for i, s := range b.seen {
			if strings.Contains(s, who.secret) {
				t.Errorf("a secret shows in %q", s[:min(len(s), 200)])
			}
			if i%3 != 2 && strings.Contains(s, who.key) { // URLs and Locations
				t.Errorf("an AccessKeyId shows in the URL %q", s)
			}
		}
	}
	for _, secret := range []string{rootSecret, w.viewerSecret} {
		if strings.Contains(w.logs.String(), secret) {
			t.Errorf("a secret shows in the log")
		}
	}
}

// TestSignOut: after signing out, the cookie is gone and the pages ask
// for a sign-in.
func TestSignOut(t *testing.T) {
	w := newWorld(t, true)
	b := w.newBrowser()
	b.signIn(rootKey, rootSecret)
	_, page := b.get(instancesURL)
	res, _ := b.do("POST", "/console/signout", url.Values{"csrf": {csrfOf(t, page)}}, nil)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != signInPath {
		t.Fatalf("sign-out: %d → %s", res.StatusCode, res.Header.Get("Location"))
	}
	if res, _ := b.get(instancesURL); res.Request.URL.Path != signInPath {
		t.Fatalf("after sign-out the instances page answered %s", res.Request.URL)
	}
}
