package server

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/protocol"
)

// SkewWindow is how far a request's timestamp may be from the server clock,
// and how long a nonce is remembered.
const SkewWindow = 15 * time.Minute

var (
	errMissingSignature  = localyun.NewError(http.StatusBadRequest, "MissingSignature", "Signature is mandatory for this action.")
	errTimestampExpired  = localyun.NewError(http.StatusBadRequest, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")
	errTimestampFormat   = localyun.NewError(http.StatusBadRequest, "InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted.")
	errNonceUsed         = localyun.NewError(http.StatusBadRequest, "SignatureNonceUsed", "Specified signature nonce was used already.")
	errKeyNotFound       = localyun.NewError(http.StatusNotFound, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
	errKeyInactive       = localyun.NewError(http.StatusBadRequest, "InvalidAccessKeyId.Inactive", "Specified access key is disabled.")
	errSignatureMethod   = localyun.NewError(http.StatusBadRequest, "InvalidSignatureMethod", "Specified signature method is not valid.")
	errNonceWindowFull   = localyun.NewError(http.StatusServiceUnavailable, "ServiceUnavailable", "The request has failed due to a temporary failure of the server.")
	errContentSHA256     = localyun.NewError(http.StatusBadRequest, "InvalidParameter.ContentSha256", "The x-acs-content-sha256 header does not match the SHA-256 of the request body.")
	requiredV3Headers    = []string{"host", "x-acs-action", "x-acs-content-sha256", "x-acs-date", "x-acs-signature-nonce", "x-acs-version"}
	timestampLayouts     = []string{"2006-01-02T15:04:05Z", time.RFC3339Nano}
	errIncompleteMessage = "The request signature does not conform to Aliyun standards. server string to sign is:"
)

func errSignatureMismatch(stringToSign string) error {
	return localyun.NewError(http.StatusBadRequest, "SignatureDoesNotMatch",
		"Specified signature is not matched with our calculation. server string to sign is:"+stringToSign)
}

func errSignatureMismatchV3(stringToSign string) error {
	return localyun.NewError(http.StatusBadRequest, "SignatureDoesNotMatch",
		"Specified signature does not match our calculation. server StringToSign is ["+stringToSign+"]")
}

// credential is what the signature of a request was checked against.
type credential struct {
	accessKeyID string
	nonce       string
	timestamp   string
	token       string
}

// authenticate verifies the signature of r and returns its principal.
func (s *Server) authenticate(ctx context.Context, r *protocol.Request) (localyun.Principal, error) {
	if auth := r.Header.Get("Authorization"); strings.HasPrefix(auth, "ACS3-") {
		return s.authenticateV3(ctx, r, auth)
	}
	if r.Has("Signature") {
		return s.authenticateV1(ctx, r)
	}
	return localyun.Principal{}, errMissingSignature
}

func (s *Server) authenticateV1(ctx context.Context, r *protocol.Request) (localyun.Principal, error) {
	c := credential{
		accessKeyID: r.Get("AccessKeyId"),
		nonce:       r.Get("SignatureNonce"),
		timestamp:   r.Get("Timestamp"),
		token:       r.Get("SecurityToken"),
	}
	switch {
	case r.Get("Signature") == "":
		return localyun.Principal{}, errMissingSignature
	case c.accessKeyID == "":
		return localyun.Principal{}, protocol.ErrMissing("AccessKeyId")
	case r.Get("SignatureMethod") == "":
		return localyun.Principal{}, protocol.ErrMissing("SignatureMethod")
	case r.Get("SignatureMethod") != "HMAC-SHA1":
		return localyun.Principal{}, errSignatureMethod
	case c.timestamp == "":
		return localyun.Principal{}, protocol.ErrMissing("Timestamp")
	case c.nonce == "":
		return localyun.Principal{}, protocol.ErrMissing("SignatureNonce")
	}
	ts, err := s.checkTime(c.timestamp)
	if err != nil {
		return localyun.Principal{}, err
	}
	secret, p, err := s.resolveKey(ctx, c.accessKeyID, c.token)
	if err != nil {
		return localyun.Principal{}, err
	}
	ok, sts := protocol.VerifyV1(r.Method, r.Params, secret)
	if !ok {
		return localyun.Principal{}, errSignatureMismatch(sts)
	}
	if err := s.useNonce(ctx, c.accessKeyID, c.nonce, ts); err != nil {
		return localyun.Principal{}, err
	}
	return p, nil
}

func (s *Server) authenticateV3(ctx context.Context, r *protocol.Request, header string) (localyun.Principal, error) {
	auth, err := protocol.ParseV3Authorization(header)
	if err != nil {
		return localyun.Principal{}, localyun.NewError(http.StatusBadRequest, "IncompleteSignature", errIncompleteMessage)
	}
	if auth.Algorithm != protocol.V3Algorithm {
		return localyun.Principal{}, errSignatureMethod
	}
	signed := make(map[string]bool, len(auth.SignedHeaders))
	for _, h := range auth.SignedHeaders {
		signed[h] = true
	}
	for _, h := range requiredV3Headers {
		if !signed[h] {
			return localyun.Principal{}, localyun.NewError(http.StatusBadRequest, "IncompleteSignature", errIncompleteMessage)
		}
	}
	header3 := func(h string) string {
		if h == "host" {
			return r.Host
		}
		return strings.Join(r.Header.Values(h), ",")
	}
	if header3("x-acs-date") == "" {
		return localyun.Principal{}, protocol.ErrMissing("Timestamp")
	}
	if header3("x-acs-signature-nonce") == "" {
		return localyun.Principal{}, protocol.ErrMissing("SignatureNonce")
	}
	ts, err := s.checkTime(header3("x-acs-date"))
	if err != nil {
		return localyun.Principal{}, err
	}
	payload := r.PayloadHash()
	if !strings.EqualFold(header3("x-acs-content-sha256"), payload) {
		return localyun.Principal{}, errContentSHA256
	}
	token := r.Header.Get("x-acs-security-token")
	secret, p, err := s.resolveKey(ctx, auth.AccessKeyID, token)
	if err != nil {
		return localyun.Principal{}, err
	}
	creq := protocol.CanonicalRequestV3(r.Method, r.Path, r.Query, auth.SignedHeaders, header3, payload)
	sts := protocol.StringToSignV3(creq)
	if !protocol.VerifyV3(sts, secret, auth.Signature) {
		return localyun.Principal{}, errSignatureMismatchV3(sts)
	}
	if err := s.useNonce(ctx, auth.AccessKeyID, header3("x-acs-signature-nonce"), ts); err != nil {
		return localyun.Principal{}, err
	}
	return p, nil
}

func (s *Server) checkTime(v string) (time.Time, error) {
	ts, ok := parseTimestampUTC(v)
	var err error
	for _, layout := range timestampLayouts {
		if ok {
			break
		}
		if ts, err = time.Parse(layout, v); err == nil {
			ok = true
		}
	}
	if !ok {
		return ts, errTimestampFormat
	}
	now := s.now()
	if ts.Before(now.Add(-SkewWindow)) || ts.After(now.Add(SkewWindow)) {
		return ts, errTimestampExpired
	}
	return ts, nil
}

// parseTimestampUTC parses the timestamp every SDK sends,
// "2006-01-02T15:04:05Z", without time.Parse's general machinery; ok is
// false for anything else (then the layouts decide). For the strings it
// accepts it gives what time.Parse gives with that layout.
func parseTimestampUTC(v string) (t time.Time, ok bool) {
	if len(v) != len("2006-01-02T15:04:05Z") || v[4] != '-' || v[7] != '-' || v[10] != 'T' || v[13] != ':' || v[16] != ':' || v[19] != 'Z' {
		return t, false
	}
	num := func(i, n int) int {
		x := 0
		for _, c := range []byte(v[i : i+n]) {
			if c < '0' || c > '9' {
				return -1
			}
			x = x*10 + int(c-'0')
		}
		return x
	}
	year, month, day := num(0, 4), num(5, 2), num(8, 2)
	hour, minute, sec := num(11, 2), num(14, 2), num(17, 2)
	if year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || sec < 0 || sec > 59 {
		return t, false
	}
	t = time.Date(year, time.Month(month), day, hour, minute, sec, 0, time.UTC)
	if t.Day() != day { // past the end of its month
		return time.Time{}, false
	}
	return t, true
}

func (s *Server) useNonce(ctx context.Context, accessKeyID, nonce string, ts time.Time) error {
	// A nonce is remembered for as long as its timestamp is acceptable:
	// checkTime still accepts ts at ts+SkewWindow, that instant included.
	key := localyun.NewReplayKey(accessKeyID, nonce, ts.Add(SkewWindow))
	err := s.nonces.UseNonce(ctx, key, s.now())
	switch {
	case errors.Is(err, localyun.ErrAlreadyExists):
		return errNonceUsed
	case errors.Is(err, localyun.ErrInvalid):
		// The clock passed ts+SkewWindow since checkTime, or went back
		// and the window can no longer vouch for the nonce.
		return errTimestampExpired
	case errors.Is(err, localyun.ErrUnavailable):
		return errNonceWindowFull
	case err != nil:
		return err
	}
	if slot, ok := ctx.Value(replaySlot{}).(*localyun.ReplayKey); ok {
		*slot = key
	}
	return nil
}

// resolveKey returns the secret of an AccessKeyId and the principal it
// authenticates.
func (s *Server) resolveKey(ctx context.Context, id, token string) (string, localyun.Principal, error) {
	if protocol.CheckName(id, 1, 128) != nil {
		// No key has such an id; every backend answers alike.
		return "", localyun.Principal{}, errKeyNotFound
	}
	if strings.HasPrefix(id, "STS.") {
		return s.resolveSession(ctx, id, token)
	}
	k, err := s.store.FindAccessKey(ctx, id)
	if err != nil {
		return "", localyun.Principal{}, keyLookupError(err)
	}
	if k.Status != localyun.AccessKeyActive {
		return "", localyun.Principal{}, errKeyInactive
	}
	if token != "" {
		// A SecurityToken belongs to STS credentials only.
		return "", localyun.Principal{}, errTokenMismatch
	}
	p := localyun.Principal{AccountID: k.AccountID, AccessKeyID: k.ID, Type: localyun.PrincipalTypeRoot}
	if k.UserName != "" {
		// A key outliving its user (never through the API) authenticates nobody.
		if _, err := s.store.FindUserByName(ctx, k.AccountID, k.UserName); err != nil {
			return "", localyun.Principal{}, keyLookupError(err)
		}
		p.Type, p.UserName = localyun.PrincipalTypeUser, k.UserName
	}
	return k.Secret, p, nil
}

func keyLookupError(err error) error {
	if errors.Is(err, localyun.ErrNotFound) {
		return errKeyNotFound
	}
	return err
}

func hmacEqual(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }
