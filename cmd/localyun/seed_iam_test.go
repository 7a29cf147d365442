package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/sqlite"
)

const iamSeed = `
accounts:
  - id: "1234567890123456"
    ram:
      roles:
        - name: EcsRole
          assume_role_policy: '{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":["ecs.aliyuncs.com"]}}]}'
          policies: [ReadOnlyAccess]
      policies:
        - name: PassEcsRole
          document: '{"Version":"1","Statement":[{"Effect":"Allow","Action":"ram:PassRole","Resource":"*"}]}'
      groups:
        - name: ops
          policies: [AliyunECSFullAccess]
      users:
        - name: alice
          access_keys:
            - id: LTAI5tAliceKey0001
              secret: alicesecret000001
          groups: [ops]
          policies: [PassEcsRole, aliyunstsassumeroleaccess]
`

func TestSeedIAM(t *testing.T) {
	s, err := ParseSeed([]byte(iamSeed))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := sqlite.Open(ctx, ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 2; i++ { // idempotent
		if _, err := s.Apply(ctx, st, now); err != nil {
			t.Fatalf("apply %d: %v", i, err)
		}
	}
	k, err := st.FindAccessKey(ctx, "LTAI5tAliceKey0001")
	if err != nil || k.UserName != "alice" || k.Secret != "alicesecret000001" {
		t.Fatalf("key = %+v, %v", k, err)
	}
	as, _ := st.FindAttachments(ctx, localyun.AttachmentFilter{AccountID: "1234567890123456"})
	if len(as) != 4 {
		t.Fatalf("attachments = %+v", as)
	}
	for _, a := range as {
		if a.PrincipalName == "alice" && a.PolicyType == localyun.PolicyTypeSystem && a.PolicyName != "AliyunSTSAssumeRoleAccess" {
			t.Fatalf("system policy name not canonical: %+v", a)
		}
	}
	if ms, _ := st.FindGroupsForUser(ctx, "1234567890123456", "alice"); len(ms) != 1 {
		t.Fatalf("groups = %+v", ms)
	}
	for _, tc := range []struct{ edit, field string }{
		{"policies: [PassEcsRole, aliyunstsassumeroleaccess]", "users[0].policies[0]"},
		{"groups: [ops]", "users[0].groups[0]"},
		{"- name: alice", "users[0].name"},
		{`"Action":"ram:PassRole"`, "policies[0].document"},
	} {
		bad := map[string]string{
			"users[0].policies[0]": strings.Replace(iamSeed, tc.edit, "policies: [Nope]", 1),
			"users[0].groups[0]":   strings.Replace(iamSeed, tc.edit, "groups: [devs]", 1),
			"users[0].name":        strings.Replace(iamSeed, tc.edit, "- name: 'bad name'", 1),
			"policies[0].document": strings.Replace(iamSeed, tc.edit, `"Action":""`, 1),
		}[tc.field]
		_, err := ParseSeed([]byte(bad))
		if err == nil || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%s: err = %v, want it to name %s", tc.field, err, tc.field)
		}
	}
}
