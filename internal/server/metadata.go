package server

import (
	"context"
	"encoding/base64"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/metadata"
	"github.com/localyun/localyun/internal/protocol"
)

// The metadata service is reached three ways, each naming the calling
// instance: absolute-form (proxy) requests for http://100.100.100.200 on
// the main listener, with Proxy-Authorization: Basic <id>:<secret>
// (HTTP_PROXY=http://<id>:<secret>@host:port); GET
// /localyun/instance-credentials with Authorization: Basic <id>:<secret>,
// or GET /localyun/instance-credentials/<id>/<secret>
// (ALIBABA_CLOUD_CREDENTIALS_URI); and MetadataHandler, a listener of its
// own for one instance. The secret is metadata.InstanceSecret of the
// master key.

// issueCredentials is the metadata service's default issuer: the STS
// sessions of the instance's role (see InstanceCredentials).
// The credentials of a new instance session are an audit event written
// with the session (a current session served again is none).
func (s *Server) issueCredentials(ctx context.Context, in localyun.Instance) (metadata.Credentials, error) {
	ctx = localyun.WithEvent(ctx, s.metadataEvent(in.ID, "", metadataIssueEvent, in.AccountID, in.RAMRoleName))
	c, err := s.InstanceCredentials(ctx, in)
	if id, written := localyun.WrittenEventID(ctx); written && err == nil {
		noteAudit(ctx, id, auditWritten)
	}
	return metadata.Credentials(c), err
}

// isProxyRequest reports whether r asks the server to act as a proxy: a
// CONNECT, or a request in absolute form ("GET http://host/path").
func isProxyRequest(r *http.Request) bool {
	return r.Method == http.MethodConnect || r.URL.IsAbs()
}

// isMetadataURL reports whether u is the metadata service:
// http://100.100.100.200, port 80 or none.
func isMetadataURL(u *url.URL) bool {
	return u.Scheme == "http" && (u.Host == metadata.Host || u.Host == metadata.Host+":80")
}

// serveProxy answers a proxy request: one for the metadata service, by an
// instance its Proxy-Authorization names, is served (407 unless it names
// an existing instance with its secret); any other, and every CONNECT, is
// 403. Nothing is ever dialled: localyun is no open proxy.
func (s *Server) serveProxy(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodConnect || !isMetadataURL(r.URL) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte("Forbidden: localyun proxies only http://" + metadata.Host + "/ (the instance metadata service).\n"))
		return
	}
	inst, err := s.metadataCaller(r, r.Header.Get("Proxy-Authorization"))
	if err != nil {
		s.refuseCaller(w, err, http.StatusProxyAuthRequired, "Proxy-Authenticate")
		return
	}
	s.meta.ServeInstance(w, r, inst)
}

// serveInstanceCredentials answers metadata.CredentialsPath: the role
// credentials of the instance its Authorization names (401 unless an
// existing instance with its secret).
func (s *Server) serveInstanceCredentials(w http.ResponseWriter, r *http.Request) {
	inst, err := s.metadataCaller(r, r.Header.Get("Authorization"))
	if err != nil {
		s.refuseCaller(w, err, http.StatusUnauthorized, "WWW-Authenticate")
		return
	}
	s.meta.ServeCredentials(w, r, inst)
}

// servePathCredentials answers metadata.CredentialsPath/<id>/<secret>,
// the credentials URI for clients that drop a URL's userinfo (Node's
// @alicloud/credentials): the instance is named by the path instead of
// Authorization, checked in constant time, and every answer is that of
// serveInstanceCredentials (401 for a wrong or missing secret or an
// unknown instance).
func (s *Server) servePathCredentials(w http.ResponseWriter, r *http.Request, rest string) {
	id, secret, _ := strings.Cut(rest, "/")
	inst, err := s.instanceCaller(r, id, secret)
	if err != nil {
		s.refuseCaller(w, err, http.StatusUnauthorized, "WWW-Authenticate")
		return
	}
	s.meta.ServeCredentials(w, r, inst)
}

// toOriginForm turns an absolute-form request for this server itself into
// the origin-form request it would be if sent directly, and reports
// whether it did. The v1 SDK and the Tea clients send their API calls
// through HTTP_PROXY even to a loopback endpoint, so an app given
// HTTP_PROXY=$(localyun metadata-url ...) sends its own calls here in
// absolute form. Nothing is dialled: this is no open proxy. The proxy
// credentials (the instance's secret) are dropped, as a proxy would.
func (s *Server) toOriginForm(r *http.Request) bool {
	if r.Method == http.MethodConnect || !s.isSelfURL(r.URL) {
		return false
	}
	r.Header.Del("Proxy-Authorization")
	r.Host = r.URL.Host
	r.URL = &url.URL{Path: r.URL.Path, RawPath: r.URL.RawPath, RawQuery: r.URL.RawQuery}
	if r.URL.Path == "" {
		r.URL.Path = "/"
	}
	r.RequestURI = r.URL.RequestURI()
	return true
}

// isSelfURL reports whether u (absolute, http) names one of the server's
// listen addresses: its port is a listen port, and its host the listen
// host, "localhost" when that is loopback or unspecified, or any loopback
// IP when it is unspecified (0.0.0.0, ::).
func (s *Server) isSelfURL(u *url.URL) bool {
	if u.Scheme != "http" || u.User != nil {
		return false
	}
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = "80"
	}
	ip := net.ParseIP(host)
	for _, addr := range s.self {
		lhost, lport, err := net.SplitHostPort(addr)
		if err != nil || lport != port {
			continue
		}
		lip := net.ParseIP(lhost)
		anyHost := lhost == "" || (lip != nil && lip.IsUnspecified())
		switch {
		case strings.EqualFold(host, lhost), ip != nil && lip != nil && ip.Equal(lip):
			return true
		case strings.EqualFold(host, "localhost") && (anyHost || (lip != nil && lip.IsLoopback())):
			return true
		case anyHost && ip != nil && ip.IsLoopback():
			return true
		}
	}
	return false
}

// MetadataHandler returns the metadata service of the instance instanceID
// as a plain (non-proxy) handler, for a listener the user reaches at
// 100.100.100.200 (a loopback alias): such requests carry no identity, so
// every request is that instance's, read afresh from the store (404 once
// it is deleted). Proxy requests to it are 403.
func (s *Server) MetadataHandler(instanceID string) http.Handler {
	return s.track(viaListener, fixedInstance(instanceID), func(w http.ResponseWriter, r *http.Request) { // metrics, access log
		if isProxyRequest(r) {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusForbidden)
			w.Write([]byte("Forbidden: this is the metadata service, not a proxy.\n"))
			return
		}
		if !metadataHostOK(r) {
			// A page in a browser that resolved its own name to this
			// address (DNS rebinding) must not read the credentials.
			http.Error(w, "Forbidden: the metadata service answers requests for "+metadata.Host+" only.", http.StatusForbidden)
			return
		}
		inst, err := s.store.FindInstanceByID(r.Context(), instanceID)
		if errors.Is(err, localyun.ErrNotFound) {
			http.Error(w, "Instance "+instanceID+" does not exist.", http.StatusNotFound)
			return
		}
		if err != nil {
			s.log.Error("metadata: find instance", "instance", instanceID, "err", err)
			http.Error(w, "Internal Server Error", http.StatusInternalServerError)
			return
		}
		s.meta.ServeInstance(w, r, inst)
	})
}

// metadataHostOK reports whether a request to the --metadata-addr
// listener names the metadata service's address (or a loopback address)
// as its Host.
func metadataHostOK(r *http.Request) bool {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return host == metadata.Host || host == "localhost" || ip != nil && ip.IsLoopback()
}

// errBadCaller is a missing or wrong instance credential, or an instance
// that does not exist: the same answer for each.
var errBadCaller = errors.New("bad instance credentials")

// metadataCaller returns the instance that the Basic credentials in header
// name: errBadCaller unless they are an instance id and its secret, and
// the instance exists (in any account).
func (s *Server) metadataCaller(r *http.Request, header string) (localyun.Instance, error) {
	id, secret, ok := parseBasic(header)
	if !ok {
		return localyun.Instance{}, errBadCaller
	}
	return s.instanceCaller(r, id, secret)
}

// instanceCaller returns the instance id if secret is its secret (checked
// in constant time) and it exists (in any account); else errBadCaller. A
// wrong secret for an instance that exists is a denial in its account's
// audit trail (queued; the writer drops it when there is no such instance).
func (s *Server) instanceCaller(r *http.Request, id, secret string) (localyun.Instance, error) {
	if !s.meta.CheckSecret(id, secret) {
		if id != "" {
			s.recordMetadataDenial(r, id)
		}
		return localyun.Instance{}, errBadCaller
	}
	inst, err := s.store.FindInstanceByID(r.Context(), id)
	if errors.Is(err, localyun.ErrNotFound) {
		return inst, errBadCaller
	}
	return inst, err
}

// refuseCaller answers a request metadataCaller refused: status with the
// Basic challenge in the header challenge, or 500 when the store failed.
func (s *Server) refuseCaller(w http.ResponseWriter, err error, status int, challenge string) {
	if !errors.Is(err, errBadCaller) {
		s.log.Error("metadata: find instance", "err", err)
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	w.Header().Set(challenge, `Basic realm="`+metadata.Realm+`"`)
	http.Error(w, "The instance id and secret are missing or wrong (see localyun metadata-url).", status)
}

// parseBasic returns the user and password of a Basic credentials header.
func parseBasic(header string) (user, password string, ok bool) {
	scheme, enc, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Basic") {
		return "", "", false
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(enc))
	if err != nil {
		return "", "", false
	}
	return strings.Cut(string(raw), ":")
}

// The names of the metadata service's audit events.
const (
	metadataIssueEvent  = "IssueInstanceCredentials"
	metadataRefuseEvent = "InstanceCredentialsRefused"
)

// metadataEvent is an event of the metadata service for instance id of
// account (empty: found by the audit writer), with the role it names.
func (s *Server) metadataEvent(id, sourceIP, name, account, role string) localyun.Event {
	ev := localyun.Event{ID: NewRequestID(), Name: name, Time: s.now().UTC(), Source: metadata.Host,
		Type: localyun.EventTypeMetadata, RW: localyun.EventWrite, Region: defaultEventRegion, Service: "Ecs",
		SourceIP: sourceIP, RequestID: NewRequestID(), AccountID: account,
		Identity:   localyun.EventIdentity{Type: localyun.IdentityInstance, PrincipalID: id, AccountID: account, UserName: id},
		Resources:  []localyun.EventResource{{Type: "ACS::ECS::Instance", Name: id}},
		Additional: map[string]string{"Scheme": "http"}}
	if role != "" {
		ev.Resources = append(ev.Resources, localyun.EventResource{Type: "ACS::RAM::Role", Name: role})
	}
	return ev
}

// recordMetadataDenial queues the event of a metadata request refused for
// a wrong secret of instance id, for the account of that instance.
func (s *Server) recordMetadataDenial(r *http.Request, id string) {
	if protocol.CheckName(id, 1, 128) != nil {
		return
	}
	ev := s.metadataEvent(id, r.RemoteAddr, metadataRefuseEvent, "", "")
	ev.UserAgent = localyun.EventText(r.UserAgent(), maxEventUserAgent)
	ev.ErrorCode, ev.ErrorMessage = "InvalidInstanceSecret", "The instance id and secret are missing or wrong."
	queued := s.enqueue(auditItem{ev: ev, resolve: func(ctx context.Context, ev *localyun.Event) bool {
		inst, err := s.store.FindInstanceByID(ctx, id)
		if err != nil {
			return false
		}
		ev.AccountID, ev.Identity.AccountID, ev.Region = inst.AccountID, inst.AccountID, inst.RegionID
		return true
	}})
	if queued {
		noteAudit(r.Context(), ev.ID, auditQueued)
	}
}
