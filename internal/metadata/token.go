package metadata

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
	"time"
)

// Token lifetimes, in seconds: the bounds of the TTL header of the token
// PUT, as ECS documents them.
const (
	MinTokenTTL = 1
	MaxTokenTTL = 21600
)

// token returns a token of the instance instanceID valid until expires.
// Tokens are stateless: "<expiry in Unix seconds>.<mac>", the mac an
// HMAC-SHA256 (unpadded base64url) of the instance id and the expiry under
// a key derived from the master key. Any node with that key verifies it;
// no node can issue one for another instance or stretch its expiry.
func (s *Service) token(instanceID string, expires time.Time) string {
	exp := strconv.FormatInt(expires.Unix(), 10)
	return exp + "." + base64.RawURLEncoding.EncodeToString(s.tokenMAC(instanceID, exp))
}

func (s *Service) tokenMAC(instanceID, exp string) []byte {
	m := hmac.New(sha256.New, s.tokenKey)
	m.Write([]byte(instanceID))
	m.Write([]byte{0})
	m.Write([]byte(exp))
	return m.Sum(nil)
}

// validToken reports whether tok is a token of instanceID that has not
// expired at now (its expiry second is the first it is refused at).
func (s *Service) validToken(instanceID, tok string, now time.Time) bool {
	exp, mac, ok := strings.Cut(tok, ".")
	if !ok {
		return false
	}
	secs, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || now.Unix() >= secs {
		return false
	}
	got, err := base64.RawURLEncoding.DecodeString(mac)
	return err == nil && hmac.Equal(got, s.tokenMAC(instanceID, exp))
}
