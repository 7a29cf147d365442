// Package auth decides whether a principal may do an action: it parses and
// validates RAM policy documents, evaluates them against a request
// (action, resource ARNs, condition context), evaluates trust policies,
// holds the built-in system policies, and shapes a denial. It never reads
// a wire request: each route row names its RAM action and derives its
// resources from the action's parsed input (internal/protocol).
package auth

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxDocumentBytes is the largest policy document accepted (RAM's limit
// for a custom policy).
const MaxDocumentBytes = 6144

// Effects of a statement.
const (
	Allow = "Allow"
	Deny  = "Deny"
)

// Policy is a parsed, validated policy document.
type Policy struct {
	Version   string
	Statement []Statement
}

// Statement is one statement. Exactly one of Action/NotAction and at most
// one of Resource/NotResource is set (no Resource means every resource).
type Statement struct {
	Effect      string
	Action      []string
	NotAction   []string
	Resource    []string
	NotResource []string
	Condition   []Condition
}

// Condition is one (operator, key, values) test of a statement.
type Condition struct {
	Operator string // e.g. "StringEquals"
	Key      string // lower-cased, e.g. "acs:sourceip"
	Values   []string
	prefixes []netip.Prefix
	times    []time.Time
	numbers  []float64
}

// operators lists the supported condition operators and the kind of value
// each takes.
var operators = map[string]string{
	"StringEquals": "string", "StringNotEquals": "string",
	"StringEqualsIgnoreCase": "string", "StringNotEqualsIgnoreCase": "string",
	"StringLike": "string", "StringNotLike": "string",
	"IpAddress": "ip", "NotIpAddress": "ip",
	"DateEquals": "date", "DateNotEquals": "date",
	"DateLessThan": "date", "DateLessThanEquals": "date",
	"DateGreaterThan": "date", "DateGreaterThanEquals": "date",
	"NumericEquals": "number", "NumericNotEquals": "number",
	"NumericLessThan": "number", "NumericLessThanEquals": "number",
	"NumericGreaterThan": "number", "NumericGreaterThanEquals": "number",
	"Bool": "bool",
}

// Parse validates a policy document: a JSON object with Version "1" and a
// non-empty Statement list (or one statement object); each statement has
// Effect Allow or Deny, exactly one of Action and NotAction, at most one of
// Resource and NotResource, and optional Condition with known operators;
// no object has a key twice (UniqueKeys). The error says what is wrong.
func Parse(doc string) (*Policy, error) {
	if len(doc) > MaxDocumentBytes {
		return nil, fmt.Errorf("the document is longer than %d bytes", MaxDocumentBytes)
	}
	if !utf8.ValidString(doc) {
		return nil, fmt.Errorf("the document is not valid UTF-8")
	}
	if err := UniqueKeys(doc); err != nil {
		return nil, err
	}
	var top map[string]json.RawMessage
	if err := strictUnmarshal([]byte(doc), &top); err != nil {
		return nil, fmt.Errorf("not a JSON object: %v", err)
	}
	p := &Policy{}
	for k, v := range top {
		switch k {
		case "Version":
			if err := json.Unmarshal(v, &p.Version); err != nil || p.Version != "1" {
				return nil, Problemf(`Version must be "1"`)
			}
		case "Statement":
			raws, err := objectOrList(v)
			if err != nil || len(raws) == 0 {
				return nil, Problemf("Statement must be a non-empty list of objects")
			}
			for i, raw := range raws {
				st, err := parseStatement(raw)
				if err != nil {
					return nil, Problemf("Statement[%d]: %v", i, err)
				}
				p.Statement = append(p.Statement, st)
			}
		default:
			return nil, fmt.Errorf("unknown element %q", k)
		}
	}
	if p.Version == "" {
		return nil, Problemf(`Version must be "1"`)
	}
	if len(p.Statement) == 0 {
		return nil, Problemf("Statement must be a non-empty list of objects")
	}
	return p, nil
}

// Problem says what is wrong with a policy document (identity or trust).
// It reaches API clients as the detail of MalformedPolicyDocument (and of
// InvalidParameter.PolicyGrammar) and names the document's elements as they
// are spelled (Version, Statement[0], Effect, ...), so it is no Go-style
// error string.
type Problem string

// Error returns the problem as worded for the API client.
func (p Problem) Error() string { return string(p) }

// Problemf formats a Problem.
func Problemf(format string, args ...any) error { return Problem(fmt.Sprintf(format, args...)) }

// strictUnmarshal decodes one JSON value and refuses trailing data.
func strictUnmarshal(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("trailing data after the document")
	}
	return nil
}

func objectOrList(raw json.RawMessage) ([]json.RawMessage, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '{' {
		return []json.RawMessage{raw}, nil
	}
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, err
	}
	return list, nil
}

func parseStatement(raw json.RawMessage) (Statement, error) {
	var st Statement
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return st, fmt.Errorf("a statement must be an object")
	}
	for k, v := range m {
		var err error
		switch k {
		case "Effect":
			if json.Unmarshal(v, &st.Effect) != nil || (st.Effect != Allow && st.Effect != Deny) {
				return st, Problemf("Effect must be Allow or Deny")
			}
		case "Action":
			st.Action, err = stringOrList(v)
		case "NotAction":
			st.NotAction, err = stringOrList(v)
		case "Resource":
			st.Resource, err = stringOrList(v)
		case "NotResource":
			st.NotResource, err = stringOrList(v)
		case "Condition":
			st.Condition, err = parseConditions(v)
		case "Sid":
			var sid string
			if json.Unmarshal(v, &sid) != nil {
				err = fmt.Errorf("must be a string")
			}
		default:
			return st, fmt.Errorf("unknown element %q", k)
		}
		if err != nil {
			return st, fmt.Errorf("%s: %v", k, err)
		}
	}
	switch {
	case st.Effect == "":
		return st, Problemf("Effect must be Allow or Deny")
	case (st.Action == nil) == (st.NotAction == nil):
		return st, fmt.Errorf("exactly one of Action and NotAction is required")
	case st.Resource != nil && st.NotResource != nil:
		return st, Problemf("Resource and NotResource cannot both be set")
	}
	for _, a := range append(append([]string{}, st.Action...), st.NotAction...) {
		if a != "*" && !strings.Contains(a, ":") {
			return st, fmt.Errorf("action %q must be <service>:<action> or *", a)
		}
	}
	return st, nil
}

// stringOrList decodes a non-empty string or a non-empty list of non-empty
// strings.
func stringOrList(raw json.RawMessage) ([]string, error) {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		if one == "" {
			return nil, fmt.Errorf("must not be empty")
		}
		return []string{one}, nil
	}
	var many []string
	if err := json.Unmarshal(raw, &many); err != nil || len(many) == 0 {
		return nil, fmt.Errorf("must be a string or a non-empty list of strings")
	}
	for _, s := range many {
		if s == "" {
			return nil, fmt.Errorf("must not contain empty strings")
		}
	}
	return many, nil
}

// conditionValues decodes a condition value: a string, number or boolean,
// or a list of them, as strings.
func conditionValues(raw json.RawMessage) ([]string, error) {
	raw = bytes.TrimSpace(raw)
	var list []json.RawMessage
	if len(raw) > 0 && raw[0] == '[' {
		if err := json.Unmarshal(raw, &list); err != nil || len(list) == 0 {
			return nil, fmt.Errorf("must be a value or a non-empty list of values")
		}
	} else {
		list = []json.RawMessage{raw}
	}
	out := make([]string, 0, len(list))
	for _, item := range list {
		var v any
		dec := json.NewDecoder(bytes.NewReader(item))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		switch x := v.(type) {
		case string:
			out = append(out, x)
		case json.Number:
			out = append(out, x.String())
		case bool:
			out = append(out, strconv.FormatBool(x))
		default:
			return nil, fmt.Errorf("values must be strings, numbers or booleans")
		}
	}
	return out, nil
}

// ValidateConditions reports whether a statement's Condition block is one
// the engine can evaluate: known operators, and values of their kind. A
// document is checked with it when it is stored, so that no statement is
// ever skipped at use for a condition it cannot read.
func ValidateConditions(raw json.RawMessage) error {
	_, err := parseConditions(raw)
	return err
}

func parseConditions(raw json.RawMessage) ([]Condition, error) {
	var ops map[string]map[string]json.RawMessage
	if err := json.Unmarshal(raw, &ops); err != nil {
		return nil, fmt.Errorf("must be an object of operator objects")
	}
	var out []Condition
	for op, keys := range ops {
		kind, ok := operators[op]
		if !ok {
			return nil, fmt.Errorf("unknown operator %q", op)
		}
		if len(keys) == 0 {
			return nil, fmt.Errorf("%s: no condition keys", op)
		}
		for key, v := range keys {
			vals, err := conditionValues(v)
			if err != nil {
				return nil, fmt.Errorf("%s.%s: %v", op, key, err)
			}
			c := Condition{Operator: op, Key: strings.ToLower(key), Values: vals}
			for _, s := range vals {
				switch kind {
				case "ip":
					pfx, err := parsePrefix(s)
					if err != nil {
						return nil, fmt.Errorf("%s.%s: %q is not an IP address or CIDR block", op, key, s)
					}
					c.prefixes = append(c.prefixes, pfx)
				case "date":
					t, err := parseTime(s)
					if err != nil {
						return nil, fmt.Errorf("%s.%s: %q is not an ISO 8601 time", op, key, s)
					}
					c.times = append(c.times, t)
				case "number":
					n, err := strconv.ParseFloat(s, 64)
					if err != nil {
						return nil, fmt.Errorf("%s.%s: %q is not a number", op, key, s)
					}
					c.numbers = append(c.numbers, n)
				case "bool":
					if _, err := strconv.ParseBool(strings.ToLower(s)); err != nil {
						return nil, fmt.Errorf("%s.%s: %q is not true or false", op, key, s)
					}
				}
			}
			out = append(out, c)
		}
	}
	return out, nil
}

func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		return p.Masked(), err
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05Z", "2006-01-02T15:04Z", "2006-01-02"}

func parseTime(s string) (time.Time, error) {
	var err error
	for _, l := range timeLayouts {
		var t time.Time
		if t, err = time.Parse(l, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, err
}
