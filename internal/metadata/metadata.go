// Package metadata serves the ECS instance metadata service, the one
// Alibaba Cloud answers at http://100.100.100.200 inside a VPC, for one
// calling instance: its wire forms (the token PUT, the token and
// hardened-mode rules, directory listings, the instance's items and the
// RAM role credentials), as the official credential providers read them.
//
// The caller is resolved before this package is reached: localyun knows
// an instance by HTTP Basic credentials, the instance id and its secret
// (InstanceSecret), sent as proxy credentials or to the credentials-URI
// path (see internal/server). Nothing here reads a store; credentials come
// from a CredentialIssuer.
package metadata

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"log/slog"
	"time"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/seal"
)

// Host is the address of the metadata service: the only host localyun's
// main listener answers absolute-form (proxy) requests for, on port 80.
const Host = "100.100.100.200"

// CredentialsPath is localyun's own path serving an instance's role
// credentials as one JSON body, for ALIBABA_CLOUD_CREDENTIALS_URI and the
// aliyun CLI's CredentialsURI mode.
const CredentialsPath = "/localyun/instance-credentials"

// Realm is the realm of the Basic challenges naming an instance.
const Realm = "localyun metadata"

// Credentials are an instance's role credentials: an STS session of the
// role attached to it. The fields are those of sts.InstanceCredentials, in
// its order, so that one converts to the other.
type Credentials struct {
	AccessKeyID, AccessKeySecret, SecurityToken string
	Expiration, LastUpdated                     time.Time
}

// CredentialIssuer issues (or returns the current) credentials of the role
// attached to an instance. Errors wrapping localyun.ErrNotFound (no role,
// the role gone) and localyun.ErrDenied (the role does not trust ECS) are
// answered 404; any other 500.
type CredentialIssuer interface {
	InstanceCredentials(ctx context.Context, inst localyun.Instance) (Credentials, error)
}

// IssuerFunc is a function as a CredentialIssuer.
type IssuerFunc func(ctx context.Context, inst localyun.Instance) (Credentials, error)

// InstanceCredentials calls f.
func (f IssuerFunc) InstanceCredentials(ctx context.Context, inst localyun.Instance) (Credentials, error) {
	return f(ctx, inst)
}

// Options configure a Service; every field has a default.
type Options struct {
	Now    func() time.Time // default time.Now
	Logger *slog.Logger     // default slog.Default()
}

// Service answers the metadata service's requests of one instance at a
// time. Its keys derive from the master key, so every node holding the
// same key accepts the same secrets and tokens.
type Service struct {
	secretKey []byte // the HMAC key of the instance secrets
	tokenKey  []byte // the HMAC key of the tokens
	issuer    CredentialIssuer
	now       func() time.Time
	log       *slog.Logger
}

// New returns the Service of masterKey (nil: a random key, so that no
// secret printed elsewhere matches), serving issuer's credentials.
func New(masterKey []byte, issuer CredentialIssuer, opts Options) *Service {
	if masterKey == nil {
		masterKey = make([]byte, 32)
		rand.Read(masterKey)
	}
	s := &Service{secretKey: seal.Derive(masterKey, secretLabel), tokenKey: seal.Derive(masterKey, tokenLabel),
		issuer: issuer, now: opts.Now, log: opts.Logger}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	return s
}

// The labels of the keys derived from the master key: one key per use, so
// that a value made for one use is no value for another.
const (
	secretLabel = "localyun metadata instance secret v1"
	tokenLabel  = "localyun metadata token v1"
)

// secretEncoding writes secrets in lower-case base32 without padding:
// letters and digits only, so they sit in a URL's userinfo unescaped.
var secretEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// InstanceSecret returns the secret that proves a caller may act as the
// instance instanceID: 32 lower-case letters and digits, the first 160 bits
// of an HMAC-SHA256 of the id under a key derived from masterKey. It is
// the password of the Basic credentials "<instance-id>:<secret>".
func InstanceSecret(masterKey []byte, instanceID string) string {
	return secretOf(seal.Derive(masterKey, secretLabel), instanceID)
}

func secretOf(key []byte, instanceID string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(instanceID))
	return secretEncoding.EncodeToString(m.Sum(nil)[:20])
}

// CheckSecret reports whether secret is the secret of instanceID, in time
// independent of where they differ.
func (s *Service) CheckSecret(instanceID, secret string) bool {
	return subtle.ConstantTimeCompare([]byte(secretOf(s.secretKey, instanceID)), []byte(secret)) == 1
}
