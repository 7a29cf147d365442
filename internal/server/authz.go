package server

import (
	"cmp"
	"context"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/auth"
	"github.com/localyun/localyun/internal/protocol"
	"github.com/localyun/localyun/internal/sts"
)

// Errors of STS-credential authentication (see docs/authorization.md).
var (
	errMissingToken   = localyun.NewError(http.StatusBadRequest, "MissingSecurityToken", "SecurityToken is mandatory for this action.")
	errTokenMalformed = localyun.NewError(http.StatusBadRequest, "InvalidSecurityToken.Malformed", "Specified SecurityToken is malformed.")
	errTokenMismatch  = localyun.NewError(http.StatusBadRequest, "InvalidSecurityToken.Mismatch", "Specified SecurityToken mismatch with the AccessKey.")
	errTokenExpired   = localyun.NewError(http.StatusBadRequest, "InvalidSecurityToken.Expired", `The specified parameter "SecurityToken.Expired" is not valid.`)
	errThrottled      = "Request was denied due to user flow control."
)

// resolveSession authenticates an STS AccessKeyId with its SecurityToken.
// With --revocation strict, a session the metadata service issued to an
// instance that no longer holds its role is refused as expired.
func (s *Server) resolveSession(ctx context.Context, id, token string) (string, localyun.Principal, error) {
	sess, err := s.store.FindSession(ctx, id)
	if err != nil {
		return "", localyun.Principal{}, keyLookupError(err)
	}
	switch {
	case token == "":
		return "", localyun.Principal{}, errMissingToken
	case !sts.WellFormedToken(token):
		return "", localyun.Principal{}, errTokenMalformed
	case !hmacEqual(sts.HashToken(token), sess.TokenHash):
		return "", localyun.Principal{}, errTokenMismatch
	case !s.now().Before(sess.ExpiresAt):
		return "", localyun.Principal{}, errTokenExpired
	}
	if sess.InstanceID != "" && s.revocation == RevocationStrict {
		if ok, err := s.bindingHolds(ctx, sess); err != nil || !ok {
			return "", localyun.Principal{}, cmp.Or(err, errTokenExpired)
		}
	}
	return sess.Secret, localyun.Principal{AccountID: sess.AccountID, Type: localyun.PrincipalTypeAssumed,
		RoleName: sess.RoleName, SessionName: sess.SessionName, AccessKeyID: sess.AccessKeyID}, nil
}

// authorize decides a request on its parsed input: the account root
// passes; every other principal needs the route's RAM action allowed on
// every resource the route derives from in, the very input the service
// will act on.
func (s *Server) authorize(ctx context.Context, rt *protocol.Route, in any, p localyun.Principal) error {
	if p.IsRoot() || rt.Public {
		return nil
	}
	resources, err := rt.Resources(ctx, p, in)
	if err != nil {
		return err
	}
	noteResources(ctx, resources) // the call's audit event names them
	d, err := s.decide(ctx, p, auth.Request{Action: rt.RAMAction, Resources: resources, Context: s.conditionContext(p)})
	if err != nil {
		return err
	}
	if !d.Allowed {
		return auth.DenyError(rt.Product.DenyCode, rt.Product.DenyMessage, rt.RAMAction, p, d)
	}
	return nil
}

func (s *Server) conditionContext(p localyun.Principal) map[string]string {
	return map[string]string{
		auth.KeySourceIP:        p.SourceIP,
		auth.KeyCurrentTime:     s.now().UTC().Format(time.RFC3339),
		auth.KeySecureTransport: strconv.FormatBool(p.Secure),
		auth.KeyPrincipalType:   p.Type,
	}
}

// decide evaluates the principal's policies: a RAM user's own and its
// groups'; a role session's role policies intersected with its session
// policy.
func (s *Server) decide(ctx context.Context, p localyun.Principal, req auth.Request) (auth.Decision, error) {
	var identity []*auth.Policy
	var session *auth.Policy
	add := func(kind, name string) error {
		as, err := s.store.FindAttachments(ctx, localyun.AttachmentFilter{AccountID: p.AccountID, PrincipalType: kind, PrincipalName: name})
		if err != nil {
			return err
		}
		for _, at := range as {
			if pol := s.loadPolicy(ctx, at); pol != nil {
				identity = append(identity, pol)
			}
		}
		return nil
	}
	switch p.Type {
	case localyun.PrincipalTypeUser:
		if err := add(localyun.AttachUser, p.UserName); err != nil {
			return auth.Decision{}, err
		}
		ms, err := s.store.FindGroupsForUser(ctx, p.AccountID, p.UserName)
		if err != nil {
			return auth.Decision{}, err
		}
		for _, m := range ms {
			if err := add(localyun.AttachGroup, m.Group.Name); err != nil {
				return auth.Decision{}, err
			}
		}
	case localyun.PrincipalTypeAssumed:
		if err := add(localyun.AttachRole, p.RoleName); err != nil {
			return auth.Decision{}, err
		}
		sess, err := s.store.FindSession(ctx, p.AccessKeyID)
		if err != nil {
			return auth.Decision{}, err
		}
		if sess.Policy != "" {
			pol, err := auth.Parse(sess.Policy)
			if err != nil {
				// Validated at AssumeRole; a document that no longer
				// parses grants nothing.
				pol = &auth.Policy{}
			}
			session = pol
		}
	}
	return auth.Decide(identity, session, req), nil
}

// loadPolicy returns the parsed default document of an attached policy,
// or nil when it cannot be found or parsed (then it grants nothing).
func (s *Server) loadPolicy(ctx context.Context, at localyun.Attachment) *auth.Policy {
	if at.PolicyType == localyun.PolicyTypeSystem {
		p, _ := auth.ParsedSystemPolicy(at.PolicyName)
		return p
	}
	pol, err := s.store.FindPolicy(ctx, at.AccountID, at.PolicyName)
	if err != nil {
		return nil
	}
	v, err := s.store.FindPolicyVersion(ctx, at.AccountID, pol.Name, pol.DefaultVersion)
	if err != nil {
		return nil
	}
	p, err := auth.Parse(v.Document)
	if err != nil {
		s.log.Error("stored policy does not parse", "account", at.AccountID, "policy", at.PolicyName, "err", err)
		return nil
	}
	return p
}

var errPassRoleForbidden = func(d *localyun.AccessDeniedDetail) error {
	return &localyun.Error{Status: http.StatusForbidden, Code: "InvalidUser.PassRoleForbidden",
		Message: "The RAM user does not have the privilege to pass a RAM role.", Detail: d}
}

// checkPassRole is ecs.Options.CheckPassRole: ram:PassRole on the role of
// that name (its stored spelling), decided for the caller in ctx on its
// policies. The ECS service holds the rule of who needs it (not the root)
// and calls it before it writes, never inside a store transaction.
func (s *Server) checkPassRole(ctx context.Context, roleName string) error {
	p, _ := localyun.PrincipalFromContext(ctx)
	const action = "ram:PassRole"
	d, err := s.decide(ctx, p, auth.Request{Action: action, Resources: []string{auth.RoleARN(p.AccountID, roleName)},
		Context: s.conditionContext(p)})
	if err != nil {
		return err
	}
	if !d.Allowed {
		return errPassRoleForbidden(auth.Detail(action, p, d))
	}
	return nil
}

// touchKey records the last use of a RAM user's key, at most once a minute
// per key.
func (s *Server) touchKey(ctx context.Context, p localyun.Principal) {
	if p.Type != localyun.PrincipalTypeUser {
		return
	}
	now := s.now()
	s.touchMu.Lock()
	last, ok := s.touched[p.AccessKeyID]
	if ok && now.Sub(last) < time.Minute {
		s.touchMu.Unlock()
		return
	}
	if len(s.touched) > 100_000 {
		clear(s.touched)
	}
	s.touched[p.AccessKeyID] = now
	s.touchMu.Unlock()
	if err := s.store.TouchAccessKey(ctx, p.AccessKeyID, now); err != nil {
		s.log.Warn("record access key use", "err", err)
	}
}

// limiter is the in-process localyun.RateLimiter: one token bucket per key.
type limiter struct {
	mu   sync.Mutex
	keys map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

// TakeToken takes a token of key's bucket; see localyun.RateLimiter.
func (l *limiter) TakeToken(_ context.Context, key string, now time.Time, rate, burst float64) (bool, time.Duration, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.keys[key]
	if !ok {
		if len(l.keys) > 100_000 {
			clear(l.keys)
		}
		b = &bucket{tokens: burst, at: now}
		l.keys[key] = b
	}
	b.tokens = math.Min(burst, b.tokens+math.Max(now.Sub(b.at).Seconds(), 0)*rate)
	b.at = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0, nil
	}
	return false, time.Duration((1 - b.tokens) / rate * float64(time.Second)), nil
}

// throttle answers Throttling.User (400) with the x-ratelimit-user-api
// header the Tea SDK reads, when the key is over its rate.
func (s *Server) throttle(ctx context.Context, p localyun.Principal) error {
	if s.rate <= 0 {
		return nil
	}
	// The bucket holds a burst of at least one request, so that a rate
	// below one per second still lets a request through now and then.
	ok, wait, err := s.limiter.TakeToken(ctx, p.AccessKeyID, s.now(), s.rate, math.Max(s.rate, 1))
	if err != nil || ok {
		return err
	}
	ms := wait.Milliseconds() + 1
	limit := strconv.FormatFloat(s.rate, 'f', -1, 64)
	return &localyun.Error{Status: http.StatusBadRequest, Code: "Throttling.User", Message: errThrottled,
		Header: map[string]string{"x-ratelimit-user-api": "Limit:" + limit + ",Remain:0,TimeLeft:" + strconv.FormatInt(ms, 10) +
			",Reset:" + strconv.FormatInt(s.now().Add(wait).Unix(), 10)}}
}
