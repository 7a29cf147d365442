// Package sts implements the STS API (2015-04-01): AssumeRole and
// GetCallerIdentity, and issues the role sessions of ECS instances that
// the metadata service hands out (InstanceCredentials). Sessions are
// stored (localyun.SessionStore); the server verifies requests signed with
// their temporary credentials.
//
// Each action is one row of Register: a typed input parsed once, what it
// is authorized on, and a handler that calls the Service method of the
// action's name (assume.go, identity.go); instance_credentials.go has no
// action.
package sts

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/auth"
	"github.com/localyun/localyun/internal/protocol"
)

// Product is STS 2015-04-01 as the wire and RAM know it.
var Product = protocol.Product{Name: "Sts", Version: "2015-04-01", Service: "sts", DenyCode: "NoPermission",
	DenyMessage: "You are not authorized to do this action. You should be authorized by RAM."}

// Store is what the STS service needs of a store.
type Store interface {
	localyun.SessionStore
	localyun.InstanceSessionStore
	FindRoleByName(ctx context.Context, accountID, name string) (localyun.Role, error)
	FindUserByName(ctx context.Context, accountID, name string) (localyun.User, error)
}

// Options configure a Service.
type Options struct {
	Now func() time.Time
	// Retain is how long expired sessions are kept, so that their tokens
	// are refused as expired rather than unknown (default 24h).
	Retain time.Duration
	// InstanceCredentialTTL is the lifetime of the sessions issued to
	// instances (InstanceCredentials); default DefaultInstanceCredentialTTL.
	InstanceCredentialTTL time.Duration
}

// Service holds the STS rules.
type Service struct {
	store  Store
	opts   Options
	trusts trustMemo
	issued issuedCounts // for /metrics (issued.go)
}

// NewService returns an STS service over store.
func NewService(store Store, opts Options) *Service {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Retain == 0 {
		opts.Retain = 24 * time.Hour
	}
	if opts.InstanceCredentialTTL == 0 {
		opts.InstanceCredentialTTL = DefaultInstanceCredentialTTL
	}
	return &Service{store: store, opts: opts}
}

// Register adds the STS actions to m: one row per action, its input
// parser, what it is authorized on, and its handler.
func Register(m *protocol.Mux, s *Service) {
	protocol.Handle(m, Product, protocol.Action[AssumeRoleInput]{Name: "AssumeRole",
		Resource: "acs:ram::<uid of RoleArn>:role/<role name of RoleArn as stored>",
		Parse:    parseAssumeRole,
		Resources: func(ctx context.Context, _ localyun.Principal, in AssumeRoleInput) ([]string, error) {
			arn, err := s.RoleARN(ctx, in.AccountID, in.RoleName)
			return []string{arn}, err
		},
		Serve: s.assumeRole})
	protocol.Handle(m, Product, protocol.Action[struct{}]{Name: "GetCallerIdentity", Public: true,
		Resource: "none (any authenticated caller)",
		Parse:    func(*protocol.Request) (struct{}, error) { return struct{}{}, nil },
		Serve:    s.getCallerIdentity})
}

// Session limits.
const (
	MinDuration     = 900
	DefaultDuration = 3600
	MaxPolicyBytes  = 2048
)

// TokenPrefix starts every SecurityToken localyun issues.
const TokenPrefix = "CAIS"

func errInvalid(name string) error {
	return localyun.NewError(http.StatusBadRequest, "InvalidParameter."+name, "The parameter "+name+" is invalid.")
}

var (
	errRoleNotExist = localyun.NewError(http.StatusNotFound, "EntityNotExist.Role", "The specified Role not exists .")
	errRootAssume   = localyun.NewError(http.StatusForbidden, "NoPermission", "Roles may not be assumed by root accounts.")
	errNotTrusted   = localyun.NewError(http.StatusForbidden, "NoPermission", "You are not authorized to do this action. You should be authorized by RAM.")
	errPolicyLength = localyun.NewError(http.StatusBadRequest, "InvalidParameter.PolicySize", "The parameter Policy is too long.")
	roleArnRE       = regexp.MustCompile(`^acs:ram::([0-9]{1,32}):role/([a-zA-Z0-9.\-]{1,64})$`)
	sessionRE       = regexp.MustCompile(`^[a-zA-Z0-9.@_\-]{2,64}$`)
	externalIDRE    = regexp.MustCompile(`^[\w+=,.@:/\-]+$`)
)

func random(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func alnum(n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := random(n)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// HashToken is how a SecurityToken is stored: hex SHA-256.
func HashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// WellFormedToken reports whether token has the shape of a token localyun
// issues (TokenPrefix and 64 base64url bytes).
func WellFormedToken(token string) bool {
	rest, ok := strings.CutPrefix(token, TokenPrefix)
	if !ok {
		return false
	}
	b, err := base64.RawURLEncoding.DecodeString(rest)
	return err == nil && len(b) == 48
}

func caller(p localyun.Principal) auth.Caller {
	return auth.Caller{AccountID: p.AccountID, UserName: p.UserName, RoleName: p.RoleName}
}

func callerARN(p localyun.Principal) string {
	switch p.Type {
	case localyun.PrincipalTypeUser:
		return "acs:ram::" + p.AccountID + ":user/" + p.UserName
	case localyun.PrincipalTypeAssumed:
		return "acs:ram::" + p.AccountID + ":assumed-role/" + p.RoleName + "/" + p.SessionName
	}
	return "acs:ram::" + p.AccountID + ":root"
}
