package explain

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// The answers of the Localyun actions and of DecodeDiagnosticMessage as
// their JSON reads (this package and auth.DiagnosticMessage define them),
// for WriteText: a client's view, shared by `localyun explain` and the
// web console.
type (
	explainStatement struct {
		PolicyName, PolicyType, PolicyVersion, Attachment, Effect string
		StatementIndex                                            int
		MatchedActions, NotActions, MatchedResources              []string
		ResourcePatterns                                          []string
		Conditions                                                []struct {
			Operator, Key, RequestValue string
			Values                      []string
			Holds, Present              bool
		}
		ConditionsHold, Applied, Deciding bool
	}
	explainAccess struct {
		Allowed                                bool
		Decision, PolicyType, Note, AuthAction string
		RoleName                               string
		AuthResources, UnallowedResources      []string
		SessionUnallowedResources              []string
		Principal                              struct{ Type, DisplayName, Arn string }
		Statements                             []explainStatement
		PassRole                               *explainAccess
	}
	explainPolicy struct {
		PolicyName, PolicyType, PolicyVersion, Attachment string
	}
	explainGrant struct {
		HostId, HostName, HostAccountId, HostAccountName string
		GrantPaths                                       []struct{ Kind, UserGroupName, HostGroupName, Via string }
	}
	explainAnswer struct {
		explainAccess
		InstanceId, RegionId, RamRoleName, HostId, HostName, UserId, UserName string
		Active                                                                *bool
		Role                                                                  *struct {
			RoleName, Arn     string
			Exists, TrustsEcs bool
			Policies          []explainPolicy
			Allows, Denies    []string
		}
		Users []struct {
			UserId, UserName string
			HostAccounts     []explainGrant
		}
		HostAccounts             []explainGrant
		Groups                   []string
		Policies                 []explainPolicy
		Allows, Denies           []string
		DecodedDiagnosticMessage *struct {
			ExplicitDeny                                     bool
			NoPermissionPolicyType, AuthAction, AuthResource string
			AuthPrincipal                                    struct{ AuthPrincipalType, AuthPrincipalDisplayName string }
			MatchedPolicies                                  []struct {
				PolicyName, PolicyType, PolicyVersion, Attachment string
				Statements                                        []struct {
					Index                             int
					Effect                            string
					Actions, Resources                []string
					ConditionsHold, Applied, Deciding bool
				}
			}
		}
	}
)

// WriteText writes the JSON answer body of action (ExplainAccess,
// ExplainInstance, ExplainHostAccess, ExplainUserAccess or
// DecodeDiagnosticMessage) as text: the decision and the statements or
// grants that made it.
func WriteText(w io.Writer, action string, body []byte) error {
	var a explainAnswer
	if err := json.Unmarshal(body, &a); err != nil {
		return fmt.Errorf("explain: the answer is not the JSON expected: %w", err)
	}
	switch action {
	case "ExplainAccess":
		printAccess(w, a.explainAccess, "")
		verdict := "allowed"
		if !a.Allowed {
			verdict = "denied"
		}
		fmt.Fprintf(w, "=> the request is %s\n", verdict)
	case "ExplainInstance":
		printInstance(w, a)
	case "ExplainHostAccess":
		fmt.Fprintf(w, "host %s (%s) of %s: %d user(s) can reach it\n", a.HostId, a.HostName, a.InstanceId, len(a.Users))
		for _, u := range a.Users {
			fmt.Fprintf(w, "  user %s (%s)\n", u.UserName, u.UserId)
			printGrants(w, u.HostAccounts, "    ")
		}
	case "ExplainUserAccess":
		printUser(w, a)
	case "DecodeDiagnosticMessage":
		printDecoded(w, a)
	default:
		return fmt.Errorf("explain: no text form for %s", action)
	}
	return nil
}

func printAccess(w io.Writer, a explainAccess, indent string) {
	fmt.Fprintf(w, "%s%s %s on %s: %s", indent, a.Principal.DisplayName+" ("+a.Principal.Type+")", a.AuthAction,
		strings.Join(a.AuthResources, ", "), a.Decision)
	if a.PolicyType != "" {
		fmt.Fprintf(w, " (%s)", a.PolicyType)
	}
	fmt.Fprintln(w)
	if a.Note != "" {
		fmt.Fprintf(w, "%s  %s\n", indent, a.Note)
	}
	for _, st := range a.Statements {
		mark := "  matched, not applied"
		switch {
		case st.Deciding:
			mark = "  DECIDED BY"
		case st.Applied:
			mark = "  applied"
		case !st.ConditionsHold:
			mark = "  conditions failed"
		}
		fmt.Fprintf(w, "%s%s %s statement %d of %s (%s, %s, via %s): actions %s",
			indent, mark, st.Effect, st.StatementIndex, st.PolicyName, st.PolicyType, st.PolicyVersion, st.Attachment,
			strings.Join(append(st.MatchedActions, prefixed("NotAction ", st.NotActions)...), ", "))
		if len(st.ResourcePatterns) > 0 {
			fmt.Fprintf(w, "; resources %s", strings.Join(st.ResourcePatterns, ", "))
		}
		fmt.Fprintln(w)
		for _, c := range st.Conditions {
			fmt.Fprintf(w, "%s      %s %s %v: request %q -> %v\n", indent, c.Operator, c.Key, c.Values, c.RequestValue, c.Holds)
		}
	}
	if len(a.UnallowedResources) > 0 {
		fmt.Fprintf(w, "%s  no Allow statement covers: %s\n", indent, strings.Join(a.UnallowedResources, ", "))
	}
	if len(a.SessionUnallowedResources) > 0 {
		fmt.Fprintf(w, "%s  the session policy allows none of: %s\n", indent, strings.Join(a.SessionUnallowedResources, ", "))
	}
	if a.PassRole != nil {
		fmt.Fprintf(w, "%s  PassRole step (role %s):\n", indent, a.PassRole.RoleName)
		printAccess(w, *a.PassRole, indent+"    ")
	}
}

func prefixed(prefix string, list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = prefix + s
	}
	return out
}

func printInstance(w io.Writer, a explainAnswer) {
	if a.Role == nil {
		fmt.Fprintf(w, "instance %s (%s): no RAM role\n", a.InstanceId, a.RegionId)
		return
	}
	r := a.Role
	fmt.Fprintf(w, "instance %s (%s): role %s (%s), exists %v, trusts ecs.aliyuncs.com %v\n", a.InstanceId, a.RegionId,
		r.RoleName, r.Arn, r.Exists, r.TrustsEcs)
	printPolicies(w, r.Policies, r.Allows, r.Denies)
}

func printPolicies(w io.Writer, policies []explainPolicy, allows, denies []string) {
	for _, p := range policies {
		fmt.Fprintf(w, "  policy %s (%s, %s, via %s)\n", p.PolicyName, p.PolicyType, p.PolicyVersion, p.Attachment)
	}
	for _, l := range allows {
		fmt.Fprintf(w, "  allows %s\n", l)
	}
	for _, l := range denies {
		fmt.Fprintf(w, "  denies %s\n", l)
	}
}

func printGrants(w io.Writer, grants []explainGrant, indent string) {
	for _, g := range grants {
		var paths []string
		for _, p := range g.GrantPaths {
			s := p.Kind
			if p.UserGroupName != "" {
				s += " user group " + p.UserGroupName
			}
			if p.HostGroupName != "" {
				s += " host group " + p.HostGroupName
			}
			paths = append(paths, s+" ("+p.Via+")")
		}
		fmt.Fprintf(w, "%shost %s (%s) as %s (%s) through %s\n", indent, g.HostName, g.HostId, g.HostAccountName, g.HostAccountId,
			strings.Join(paths, "; "))
	}
}

func printUser(w io.Writer, a explainAnswer) {
	if a.Active == nil {
		fmt.Fprintf(w, "RAM user %s, groups [%s]\n", a.UserName, strings.Join(a.Groups, ", "))
		printPolicies(w, a.Policies, a.Allows, a.Denies)
		return
	}
	fmt.Fprintf(w, "bastion user %s (%s) of %s, active %v: %d host account(s)\n", a.UserName, a.UserId, a.InstanceId, *a.Active,
		len(a.HostAccounts))
	printGrants(w, a.HostAccounts, "  ")
}

func printDecoded(w io.Writer, a explainAnswer) {
	m := a.DecodedDiagnosticMessage
	if m == nil {
		return
	}
	kind := "ImplicitDeny"
	if m.ExplicitDeny {
		kind = "ExplicitDeny"
	}
	fmt.Fprintf(w, "%s (%s) denied %s on %s: %s (%s)\n", m.AuthPrincipal.AuthPrincipalDisplayName, m.AuthPrincipal.AuthPrincipalType,
		m.AuthAction, m.AuthResource, kind, m.NoPermissionPolicyType)
	for _, p := range m.MatchedPolicies {
		for _, st := range p.Statements {
			mark := "  matched"
			if st.Deciding {
				mark = "  DECIDED BY"
			}
			fmt.Fprintf(w, "%s %s statement %d of %s (%s, %s, via %s): actions %s; resources %s\n", mark, st.Effect, st.Index,
				p.PolicyName, p.PolicyType, p.PolicyVersion, p.Attachment, strings.Join(st.Actions, ", "), strings.Join(st.Resources, ", "))
		}
	}
}
