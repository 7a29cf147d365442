// Package protocol implements Alibaba Cloud's RPC OpenAPI wire protocol:
// request parsing, the V1 (HMAC-SHA1) and V3 (ACS3-HMAC-SHA256) signatures,
// JSON and XML envelopes, the error writer and the (Version, Action) mux.
// It knows nothing about products.
package protocol

import (
	"cmp"
	"errors"
	"io"
	"maps"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/localyun/localyun"
)

// MaxBodyBytes is the largest request body the server reads. Larger bodies
// are refused with 413 before they are read into memory.
const MaxBodyBytes = 1 << 20

// Response formats.
const (
	FormatJSON = "JSON"
	FormatXML  = "XML"
)

// Request is one parsed API call.
type Request struct {
	Action  string
	Version string
	Format  string // FormatJSON or FormatXML
	Method  string
	Host    string
	Path    string
	// Params merges the query and a form body (the body wins). Without a
	// form body it is the very map Query is: both are read-only.
	Params url.Values
	// Query is the URL query alone (V3 signs only this).
	Query      url.Values
	Header     http.Header
	Body       []byte
	RemoteAddr string
	Secure     bool
}

// ParseRequest reads the body of hr (at most MaxBodyBytes) and merges query
// and form parameters. It returns a *localyun.Error for bodies that are too
// large or cannot be parsed. A body already read by a BodyLimiter is taken
// as it is, with the error (408, 503, ...) the limiter met reading it.
func ParseRequest(hr *http.Request) (*Request, error) {
	r := &Request{
		Method: hr.Method,
		Host:   hr.Host,
		Path:   hr.URL.Path,
		Header: hr.Header,
		Secure: hr.TLS != nil,
	}
	r.RemoteAddr = hr.RemoteAddr
	if host, _, err := net.SplitHostPort(hr.RemoteAddr); err == nil {
		r.RemoteAddr = host
	}
	if hr.ContentLength > MaxBodyBytes {
		return r, errBodyTooLarge()
	}
	if b, ok := hr.Body.(*bufferedBody); ok {
		// Read by a BodyLimiter, under its deadline and budget.
		if b.err != nil {
			return r, b.err
		}
		r.Body = b.buf
	} else if hr.Body != nil && hr.Body != http.NoBody {
		body, err := io.ReadAll(io.LimitReader(hr.Body, MaxBodyBytes+1))
		if err != nil {
			return r, &localyun.Error{Status: http.StatusBadRequest, Code: "InvalidParameter",
				Message: "The request body could not be read.", Err: err}
		}
		if len(body) > MaxBodyBytes {
			return r, errBodyTooLarge()
		}
		r.Body = body
	}
	q, err := parseValues(hr.URL.RawQuery, errTooManyQueryParams)
	if err != nil {
		return r, &localyun.Error{Status: http.StatusBadRequest, Code: "InvalidParameter",
			Message: "The request query string is not well formed.", Err: err}
	}
	r.Query, r.Params = q, q
	if len(r.Body) > 0 {
		ct, _, _ := mime.ParseMediaType(hr.Header.Get("Content-Type"))
		if ct == "application/x-www-form-urlencoded" {
			form, err := parseForm(string(r.Body))
			if err != nil {
				return r, &localyun.Error{Status: http.StatusBadRequest, Code: "InvalidParameter",
					Message: "The request body is not a well formed form.", Err: err}
			}
			r.Params = make(url.Values, len(q)+len(form))
			maps.Copy(r.Params, q)
			maps.Copy(r.Params, form)
		}
	}
	r.Action = r.Params.Get("Action")
	if r.Action == "" {
		r.Action = hr.Header.Get("x-acs-action")
	}
	r.Version = r.Params.Get("Version")
	if r.Version == "" {
		r.Version = hr.Header.Get("x-acs-version")
	}
	r.Format = FormatJSON
	switch f := r.Params.Get("Format"); {
	case strings.EqualFold(f, FormatXML):
		r.Format = FormatXML
	case f != "" && !strings.EqualFold(f, FormatJSON):
		return r, localyun.NewError(http.StatusBadRequest, "InvalidParameter.Format", "Specified parameter format is not valid.")
	}
	return r, nil
}

// errBodyTooLarge is 413; the connection is closed after it, as the rest of
// the body is not read.
func errBodyTooLarge() error {
	return &localyun.Error{Status: http.StatusRequestEntityTooLarge, Code: "RequestEntityTooLarge",
		Message: "The request body exceeds the limit of " + strconv.Itoa(MaxBodyBytes) + " bytes.", Header: connClose}
}

// maxFormParams is the most parameters a form body may hold, as
// url.ParseQuery allows by default.
const maxFormParams = 10_000

var (
	errTooManyFormParams  = errors.New("number of form parameters exceeded limit")
	errTooManyQueryParams = errors.New("number of URL query parameters exceeded limit")
)

// parseForm is url.ParseQuery for a request body, with the same result and
// the same errors: see parseValues.
func parseForm(s string) (url.Values, error) { return parseValues(s, errTooManyFormParams) }

// parseValues is url.ParseQuery (at most maxFormParams parameters, beyond
// which it fails with tooMany), with the same result and the same errors;
// but a key or value with nothing to unescape (no '%' or '+', found with
// vectorized byte searches) is taken as it is, so that a large plain body
// costs a scan rather than a byte-by-byte decode, and the map and the
// values are allocated once for all the parameters.
func parseValues(s string, tooMany error) (url.Values, error) {
	n := strings.Count(s, "&") + 1
	if n > maxFormParams {
		return url.Values{}, tooMany
	}
	m := make(url.Values, n)
	vals := make([]string, 0, n) // the backing array of the values of every key
	unescape := func(v string) (string, error) {
		if strings.IndexByte(v, '%') < 0 && strings.IndexByte(v, '+') < 0 {
			return v, nil
		}
		return url.QueryUnescape(v)
	}
	var err error
	for s != "" {
		var kv string
		kv, s, _ = strings.Cut(s, "&")
		if strings.IndexByte(kv, ';') >= 0 {
			err = errors.New("invalid semicolon separator in query") // overwrites, as url.ParseQuery does
			continue
		}
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		k, kerr := unescape(k)
		v, verr := unescape(v)
		if kerr != nil || verr != nil {
			err = cmp.Or(err, kerr, verr)
			continue
		}
		if old, ok := m[k]; ok {
			m[k] = append(old, v) // a copy: the capacity of a value ends at its length
			continue
		}
		vals = append(vals, v)
		m[k] = vals[len(vals)-1 : len(vals) : len(vals)]
	}
	return m, err
}

// Get returns the first value of a parameter, or "".
func (r *Request) Get(name string) string {
	if v := r.Params[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// Has reports whether the parameter was sent at all (even empty).
func (r *Request) Has(name string) bool {
	_, ok := r.Params[name]
	return ok
}

// RepeatList returns the values of a repeat-list parameter Name.1, Name.2, ...
// in index order. It stops at the first gap.
func (r *Request) RepeatList(name string) []string {
	var out []string
	for i := 1; ; i++ {
		v, ok := r.Params[name+"."+strconv.Itoa(i)]
		if !ok {
			return out
		}
		out = append(out, v[0])
	}
}

// Int parses an integer parameter. ok is false when the parameter is absent
// or empty; err is non-nil when it is present but not an integer.
func (r *Request) Int(name string) (n int64, ok bool, err error) {
	s := r.Get(name)
	if s == "" {
		return 0, false, nil
	}
	n, err = strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return 0, true, err
	}
	return n, true, nil
}

// Bool parses a boolean parameter ("true"/"false", case-insensitive).
func (r *Request) Bool(name string) (b bool, ok bool, err error) {
	s := r.Get(name)
	if s == "" {
		return false, false, nil
	}
	b, err = strconv.ParseBool(strings.ToLower(s))
	return b, true, err
}

// PayloadHash is the lower-hex SHA-256 of the body, as V3 signs it.
func (r *Request) PayloadHash() string { return hexSHA256(r.Body) }

// ErrMissing is the gateway's Missing{Name} error.
func ErrMissing(name string) error {
	return localyun.NewError(http.StatusBadRequest, "Missing"+name, name+" is mandatory for this action.")
}
