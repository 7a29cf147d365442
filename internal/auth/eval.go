package auth

import (
	"net/netip"
	"strconv"
	"strings"
)

// Condition context keys localyun fills for every request.
const (
	KeySourceIP        = "acs:sourceip"
	KeyCurrentTime     = "acs:currenttime"
	KeySecureTransport = "acs:securetransport"
	KeyPrincipalType   = "acs:principaltype"
)

// Request is what a decision is about: one RAM action on one or more
// resources, with the condition context (keys lower-case).
type Request struct {
	Action    string
	Resources []string
	Context   map[string]string
}

// Policy types reported in AccessDeniedDetail.PolicyType.
const (
	PolicyTypeIdentity = "AccountLevelIdentityBasedPolicy"
	PolicyTypeSession  = "SessionPolicy"
)

// Decision is the outcome of an evaluation. When Allowed is false,
// ExplicitDeny says whether a Deny statement matched and PolicyType names
// the kind of policy that refused.
type Decision struct {
	Allowed      bool
	ExplicitDeny bool
	PolicyType   string
}

// NoPermissionType is ExplicitDeny or ImplicitDeny, as AccessDeniedDetail
// spells it.
func (d Decision) NoPermissionType() string {
	if d.ExplicitDeny {
		return "ExplicitDeny"
	}
	return "ImplicitDeny"
}

// Decide evaluates identity policies and, when session is non-nil, a role
// session's policy: an explicit Deny in either wins; otherwise the request
// needs an Allow from the identity policies for every resource and, with a
// session policy, an Allow from it too (the intersection). It is the
// decision that serves requests; Explain is the same evaluation with its
// trace.
func Decide(identity []*Policy, session *Policy, req Request) Decision {
	return decide(identity, session, req, nil)
}

// Explain is Decide with the trace of how the decision was reached: the
// same evaluation (one code path), which also records every statement
// whose action matched the request.
func Explain(identity []*Policy, session *Policy, req Request) Trace {
	tr := &Trace{}
	tr.Decision = decide(identity, session, req, tr)
	tr.markDeciding()
	return *tr
}

// decide is Decide; a non-nil tr records the statements on the way.
func decide(identity []*Policy, session *Policy, req Request, tr *Trace) Decision {
	allowed, denied := evaluate(identity, req, tr, false)
	if denied {
		return Decision{ExplicitDeny: true, PolicyType: PolicyTypeIdentity}
	}
	if session != nil {
		sAllowed, sDenied := evaluate([]*Policy{session}, req, tr, true)
		if sDenied {
			return Decision{ExplicitDeny: true, PolicyType: PolicyTypeSession}
		}
		if allowed && !sAllowed {
			return Decision{PolicyType: PolicyTypeSession}
		}
	}
	if !allowed {
		return Decision{PolicyType: PolicyTypeIdentity}
	}
	return Decision{Allowed: true}
}

// Evaluate reports whether policies allow req (every resource allowed, no
// Deny matching any resource).
func Evaluate(policies []*Policy, req Request) bool {
	allowed, denied := evaluate(policies, req, nil, false)
	return allowed && !denied
}

// evaluate decides req on policies: the first Deny statement that applies
// to a resource denies; otherwise every resource needs an Allow statement
// that applies to it. A non-nil tr records each statement whose action
// matched (session: of the session policy) without changing the outcome.
func evaluate(policies []*Policy, req Request, tr *Trace, session bool) (allowed, denied bool) {
	resources := req.Resources
	if len(resources) == 0 {
		resources = []string{"*"}
	}
	allow := make([]bool, len(resources))
	for pi, p := range policies {
		if p == nil {
			continue
		}
		for i := range p.Statement {
			st := &p.Statement[i]
			if !st.matchesAction(req.Action) {
				continue
			}
			var e *StatementTrace
			if tr != nil {
				e = tr.add(pi, i, session, st, req)
			}
			if !st.conditionsHold(req.Context) {
				continue
			}
			for j, res := range resources {
				if !st.matchesResource(res) {
					continue
				}
				if e != nil {
					e.matched(st, res)
				}
				if st.Effect == Deny {
					return false, true
				}
				allow[j] = true
			}
		}
	}
	allowed = true
	for j, ok := range allow {
		if !ok {
			allowed = false
			if tr == nil {
				break
			}
			if session {
				tr.SessionUnallowed = append(tr.SessionUnallowed, resources[j])
			} else {
				tr.Unallowed = append(tr.Unallowed, resources[j])
			}
		}
	}
	return allowed, false
}

func (st *Statement) matchesAction(action string) bool {
	if st.NotAction != nil {
		return !anyMatch(st.NotAction, action, true)
	}
	return anyMatch(st.Action, action, true)
}

func (st *Statement) matchesResource(res string) bool {
	switch {
	case st.NotResource != nil:
		return !anyMatch(st.NotResource, res, false)
	case st.Resource == nil:
		return true
	}
	return anyMatch(st.Resource, res, false)
}

func anyMatch(patterns []string, s string, fold bool) bool {
	for _, p := range patterns {
		if Match(p, s, fold) {
			return true
		}
	}
	return false
}

// Match reports whether s matches pattern, where * matches any run of
// characters and ? any one character; fold makes the match
// case-insensitive. It runs in O(len(pattern)*len(s)) at worst.
func Match(pattern, s string, fold bool) bool {
	if fold {
		pattern, s = strings.ToLower(pattern), strings.ToLower(s)
	}
	p, t := []rune(pattern), []rune(s)
	pi, ti := 0, 0
	star, mark := -1, 0
	for ti < len(t) {
		switch {
		case pi < len(p) && (p[pi] == '?' || p[pi] == t[ti]):
			pi++
			ti++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, ti
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			ti = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

func (st *Statement) conditionsHold(ctx map[string]string) bool {
	for i := range st.Condition {
		if !st.Condition[i].holds(ctx) {
			return false
		}
	}
	return true
}

// holds evaluates one condition. A key absent from the context makes
// positive operators false and negated ones true.
func (c *Condition) holds(ctx map[string]string) bool {
	v, ok := ctx[c.Key]
	negated := strings.Contains(c.Operator, "Not")
	if !ok {
		return negated
	}
	switch c.Operator {
	case "StringEquals", "StringNotEquals":
		return anyOf(c.Values, func(w string) bool { return w == v }) != negated
	case "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase":
		return anyOf(c.Values, func(w string) bool { return strings.EqualFold(w, v) }) != negated
	case "StringLike", "StringNotLike":
		return anyOf(c.Values, func(w string) bool { return Match(w, v, false) }) != negated
	case "Bool":
		want := strings.ToLower(v)
		return anyOf(c.Values, func(w string) bool { return strings.ToLower(w) == want })
	case "IpAddress", "NotIpAddress":
		addr, err := netip.ParseAddr(v)
		if err != nil {
			return negated
		}
		addr = addr.Unmap()
		in := false
		for _, p := range c.prefixes {
			if p.Contains(addr) {
				in = true
			}
		}
		return in != negated
	}
	if strings.HasPrefix(c.Operator, "Date") {
		t, err := parseTime(v)
		if err != nil {
			return false
		}
		for _, w := range c.times {
			if compare(c.Operator[len("Date"):], t.Compare(w)) {
				return true
			}
		}
		return false
	}
	if strings.HasPrefix(c.Operator, "Numeric") {
		n, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return false
		}
		for _, w := range c.numbers {
			cmp := 0
			if n < w {
				cmp = -1
			} else if n > w {
				cmp = 1
			}
			if compare(c.Operator[len("Numeric"):], cmp) {
				return true
			}
		}
		return false
	}
	return false
}

// compare applies a comparison suffix (Equals, NotEquals, LessThan, ...) to
// the result of a three-way comparison of the request value with the
// policy value.
func compare(op string, cmp int) bool {
	switch op {
	case "Equals":
		return cmp == 0
	case "NotEquals":
		return cmp != 0
	case "LessThan":
		return cmp < 0
	case "LessThanEquals":
		return cmp <= 0
	case "GreaterThan":
		return cmp > 0
	case "GreaterThanEquals":
		return cmp >= 0
	}
	return false
}

func anyOf(vals []string, f func(string) bool) bool {
	for _, v := range vals {
		if f(v) {
			return true
		}
	}
	return false
}
