package auth

import (
	"sort"
	"strings"

	"github.com/localyun/localyun"
)

// Outcomes of a decision, as Explain names them.
const (
	OutcomeAllowed      = "Allowed"
	OutcomeExplicitDeny = "ExplicitDeny"
	OutcomeImplicitDeny = "ImplicitDeny"
)

// Outcome is Allowed, ExplicitDeny or ImplicitDeny.
func (d Decision) Outcome() string {
	if d.Allowed {
		return OutcomeAllowed
	}
	return d.NoPermissionType()
}

// Trace is how a decision was reached (Explain): the decision, the
// statements whose action matched the request, in evaluation order (the
// identity policies in the order given, then the session policy) up to
// the first Deny that applied, where the evaluation ends (none after it),
// and the resources no Allow statement covered.
type Trace struct {
	Decision   Decision
	Statements []StatementTrace
	// Unallowed are the request's resources no identity Allow statement
	// applied to (an implicit deny's reason); SessionUnallowed the same
	// for the session policy. Both are empty after an explicit Deny,
	// which ends the evaluation.
	Unallowed        []string
	SessionUnallowed []string
}

// Deciding returns the statements that made the decision: the Deny
// statement of an explicit deny; every Allow statement that applied for
// an allow; none for an implicit deny (Unallowed says what was missing).
func (t Trace) Deciding() []StatementTrace {
	var out []StatementTrace
	for _, st := range t.Statements {
		if st.Deciding {
			out = append(out, st)
		}
	}
	return out
}

// StatementTrace is one statement whose action matched the request.
type StatementTrace struct {
	// Policy is the index of the statement's policy among the identity
	// policies given to Explain; for the session policy Session is true
	// and Policy is 0.
	Policy  int
	Session bool
	// Index is the 0-based position of the statement in its policy's
	// Statement list (as policy errors name it: Statement[0]).
	Index  int
	Effect string
	// Actions are the Action patterns that matched the action; for a
	// NotAction statement, NotAction holds its patterns (none matched).
	Actions   []string
	NotAction []string
	// Conditions are the statement's conditions, each with its outcome.
	Conditions []ConditionTrace
	// ConditionsHold is whether every condition held; when false the
	// statement took no part in the decision.
	ConditionsHold bool
	// Resources are the request's resources the statement applied to,
	// and ResourcePatterns the Resource patterns that matched them ("*"
	// for a statement without Resource, "NotResource" for one whose
	// NotResource patterns all missed).
	Resources        []string
	ResourcePatterns []string
	// Applied: the conditions held and at least one resource matched.
	Applied bool
	// Deciding: one of the statements that made the decision (Deciding).
	Deciding bool
}

// ConditionTrace is one condition of a statement, evaluated.
type ConditionTrace struct {
	Operator string
	Key      string
	Values   []string
	// Value is the request's value of Key ("" and Present false when the
	// request has none).
	Value   string
	Present bool
	Holds   bool
}

// add records a statement whose action matched and returns its entry.
func (t *Trace) add(policy, index int, session bool, st *Statement, req Request) *StatementTrace {
	e := StatementTrace{Policy: policy, Session: session, Index: index, Effect: st.Effect, ConditionsHold: true}
	if session {
		e.Policy = 0
	}
	if st.NotAction != nil {
		e.NotAction = st.NotAction
	}
	for _, a := range st.Action {
		if Match(a, req.Action, true) {
			e.Actions = append(e.Actions, a)
		}
	}
	for i := range st.Condition {
		c := &st.Condition[i]
		v, ok := req.Context[c.Key]
		ct := ConditionTrace{Operator: c.Operator, Key: c.Key, Values: c.Values, Value: v, Present: ok, Holds: c.holds(req.Context)}
		e.ConditionsHold = e.ConditionsHold && ct.Holds
		e.Conditions = append(e.Conditions, ct)
	}
	t.Statements = append(t.Statements, e)
	return &t.Statements[len(t.Statements)-1]
}

// matched records that the statement applied to res.
func (e *StatementTrace) matched(st *Statement, res string) {
	e.Applied = true
	e.Resources = append(e.Resources, res)
	switch {
	case st.NotResource != nil:
		e.ResourcePatterns = appendNew(e.ResourcePatterns, "NotResource")
	case st.Resource == nil:
		e.ResourcePatterns = appendNew(e.ResourcePatterns, "*")
	default:
		for _, p := range st.Resource {
			if Match(p, res, false) {
				e.ResourcePatterns = appendNew(e.ResourcePatterns, p)
			}
		}
	}
}

// markDeciding marks the statements that made the decision.
func (t *Trace) markDeciding() {
	switch {
	case t.Decision.ExplicitDeny:
		// The evaluation ended at the Deny that applied: the last one.
		for i := len(t.Statements) - 1; i >= 0; i-- {
			if st := &t.Statements[i]; st.Applied && st.Effect == Deny {
				st.Deciding = true
				return
			}
		}
	case t.Decision.Allowed:
		for i := range t.Statements {
			if st := &t.Statements[i]; st.Applied && st.Effect == Allow {
				st.Deciding = true
			}
		}
	}
}

func appendNew(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

// Source is where an evaluated policy comes from: its name, type
// (PolicySystem, PolicyCustom or PolicySession), default version and how
// the principal holds it (Attachment: "User", "Group:<name>", "Role",
// "Session").
type Source struct {
	Name       string
	Type       string
	VersionID  string
	Attachment string
}

// The policy types of a Source.
const (
	PolicySystem  = "System"
	PolicyCustom  = "Custom"
	PolicySession = "Session"
)

// SessionSource is the Source of a role session's policy.
var SessionSource = Source{Name: "", Type: PolicySession, Attachment: "Session"}

// SourceOf returns the Source of a traced statement: sources[st.Policy],
// or SessionSource for the session policy.
func SourceOf(st StatementTrace, sources []Source) Source {
	if st.Session || st.Policy >= len(sources) {
		return SessionSource
	}
	return sources[st.Policy]
}

// Message is the DiagnosticMessage of a denial: the request, the
// principal, the condition context and the statements of its trace by
// policy (sources name the identity policies, in Explain's order).
func Message(tr Trace, sources []Source, p localyun.Principal, req Request) DiagnosticMessage {
	m := DiagnosticMessage{ExplicitDeny: tr.Decision.ExplicitDeny, NoPermissionPolicyType: tr.Decision.PolicyType,
		AuthAction: req.Action, AuthResource: strings.Join(req.Resources, ","),
		AuthPrincipal: DiagnosticPrincipal{AuthPrincipalType: p.Type, AuthPrincipalOwnerID: p.AccountID,
			AuthPrincipalDisplayName: p.DisplayName()}}
	if m.AuthResource == "" {
		m.AuthResource = "*"
	}
	keys := make([]string, 0, len(req.Context))
	for k := range req.Context {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		m.AuthConditions = append(m.AuthConditions, AuthCondition{ConditionKey: k, ConditionValues: []string{req.Context[k]}})
	}
	for _, st := range tr.Statements {
		src := SourceOf(st, sources)
		if n := len(m.MatchedPolicies); n == 0 || m.MatchedPolicies[n-1].key != policyKey(st) {
			m.MatchedPolicies = append(m.MatchedPolicies, MatchedPolicy{PolicyName: src.Name, PolicyType: src.Type,
				PolicyVersion: src.VersionID, Attachment: src.Attachment, key: policyKey(st)})
		}
		mp := &m.MatchedPolicies[len(m.MatchedPolicies)-1]
		mp.Statements = append(mp.Statements, MatchedStatement{Index: st.Index, Effect: st.Effect,
			Actions: append(append([]string(nil), st.Actions...), notPatterns(st.NotAction)...), Resources: st.ResourcePatterns,
			ConditionsHold: st.ConditionsHold, Applied: st.Applied, Deciding: st.Deciding})
	}
	return m
}

func policyKey(st StatementTrace) int {
	if st.Session {
		return -1
	}
	return st.Policy
}

func notPatterns(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = "NotAction:" + s
	}
	return out
}
