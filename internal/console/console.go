// Package console is localyun's web console: plain server-rendered HTML
// (html/template, embedded assets, no build step) served under /console by
// the API server itself. It is an API client of the server: a visitor signs
// in with an AccessKey pair of the account, and every page and form runs
// the API actions through Backend.Invoke as that principal, so RAM decides
// each of them exactly as for a signed request and the audit trail records
// them. It never reads or writes a store.
//
// The session is a cookie sealed with AES-256-GCM under a key derived from
// the server's master key (every node sharing the key accepts it). It holds
// the AccessKeyId, the SecurityToken of STS credentials, a random session
// id and the expiry, never the AccessKey secret: each request resolves the
// key again (Backend.Resolve), so a deleted or disabled key, a deleted
// user or an expired STS session ends the session at once.
package console

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/seal"
)

// Root is the path the console is served under.
const Root = "/console"

// Call is one API action the console runs for the signed-in principal.
type Call struct {
	Version string
	Action  string
	Params  url.Values
	// SourceIP and UserAgent are the browser's, for the audit trail.
	SourceIP  string
	UserAgent string
	// Secure: the browser came over HTTPS (acs:SecureTransport).
	Secure bool
}

// Backend is the API server as the console uses it (internal/server
// implements it over Server.Invoke and Server.SignIn).
type Backend interface {
	// Invoke runs c as p and returns the JSON body a client would receive,
	// or the error it would receive (a *localyun.Error for an API error).
	Invoke(ctx context.Context, p localyun.Principal, c Call) (body []byte, requestID string, err error)
	// SignIn checks an AccessKey pair (and the SecurityToken of STS
	// credentials) and returns the principal it authenticates; from is
	// the browser (its SourceIP, UserAgent and Secure), for the audit trail.
	SignIn(ctx context.Context, accessKeyID, secret, token string, from Call) (localyun.Principal, error)
	// Resolve returns the principal an AccessKeyId (and SecurityToken)
	// authenticates now, without the secret: it fails once the key is
	// deleted or disabled or the STS session expired.
	Resolve(ctx context.Context, accessKeyID, token string) (localyun.Principal, error)
}

// Options configure a Console.
type Options struct {
	// MasterKey derives the key sealing session cookies and the CSRF
	// tokens; nil: a random key (sessions then end with the process).
	MasterKey []byte
	// SessionTTL is how long a session cookie lasts without a page view
	// re-issuing it; default DefaultSessionTTL.
	SessionTTL time.Duration
	// PollInterval is how often the live event stream asks LookupEvents
	// for new events; default one second.
	PollInterval time.Duration
	Now          func() time.Time
	Logger       *slog.Logger
}

// DefaultSessionTTL is the default lifetime of a console session cookie;
// a page view re-issues it once more than half of it is used (sliding).
const DefaultSessionTTL = time.Hour

// keyLabel names the console's key derived from the master key, distinct
// from every other use of that key.
const keyLabel = "localyun console session v1"

//go:embed templates/*.html
var templateFS embed.FS

//go:embed assets
var assetFS embed.FS

// Console is the web console: an http.Handler for the paths under Root.
type Console struct {
	api      Backend
	aead     cipher.AEAD
	csrfKey  []byte
	ttl      time.Duration
	poll     time.Duration
	now      func() time.Time
	log      *slog.Logger
	pages    map[string]*template.Template
	mux      *http.ServeMux
	assetsFS fs.FS
	// out holds the ids of the sessions signed out on this node, until
	// the last cookie of each has expired.
	outMu sync.Mutex
	out   map[string]time.Time
}

// New returns the console of api.
func New(api Backend, opts Options) *Console {
	master := opts.MasterKey
	if master == nil {
		master = make([]byte, 32)
		rand.Read(master)
	}
	key := seal.Derive(master, keyLabel)
	block, err := aes.NewCipher(seal.Derive(key, "seal"))
	if err != nil {
		panic(err) // a 32-byte key always makes a cipher
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	c := &Console{api: api, aead: aead, csrfKey: seal.Derive(key, "csrf"), ttl: opts.SessionTTL, poll: opts.PollInterval,
		now: opts.Now, log: opts.Logger, out: map[string]time.Time{}}
	if c.ttl <= 0 {
		c.ttl = DefaultSessionTTL
	}
	if c.poll <= 0 {
		c.poll = time.Second
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.log == nil {
		c.log = slog.Default()
	}
	c.assetsFS, _ = fs.Sub(assetFS, "assets")
	c.pages = parsePages()
	c.routes()
	return c
}

// routes builds the console's mux. GET pages only read; every change is a
// POST form with the session's CSRF token.
func (c *Console) routes() {
	m := http.NewServeMux()
	m.HandleFunc("GET "+Root, c.serveHome)
	m.HandleFunc("GET "+Root+"/{$}", c.serveHome)
	m.HandleFunc("GET "+Root+"/signin", c.serveSignInForm)
	m.HandleFunc("POST "+Root+"/signin", c.serveSignIn)
	m.HandleFunc("POST "+Root+"/signout", c.serveSignOut)
	m.Handle("GET "+Root+"/assets/", http.StripPrefix(Root+"/assets/", http.FileServerFS(c.assetsFS)))
	m.HandleFunc("GET "+Root+"/instances", c.page(c.instancesPage))
	m.HandleFunc("POST "+Root+"/instances/attach", c.form(c.attachRole))
	m.HandleFunc("POST "+Root+"/instances/detach", c.form(c.detachRole))
	m.HandleFunc("GET "+Root+"/bastion", c.page(c.bastionInstancesPage))
	m.HandleFunc("GET "+Root+"/bastion/{instance}", c.page(c.bastionPage))
	m.HandleFunc("GET "+Root+"/bastion/{instance}/grants", c.page(c.grantsPage))
	m.HandleFunc("POST "+Root+"/bastion/{instance}/grants", c.form(c.changeGrant))
	m.HandleFunc("GET "+Root+"/events", c.page(c.eventsPage))
	m.HandleFunc("GET "+Root+"/events/stream", c.serveStream)
	m.HandleFunc("GET "+Root+"/explain", c.page(c.explainPage))
	c.mux = m
}

// ServeHTTP serves the console, with the security headers on every
// answer: a CSP without inline script, no framing, no sniffing, and pages
// never stored by caches.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "+
		"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	if !isAsset(r.URL.Path) {
		h.Set("Cache-Control", "no-store")
	}
	c.mux.ServeHTTP(w, r)
}

func isAsset(path string) bool {
	return len(path) > len(Root+"/assets/") && path[:len(Root+"/assets/")] == Root+"/assets/"
}

// serveHome sends a signed-in visitor to the instances, anyone else to the
// sign-in form.
func (c *Console) serveHome(w http.ResponseWriter, r *http.Request) {
	if _, err := c.visitOf(r); err != nil {
		c.endSession(w, r, err)
		return
	}
	http.Redirect(w, r, Root+"/instances", http.StatusSeeOther)
}
