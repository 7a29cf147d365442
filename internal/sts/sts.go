// Package sts implements the STS API (2015-04-01): AssumeRole and
// GetCallerIdentity. Sessions are stored (localyun.SessionStore); the
// server verifies requests signed with their temporary credentials.
package sts

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
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
	FindRoleByName(ctx context.Context, accountID, name string) (localyun.Role, error)
	FindUserByName(ctx context.Context, accountID, name string) (localyun.User, error)
}

// Options configure a Service.
type Options struct {
	Now func() time.Time
	// Retain is how long expired sessions are kept, so that their tokens
	// are refused as expired rather than unknown (default 24h).
	Retain time.Duration
}

// Service holds the STS rules.
type Service struct {
	store Store
	opts  Options
}

// NewService returns an STS service over store.
func NewService(store Store, opts Options) *Service {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Retain == 0 {
		opts.Retain = 24 * time.Hour
	}
	return &Service{store: store, opts: opts}
}

// Register adds the STS actions to m.
func Register(m *protocol.Mux, s *Service) {
	auth.Legacy(m, Product, "AssumeRole", s.assumeRole)
	auth.Legacy(m, Product, "GetCallerIdentity", s.getCallerIdentity)
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

type credentials struct {
	AccessKeyID     string `json:"AccessKeyId" xml:"AccessKeyId"`
	AccessKeySecret string `json:"AccessKeySecret" xml:"AccessKeySecret"`
	SecurityToken   string `json:"SecurityToken" xml:"SecurityToken"`
	Expiration      string `json:"Expiration" xml:"Expiration"`
}

type assumedRoleUser struct {
	Arn           string `json:"Arn" xml:"Arn"`
	AssumedRoleID string `json:"AssumedRoleId" xml:"AssumedRoleId"`
}

type assumeRoleResponse struct {
	AssumedRoleUser assumedRoleUser `json:"AssumedRoleUser" xml:"AssumedRoleUser"`
	Credentials     credentials     `json:"Credentials" xml:"Credentials"`
}

type callerIdentityResponse struct {
	IdentityType string `json:"IdentityType" xml:"IdentityType"`
	AccountID    string `json:"AccountId" xml:"AccountId"`
	PrincipalID  string `json:"PrincipalId" xml:"PrincipalId"`
	UserID       string `json:"UserId" xml:"UserId"`
	Arn          string `json:"Arn" xml:"Arn"`
	RoleID       string `json:"RoleId,omitempty" xml:"RoleId,omitempty"`
}

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

// assumeRole serves AssumeRole (2015-04-01). The server has already
// checked the caller's sts:AssumeRole permission on RoleArn; this checks
// the role's trust policy and issues the session.
func (s *Service) assumeRole(ctx context.Context, r *protocol.Request) (any, error) {
	p, _ := localyun.PrincipalFromContext(ctx)
	arn := r.Get("RoleArn")
	if arn == "" {
		return nil, protocol.ErrMissing("RoleArn")
	}
	m := roleArnRE.FindStringSubmatch(arn)
	if m == nil {
		return nil, errInvalid("RoleArn")
	}
	sessionName := r.Get("RoleSessionName")
	if sessionName == "" {
		return nil, protocol.ErrMissing("RoleSessionName")
	}
	if !sessionRE.MatchString(sessionName) {
		return nil, errInvalid("RoleSessionName")
	}
	duration, ok, err := r.Int("DurationSeconds")
	if err != nil {
		return nil, errInvalid("DurationSeconds")
	}
	if !ok {
		duration = DefaultDuration
	}
	policy := r.Get("Policy")
	if len(policy) > MaxPolicyBytes {
		return nil, errPolicyLength
	}
	if policy != "" {
		if _, err := auth.Parse(policy); err != nil {
			return nil, localyun.NewError(http.StatusBadRequest, "InvalidParameter.PolicyGrammar", "The parameter Policy has not a valid grammar: "+err.Error())
		}
	}
	externalID := r.Get("ExternalId")
	if externalID != "" && (len(externalID) < 2 || len(externalID) > 1224 || !externalIDRE.MatchString(externalID)) {
		return nil, errInvalid("ExternalId")
	}
	if p.IsRoot() {
		return nil, errRootAssume
	}
	role, err := s.store.FindRoleByName(ctx, m[1], m[2])
	if errors.Is(err, localyun.ErrNotFound) {
		return nil, errRoleNotExist
	} else if err != nil {
		return nil, err
	}
	cond := map[string]string{"sts:externalid": externalID, auth.KeySourceIP: p.SourceIP}
	if externalID == "" {
		delete(cond, "sts:externalid")
	}
	if !auth.TrustAllows(role.AssumeRolePolicyDocument, caller(p), cond) {
		if role.AccountID != p.AccountID {
			// Another account's role is answered as if it did not exist.
			return nil, errRoleNotExist
		}
		return nil, errNotTrusted
	}
	if duration < MinDuration || duration > role.MaxSessionDuration {
		return nil, errInvalid("DurationSeconds")
	}
	now := s.opts.Now().UTC().Truncate(time.Second)
	token := TokenPrefix + base64.RawURLEncoding.EncodeToString(random(48))
	sess := localyun.Session{
		AccessKeyID: "STS.NT" + alnum(26),
		Secret:      alnum(44),
		TokenHash:   HashToken(token),
		AccountID:   role.AccountID,
		RoleName:    role.Name,
		RoleID:      role.ID,
		SessionName: sessionName,
		Policy:      policy,
		Caller:      callerARN(p),
		CreatedAt:   now,
		ExpiresAt:   now.Add(time.Duration(duration) * time.Second),
	}
	if _, err := s.store.DeleteExpiredSessions(ctx, now.Add(-s.opts.Retain)); err != nil {
		return nil, err
	}
	if err := s.store.CreateSession(ctx, sess); err != nil {
		return nil, err
	}
	return assumeRoleResponse{
		AssumedRoleUser: assumedRoleUser{Arn: "acs:ram::" + role.AccountID + ":role/" + strings.ToLower(role.Name) + "/" + sessionName,
			AssumedRoleID: role.ID + ":" + sessionName},
		Credentials: credentials{AccessKeyID: sess.AccessKeyID, AccessKeySecret: sess.Secret, SecurityToken: token,
			Expiration: sess.ExpiresAt.Format("2006-01-02T15:04:05Z")},
	}, nil
}

// getCallerIdentity serves GetCallerIdentity (2015-04-01) for every
// principal type; it needs no policy.
func (s *Service) getCallerIdentity(ctx context.Context, r *protocol.Request) (any, error) {
	p, _ := localyun.PrincipalFromContext(ctx)
	out := callerIdentityResponse{AccountID: p.AccountID, Arn: callerARN(p)}
	switch p.Type {
	case localyun.PrincipalTypeUser:
		u, err := s.store.FindUserByName(ctx, p.AccountID, p.UserName)
		if err != nil {
			return nil, err
		}
		out.IdentityType, out.UserID, out.PrincipalID = "RAMUser", u.ID, u.ID
	case localyun.PrincipalTypeAssumed:
		sess, err := s.store.FindSession(ctx, p.AccessKeyID)
		if err != nil {
			return nil, err
		}
		out.IdentityType, out.RoleID = "AssumedRoleUser", sess.RoleID
		out.PrincipalID = sess.RoleID + ":" + sess.SessionName
		out.UserID = out.PrincipalID
	default:
		out.IdentityType, out.UserID, out.PrincipalID = "Account", p.AccountID, p.AccountID
	}
	return out, nil
}
