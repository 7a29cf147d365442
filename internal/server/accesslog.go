package server

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/metadata"
	"github.com/localyun/localyun/internal/protocol"
	"github.com/localyun/localyun/internal/sshgw"
)

// The access log (Options.AccessLog) has one line per request, at level
// Info, message "access": on the API, the request id, product, action,
// principal (its type, account, AccessKeyId and user or role:session),
// source IP, HTTP status, error code (errors only), duration (text:
// 1.2ms; JSON: nanoseconds) and bytes written; on the
// metadata service, the way it was reached, the instance named, the path
// and the same status, duration and bytes. A request refused
// authentication has the AccessKeyId it named (access_key_id) instead of a
// principal. A request with an audit event has its eventId (event) and
// audit: "written" when the event was written with the request's change
// (a state change, or credentials the metadata service issued), "queued"
// when a denial's event was queued to be written on its own (its writer
// drops it when the key or instance it names belongs to no account): a
// line without them has no event. It never holds a secret: no
// parameter, no query string, no header, no body is logged, and the
// credentials path is logged without its secret segment.

// finish is deferred by serveAPI: it counts the request (metrics.observe)
// and writes its access-log line.
func (s *Server) finish(w *statusWriter, hr *http.Request, start time.Time) {
	s.metrics.observe(w, start)
	log := s.metrics.access
	if log == nil || !log.Enabled(hr.Context(), slog.LevelInfo) {
		return
	}
	attrs := make([]slog.Attr, 0, 15)
	attrs = append(attrs, slog.String("plane", "api"))
	product, action := "", ""
	if w.info != nil {
		attrs = append(attrs, slog.String("request_id", w.info.RequestID))
		product, action = w.info.Product, w.info.Action
	}
	attrs = append(attrs, slog.String("product", product), slog.String("action", boundedAction(w, action)))
	if p := w.principal; p.AccountID != "" {
		attrs = append(attrs, slog.Group("principal", principalAttrs(p)...))
	} else if w.claimedKey != "" {
		attrs = append(attrs, slog.String("access_key_id", w.claimedKey))
	}
	attrs = append(attrs, s.tail(w, hr, start)...)
	log.LogAttrs(context.WithoutCancel(hr.Context()), slog.LevelInfo, "access", attrs...)
}

// boundedAction is the action to log: the one served, else what the
// request named, cut to 64 bytes (it is the client's text).
func boundedAction(w *statusWriter, named string) string {
	if w.action != "" {
		return w.action
	}
	if len(named) > 64 {
		named = named[:64]
	}
	return named
}

// principalAttrs are a principal's fields for the log: never a secret.
func principalAttrs(p localyun.Principal) []any {
	out := []any{slog.String("type", p.Type), slog.String("account", p.AccountID),
		slog.String("access_key_id", p.AccessKeyID)}
	switch p.Type {
	case localyun.PrincipalTypeUser:
		out = append(out, slog.String("user", p.UserName))
	case localyun.PrincipalTypeAssumed:
		out = append(out, slog.String("role_session", p.RoleName+":"+p.SessionName))
	}
	return out
}

// tail are the attributes every line ends with.
func (s *Server) tail(w *statusWriter, hr *http.Request, start time.Time) []slog.Attr {
	ip := hr.RemoteAddr
	if host, _, err := net.SplitHostPort(ip); err == nil {
		ip = host
	}
	attrs := []slog.Attr{slog.String("source_ip", ip), slog.Int("status", w.status())}
	if w.errCode != "" {
		attrs = append(attrs, slog.String("code", w.errCode))
	}
	if w.audit.event != "" {
		attrs = append(attrs, slog.String("event", w.audit.event), slog.String("audit", w.audit.state))
	}
	return append(attrs, slog.Duration("duration", time.Since(start)), slog.Int64("bytes", w.bytes))
}

// The ways the metadata service is reached, in its metrics and log lines.
const (
	viaProxy          = "proxy"           // HTTP_PROXY, absolute-form requests
	viaCredentials    = "credentials"     // metadata.CredentialsPath with Authorization
	viaCredentialsURI = "credentials_uri" // metadata.CredentialsPath/<id>/<secret>
	viaListener       = "listener"        // MetadataHandler (--metadata-addr)
)

// track wraps a metadata-service handler reached via: it counts its
// requests by status and logs each. instance returns the instance the
// request names (not yet checked), never its secret.
func (s *Server) track(via string, instance func(*http.Request) string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, hr *http.Request) {
		start := time.Now()
		rw := &statusWriter{ResponseWriter: w}
		// Read before h runs: nothing of it changes the request.
		id, path := instance(hr), metadataPath(via, hr)
		h(rw, hr.WithContext(withAuditNote(hr.Context(), &rw.audit)))
		s.metrics.metadata.WithLabelValues(via, strconv.Itoa(rw.status())).Inc()
		log := s.metrics.access
		if log == nil || !log.Enabled(hr.Context(), slog.LevelInfo) {
			return
		}
		attrs := []slog.Attr{slog.String("plane", "metadata"), slog.String("via", via),
			slog.String("instance", id), slog.String("method", hr.Method), slog.String("path", path)}
		attrs = append(attrs, s.tail(rw, hr, start)...)
		log.LogAttrs(context.WithoutCancel(hr.Context()), slog.LevelInfo, "access", attrs...)
	}
}

// metadataPath is the path to log: the metadata path asked for, or the
// credentials path without the id and secret of the credentials URI.
func metadataPath(via string, hr *http.Request) string {
	switch {
	case via == viaCredentials || via == viaCredentialsURI || strings.HasPrefix(hr.URL.Path, metadata.CredentialsPath):
		return metadata.CredentialsPath
	case via == viaProxy && !isMetadataURL(hr.URL):
		// Any plain-http request of an app whose HTTP_PROXY is localyun
		// comes here: its path may hold a secret (a webhook's).
		return ""
	}
	p := hr.URL.Path
	if len(p) > 256 {
		p = p[:256]
	}
	return p
}

// basicUser returns the instance id a Basic credentials header names.
func basicUser(header string) func(*http.Request) string {
	return func(hr *http.Request) string {
		id, _, _ := parseBasic(hr.Header.Get(header))
		return loggableInstance(id)
	}
}

// pathInstance returns the instance id of a credentials URI path
// (<id>/<secret>).
func pathInstance(hr *http.Request) string {
	rest := strings.TrimPrefix(hr.URL.Path, metadata.CredentialsPath+"/")
	id, _, _ := strings.Cut(rest, "/")
	return loggableInstance(id)
}

// loggableInstance is id unless it could be an instance secret (20 bytes
// in lower-case base32: a client that sends its secret alone, as "SECRET",
// "SECRET:" or ".../SECRET/", must not see it logged) or is no name at all.
func loggableInstance(id string) string {
	if protocol.CheckName(id, 1, 128) != nil || secretShaped(id) {
		return ""
	}
	return id
}

// secretShaped reports whether s has the form of an instance secret
// (metadata.InstanceSecret): 32 characters of a-z and 2-7.
func secretShaped(s string) bool {
	if len(s) != 32 {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= '2' && c <= '7') {
			return false
		}
	}
	return true
}

// fixedInstance returns id for every request.
func fixedInstance(id string) func(*http.Request) string {
	return func(*http.Request) string { return id }
}

// sshCollector exposes the bastion SSH gateway's counts (sshgw.Stats).
type sshCollector func() sshgw.Stats

var (
	sshLiveDesc = prometheus.NewDesc("localyun_ssh_sessions_live",
		"Bastion SSH gateway sessions bridged to a host now.", nil, nil)
	sshEndedDesc = prometheus.NewDesc("localyun_ssh_sessions_ended_total",
		"Bastion SSH gateway sessions ended, by reason (exit, revoked, locked, expired, idle, shutdown, error): all but exit were cut by the gateway.",
		[]string{"reason"}, nil)
	sshLoginsDesc = prometheus.NewDesc("localyun_ssh_logins_total",
		"Bastion SSH gateway logins, by method (password, publickey, token) and result (ok, failed, refused); a client offering several keys makes one failed publickey login per key refused.",
		[]string{"method", "result"}, nil)
	sshEventsDroppedDesc = prometheus.NewDesc("localyun_ssh_audit_events_dropped_total",
		"Bastion SSH gateway audit events of refused logins dropped because the gateway's audit queue was full.", nil, nil)
)

func (c sshCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- sshLiveDesc
	ch <- sshEndedDesc
	ch <- sshLoginsDesc
	ch <- sshEventsDroppedDesc
}

func (c sshCollector) Collect(ch chan<- prometheus.Metric) {
	st := c()
	ch <- prometheus.MustNewConstMetric(sshLiveDesc, prometheus.GaugeValue, float64(st.Live))
	ch <- prometheus.MustNewConstMetric(sshEventsDroppedDesc, prometheus.CounterValue, float64(st.EventsDropped))
	for reason, n := range st.Ended {
		ch <- prometheus.MustNewConstMetric(sshEndedDesc, prometheus.CounterValue, float64(n), reason)
	}
	for k, n := range st.Logins {
		ch <- prometheus.MustNewConstMetric(sshLoginsDesc, prometheus.CounterValue, float64(n), k[0], k[1])
	}
}
