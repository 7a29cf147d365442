package auth

import (
	"errors"
	"strings"
	"testing"
)

func TestUniqueKeys(t *testing.T) {
	tests := []struct {
		name, doc string
		want      string // the Problem, "" for none
	}{
		{"distinct", `{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`, ""},
		{"same keys in sibling objects", `{"Version":"1","Statement":[{"Effect":"Allow","Action":"*"},{"Effect":"Deny","Action":"*"}]}`, ""},
		{"same key in a nested object", `{"a":{"x":1,"y":[{"x":2}]},"x":3}`, ""},
		{"keys as values", `{"a":"b","b":"a"}`, ""},
		{"Effect twice", `{"Version":"1","Statement":[{"Effect":"Allow","Effect":"Deny","Action":"*"}]}`,
			`duplicate key "Effect" in Statement[0]`},
		{"in the second statement", `{"Version":"1","Statement":[{"Effect":"Allow","Action":"*"},{"Action":"*","Effect":"Allow","Action":"ram:*"}]}`,
			`duplicate key "Action" in Statement[1]`},
		{"top level", `{"Version":"1","Statement":[],"Version":"2"}`, `duplicate key "Version"`},
		{"case differs", `{"Version":"1","Statement":[],"statement":[]}`, `duplicate key "statement"`},
		{"escaped spelling", `{"Version":"1","Statement":[{"Effect":"Allow","Eff\u0065ct":"Deny"}]}`, `duplicate key "Effect" in Statement[0]`},
		{"Kelvin sign folds to k", `{"key":1,"` + "\u212a" + `ey":2}`, `duplicate key "` + "\u212a" + `ey"`},
		{"condition key", `{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Condition":{"IpAddress":{"acs:SourceIp":"10.0.0.0/8","acs:sourceip":"0.0.0.0/0"}}}]}`,
			`duplicate key "acs:sourceip" in Statement[0].Condition.IpAddress`},
		{"condition operator", `{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Condition":{"Bool":{"a:b":"true"},"Bool":{"a:b":"false"}}}]}`,
			`duplicate key "Bool" in Statement[0].Condition`},
		{"principal type", `{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"RAM":"acs:ram::1:root","RAM":"*"}}]}`,
			`duplicate key "RAM" in Statement[0].Principal`},
		{"inside nested arrays", `[[{"a":1}],[{"a":1,"b":2,"a":3}]]`, `duplicate key "a" in [1][0]`},
		{"empty key twice", `{"":1,"":2}`, `duplicate key ""`},
		{"not JSON", `{"a":1,`, ""},
		{"not JSON after a duplicate", `{"a":1,"a":2,`, `duplicate key "a"`},
		{"deep nesting", strings.Repeat("[", 100000), "the document nests deeper than 32 levels"},
		{"32 levels", strings.Repeat("[", 32) + strings.Repeat("]", 32), ""},
		{"33 levels", strings.Repeat(`{"a":`, 33), "the document nests deeper than 32 levels"},
		{"scalar", `"x"`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := UniqueKeys(tt.doc)
			got := ""
			if err != nil {
				got = err.Error()
				var p Problem
				if !errors.As(err, &p) {
					t.Errorf("UniqueKeys error %T, want a Problem", err)
				}
			}
			if got != tt.want {
				t.Errorf("UniqueKeys(%.80q) = %q, want %q", tt.doc, got, tt.want)
			}
		})
	}
}

// TestDuplicateKeysRefused: the parsers refuse what UniqueKeys refuses,
// so the last key never silently wins.
func TestDuplicateKeysRefused(t *testing.T) {
	allowThenDeny := `{"Version":"1","Statement":[{"Effect":"Allow","Effect":"Deny","Action":"*","Resource":"*"}]}`
	if _, err := Parse(allowThenDeny); err == nil || !strings.Contains(err.Error(), `duplicate key "Effect"`) {
		t.Errorf("Parse(Effect twice) = %v, want a duplicate key problem", err)
	}
	denyThenAllow := `{"Version":"1","Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Effect":"Allow"}]}`
	if _, err := Parse(denyThenAllow); err == nil {
		t.Error("Parse(Deny then Allow) accepted")
	}
	trust := `{"Version":"1","Statement":[{"Effect":"Deny","Action":"sts:AssumeRole","Principal":{"Service":"ecs.aliyuncs.com"},"effect":"Allow"}]}`
	if TrustAllows(trust, Caller{Service: "ecs.aliyuncs.com"}, nil) {
		t.Error("TrustAllows trusted a document with Effect twice")
	}
	top := `{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"ecs.aliyuncs.com"}}],"statement":[]}`
	if TrustAllows(top, Caller{Service: "ecs.aliyuncs.com"}, nil) {
		t.Error("TrustAllows trusted a document with Statement twice")
	}
}
