package auth

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// deciding names the statements that made a decision as "<policy>[<index>]"
// (the session policy as "session[<index>]").
func deciding(tr Trace) []string {
	var out []string
	for _, st := range tr.Deciding() {
		name := fmt.Sprintf("%d[%d]", st.Policy, st.Index)
		if st.Session {
			name = fmt.Sprintf("session[%d]", st.Index)
		}
		out = append(out, name)
	}
	return out
}

func TestExplain(t *testing.T) {
	admin, _ := ParsedSystemPolicy("AdministratorAccess")
	ecsRO, _ := ParsedSystemPolicy("AliyunECSReadOnlyAccess")
	mixed := must(t, `{"Version":"1","Statement":[
		{"Effect":"Allow","Action":"ecs:Describe*","Resource":"*"},
		{"Effect":"Deny","Action":["ram:*","ecs:Detach*"],"Resource":"acs:ecs:*:*:instance/i-prod*"},
		{"Effect":"Allow","Action":"ecs:DetachInstanceRamRole","Resource":["acs:ecs:*:*:instance/i-dev*"],"Condition":{"IpAddress":{"acs:SourceIp":"10.0.0.0/8"}}}]}`)
	ctx := map[string]string{KeySourceIP: "10.1.2.3"}
	outside := map[string]string{KeySourceIP: "192.0.2.1"}
	detach := func(c map[string]string, ids ...string) Request {
		r := Request{Action: "ecs:DetachInstanceRamRole", Context: c}
		for _, id := range ids {
			r.Resources = append(r.Resources, "acs:ecs:cn-hangzhou:1:instance/"+id)
		}
		return r
	}
	for _, tc := range []struct {
		name      string
		identity  []*Policy
		session   *Policy
		req       Request
		outcome   string
		deciding  []string
		unallowed []string
	}{
		{"explicit deny beats allow", []*Policy{admin, mixed}, nil, detach(ctx, "i-prod1"), OutcomeExplicitDeny, []string{"1[1]"}, nil},
		{"allow names every allowing statement", []*Policy{admin, mixed}, nil, detach(ctx, "i-dev1"), OutcomeAllowed, []string{"0[0]", "1[2]"}, nil},
		{"condition fails: implicit deny", []*Policy{mixed}, nil, detach(outside, "i-dev1"), OutcomeImplicitDeny, nil,
			[]string{"acs:ecs:cn-hangzhou:1:instance/i-dev1"}},
		{"implicit deny names the uncovered resource", []*Policy{mixed}, nil, detach(ctx, "i-dev1", "i-test"), OutcomeImplicitDeny, nil,
			[]string{"acs:ecs:cn-hangzhou:1:instance/i-test"}},
		{"no policy", nil, nil, detach(ctx, "i-dev1"), OutcomeImplicitDeny, nil, []string{"acs:ecs:cn-hangzhou:1:instance/i-dev1"}},
		{"session narrows", []*Policy{admin}, ecsRO, detach(ctx, "i-dev1"), OutcomeImplicitDeny, nil, nil},
		{"session deny", []*Policy{admin}, mixed, detach(ctx, "i-prod1"), OutcomeExplicitDeny, []string{"session[1]"}, nil},
		{"session allows within", []*Policy{admin}, mixed, detach(ctx, "i-dev1"), OutcomeAllowed, []string{"0[0]", "session[2]"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := Explain(tc.identity, tc.session, tc.req)
			if got := tr.Decision.Outcome(); got != tc.outcome {
				t.Fatalf("outcome %s, want %s", got, tc.outcome)
			}
			if got := deciding(tr); !slices.Equal(got, tc.deciding) {
				t.Errorf("deciding %v, want %v", got, tc.deciding)
			}
			if !slices.Equal(tr.Unallowed, tc.unallowed) {
				t.Errorf("unallowed %v, want %v", tr.Unallowed, tc.unallowed)
			}
			if d := Decide(tc.identity, tc.session, tc.req); d != tr.Decision {
				t.Errorf("Decide = %+v, Explain = %+v", d, tr.Decision)
			}
		})
	}
}

func TestExplainDetail(t *testing.T) {
	p := must(t, `{"Version":"1","Statement":[{"Effect":"Allow","Action":["ecs:Describe*","ecs:Detach*"],
		"Resource":["acs:ecs:*:*:instance/i-a*","acs:ecs:*:*:instance/*"],"Condition":{"IpAddress":{"acs:SourceIp":"10.0.0.0/8"},"Bool":{"acs:SecureTransport":"true"}}}]}`)
	tr := Explain([]*Policy{p}, nil, Request{Action: "ecs:DetachInstanceRamRole", Resources: []string{"acs:ecs:cn-hangzhou:1:instance/i-ab"},
		Context: map[string]string{KeySourceIP: "10.0.0.1", KeySecureTransport: "false"}})
	if len(tr.Statements) != 1 {
		t.Fatalf("statements %+v", tr.Statements)
	}
	st := tr.Statements[0]
	if !slices.Equal(st.Actions, []string{"ecs:Detach*"}) || st.ConditionsHold || st.Applied || len(st.Conditions) != 2 {
		t.Fatalf("statement %+v", st)
	}
	for _, c := range st.Conditions {
		want := c.Key == KeySourceIP
		if c.Holds != want || !c.Present {
			t.Errorf("condition %+v: holds %v, want %v", c, c.Holds, want)
		}
	}
	tr = Explain([]*Policy{p}, nil, Request{Action: "ecs:DetachInstanceRamRole", Resources: []string{"acs:ecs:cn-hangzhou:1:instance/i-ab"},
		Context: map[string]string{KeySourceIP: "10.0.0.1", KeySecureTransport: "true"}})
	st = tr.Statements[0]
	if !st.Applied || !st.Deciding || !slices.Equal(st.ResourcePatterns, []string{"acs:ecs:*:*:instance/i-a*", "acs:ecs:*:*:instance/*"}) {
		t.Fatalf("statement %+v", st)
	}
}

// TestExplainMatchesDecide: over random policies and requests, the
// explained decision is the serving one, and the deciding statements are
// consistent with it.
func TestExplainMatchesDecide(t *testing.T) {
	r := rand.New(rand.NewPCG(16, 2026))
	actions := []string{"*", "ecs:*", "ecs:Detach*", "ecs:DetachInstanceRamRole", "ram:PassRole", "ram:*", "*:Describe*", "ecs:?escribeInstances"}
	resources := []string{"*", "acs:ecs:*:1:instance/i-a", "acs:ecs:*:*:instance/i-*", "acs:ram::1:role/app-?", "acs:ram::1:role/*", "acs:ecs:cn-*:1:*"}
	conds := []string{``, `,"Condition":{"IpAddress":{"acs:SourceIp":"10.0.0.0/8"}}`, `,"Condition":{"Bool":{"acs:SecureTransport":"true"}}`,
		`,"Condition":{"StringNotEquals":{"acs:PrincipalType":"SubUser"}}`}
	pick := func(list []string) string { return list[r.IntN(len(list))] }
	randPolicy := func() *Policy {
		var sts []string
		for range 1 + r.IntN(4) {
			effect := "Allow"
			if r.IntN(4) == 0 {
				effect = "Deny"
			}
			act := `"Action":"` + pick(actions) + `"`
			if r.IntN(6) == 0 {
				act = `"NotAction":"` + pick(actions) + `"`
			}
			res := `,"Resource":["` + pick(resources) + `","` + pick(resources) + `"]`
			switch r.IntN(6) {
			case 0:
				res = ""
			case 1:
				res = `,"NotResource":"` + pick(resources) + `"`
			}
			sts = append(sts, `{"Effect":"`+effect+`",`+act+res+pick(conds)+`}`)
		}
		return must(t, `{"Version":"1","Statement":[`+strings.Join(sts, ",")+`]}`)
	}
	reqActions := []string{"ecs:DetachInstanceRamRole", "ecs:DescribeInstances", "ram:PassRole", "ram:CreateUser"}
	reqResources := []string{"acs:ecs:cn-hangzhou:1:instance/i-a", "acs:ecs:cn-hangzhou:1:instance/i-b", "acs:ram::1:role/app-1", "acs:ram::1:role/x"}
	for n := range 5000 {
		var identity []*Policy
		for range r.IntN(4) {
			identity = append(identity, randPolicy())
		}
		var session *Policy
		if r.IntN(3) == 0 {
			session = randPolicy()
		}
		req := Request{Action: pick(reqActions), Context: map[string]string{KeySourceIP: pick([]string{"10.0.0.1", "192.0.2.1"}),
			KeySecureTransport: pick([]string{"true", "false"}), KeyPrincipalType: pick([]string{"SubUser", "AssumedRoleUser"})}}
		for range 1 + r.IntN(2) {
			req.Resources = append(req.Resources, pick(reqResources))
		}
		want := Decide(identity, session, req)
		tr := Explain(identity, session, req)
		if tr.Decision != want {
			t.Fatalf("case %d: Explain %+v, Decide %+v", n, tr.Decision, want)
		}
		d := tr.Deciding()
		switch {
		case want.ExplicitDeny && (len(d) != 1 || d[0].Effect != Deny || d[0].Session != (want.PolicyType == PolicyTypeSession)):
			t.Fatalf("case %d: explicit deny decided by %+v", n, d)
		case want.Allowed && len(d) == 0:
			t.Fatalf("case %d: allowed by no statement", n)
		case !want.Allowed && !want.ExplicitDeny && (len(d) != 0 || len(tr.Unallowed)+len(tr.SessionUnallowed) == 0):
			t.Fatalf("case %d: implicit deny: deciding %+v, unallowed %v %v", n, d, tr.Unallowed, tr.SessionUnallowed)
		}
	}
}
