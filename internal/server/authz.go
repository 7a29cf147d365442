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
	req := auth.Request{Action: rt.RAMAction, Resources: resources, Context: s.conditionContext(p)}
	d, err := s.decide(ctx, p, req)
	if err != nil {
		return err
	}
	if !d.Allowed {
		return auth.DenyError(rt.Product.DenyCode, rt.Product.DenyMessage, rt.RAMAction, p, d, s.diagnose(ctx, p, req))
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

// policySet is what a principal's requests are decided on: a RAM user's
// own policies and its groups'; a role session's role policies and its
// session policy. Sources, filled when asked for, name the identity
// policies in order.
type policySet struct {
	identity []*auth.Policy
	sources  []auth.Source
	session  *auth.Policy
}

// decide evaluates req on the principal's policies (auth.Decide).
func (s *Server) decide(ctx context.Context, p localyun.Principal, req auth.Request) (auth.Decision, error) {
	ps, err := s.policies(ctx, p, false)
	if err != nil {
		return auth.Decision{}, err
	}
	return auth.Decide(ps.identity, ps.session, req), nil
}

// Explain decides req for p as serving does (the same policies, loaded
// the same way, and the same evaluation) and returns how: the trace and
// the sources of the identity policies it refers to. The root is allowed
// without a policy (an empty trace).
func (s *Server) Explain(ctx context.Context, p localyun.Principal, req auth.Request) (auth.Trace, []auth.Source, error) {
	if p.IsRoot() {
		return auth.Trace{Decision: auth.Decision{Allowed: true}}, nil, nil
	}
	ps, err := s.policies(ctx, p, true)
	if err != nil {
		return auth.Trace{}, nil, err
	}
	return auth.Explain(ps.identity, ps.session, req), ps.sources, nil
}

// diagnose returns the EncodedDiagnosticMessage of a denial of req to p,
// sealed for p's account: the denial explained, computed only once a
// request is denied so that allowed requests pay nothing for it. A failure
// leaves it empty; the denial stands.
func (s *Server) diagnose(ctx context.Context, p localyun.Principal, req auth.Request) string {
	tr, sources, err := s.Explain(ctx, p, req)
	if err != nil {
		s.log.Warn("explain denial", "err", err)
		return ""
	}
	return s.diagnostics.Encode(p.AccountID, auth.Message(tr, sources, p, req))
}

// policies loads the policies p's requests are decided on; withSources
// also names them (explain).
func (s *Server) policies(ctx context.Context, p localyun.Principal, withSources bool) (policySet, error) {
	var ps policySet
	add := func(kind, name, attachment string) error {
		as, err := s.store.FindAttachments(ctx, localyun.AttachmentFilter{AccountID: p.AccountID, PrincipalType: kind, PrincipalName: name})
		if err != nil {
			return err
		}
		for _, at := range as {
			if pol, version := s.loadPolicy(ctx, at); pol != nil {
				ps.identity = append(ps.identity, pol)
				if withSources {
					ps.sources = append(ps.sources, sourceOf(at, version, attachment))
				}
			}
		}
		return nil
	}
	switch p.Type {
	case localyun.PrincipalTypeUser:
		if err := add(localyun.AttachUser, p.UserName, "User"); err != nil {
			return ps, err
		}
		ms, err := s.store.FindGroupsForUser(ctx, p.AccountID, p.UserName)
		if err != nil {
			return ps, err
		}
		for _, m := range ms {
			if err := add(localyun.AttachGroup, m.Group.Name, "Group:"+m.Group.Name); err != nil {
				return ps, err
			}
		}
	case localyun.PrincipalTypeAssumed:
		if err := add(localyun.AttachRole, p.RoleName, "Role"); err != nil {
			return ps, err
		}
		if p.AccessKeyID == "" {
			break // a role explained without a session: no session policy
		}
		sess, err := s.store.FindSession(ctx, p.AccessKeyID)
		if err != nil {
			return ps, err
		}
		if sess.Policy != "" {
			pol, err := auth.Parse(sess.Policy)
			if err != nil {
				// Validated at AssumeRole; a document that no longer
				// parses grants nothing.
				pol = &auth.Policy{}
			}
			ps.session = pol
		}
	}
	return ps, nil
}

func sourceOf(at localyun.Attachment, version, attachment string) auth.Source {
	typ := auth.PolicyCustom
	if at.PolicyType == localyun.PolicyTypeSystem {
		typ = auth.PolicySystem
	}
	return auth.Source{Name: at.PolicyName, Type: typ, VersionID: version, Attachment: attachment}
}

// loadPolicy returns the parsed default document of an attached policy
// and its version id, or nil when it cannot be found or parsed (then it
// grants nothing). A system policy has one version, v1.
func (s *Server) loadPolicy(ctx context.Context, at localyun.Attachment) (*auth.Policy, string) {
	if at.PolicyType == localyun.PolicyTypeSystem {
		p, _ := auth.ParsedSystemPolicy(at.PolicyName)
		return p, "v1"
	}
	pol, err := s.store.FindPolicy(ctx, at.AccountID, at.PolicyName)
	if err != nil {
		return nil, ""
	}
	v, err := s.store.FindPolicyVersion(ctx, at.AccountID, pol.Name, pol.DefaultVersion)
	if err != nil {
		return nil, ""
	}
	p, err := auth.Parse(v.Document)
	if err != nil {
		s.log.Error("stored policy does not parse", "account", at.AccountID, "policy", at.PolicyName, "err", err)
		return nil, ""
	}
	return p, pol.DefaultVersion
}

var errPassRoleForbidden = func(d *localyun.AccessDeniedDetail) error {
	return &localyun.Error{Status: http.StatusForbidden, Code: "InvalidUser.PassRoleForbidden",
		Message: "The RAM user does not have the privilege to pass a RAM role.", Detail: d}
}

// PassRoleRequest is the request checkPassRole decides for p passing the
// role roleName (its stored spelling) to an instance.
func (s *Server) PassRoleRequest(p localyun.Principal, roleName string) auth.Request {
	return auth.Request{Action: "ram:PassRole", Resources: []string{auth.RoleARN(p.AccountID, roleName)},
		Context: s.conditionContext(p)}
}

// checkPassRole is ecs.Options.CheckPassRole: ram:PassRole on the role of
// that name (its stored spelling), decided for the caller in ctx on its
// policies. The ECS service holds the rule of who needs it (not the root)
// and calls it before it writes, never inside a store transaction.
func (s *Server) checkPassRole(ctx context.Context, roleName string) error {
	p, _ := localyun.PrincipalFromContext(ctx)
	req := s.PassRoleRequest(p, roleName)
	d, err := s.decide(ctx, p, req)
	if err != nil {
		return err
	}
	if !d.Allowed {
		return errPassRoleForbidden(auth.Detail(req.Action, p, d, s.diagnose(ctx, p, req)))
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

// Policies returns the identity policies p's requests are decided on and
// their sources, loaded as requests load them (explain).
func (s *Server) Policies(ctx context.Context, p localyun.Principal) ([]*auth.Policy, []auth.Source, error) {
	ps, err := s.policies(ctx, p, true)
	return ps.identity, ps.sources, err
}

// ConditionContext is the condition context a request of p is decided
// with now (explain).
func (s *Server) ConditionContext(p localyun.Principal) map[string]string {
	return s.conditionContext(p)
}
