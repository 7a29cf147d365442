package metadata

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/localyun/localyun"
)

// The header names of the token protocol (Go canonicalises the spelling
// the clients send, "x-aliyun-ecs-metadata-token").
const (
	TokenHeader    = "X-Aliyun-Ecs-Metadata-Token"
	TokenTTLHeader = "X-Aliyun-Ecs-Metadata-Token-Ttl-Seconds"
)

// TokenPath is the path of the token PUT.
const TokenPath = "/latest/api/token"

// versions are the metadata versions: GET / lists them; each serves the
// same tree.
var versions = []string{"2016-01-01", "latest"}

// ServeInstance answers r, a request of the metadata service made by the
// instance inst, in the service's wire forms:
//
//   - HttpEndpoint=disabled: 404 on every path, the token PUT included
//     (the service does not answer for the instance; localyun says why in
//     the body rather than leave the client to time out);
//   - PUT /latest/api/token: a token valid for the seconds of the
//     X-aliyun-ecs-metadata-token-ttl-seconds header, 1 to 21600; 400 when
//     the header is absent or out of range, 403 when the request carries
//     X-Forwarded-For, 405 for another method;
//   - any other path: GET or HEAD (else 405). A request with the
//     X-aliyun-ecs-metadata-token header needs a valid token of inst (401);
//     without it, 403 when the instance has HttpTokens=required;
//   - GET / lists the versions, /latest/ lists meta-data, a directory
//     lists its children, a leaf is its value (text, no final newline);
//     ram/security-credentials/ is the attached role's name (404 when
//     none), ram/security-credentials/<role> the role's credentials
//     (404 for any other name; names match ignoring case, as RAM's do).
func (s *Service) ServeInstance(w http.ResponseWriter, r *http.Request, inst localyun.Instance) {
	if inst.Metadata.HTTPEndpoint == localyun.MetadataDisabled {
		text(w, http.StatusNotFound, "The metadata service is disabled for instance "+inst.ID+" (HttpEndpoint=disabled).\n")
		return
	}
	if r.URL.Path == TokenPath {
		s.serveToken(w, r, inst)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		text(w, http.StatusMethodNotAllowed, "Method Not Allowed\n")
		return
	}
	if tok, ok := r.Header[TokenHeader]; ok {
		if !s.validToken(inst.ID, tok[0], s.now()) {
			text(w, http.StatusUnauthorized, "Unauthorized: the metadata token is invalid or expired.\n")
			return
		}
	} else if inst.Metadata.HTTPTokens == localyun.TokensRequired {
		text(w, http.StatusForbidden, "Forbidden: instance "+inst.ID+" accepts only requests with a metadata token (HttpTokens=required).\n")
		return
	}
	s.serveRead(w, r, inst)
}

// serveToken answers the token PUT.
func (s *Service) serveToken(w http.ResponseWriter, r *http.Request, inst localyun.Instance) {
	if r.Method != http.MethodPut {
		w.Header().Set("Allow", http.MethodPut)
		text(w, http.StatusMethodNotAllowed, "Method Not Allowed\n")
		return
	}
	if len(r.Header.Values("X-Forwarded-For")) > 0 {
		text(w, http.StatusForbidden, "Forbidden: a token request must not carry X-Forwarded-For.\n")
		return
	}
	ttl, err := strconv.Atoi(r.Header.Get(TokenTTLHeader))
	if err != nil || ttl < MinTokenTTL || ttl > MaxTokenTTL {
		text(w, http.StatusBadRequest, "Missing or Invalid Parameters: X-aliyun-ecs-metadata-token-ttl-seconds must be 1 to 21600.\n")
		return
	}
	tok := s.token(inst.ID, s.now().Add(time.Duration(ttl)*time.Second))
	w.Header().Set(TokenTTLHeader, strconv.Itoa(ttl))
	text(w, http.StatusOK, tok)
}

// serveRead answers a read of the tree.
func (s *Service) serveRead(w http.ResponseWriter, r *http.Request, inst localyun.Instance) {
	p := r.URL.Path
	if p == "/" || p == "" { // "GET http://100.100.100.200 HTTP/1.1" has no path
		text(w, http.StatusOK, strings.Join(versions, "\n"))
		return
	}
	version, rest, _ := strings.Cut(strings.TrimPrefix(p, "/"), "/")
	if version != versions[0] && version != versions[1] {
		notFound(w)
		return
	}
	if strings.Trim(rest, "/") == "" {
		text(w, http.StatusOK, "meta-data")
		return
	}
	rest, ok := strings.CutPrefix(rest, "meta-data")
	if !ok || rest != "" && rest[0] != '/' {
		notFound(w)
		return
	}
	rest = strings.TrimPrefix(rest, "/")
	const creds = "ram/security-credentials/"
	if strings.TrimSuffix(rest, "/")+"/" == creds {
		if inst.RAMRoleName == "" {
			notFound(w)
			return
		}
		text(w, http.StatusOK, inst.RAMRoleName)
		return
	}
	if role, ok := strings.CutPrefix(rest, creds); ok {
		if inst.RAMRoleName == "" || !strings.EqualFold(strings.TrimSuffix(role, "/"), inst.RAMRoleName) {
			notFound(w)
			return
		}
		s.serveCredentials(w, r, inst)
		return
	}
	it, ok := metaData.find(rest)
	switch {
	case !ok:
		notFound(w)
	case it.value == nil:
		text(w, http.StatusOK, it.listing(inst))
	default:
		if v := it.value(inst); v != "" {
			text(w, http.StatusOK, v)
		} else {
			notFound(w)
		}
	}
}

// ServeCredentials answers CredentialsPath for the instance inst: GET (or
// HEAD) only; the same JSON body as the metadata service's role path,
// which carries both Code (the aliyun CLI requires it) and Expiration (the
// credential providers require it); 404 when the instance has no role or
// HttpEndpoint=disabled (this path is another way to the same credentials,
// so the switch that closes the metadata service closes it too). No token
// is asked for: the instance's secret authenticated the request.
func (s *Service) ServeCredentials(w http.ResponseWriter, r *http.Request, inst localyun.Instance) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		text(w, http.StatusMethodNotAllowed, "Method Not Allowed\n")
		return
	}
	if inst.Metadata.HTTPEndpoint == localyun.MetadataDisabled {
		text(w, http.StatusNotFound, "The metadata service is disabled for instance "+inst.ID+" (HttpEndpoint=disabled).\n")
		return
	}
	if inst.RAMRoleName == "" {
		text(w, http.StatusNotFound, "Instance "+inst.ID+" has no RAM role attached.\n")
		return
	}
	s.serveCredentials(w, r, inst)
}

// credentialsBody is the JSON of role credentials, in the field order of
// ECS's documented sample.
type credentialsBody struct {
	AccessKeyID     string `json:"AccessKeyId"`
	AccessKeySecret string `json:"AccessKeySecret"`
	Expiration      string `json:"Expiration"`
	SecurityToken   string `json:"SecurityToken"`
	LastUpdated     string `json:"LastUpdated"`
	Code            string `json:"Code"`
}

// TimeFormat is the layout of Expiration and LastUpdated: UTC, seconds.
const TimeFormat = "2006-01-02T15:04:05Z"

// serveCredentials writes the credentials of inst's role.
func (s *Service) serveCredentials(w http.ResponseWriter, r *http.Request, inst localyun.Instance) {
	c, err := s.issuer.InstanceCredentials(r.Context(), inst)
	switch {
	case errors.Is(err, localyun.ErrNotFound):
		notFound(w)
		return
	case errors.Is(err, localyun.ErrDenied):
		s.log.Warn("metadata: role credentials refused", "instance", inst.ID, "role", inst.RAMRoleName, "err", err)
		notFound(w)
		return
	case errors.Is(err, localyun.ErrUnavailable):
		// Contention (lost compare-and-set rounds, a busy store): retry.
		s.log.Warn("metadata: role credentials", "instance", inst.ID, "role", inst.RAMRoleName, "err", err)
		w.Header().Set("Retry-After", "1")
		text(w, http.StatusServiceUnavailable, "Service Unavailable\n")
		return
	case err != nil:
		s.log.Error("metadata: role credentials", "instance", inst.ID, "role", inst.RAMRoleName, "err", err)
		text(w, http.StatusInternalServerError, "Internal Server Error\n")
		return
	}
	body, err := json.Marshal(credentialsBody{AccessKeyID: c.AccessKeyID, AccessKeySecret: c.AccessKeySecret,
		Expiration: c.Expiration.UTC().Format(TimeFormat), SecurityToken: c.SecurityToken,
		LastUpdated: c.LastUpdated.UTC().Format(TimeFormat), Code: "Success"})
	if err != nil {
		text(w, http.StatusInternalServerError, "Internal Server Error\n")
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}

func notFound(w http.ResponseWriter) { text(w, http.StatusNotFound, "Not Found\n") }

// text writes a plain-text answer.
func text(w http.ResponseWriter, status int, body string) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write([]byte(body))
}
