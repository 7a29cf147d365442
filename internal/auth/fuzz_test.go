package auth

import "testing"

// FuzzPolicy: Parse never panics; what parses evaluates without panicking.
func FuzzPolicy(f *testing.F) {
	for _, seed := range []string{
		`{"Version":"1","Statement":[{"Effect":"Allow","Action":"ecs:*","Resource":"*"}]}`,
		`{"Version":"1","Statement":{"Effect":"Deny","NotAction":["ram:*"],"NotResource":"acs:ram:*:*:role/?"}}`,
		`{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Condition":{"IpAddress":{"acs:SourceIp":"10.0.0.0/8"},"DateLessThan":{"acs:CurrentTime":"2030-01-01T00:00:00Z"},"Bool":{"acs:SecureTransport":true},"NumericEquals":{"n":1}}}]}`,
		`{"Version":"1","Statement":[]}`, `[]`, `{`, `{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"` + "**?*" + `"}]}`,
	} {
		f.Add(seed, "ecs:DescribeInstances", "acs:ecs:cn-hangzhou:1:instance/i-a")
	}
	f.Fuzz(func(t *testing.T, doc, action, resource string) {
		p, err := Parse(doc)
		if err != nil {
			return
		}
		Decide([]*Policy{p}, p, Request{Action: action, Resources: []string{resource},
			Context: map[string]string{KeySourceIP: resource, KeyCurrentTime: action, KeySecureTransport: "true"}})
		TrustAllows(doc, Caller{AccountID: "1", UserName: action}, map[string]string{"sts:externalid": resource})
	})
}
