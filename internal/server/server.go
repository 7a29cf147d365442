// Package server wires the protocol layer, authentication and the product
// handlers into one http.Handler.
package server

import (
	"context"
	"crypto/rand"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/actiontrail"
	"github.com/localyun/localyun/internal/admin"
	"github.com/localyun/localyun/internal/auditq"
	"github.com/localyun/localyun/internal/auth"
	"github.com/localyun/localyun/internal/bastionhost"
	"github.com/localyun/localyun/internal/console"
	"github.com/localyun/localyun/internal/ecs"
	"github.com/localyun/localyun/internal/explain"
	"github.com/localyun/localyun/internal/metadata"
	"github.com/localyun/localyun/internal/protocol"
	"github.com/localyun/localyun/internal/ram"
	"github.com/localyun/localyun/internal/sshgw"
	"github.com/localyun/localyun/internal/sts"
)

// Options configure a Server. Store is required; the rest have defaults.
type Options struct {
	Store        localyun.Store
	Nonces       localyun.NonceStore // default: NewMemoryNonces(MaxNonces)
	Now          func() time.Time
	NewRequestID func() string
	NewID        func(prefix string) string
	Logger       *slog.Logger
	// RateLimit, when positive, is the requests per second one AccessKey
	// may make (bursts up to the same number, at least one); beyond it
	// Throttling.User.
	RateLimit float64
	// RateLimiter keeps the token buckets; default: in this process. Nodes
	// sharing a database pass the store so they share the limit.
	RateLimiter localyun.RateLimiter
	// MaxNonces is the safety cap of the default replay window (beyond it
	// new requests get 503); default DefaultMaxNonces.
	MaxNonces int
	// Revocation is RevocationTail (default) or RevocationStrict: whether
	// credentials issued to an instance outlive its loss of their role.
	Revocation string
	// MetadataCredentialTTL is the lifetime of the credentials issued to
	// instances; default sts.DefaultInstanceCredentialTTL.
	MetadataCredentialTTL time.Duration
	// MasterKey derives the instance secrets and the tokens of the
	// metadata service (internal/metadata) and the key sealing the
	// EncodedDiagnosticMessage of denials (auth.Diagnostics); nil: a random
	// key, so that no secret made elsewhere is accepted.
	MasterKey []byte
	// InstanceCredentials issues the role credentials the metadata
	// service serves; nil: the STS sessions of the instance's role
	// (sts.Service.InstanceCredentials).
	InstanceCredentials metadata.CredentialIssuer
	// ListenAddrs are the host:port addresses this server listens on
	// (HTTP and HTTPS, as bound): an absolute-form request for one of
	// them is an API call sent through HTTP_PROXY, served as one (see
	// isSelfURL).
	ListenAddrs []string
	// BastionSSHAddr returns where this process's bastion SSH gateway
	// listens for an instance ("host:port", "" where it does not): the
	// instances' O&M endpoint (bastionhost.Options.SSHAddr). Nil: none.
	BastionSSHAddr func(instanceID string) string
	// AccessLog, when set, gets one line per request (accesslog.go).
	AccessLog *slog.Logger
	// SSHStats, when set, reports the bastion SSH gateway's counts for
	// /metrics (sshgw.Gateway.Stats).
	SSHStats func() sshgw.Stats
	// Console serves the web console under /console (internal/console);
	// its sessions are sealed under a key derived from MasterKey.
	Console bool
}

// Server is the localyun API server: one port, every product.
type Server struct {
	store  localyun.Store
	nonces localyun.NonceStore
	now    func() time.Time
	newRID func() string
	log    *slog.Logger
	mux    *protocol.Mux

	limiter localyun.RateLimiter
	rate    float64
	touchMu sync.Mutex
	touched map[string]time.Time

	metrics *metrics

	diagnostics *auth.Diagnostics // seals EncodedDiagnosticMessage

	sts        *sts.Service // the instance credentials' issuer too
	revocation string
	meta       *metadata.Service
	self       []string // Options.ListenAddrs

	audit   *auditq.Queue[auditItem] // the events written on their own (audit.go)
	console *console.Console
}

// New returns a Server for opts.
func New(opts Options) *Server {
	s := &Server{
		store:  opts.Store,
		nonces: opts.Nonces,
		now:    opts.Now,
		newRID: opts.NewRequestID,
		log:    opts.Logger,
		mux:    protocol.NewMux(),

		touched: map[string]time.Time{},
		self:    opts.ListenAddrs,
	}
	s.audit = auditq.New(auditQueueSize, auditBatch, s.writeAudit)
	if opts.RateLimit > 0 {
		s.rate, s.limiter = opts.RateLimit, opts.RateLimiter
		if s.limiter == nil {
			s.limiter = &limiter{keys: map[string]*bucket{}}
		}
	}
	if s.nonces == nil {
		s.nonces = NewMemoryNonces(opts.MaxNonces)
	}
	s.metrics = newMetrics(s, opts) // after the nonce window: it counts it
	if s.now == nil {
		s.now = time.Now
	}
	if s.newRID == nil {
		s.newRID = NewRequestID
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	newID := opts.NewID
	if newID == nil {
		newID = NewID
	}
	s.diagnostics = auth.NewDiagnostics(opts.MasterKey)
	ecs.Register(s.mux, ecs.NewService(opts.Store, ecs.Options{Now: s.now, NewID: newID, CheckPassRole: s.checkPassRole}))
	s.sts, s.revocation = sts.NewService(opts.Store, sts.Options{Now: s.now, InstanceCredentialTTL: opts.MetadataCredentialTTL}), opts.Revocation
	sts.Register(s.mux, s.sts)
	ram.Register(s.mux, ram.NewService(opts.Store, ram.Options{Now: s.now, NewID: newID, Diagnostics: s.diagnostics}))
	bastion := bastionhost.NewService(opts.Store, bastionhost.Options{Now: s.now, SSHAddr: opts.BastionSSHAddr})
	bastionhost.Register(s.mux, bastion)
	explain.Register(s.mux, explain.NewService(opts.Store, explain.Options{Explainer: s, Bastion: bastion}))
	admin.Register(s.mux, admin.NewService(opts.Store))
	actiontrail.Register(s.mux, actiontrail.NewService(opts.Store, s.now))
	issuer := opts.InstanceCredentials
	if issuer == nil {
		issuer = metadata.IssuerFunc(s.issueCredentials)
	}
	s.meta = metadata.New(opts.MasterKey, issuer, metadata.Options{Now: s.now, Logger: s.log})
	s.console = s.newConsole(opts)
	return s
}

// Mux returns the action table, for documentation and tests.
func (s *Server) Mux() *protocol.Mux { return s.mux }

// ServeHTTP serves every RPC call on "/" plus /healthz, /readyz, /metrics,
// the web console under /console when on, /localyun/instance-credentials and
// /localyun/instance-credentials/<id>/<secret>; any other path is 404 in
// the product's error envelope. Proxy requests (absolute form, CONNECT)
// reach only the metadata service (serveProxy), except an absolute-form
// request for this server itself, served as if sent directly
// (toOriginForm).
func (s *Server) ServeHTTP(w http.ResponseWriter, hr *http.Request) {
	if isProxyRequest(hr) {
		if !s.toOriginForm(hr) {
			s.track(viaProxy, basicUser("Proxy-Authorization"), s.serveProxy)(w, hr) // metrics, access log
			return
		}
	}
	switch hr.URL.Path {
	case "/":
		s.serveAPI(w, hr)
	case metadata.CredentialsPath:
		s.track(viaCredentials, basicUser("Authorization"), s.serveInstanceCredentials)(w, hr)
	case "/metrics":
		s.metrics.ServeHTTP(w, hr)
	case "/healthz":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok\n"))
	case "/readyz":
		if err := s.store.Ping(hr.Context()); err != nil {
			http.Error(w, "store unreachable", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok\n"))
	default:
		if s.serveConsole(w, hr) {
			return
		}
		if rest, ok := strings.CutPrefix(hr.URL.Path, metadata.CredentialsPath+"/"); ok {
			s.track(viaCredentialsURI, pathInstance, func(w http.ResponseWriter, hr *http.Request) { s.servePathCredentials(w, hr, rest) })(w, hr)
			return
		}
		s.serveNotFound(w, hr)
	}
}

// serveAPI serves one RPC call: parse, look up the action, authenticate,
// throttle, parse its input, authorize, serve.
func (s *Server) serveAPI(w http.ResponseWriter, hr *http.Request) {
	start := time.Now()
	rw := &statusWriter{ResponseWriter: w}
	w = rw
	defer func() { s.finish(rw, hr, start) }() // metrics, access log (accesslog.go)
	hr = hr.WithContext(withAuditNote(hr.Context(), &rw.audit))
	rid := s.newRID()
	info := protocol.ErrorInfo{RequestID: rid, Host: hr.Host, Format: protocol.FormatJSON}
	rw.info = &info
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Error("panic", "request_id", rid, "panic", v)
			protocol.WriteError(w, s.log, info, localyun.NewError(http.StatusInternalServerError,
				"InternalError", "The request processing has failed due to some unknown error, exception or failure."))
		}
	}()
	if hr.Method != http.MethodGet && hr.Method != http.MethodPost {
		protocol.WriteError(w, s.log, info, localyun.NewError(http.StatusMethodNotAllowed, "UnsupportedHTTPMethod",
			"This http method is not supported."))
		return
	}
	r, err := protocol.ParseRequest(hr)
	if r != nil {
		info.Format, info.Action = r.Format, r.Action
	}
	if err != nil {
		protocol.WriteError(w, s.log, info, err)
		return
	}
	info.Product = s.mux.ProductOf(r.Version)
	rt, err := s.mux.Lookup(r.Version, r.Action)
	if err != nil {
		protocol.WriteError(w, s.log, info, err)
		return
	}
	rw.action = r.Action
	var replay localyun.ReplayKey
	p, err := s.authenticate(withReplaySlot(hr.Context(), &replay), r)
	if err != nil {
		rw.claimedKey = claimedKeyID(r) // the access log's
		s.recordGatewayDenial(hr.Context(), rt, r, rid, err)
		protocol.WriteError(w, s.log, info, err)
		return
	}
	p.SourceIP, p.Secure = r.RemoteAddr, r.Secure
	rw.principal = p // the access log's
	if err := s.throttle(hr.Context(), p); err != nil {
		s.recordDenial(hr.Context(), err, func() localyun.Event { return s.callEvent(localyun.EventTypeAPICall, rt, r, p, rid) })
		protocol.WriteError(w, s.log, info, err)
		return
	}
	ctx := localyun.WithReplayKey(hr.Context(), replay, s.now())
	v, eventID, err := s.run(ctx, rt, r, p, rid)
	if err != nil {
		protocol.WriteError(w, s.log, info, err)
		return
	}
	if eventID != "" {
		w.Header().Set(AuditEventHeader, eventID)
	}
	if err := protocol.WriteResponse(w, r.Format, r.Action, rid, v); err != nil {
		// Nothing was written: answer 500 rather than an empty 200.
		protocol.WriteError(w, s.log, info, err)
	}
}

// run is the part of a call after authentication, the same for a signed
// request and a console call (Invoke): parse the action's input, authorize
// p on it, serve it. The call's audit event rides in the context of its
// service (audit.go); eventID is that event's id once a committed write
// stored it, "" when the call wrote none. A denial's event is queued.
func (s *Server) run(ctx context.Context, rt *protocol.Route, r *protocol.Request, p localyun.Principal, rid string) (v any, eventID string, err error) {
	in, err := rt.Parse(r)
	if err != nil {
		return nil, "", err
	}
	ctx = localyun.NewContextWithPrincipal(ctx, p)
	typ := localyun.EventTypeFromContext(ctx)
	ctx = localyun.WithLazyEvent(ctx, func() localyun.Event { return s.callEvent(typ, rt, r, p, rid) })
	pending := func() localyun.Event { ev, _ := localyun.EventWritten(ctx); return ev }
	if err := s.authorize(ctx, rt, in, p); err != nil {
		s.recordDenial(ctx, err, pending) // with the resources authorize noted
		return nil, "", err
	}
	if p.IsRoot() && !rt.Public && eventRW(rt.Action) == localyun.EventWrite {
		// authorize derived no resources for the root: the event's.
		if arns, err := rt.Resources(ctx, p, in); err == nil {
			noteResources(ctx, arns)
		}
	}
	s.touchKey(localyun.WithoutReplayKey(localyun.WithoutEvent(ctx)), p) // housekeeping, not the call's change
	v, err = rt.Serve(ctx, in)
	if err != nil {
		s.recordDenial(ctx, err, pending)
		return nil, "", err
	}
	if id, written := localyun.WrittenEventID(ctx); written {
		eventID = id
		noteAudit(ctx, eventID, auditWritten)
	}
	return v, eventID, nil
}

// NewRequestID returns an upper-case UUID (version 4), as Alibaba Cloud's
// RequestId looks.
func NewRequestID() string { return localyun.NewGUID() }

// NewID returns a fresh random id of a kind, in the shape Alibaba Cloud
// uses: "instance" → i-<20 lower-case letters and digits>, "role" → a
// 19-digit number; any other kind → 20 letters and digits.
func NewID(kind string) string {
	switch kind {
	case "instance":
		return "i-" + randomString("abcdefghijklmnopqrstuvwxyz0123456789", 20)
	case "role":
		return "3" + randomString("0123456789", 18)
	}
	return randomString("abcdefghijklmnopqrstuvwxyz0123456789", 20)
}

func randomString(alphabet string, n int) string {
	b := make([]byte, n)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}
