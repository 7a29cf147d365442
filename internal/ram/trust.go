package ram

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/localyun/localyun/internal/auth"
	"github.com/localyun/localyun/internal/protocol"
)

// ValidateTrustPolicy checks an AssumeRolePolicyDocument: a JSON object with
// Version "1" and a non-empty Statement list, each statement with Effect
// Allow or Deny, an Action and a Principal naming RAM, Service or Federated
// principals; valid UTF-8 without control characters (but white space),
// and no object has a key twice (auth.UniqueKeys). The error text says what is wrong.
func ValidateTrustPolicy(doc string) error {
	if protocol.CheckText(doc, 0, len(doc)) != nil {
		return problemf("the document is not UTF-8 or holds a control character")
	}
	if err := auth.UniqueKeys(doc); err != nil {
		return err
	}
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.UseNumber()
	var p struct {
		Version   any
		Statement []map[string]json.RawMessage
	}
	if err := dec.Decode(&p); err != nil {
		return problemf("not a JSON object of Version and Statement: %v", err)
	}
	if dec.More() {
		return problemf("trailing data after the policy document")
	}
	if v, _ := p.Version.(string); v != "1" {
		return problemf(`Version must be "1"`)
	}
	if len(p.Statement) == 0 {
		return problemf("Statement must be a non-empty list")
	}
	for i, st := range p.Statement {
		for k := range st {
			switch k {
			case "Effect", "Action", "Principal", "Condition":
			default:
				return problemf("Statement[%d]: unknown element %q", i, k)
			}
		}
		var effect string
		if err := json.Unmarshal(st["Effect"], &effect); err != nil || (effect != "Allow" && effect != "Deny") {
			return problemf("Statement[%d]: Effect must be Allow or Deny", i)
		}
		if !isStringOrList(st["Action"]) {
			return problemf("Statement[%d]: Action must be a string or a list of strings", i)
		}
		var principal map[string]json.RawMessage
		if err := json.Unmarshal(st["Principal"], &principal); err != nil || len(principal) == 0 {
			return problemf("Statement[%d]: Principal must be an object", i)
		}
		for k, v := range principal {
			switch k {
			case "RAM", "Service", "Federated":
			default:
				return problemf("Statement[%d]: unknown principal type %q", i, k)
			}
			if !isStringOrList(v) {
				return problemf("Statement[%d]: Principal.%s must be a string or a list of strings", i, k)
			}
		}
		if c, ok := st["Condition"]; ok {
			var cond map[string]map[string]json.RawMessage
			if err := json.Unmarshal(c, &cond); err != nil {
				return problemf("Statement[%d]: Condition must be an object of objects", i)
			}
			if err := auth.ValidateConditions(c); err != nil {
				return problemf("Statement[%d]: Condition: %v", i, err)
			}
		}
	}
	return nil
}

// problemf is auth.Problemf: what is wrong with a trust policy, worded for
// the API client.
var problemf = auth.Problemf

func isStringOrList(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return false
	}
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return one != ""
	}
	var many []string
	if json.Unmarshal(raw, &many) != nil || len(many) == 0 {
		return false
	}
	for _, s := range many {
		if s == "" {
			return false
		}
	}
	return true
}
