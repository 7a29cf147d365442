package console

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/localyun/localyun"
)

// Cookie names. Both are sealed, HttpOnly, SameSite=Strict, Path=/console,
// and Secure when the console is served over TLS.
const (
	sessionCookie = "localyun_console"
	flashCookie   = "localyun_console_flash"
)

// session is the content of the sealed session cookie: what re-resolves
// the principal on every request, never the AccessKey secret.
type session struct {
	KeyID   string `json:"k"`
	Token   string `json:"t,omitempty"` // SecurityToken of STS credentials
	ID      string `json:"s"`           // random; the CSRF token is derived from it
	Expires int64  `json:"e"`           // Unix seconds
}

// flash is a one-shot message shown by the page a form redirects to.
type flash struct {
	Error bool   `json:"e,omitempty"`
	Text  string `json:"t"`
}

// visit is one request of a signed-in visitor.
type visit struct {
	sess      session
	Principal localyun.Principal
	CSRF      string  // the session's CSRF token, for every POST form
	Flashes   []flash // shown at the top of the page
	r         *http.Request
}

// seal encrypts v as a cookie value bound to the cookie's name.
func (c *Console) seal(name string, v any) (string, error) {
	plain, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, c.aead.NonceSize())
	rand.Read(nonce)
	return base64.RawURLEncoding.EncodeToString(c.aead.Seal(nonce, nonce, plain, []byte(name))), nil
}

// open reverses seal; it fails for anything not sealed by this key for
// this cookie name.
func (c *Console) open(name, value string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(value)
	if err != nil || len(b) < c.aead.NonceSize() {
		return errors.New("malformed cookie")
	}
	n := c.aead.NonceSize()
	plain, err := c.aead.Open(nil, b[:n], b[n:], []byte(name))
	if err != nil {
		return err
	}
	return json.Unmarshal(plain, v)
}

// setCookie sets a console cookie; maxAge < 0 deletes it.
func setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: Root, MaxAge: maxAge, HttpOnly: true,
		Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
}

// csrfToken is the CSRF token of a session: HMAC-SHA256 of its id.
func (c *Console) csrfToken(s session) string {
	m := hmac.New(sha256.New, c.csrfKey)
	m.Write([]byte(s.ID))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// errNoSession is why a request has no visit.
var errNoSession = errors.New("no session")

// visitOf returns the signed-in visit of r: a session cookie this console
// sealed, not expired, not signed out on this node, whose key still authenticates a principal.
func (c *Console) visitOf(r *http.Request) (*visit, error) {
	ck, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil, errNoSession
	}
	var s session
	if err := c.open(sessionCookie, ck.Value, &s); err != nil {
		return nil, errNoSession
	}
	if !c.now().Before(time.Unix(s.Expires, 0)) {
		return nil, localyun.NewError(http.StatusUnauthorized, "SessionExpired", "The console session expired.")
	}
	if c.signedOut(s.ID) {
		return nil, localyun.NewError(http.StatusUnauthorized, "SessionSignedOut", "The console session was signed out.")
	}
	p, err := c.api.Resolve(r.Context(), s.KeyID, s.Token)
	if err != nil {
		return nil, err
	}
	return &visit{sess: s, Principal: p, CSRF: c.csrfToken(s), r: r}, nil
}

// sameOrigin reports whether a POST comes from the console's own pages:
// Sec-Fetch-Site, when the browser sends it, must be same-origin, and
// Origin, when sent, must be this server's scheme and host.
func sameOrigin(r *http.Request) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" {
		return false
	}
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	if err != nil {
		return false
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return u.Scheme == scheme && u.Host == r.Host
}

// forbidden answers a refused form.
func forbidden(w http.ResponseWriter) {
	http.Error(w, "Forbidden: the form did not come from this console's own page.", http.StatusForbidden)
}

// signInView is the data of the sign-in page.
type signInView struct {
	Error string
}

func (c *Console) serveSignInForm(w http.ResponseWriter, r *http.Request) {
	view := signInView{}
	if f, ok := c.takeFlash(w, r); ok {
		view.Error = f.Text
	}
	c.render(w, http.StatusOK, "signin", nil, view)
}

// serveSignIn checks the posted AccessKey pair and starts a session. The
// pair is read from the form body only, never from the URL.
func (c *Console) serveSignIn(w http.ResponseWriter, r *http.Request) {
	if !sameOrigin(r) {
		forbidden(w)
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	id := strings.TrimSpace(r.PostForm.Get("AccessKeyId"))
	secret := r.PostForm.Get("AccessKeySecret")
	token := strings.TrimSpace(r.PostForm.Get("SecurityToken"))
	if _, err := c.api.SignIn(r.Context(), id, secret, token,
		Call{SourceIP: clientIP(r), UserAgent: r.UserAgent(), Secure: r.TLS != nil}); err != nil {
		c.render(w, http.StatusUnauthorized, "signin", nil, signInView{Error: "Sign-in failed: " + errorText(err, false)})
		return
	}
	sid := make([]byte, 16)
	rand.Read(sid)
	s := session{KeyID: id, Token: token, ID: hex.EncodeToString(sid)}
	if err := c.issue(w, r, s); err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	http.Redirect(w, r, Root+"/instances", http.StatusSeeOther)
}

// issue sets the session cookie of s, valid for the session TTL from now.
func (c *Console) issue(w http.ResponseWriter, r *http.Request, s session) error {
	s.Expires = c.now().Add(c.ttl).Unix()
	value, err := c.seal(sessionCookie, s)
	if err != nil {
		return err
	}
	setCookie(w, r, sessionCookie, value, int(c.ttl/time.Second))
	return nil
}

// slide re-issues the session cookie of v once more than half of its TTL
// is used: an idle session ends after the TTL, a used one goes on.
func (c *Console) slide(w http.ResponseWriter, v *visit) {
	if time.Unix(v.sess.Expires, 0).Sub(c.now()) < c.ttl/2 {
		if err := c.issue(w, v.r, v.sess); err != nil {
			c.log.Error("console session re-issue", "err", err)
		}
	}
}

// serveSignOut ends the session: a POST with the session's CSRF token.
// The session's id stays refused on this node for as long as any copy of
// its cookie could be valid (the TTL from now: a cookie is re-issued only
// while its session is valid). Other nodes do not know it: there a copy
// lasts until it expires, at most the TTL after it was last re-issued.
func (c *Console) serveSignOut(w http.ResponseWriter, r *http.Request) {
	v, err := c.visitOf(r)
	if err == nil && !c.validForm(r, v) {
		forbidden(w)
		return
	}
	if err == nil {
		c.signOut(v.sess.ID)
	}
	setCookie(w, r, sessionCookie, "", -1)
	http.Redirect(w, r, Root+"/signin", http.StatusSeeOther)
}

// validForm checks a POST of a signed-in visit: same origin and the
// session's CSRF token in the form body.
func (c *Console) validForm(r *http.Request, v *visit) bool {
	if !sameOrigin(r) {
		return false
	}
	if err := r.ParseForm(); err != nil {
		return false
	}
	return hmac.Equal([]byte(r.PostForm.Get("csrf")), []byte(v.CSRF))
}

// setFlash leaves a message for the next page.
func (c *Console) setFlash(w http.ResponseWriter, r *http.Request, f flash) {
	if v, err := c.seal(flashCookie, f); err == nil {
		setCookie(w, r, flashCookie, v, 60)
	}
}

// takeFlash returns and clears the message left by the previous request.
func (c *Console) takeFlash(w http.ResponseWriter, r *http.Request) (flash, bool) {
	ck, err := r.Cookie(flashCookie)
	if err != nil {
		return flash{}, false
	}
	setCookie(w, r, flashCookie, "", -1)
	var f flash
	if c.open(flashCookie, ck.Value, &f) != nil {
		return flash{}, false
	}
	return f, true
}

// page wraps a GET page: it requires a signed-in visit (else it redirects
// to the sign-in form), renders what fn returns inside the layout, with
// the flash of the previous form and the API errors fn met.
func (c *Console) page(fn func(v *visit) (name string, data any)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, err := c.visitOf(r)
		if err != nil {
			c.endSession(w, r, err)
			return
		}
		c.slide(w, v)
		if f, ok := c.takeFlash(w, r); ok {
			v.Flashes = append(v.Flashes, f)
		}
		name, data := fn(v)
		c.render(w, http.StatusOK, name, v, data)
	}
}

// form wraps a POST form: same origin, else 403; a signed-in visit, else
// the sign-in form saying the session ended (503 when the session could
// not be checked); the CSRF token, else 403. fn runs the change and returns where to go next and
// the message to show there.
func (c *Console) form(fn func(v *visit) (next string, f flash)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !sameOrigin(r) {
			forbidden(w)
			return
		}
		v, err := c.visitOf(r)
		if errors.Is(err, errNoSession) {
			c.setFlash(w, r, flash{Error: true, Text: "Your session ended before the form was sent: sign in again."})
		}
		if err != nil {
			c.endSession(w, r, err)
			return
		}
		if !c.validForm(r, v) {
			forbidden(w)
			return
		}
		next, f := fn(v)
		c.setFlash(w, r, f)
		http.Redirect(w, r, next, http.StatusSeeOther)
	}
}

// endSession sends a visitor without a valid session to the sign-in form,
// saying why when a session existed; a session that could not be checked
// (no API answer) gets 503 and is kept.
func (c *Console) endSession(w http.ResponseWriter, r *http.Request, err error) {
	if !errors.Is(err, errNoSession) && apiCode(err) == "" {
		// The key could not be checked (the store failed): keep the
		// session for when it is back.
		c.log.Error("console session check", "err", err)
		http.Error(w, "The server cannot check the session now; try again.", http.StatusServiceUnavailable)
		return
	}
	if !errors.Is(err, errNoSession) {
		setCookie(w, r, sessionCookie, "", -1)
		c.setFlash(w, r, flash{Error: true, Text: "Your session ended: " + errorText(err, false)})
	}
	http.Redirect(w, r, Root+"/signin", http.StatusSeeOther)
}

// signOut refuses the session id on this node until every cookie of the
// session has expired.
func (c *Console) signOut(id string) {
	now := c.now()
	c.outMu.Lock()
	defer c.outMu.Unlock()
	for x, until := range c.out {
		if !now.Before(until) {
			delete(c.out, x)
		}
	}
	c.out[id] = now.Add(c.ttl)
}

// signedOut reports whether the session id was signed out on this node.
func (c *Console) signedOut(id string) bool {
	c.outMu.Lock()
	defer c.outMu.Unlock()
	until, ok := c.out[id]
	return ok && c.now().Before(until)
}
