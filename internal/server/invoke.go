package server

import (
	"bytes"
	"context"
	"net/url"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/protocol"
)

// Call is one API action run in-process on behalf of a signed-in principal
// (the web console): no signature, the same lane as a signed request.
type Call struct {
	Version string
	Action  string
	Params  url.Values
	// SourceIP and UserAgent are the browser's, for the audit trail.
	SourceIP  string
	UserAgent string
	// Secure: the caller came over HTTPS (acs:SecureTransport).
	Secure bool
}

// Invoke runs c as p through the same steps as a signed request after its
// signature: the key's rate limit (a throttled call's denial is recorded),
// the action's parser, the RAM decision on its parsed input,
// the service. It returns the JSON body a client would receive and the
// request id, or the error the client would receive (a *localyun.Error for
// an API error).
func (s *Server) Invoke(ctx context.Context, p localyun.Principal, c Call) (body []byte, requestID string, err error) {
	rt, err := s.mux.Lookup(c.Version, c.Action)
	if err != nil {
		return nil, "", err
	}
	params := url.Values{}
	for k, v := range c.Params {
		params[k] = v
	}
	params.Set("Action", c.Action)
	params.Set("Version", c.Version)
	r := &protocol.Request{Action: c.Action, Version: c.Version, Format: protocol.FormatJSON, Method: "POST",
		Path: "/", Params: params, Query: params, RemoteAddr: c.SourceIP}
	r.Header = map[string][]string{"User-Agent": {c.UserAgent}}
	p.SourceIP, p.Secure = c.SourceIP, c.Secure
	r.Secure = c.Secure
	requestID = s.newRID()
	// The key's rate is the same for the console as for signed requests.
	if err := s.throttle(ctx, p); err != nil {
		typ := localyun.EventTypeFromContext(ctx)
		s.recordDenial(ctx, err, func() localyun.Event { return s.callEvent(typ, rt, r, p, requestID) })
		return nil, requestID, err
	}
	v, _, err := s.run(ctx, rt, r, p, requestID)
	if err != nil {
		return nil, requestID, err
	}
	var buf bytes.Buffer
	if err := protocol.EncodeResponse(&buf, protocol.FormatJSON, c.Action, requestID, v); err != nil {
		return nil, requestID, err
	}
	return buf.Bytes(), requestID, nil
}

// SignIn checks an AccessKey pair (and the SecurityToken of STS
// credentials) as a signature check would, and returns the principal it
// authenticates: the console's sign-in.
func (s *Server) SignIn(ctx context.Context, accessKeyID, secret, token string) (localyun.Principal, error) {
	want, p, err := s.resolveKey(ctx, accessKeyID, token)
	if err != nil {
		return localyun.Principal{}, err
	}
	if !hmacEqual(want, secret) {
		return localyun.Principal{}, localyun.NewError(400, "InvalidAccessKeySecret", "The AccessKey secret is not valid.")
	}
	return p, nil
}
