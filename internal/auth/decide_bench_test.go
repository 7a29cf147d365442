package auth

import "testing"

// BenchmarkDecide is the policy evaluation every RAM-user request pays:
// a user with a few identity policies (system and custom, one with a
// condition and a Deny), decided allowed, explicitly denied and implicitly
// denied, and a role session with a session policy.
func BenchmarkDecide(b *testing.B) {
	identity := []*Policy{
		mustB(b, `{"Version":"1","Statement":[{"Effect":"Allow","Action":["ecs:Describe*","ecs:List*"],"Resource":"*"}]}`),
		mustB(b, `{"Version":"1","Statement":[{"Effect":"Allow","Action":["ecs:AttachInstanceRamRole","ecs:DetachInstanceRamRole"],"Resource":"acs:ecs:*:1234567890123456:instance/*","Condition":{"IpAddress":{"acs:SourceIp":"10.0.0.0/8"}}},{"Effect":"Deny","Action":"ecs:DeleteInstance","Resource":"*"}]}`),
		mustB(b, `{"Version":"1","Statement":[{"Effect":"Allow","Action":"ram:PassRole","Resource":"acs:ram::1234567890123456:role/app-*"}]}`),
	}
	session := mustB(b, `{"Version":"1","Statement":[{"Effect":"Allow","Action":"ecs:*","Resource":"*"}]}`)
	ctx := map[string]string{KeySourceIP: "10.1.2.3", KeySecureTransport: "false", KeyPrincipalType: "SubUser"}
	inst := "acs:ecs:cn-hangzhou:1234567890123456:instance/i-bench000001"
	cases := []struct {
		name    string
		session *Policy
		req     Request
		allowed bool
	}{
		{"allow", nil, Request{Action: "ecs:DetachInstanceRamRole", Resources: []string{inst}, Context: ctx}, true},
		{"explicit deny", nil, Request{Action: "ecs:DeleteInstance", Resources: []string{inst}, Context: ctx}, false},
		{"implicit deny", nil, Request{Action: "ram:CreateUser", Resources: []string{"acs:ram::1234567890123456:user/x"}, Context: ctx}, false},
		{"session", session, Request{Action: "ecs:DescribeInstances", Resources: []string{inst}, Context: ctx}, true},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if d := Decide(identity, c.session, c.req); d.Allowed != c.allowed {
					b.Fatalf("Decide = %+v", d)
				}
			}
		})
	}
}

func mustB(b *testing.B, doc string) *Policy {
	b.Helper()
	p, err := Parse(doc)
	if err != nil {
		b.Fatal(err)
	}
	return p
}
