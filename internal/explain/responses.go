package explain

import (
	"sort"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/auth"
)

// Lists are plain arrays in JSON and repeated elements in XML (the shape
// of Alibaba's newer APIs), never wrapped in an element per item.

// accessResponse is ExplainAccess's.
type accessResponse struct {
	AccessExplanation
}

// AccessExplanation is one decision explained: Decision is Allowed,
// ExplicitDeny or ImplicitDeny; Statements are the statements whose
// action matched, in evaluation order, Deciding marking those that made
// the decision; PassRole the ram:PassRole step of the ECS role actions;
// Allowed whether the whole authorization (action and PassRole) passes.
type AccessExplanation struct {
	Allowed                   bool               `json:"Allowed" xml:"Allowed"`
	Decision                  string             `json:"Decision" xml:"Decision"`
	PolicyType                string             `json:"PolicyType,omitempty" xml:"PolicyType,omitempty"`
	Note                      string             `json:"Note,omitempty" xml:"Note,omitempty"`
	Principal                 principalItem      `json:"Principal" xml:"Principal"`
	Action                    string             `json:"AuthAction" xml:"AuthAction"`
	Resources                 []string           `json:"AuthResources" xml:"AuthResources"`
	RoleName                  string             `json:"RoleName,omitempty" xml:"RoleName,omitempty"`
	Context                   []contextItem      `json:"Context" xml:"Context"`
	Statements                []statementItem    `json:"Statements" xml:"Statements"`
	UnallowedResources        []string           `json:"UnallowedResources,omitempty" xml:"UnallowedResources,omitempty"`
	SessionUnallowedResources []string           `json:"SessionUnallowedResources,omitempty" xml:"SessionUnallowedResources,omitempty"`
	PassRole                  *AccessExplanation `json:"PassRole,omitempty" xml:"PassRole,omitempty"`
}

type principalItem struct {
	Type        string `json:"Type" xml:"Type"`
	DisplayName string `json:"DisplayName" xml:"DisplayName"`
	ARN         string `json:"Arn" xml:"Arn"`
}

func principalOf(p localyun.Principal) principalItem {
	name := p.DisplayName()
	if p.IsRoot() {
		name = "root"
	}
	return principalItem{Type: p.Type, DisplayName: name, ARN: arnOf(p)}
}

type contextItem struct {
	Key   string `json:"Key" xml:"Key"`
	Value string `json:"Value" xml:"Value"`
}

func contextOf(m map[string]string) []contextItem {
	out := make([]contextItem, 0, len(m))
	for k, v := range m {
		out = append(out, contextItem{k, v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// statementItem is one statement of a trace with its policy: the
// statement index is 0-based (Statement[0] is the first).
type statementItem struct {
	PolicyName       string          `json:"PolicyName" xml:"PolicyName"`
	PolicyType       string          `json:"PolicyType" xml:"PolicyType"`
	PolicyVersion    string          `json:"PolicyVersion" xml:"PolicyVersion"`
	Attachment       string          `json:"Attachment" xml:"Attachment"`
	StatementIndex   int             `json:"StatementIndex" xml:"StatementIndex"`
	Effect           string          `json:"Effect" xml:"Effect"`
	MatchedActions   []string        `json:"MatchedActions,omitempty" xml:"MatchedActions,omitempty"`
	NotActions       []string        `json:"NotActions,omitempty" xml:"NotActions,omitempty"`
	MatchedResources []string        `json:"MatchedResources,omitempty" xml:"MatchedResources,omitempty"`
	ResourcePatterns []string        `json:"ResourcePatterns,omitempty" xml:"ResourcePatterns,omitempty"`
	Conditions       []conditionItem `json:"Conditions,omitempty" xml:"Conditions,omitempty"`
	ConditionsHold   bool            `json:"ConditionsHold" xml:"ConditionsHold"`
	Applied          bool            `json:"Applied" xml:"Applied"`
	Deciding         bool            `json:"Deciding" xml:"Deciding"`
}

type conditionItem struct {
	Operator     string   `json:"Operator" xml:"Operator"`
	Key          string   `json:"Key" xml:"Key"`
	Values       []string `json:"Values" xml:"Values"`
	RequestValue string   `json:"RequestValue" xml:"RequestValue"`
	Present      bool     `json:"Present" xml:"Present"`
	Holds        bool     `json:"Holds" xml:"Holds"`
}

func statementOf(st auth.StatementTrace, src auth.Source) statementItem {
	out := statementItem{PolicyName: src.Name, PolicyType: src.Type, PolicyVersion: src.VersionID, Attachment: src.Attachment,
		StatementIndex: st.Index, Effect: st.Effect, MatchedActions: st.Actions, NotActions: st.NotAction,
		MatchedResources: st.Resources, ResourcePatterns: st.ResourcePatterns, ConditionsHold: st.ConditionsHold,
		Applied: st.Applied, Deciding: st.Deciding}
	for _, c := range st.Conditions {
		out.Conditions = append(out.Conditions, conditionItem{Operator: c.Operator, Key: c.Key, Values: c.Values,
			RequestValue: c.Value, Present: c.Present, Holds: c.Holds})
	}
	return out
}

// policyItem is an attached policy with its statements as written.
type policyItem struct {
	PolicyName    string            `json:"PolicyName" xml:"PolicyName"`
	PolicyType    string            `json:"PolicyType" xml:"PolicyType"`
	PolicyVersion string            `json:"PolicyVersion" xml:"PolicyVersion"`
	Attachment    string            `json:"Attachment" xml:"Attachment"`
	Statements    []policyStatement `json:"Statements" xml:"Statements"`
}

type policyStatement struct {
	StatementIndex int               `json:"StatementIndex" xml:"StatementIndex"`
	Effect         string            `json:"Effect" xml:"Effect"`
	Action         []string          `json:"Action,omitempty" xml:"Action,omitempty"`
	NotAction      []string          `json:"NotAction,omitempty" xml:"NotAction,omitempty"`
	Resource       []string          `json:"Resource,omitempty" xml:"Resource,omitempty"`
	NotResource    []string          `json:"NotResource,omitempty" xml:"NotResource,omitempty"`
	Conditions     []policyCondition `json:"Conditions,omitempty" xml:"Conditions,omitempty"`
}

type policyCondition struct {
	Operator string   `json:"Operator" xml:"Operator"`
	Key      string   `json:"Key" xml:"Key"`
	Values   []string `json:"Values" xml:"Values"`
}

func policiesOf(policies []*auth.Policy, sources []auth.Source) []policyItem {
	out := make([]policyItem, 0, len(policies))
	for i, p := range policies {
		src := sources[i]
		item := policyItem{PolicyName: src.Name, PolicyType: src.Type, PolicyVersion: src.VersionID, Attachment: src.Attachment}
		for j, st := range p.Statement {
			ps := policyStatement{StatementIndex: j, Effect: st.Effect, Action: st.Action, NotAction: st.NotAction,
				Resource: st.Resource, NotResource: st.NotResource}
			if st.Action == nil && st.NotAction == nil {
				ps.Action = []string{"*"}
			}
			if st.Resource == nil && st.NotResource == nil {
				ps.Resource = []string{"*"}
			}
			for _, c := range st.Condition {
				ps.Conditions = append(ps.Conditions, policyCondition{c.Operator, c.Key, c.Values})
			}
			item.Statements = append(item.Statements, ps)
		}
		out = append(out, item)
	}
	return out
}

// summaryOf is what policies allow and deny, one line per statement:
// "<Effect> <actions> on <resources>[ if <conditions>]" (policy
// name[index]).
func summaryOf(items []policyItem) (allows, denies []string) {
	for _, p := range items {
		for _, st := range p.Statements {
			line := join(st.Action, st.NotAction, "all actions except ") + " on " + join(st.Resource, st.NotResource, "all resources except ")
			if len(st.Conditions) > 0 {
				line += " if"
				for _, c := range st.Conditions {
					line += " " + c.Operator + "(" + c.Key + ", " + joinList(c.Values) + ")"
				}
			}
			line += " (" + p.PolicyName + " statement " + itoa(st.StatementIndex) + ")"
			if st.Effect == auth.Deny {
				denies = append(denies, line)
			} else {
				allows = append(allows, line)
			}
		}
	}
	return allows, denies
}
