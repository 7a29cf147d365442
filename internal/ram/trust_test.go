package ram_test

import (
	"strings"
	"testing"

	"github.com/localyun/localyun/internal/ram"
)

func TestValidateTrustPolicy(t *testing.T) {
	const ecs = `{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":["ecs.aliyuncs.com"]}}],"Version":"1"}`
	tests := []struct {
		name    string
		doc     string
		wantErr string // "" : valid; else a substring of the error
	}{
		{"ecs service", ecs, ""},
		{"ram principal string", `{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"RAM":"acs:ram::1234567890123456:root"}}]}`, ""},
		{"federated and condition", `{"Version":"1","Statement":[{"Effect":"Deny","Action":["sts:AssumeRole"],"Principal":{"Federated":["acs:ram::1:saml-provider/p"]},"Condition":{"StringEquals":{"saml:recipient":"x"}}}]}`, ""},
		{"not JSON", `{`, "not a JSON object"},
		{"array", `[]`, "not a JSON object"},
		{"trailing data", ecs + `{}`, "trailing data"},
		{"version missing", `{"Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"ecs.aliyuncs.com"}}]}`, `Version must be "1"`},
		{"version number", strings.Replace(ecs, `"Version":"1"`, `"Version":1`, 1), `Version must be "1"`},
		{"version 2", strings.Replace(ecs, `"Version":"1"`, `"Version":"2"`, 1), `Version must be "1"`},
		{"no statement", `{"Version":"1"}`, "Statement must be a non-empty list"},
		{"empty statement", `{"Version":"1","Statement":[]}`, "Statement must be a non-empty list"},
		{"statement object", `{"Version":"1","Statement":{"Effect":"Allow"}}`, "not a JSON object"},
		{"effect missing", `{"Version":"1","Statement":[{"Action":"sts:AssumeRole","Principal":{"Service":"ecs.aliyuncs.com"}}]}`, "Statement[0]: Effect must be Allow or Deny"},
		{"effect lower case", strings.Replace(ecs, `"Allow"`, `"allow"`, 1), "Effect must be Allow or Deny"},
		{"action missing", `{"Version":"1","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs.aliyuncs.com"}}]}`, "Action must be a string or a list of strings"},
		{"action empty list", strings.Replace(ecs, `"sts:AssumeRole"`, `[]`, 1), "Action must be"},
		{"action number", strings.Replace(ecs, `"sts:AssumeRole"`, `7`, 1), "Action must be"},
		{"principal missing", `{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"}]}`, "Principal must be an object"},
		{"principal empty", `{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{}}]}`, "Principal must be an object"},
		{"principal string", `{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":"*"}]}`, "Principal must be an object"},
		{"principal unknown type", `{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"AWS":"x"}}]}`, `unknown principal type "AWS"`},
		{"principal empty value", `{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":[""]}}]}`, "Principal.Service must be a string or a list of strings"},
		{"unknown statement element", `{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"ecs.aliyuncs.com"},"Resource":"*"}]}`, `unknown element "Resource"`},
		{"second statement bad", `{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"ecs.aliyuncs.com"}},{"Effect":"Maybe","Action":"a","Principal":{"RAM":"r"}}]}`, "Statement[1]: Effect"},
		{"unknown top-level key ignored", strings.Replace(ecs, `"Version"`, `"Comment":0,"Version"`, 1), ""},
		{"condition bad", `{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"ecs.aliyuncs.com"},"Condition":"x"}]}`, "Condition must be an object of objects"},
		// Refused at creation what the engine could not evaluate at use.
		{"condition unknown operator", `{"Version":"1","Statement":[{"Effect":"Deny","Action":"sts:AssumeRole","Principal":{"Service":"ecs.aliyuncs.com"},"Condition":{"StringEqualz":{"acs:SourceIp":"x"}}}]}`, `unknown operator "StringEqualz"`},
		{"condition bad value", `{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"ecs.aliyuncs.com"},"Condition":{"IpAddress":{"acs:SourceIp":"not-an-ip"}}}]}`, "is not an IP address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ram.ValidateTrustPolicy(tt.doc)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("ValidateTrustPolicy(%s) = %v, want nil", tt.doc, err)
			case tt.wantErr != "" && err == nil:
				t.Fatalf("ValidateTrustPolicy(%s) accepted, want %q", tt.doc, tt.wantErr)
			case tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr):
				t.Fatalf("ValidateTrustPolicy(%s) = %q, want it to contain %q", tt.doc, err, tt.wantErr)
			}
		})
	}
}
