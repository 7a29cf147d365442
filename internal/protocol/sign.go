package protocol

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"hash"
	"net/url"
	"slices"
	"strings"
	"sync"
)

// PercentEncode is Alibaba Cloud's "POP encode": RFC 3986 unreserved
// characters are kept, every other byte becomes %XX with upper-case hex.
func PercentEncode(s string) string {
	const hexDigits = "0123456789ABCDEF"
	n := 0
	for i := 0; i < len(s); i++ {
		if !unreserved(s[i]) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '~'
}

// canonicalQuery joins sorted k=v pairs (first value of each key), both
// percent-encoded, with "&". skip names a key to leave out.
func canonicalQuery(params url.Values, skip string) string {
	var arr [maxStackKeys]string
	keys := sortedKeys(arr[:0], params, skip)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(PercentEncode(k))
		b.WriteByte('=')
		if v := params[k]; len(v) > 0 {
			b.WriteString(PercentEncode(v[0]))
		}
	}
	return b.String()
}

// maxStackKeys is how many parameter names the signature code sorts
// without allocating (an SDK request has about a dozen).
const maxStackKeys = 48

// sortedKeys appends the keys of params but skip to keys, sorted.
func sortedKeys(keys []string, params url.Values, skip string) []string {
	for k := range params {
		if k != skip {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

// appendStringToSignV1 appends the V1 string to sign of method and params
// to b: METHOD&%2F&pct(canonical query), the canonical query's pairs
// percent-encoded twice in one pass (what PercentEncode makes "%XX" becomes
// "%25XX"; "=" and "&" between them become "%3D" and "%26").
func appendStringToSignV1(b []byte, method string, params url.Values) []byte {
	var arr [maxStackKeys]string
	keys := sortedKeys(arr[:0], params, "Signature")
	b = append(append(b, method...), "&%2F&"...)
	for i, k := range keys {
		if i > 0 {
			b = append(b, "%26"...)
		}
		b = appendPercentEncodedTwice(b, k)
		b = append(b, "%3D"...)
		if v := params[k]; len(v) > 0 {
			b = appendPercentEncodedTwice(b, v[0])
		}
	}
	return b
}

// appendPercentEncodedTwice appends PercentEncode(PercentEncode(s)) to b.
func appendPercentEncodedTwice(b []byte, s string) []byte {
	const hexDigits = "0123456789ABCDEF"
	start := 0
	for i := 0; i < len(s); i++ {
		if c := s[i]; !unreservedSet[c] {
			b = append(append(b, s[start:i]...), '%', '2', '5', hexDigits[c>>4], hexDigits[c&15])
			start = i + 1
		}
	}
	return append(b, s[start:]...)
}

// unreservedSet holds unreserved(c) for every byte c.
var unreservedSet = func() (set [256]bool) {
	for c := range set {
		set[c] = unreserved(byte(c))
	}
	return set
}()

// StringToSignV1 returns the V1 string to sign:
// METHOD&%2F&pct(canonical query of every parameter but Signature).
func StringToSignV1(method string, params url.Values) string {
	return string(appendStringToSignV1(make([]byte, 0, 512), method, params))
}

// v1Signer is the state V1 signing reuses between requests (v1Signers):
// an HMAC-SHA1 keyed with one secret, and buffers for the string to sign
// and the signature.
type v1Signer struct {
	secret string
	mac    hash.Hash
	buf    []byte
	sum    [sha1.Size]byte
	sig    [28]byte // base64 of sum
}

var v1Signers sync.Pool // of *v1Signer

// maxPooledSignBuffer is the largest string-to-sign buffer kept for reuse.
const maxPooledSignBuffer = 16 << 10

// getV1Signer returns a signer keyed with secret: a pooled one, its HMAC
// reset when it was keyed with the same secret and keyed anew otherwise.
func getV1Signer(secret string) *v1Signer {
	s, _ := v1Signers.Get().(*v1Signer)
	if s == nil {
		s = &v1Signer{}
	}
	if s.mac != nil && sameSecret(s.secret, secret) {
		s.mac.Reset()
	} else {
		s.secret, s.mac = secret, hmac.New(sha1.New, []byte(secret+"&"))
	}
	return s
}

// sameSecret reports whether a == b in time that depends only on their
// lengths.
func sameSecret(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	var diff byte
	for i := range len(a) {
		diff |= a[i] ^ b[i]
	}
	return diff == 0
}

func putV1Signer(s *v1Signer) {
	if cap(s.buf) > maxPooledSignBuffer {
		s.buf = nil
	}
	v1Signers.Put(s)
}

// sign returns Base64(HMAC-SHA1(secret+"&", msg)), in s.sig.
func (s *v1Signer) sign(msg []byte) []byte {
	s.mac.Write(msg)
	base64.StdEncoding.Encode(s.sig[:], s.mac.Sum(s.sum[:0]))
	return s.sig[:]
}

// SignV1 returns Base64(HMAC-SHA1(secret+"&", stringToSign)).
func SignV1(stringToSign, secret string) string {
	s := getV1Signer(secret)
	defer putV1Signer(s)
	s.buf = append(s.buf[:0], stringToSign...)
	return string(s.sign(s.buf))
}

// VerifyV1 reports whether params carry a valid V1 signature for secret.
// When they do not, it also returns the server's string to sign, which
// error messages must echo ("" when ok).
func VerifyV1(method string, params url.Values, secret string) (ok bool, stringToSign string) {
	s := getV1Signer(secret)
	defer putV1Signer(s)
	s.buf = appendStringToSignV1(s.buf[:0], method, params)
	ok = subtle.ConstantTimeCompare(s.sign(s.buf), []byte(params.Get("Signature"))) == 1
	if ok {
		return true, ""
	}
	return false, string(s.buf)
}

// V3Algorithm is the only V3 algorithm localyun accepts.
const V3Algorithm = "ACS3-HMAC-SHA256"

// V3Authorization is a parsed ACS3 Authorization header.
type V3Authorization struct {
	Algorithm     string
	AccessKeyID   string
	SignedHeaders []string
	Signature     string
}

// ErrMalformedAuthorization reports an Authorization header that is not of
// the form "ACS3-HMAC-SHA256 Credential=..,SignedHeaders=..,Signature=..".
var ErrMalformedAuthorization = errors.New("malformed authorization header")

// ParseV3Authorization parses an ACS3 Authorization header.
func ParseV3Authorization(h string) (V3Authorization, error) {
	var a V3Authorization
	algo, rest, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.HasPrefix(algo, "ACS3-") {
		return a, ErrMalformedAuthorization
	}
	a.Algorithm = algo
	for _, part := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return a, ErrMalformedAuthorization
		}
		switch k {
		case "Credential":
			a.AccessKeyID = v
		case "SignedHeaders":
			if v != "" {
				a.SignedHeaders = strings.Split(v, ";")
			}
		case "Signature":
			a.Signature = v
		default:
			return a, ErrMalformedAuthorization
		}
	}
	if a.AccessKeyID == "" || a.Signature == "" || len(a.SignedHeaders) == 0 {
		return a, ErrMalformedAuthorization
	}
	return a, nil
}

// CanonicalRequestV3 builds the V3 canonical request. header returns the
// value of a lower-case header name (the caller maps "host" to the Host it
// received).
func CanonicalRequestV3(method, path string, query url.Values, signedHeaders []string, header func(string) string, payloadHash string) string {
	if path == "" {
		path = "/"
	}
	var b strings.Builder
	b.WriteString(method)
	b.WriteByte('\n')
	b.WriteString(path)
	b.WriteByte('\n')
	b.WriteString(canonicalQuery(query, ""))
	b.WriteByte('\n')
	for _, h := range signedHeaders {
		b.WriteString(h)
		b.WriteByte(':')
		b.WriteString(strings.TrimSpace(header(h)))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(strings.Join(signedHeaders, ";"))
	b.WriteByte('\n')
	b.WriteString(payloadHash)
	return b.String()
}

// StringToSignV3 is "ACS3-HMAC-SHA256\n" + hex(SHA256(canonicalRequest)).
func StringToSignV3(canonicalRequest string) string {
	return V3Algorithm + "\n" + hexSHA256([]byte(canonicalRequest))
}

// SignV3 returns hex(HMAC-SHA256(secret, stringToSign)).
func SignV3(stringToSign, secret string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(stringToSign))
	return hex.EncodeToString(mac.Sum(nil))
}

// VerifyV3 reports whether sig is the V3 signature of stringToSign.
func VerifyV3(stringToSign, secret, sig string) bool {
	want := SignV3(stringToSign, secret)
	return subtle.ConstantTimeCompare([]byte(want), []byte(strings.ToLower(sig))) == 1
}

func hexSHA256(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
