package auth

import (
	"encoding/json"
	"strings"
)

// Caller is who asks to assume a role, for trust policy evaluation.
type Caller struct {
	AccountID string
	UserName  string // RAM user
	RoleName  string // role session
	Service   string // service principal, e.g. ecs.aliyuncs.com
}

// ARNs returns the principal names that identify c in a trust policy.
func (c Caller) matches(principal string) bool {
	if principal == "*" {
		return true
	}
	if c.Service != "" {
		return false
	}
	if principal == c.AccountID || strings.EqualFold(principal, "acs:ram::"+c.AccountID+":root") {
		return true
	}
	prefix := "acs:ram::" + c.AccountID + ":"
	rest, ok := cutPrefixFold(principal, prefix)
	if !ok {
		return false
	}
	switch {
	case c.UserName != "":
		name, ok := cutPrefixFold(rest, "user/")
		return ok && Match(name, c.UserName, true)
	case c.RoleName != "":
		name, ok := cutPrefixFold(rest, "role/")
		return ok && Match(name, c.RoleName, true)
	}
	return false
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return "", false
	}
	return s[len(prefix):], true
}

// TrustAllows reports whether a role's trust policy (AssumeRolePolicyDocument)
// lets caller perform sts:AssumeRole: some Allow statement names the
// caller (RAM: account root, user or role; Service; or "*") with its
// conditions met, and no such Deny statement does. A document that does
// not parse, or has a key twice (UniqueKeys), trusts nobody.
func TrustAllows(doc string, caller Caller, ctx map[string]string) bool {
	if UniqueKeys(doc) != nil {
		return false
	}
	var p struct {
		Statement []struct {
			Effect    string
			Action    json.RawMessage
			Principal map[string]json.RawMessage
			Condition json.RawMessage
		}
	}
	if json.Unmarshal([]byte(doc), &p) != nil {
		return false
	}
	allowed := false
	for _, st := range p.Statement {
		actions, err := stringOrList(st.Action)
		if err != nil || !anyMatch(actions, "sts:AssumeRole", true) {
			continue
		}
		named := false
		for kind, raw := range st.Principal {
			names, err := stringOrList(raw)
			if err != nil {
				continue
			}
			for _, n := range names {
				switch kind {
				case "RAM":
					named = named || caller.matches(n)
				case "Service":
					named = named || (caller.Service != "" && strings.EqualFold(n, caller.Service))
				}
			}
		}
		if !named {
			continue
		}
		if len(st.Condition) > 0 {
			conds, err := parseConditions(st.Condition)
			if err != nil {
				continue
			}
			s := Statement{Condition: conds}
			if !s.conditionsHold(ctx) {
				continue
			}
		}
		if st.Effect == Deny {
			return false
		}
		allowed = allowed || st.Effect == Allow
	}
	return allowed
}
