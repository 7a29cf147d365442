package auth

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name, doc string
		ok        bool
	}{
		{"minimal", `{"Version":"1","Statement":[{"Effect":"Allow","Action":"ecs:*","Resource":"*"}]}`, true},
		{"single statement object", `{"Version":"1","Statement":{"Effect":"Deny","Action":["ram:*"],"Resource":["*"]}}`, true},
		{"NotAction NotResource", `{"Version":"1","Statement":[{"Effect":"Allow","NotAction":"ram:*","NotResource":"acs:ram:*:*:role/x"}]}`, true},
		{"no resource", `{"Version":"1","Statement":[{"Effect":"Allow","Action":"*"}]}`, true},
		{"conditions", `{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{
			"IpAddress":{"acs:SourceIp":["10.0.0.0/8","127.0.0.1"]},"Bool":{"acs:SecureTransport":"false"},
			"DateLessThan":{"acs:CurrentTime":"2030-01-01T00:00:00Z"},"StringLike":{"acs:PrincipalType":"Sub*"},
			"NumericLessThan":{"x:n":5}}}]}`, true},
		{"empty", ``, false},
		{"not json", `{`, false},
		{"trailing", `{"Version":"1","Statement":[{"Effect":"Allow","Action":"*"}]} x`, false},
		{"array", `[]`, false},
		{"version 2", `{"Version":"2","Statement":[{"Effect":"Allow","Action":"*"}]}`, false},
		{"version number", `{"Version":1,"Statement":[{"Effect":"Allow","Action":"*"}]}`, false},
		{"no version", `{"Statement":[{"Effect":"Allow","Action":"*"}]}`, false},
		{"empty statements", `{"Version":"1","Statement":[]}`, false},
		{"bad effect", `{"Version":"1","Statement":[{"Effect":"allow","Action":"*"}]}`, false},
		{"no action", `{"Version":"1","Statement":[{"Effect":"Allow","Resource":"*"}]}`, false},
		{"both actions", `{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","NotAction":"ecs:*"}]}`, false},
		{"both resources", `{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","NotResource":"x"}]}`, false},
		{"empty action", `{"Version":"1","Statement":[{"Effect":"Allow","Action":""}]}`, false},
		{"action without service", `{"Version":"1","Statement":[{"Effect":"Allow","Action":"Describe*"}]}`, false},
		{"action number", `{"Version":"1","Statement":[{"Effect":"Allow","Action":5}]}`, false},
		{"unknown element", `{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Principal":"*"}]}`, false},
		{"unknown top", `{"Version":"1","Id":"x","Statement":[{"Effect":"Allow","Action":"*"}]}`, false},
		{"unknown operator", `{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Condition":{"StringFoo":{"a":"b"}}}]}`, false},
		{"bad cidr", `{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Condition":{"IpAddress":{"acs:SourceIp":"10.0.0.0/99"}}}]}`, false},
		{"bad date", `{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Condition":{"DateLessThan":{"acs:CurrentTime":"tomorrow"}}}]}`, false},
		{"bad bool", `{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Condition":{"Bool":{"acs:SecureTransport":"yes"}}}]}`, false},
		{"condition value object", `{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Condition":{"StringEquals":{"a":{"b":1}}}}]}`, false},
		{"too long", `{"Version":"1","Statement":[{"Effect":"Allow","Action":"` + strings.Repeat("a", MaxDocumentBytes) + `"}]}`, false},
		{"not utf-8", "{\"Version\":\"1\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"a:\xff\"}]}", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.doc)
			if (err == nil) != tc.ok {
				t.Fatalf("Parse = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

func must(t *testing.T, doc string) *Policy {
	t.Helper()
	p, err := Parse(doc)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestMatch(t *testing.T) {
	for _, tc := range []struct {
		pattern, s string
		fold, want bool
	}{
		{"*", "", false, true},
		{"*", "anything", false, true},
		{"ecs:Describe*", "ecs:DescribeInstances", false, true},
		{"ecs:describe*", "ECS:DescribeInstances", true, true},
		{"ecs:describe*", "ecs:DescribeInstances", false, false},
		{"a?c", "abc", false, true},
		{"a?c", "ac", false, false},
		{"*:role/*", "acs:ram::1:role/x", false, true},
		{"acs:ram:*:1:role/x", "acs:ram::1:role/x", false, true},
		{"a*b*c", "aXbYc", false, true},
		{"a*b*c", "aXbY", false, false},
		{strings.Repeat("*a", 50) + "b", strings.Repeat("a", 5000), false, false},
	} {
		if got := Match(tc.pattern, tc.s, tc.fold); got != tc.want {
			t.Errorf("Match(%q, %q, %v) = %v, want %v", tc.pattern, tc.s, tc.fold, got, tc.want)
		}
	}
}

func TestDecide(t *testing.T) {
	admin, _ := ParsedSystemPolicy("AdministratorAccess")
	ecsRO, _ := ParsedSystemPolicy("AliyunECSReadOnlyAccess")
	ecsFull, _ := ParsedSystemPolicy("AliyunECSFullAccess")
	denyDetach := must(t, `{"Version":"1","Statement":[{"Effect":"Deny","Action":"ecs:DetachInstanceRamRole","Resource":"*"}]}`)
	oneInstance := must(t, `{"Version":"1","Statement":[{"Effect":"Allow","Action":"ecs:*","Resource":"acs:ecs:*:1:instance/i-a"}]}`)
	notRAM := must(t, `{"Version":"1","Statement":[{"Effect":"Allow","NotAction":"ram:*","Resource":"*"}]}`)
	notRes := must(t, `{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","NotResource":"acs:ecs:*:*:instance/i-secret"}]}`)
	fromVPC := must(t, `{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"IpAddress":{"acs:SourceIp":"10.0.0.0/8"}}}]}`)
	notFromVPC := must(t, `{"Version":"1","Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"NotIpAddress":{"acs:SourceIp":["10.0.0.0/8"]}}}]}`)
	tls := must(t, `{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Bool":{"acs:SecureTransport":"true"}}}]}`)
	before := must(t, `{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"DateLessThan":{"acs:CurrentTime":"2026-06-01T00:00:00Z"}}}]}`)
	after := must(t, `{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"DateGreaterThan":{"acs:CurrentTime":"2026-06-01T00:00:00Z"}}}]}`)
	strEq := must(t, `{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"acs:PrincipalType":"SubUser"}}}]}`)
	strNe := must(t, `{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringNotEquals":{"acs:Missing":"x"}}}]}`)
	strLike := must(t, `{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringLike":{"acs:PrincipalType":"Sub*"}}}]}`)
	sessionECSRO := ecsRO

	ctx := map[string]string{KeySourceIP: "10.1.2.3", KeyCurrentTime: "2026-01-01T00:00:00Z", KeySecureTransport: "false", KeyPrincipalType: "SubUser"}
	outside := map[string]string{KeySourceIP: "192.0.2.1", KeyCurrentTime: "2026-07-01T00:00:00Z", KeySecureTransport: "true", KeyPrincipalType: "AssumedRoleUser"}
	detach := func(c map[string]string, ids ...string) Request {
		r := Request{Action: "ecs:DetachInstanceRamRole", Context: c}
		for _, id := range ids {
			r.Resources = append(r.Resources, "acs:ecs:cn-hangzhou:1:instance/"+id)
		}
		return r
	}
	describe := Request{Action: "ECS:describeinstances", Resources: []string{"acs:ecs:cn-hangzhou:1:instance/*"}, Context: ctx}
	for _, tc := range []struct {
		name     string
		identity []*Policy
		session  *Policy
		req      Request
		want     Decision
	}{
		{"no policy", nil, nil, describe, Decision{PolicyType: PolicyTypeIdentity}},
		{"read-only describes (actions fold case)", []*Policy{ecsRO}, nil, describe, Decision{Allowed: true}},
		{"read-only cannot detach", []*Policy{ecsRO}, nil, detach(ctx, "i-a"), Decision{PolicyType: PolicyTypeIdentity}},
		{"full detaches", []*Policy{ecsFull}, nil, detach(ctx, "i-a"), Decision{Allowed: true}},
		{"deny beats admin", []*Policy{admin, denyDetach}, nil, detach(ctx, "i-a"), Decision{ExplicitDeny: true, PolicyType: PolicyTypeIdentity}},
		{"one instance allowed", []*Policy{oneInstance}, nil, detach(ctx, "i-a"), Decision{Allowed: true}},
		{"every resource must be allowed", []*Policy{oneInstance}, nil, detach(ctx, "i-a", "i-b"), Decision{PolicyType: PolicyTypeIdentity}},
		{"NotAction allows ecs", []*Policy{notRAM}, nil, detach(ctx, "i-a"), Decision{Allowed: true}},
		{"NotAction refuses ram", []*Policy{notRAM}, nil, Request{Action: "ram:CreateUser", Resources: []string{"*"}}, Decision{PolicyType: PolicyTypeIdentity}},
		{"NotResource", []*Policy{notRes}, nil, detach(ctx, "i-secret"), Decision{PolicyType: PolicyTypeIdentity}},
		{"NotResource other", []*Policy{notRes}, nil, detach(ctx, "i-other"), Decision{Allowed: true}},
		{"IpAddress in", []*Policy{fromVPC}, nil, detach(ctx, "i-a"), Decision{Allowed: true}},
		{"IpAddress out", []*Policy{fromVPC}, nil, detach(outside, "i-a"), Decision{PolicyType: PolicyTypeIdentity}},
		{"NotIpAddress deny", []*Policy{admin, notFromVPC}, nil, detach(outside, "i-a"), Decision{ExplicitDeny: true, PolicyType: PolicyTypeIdentity}},
		{"NotIpAddress inside", []*Policy{admin, notFromVPC}, nil, detach(ctx, "i-a"), Decision{Allowed: true}},
		{"Bool false", []*Policy{tls}, nil, detach(ctx, "i-a"), Decision{PolicyType: PolicyTypeIdentity}},
		{"Bool true", []*Policy{tls}, nil, detach(outside, "i-a"), Decision{Allowed: true}},
		{"DateLessThan", []*Policy{before}, nil, detach(ctx, "i-a"), Decision{Allowed: true}},
		{"DateLessThan late", []*Policy{before}, nil, detach(outside, "i-a"), Decision{PolicyType: PolicyTypeIdentity}},
		{"DateGreaterThan", []*Policy{after}, nil, detach(outside, "i-a"), Decision{Allowed: true}},
		{"StringEquals", []*Policy{strEq}, nil, detach(ctx, "i-a"), Decision{Allowed: true}},
		{"StringEquals other", []*Policy{strEq}, nil, detach(outside, "i-a"), Decision{PolicyType: PolicyTypeIdentity}},
		{"StringNotEquals missing key", []*Policy{strNe}, nil, detach(ctx, "i-a"), Decision{Allowed: true}},
		{"StringLike", []*Policy{strLike}, nil, detach(ctx, "i-a"), Decision{Allowed: true}},
		{"session narrows", []*Policy{admin}, sessionECSRO, detach(ctx, "i-a"), Decision{PolicyType: PolicyTypeSession}},
		{"session allows within", []*Policy{admin}, sessionECSRO, describe, Decision{Allowed: true}},
		{"session cannot widen", []*Policy{ecsRO}, admin, detach(ctx, "i-a"), Decision{PolicyType: PolicyTypeIdentity}},
		{"session deny", []*Policy{admin}, denyDetach, detach(ctx, "i-a"), Decision{ExplicitDeny: true, PolicyType: PolicyTypeSession}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Decide(tc.identity, tc.session, tc.req); got != tc.want {
				t.Fatalf("Decide = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestTrustAllows(t *testing.T) {
	const acct = "1234567890123456"
	doc := `{"Version":"1","Statement":[
		{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"RAM":["acs:ram::` + acct + `:user/alice","acs:ram::999:root"]}},
		{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":["ecs.aliyuncs.com"]}},
		{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"RAM":"acs:ram::` + acct + `:user/ext"},"Condition":{"StringEquals":{"sts:ExternalId":"abc"}}},
		{"Effect":"Deny","Action":"sts:AssumeRole","Principal":{"RAM":"acs:ram::999:user/mallory"}}]}`
	for _, tc := range []struct {
		name   string
		caller Caller
		ctx    map[string]string
		want   bool
	}{
		{"named user", Caller{AccountID: acct, UserName: "Alice"}, nil, true},
		{"other user", Caller{AccountID: acct, UserName: "bob"}, nil, false},
		{"trusted account root", Caller{AccountID: "999", UserName: "anyone"}, nil, true},
		{"denied user of trusted account", Caller{AccountID: "999", UserName: "mallory"}, nil, false},
		{"service", Caller{Service: "ecs.aliyuncs.com"}, nil, true},
		{"other service", Caller{Service: "fc.aliyuncs.com"}, nil, false},
		{"external id", Caller{AccountID: acct, UserName: "ext"}, map[string]string{"sts:externalid": "abc"}, true},
		{"wrong external id", Caller{AccountID: acct, UserName: "ext"}, map[string]string{"sts:externalid": "x"}, false},
		{"role session not named", Caller{AccountID: acct, RoleName: "alice"}, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := TrustAllows(doc, tc.caller, tc.ctx); got != tc.want {
				t.Fatalf("TrustAllows = %v, want %v", got, tc.want)
			}
		})
	}
	if TrustAllows("{", Caller{AccountID: acct, UserName: "alice"}, nil) {
		t.Fatal("malformed trust policy trusts")
	}
}

func TestSystemPolicies(t *testing.T) {
	for _, name := range []string{"AdministratorAccess", "ReadOnlyAccess", "AliyunECSFullAccess", "AliyunECSReadOnlyAccess",
		"AliyunRAMFullAccess", "AliyunRAMReadOnlyAccess", "AliyunSTSAssumeRoleAccess", "AliyunBastionHostFullAccess",
		"AliyunBastionHostReadOnlyAccess"} {
		if _, ok := FindSystemPolicy(strings.ToLower(name)); !ok {
			t.Errorf("system policy %s missing", name)
		}
		if _, ok := ParsedSystemPolicy(name); !ok {
			t.Errorf("system policy %s not parsed", name)
		}
	}
}
