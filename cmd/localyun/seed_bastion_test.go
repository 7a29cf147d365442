package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/sqlite"
)

const bastionSeed = `
accounts:
  - id: "1234567890123456"
    bastionhost:
      instances:
        - id: bastionhost-cn-seed1
          region: cn-hangzhou
          hosts:
            - name: web
              private_address: 10.0.0.1
              accounts:
                - {name: root, password: s3cret}
                - {name: admin, protocol: RDP}
            - name: db
              os_type: Windows
              active_address_type: Public
              public_address: 1.2.3.4
          users:
            - {name: alice, password: "Passw0rd!x"}
            - {name: bob, source: Ram, source_user_id: "2123456789"}
          user_groups:
            - {name: ops, members: [alice, bob]}
`

func TestSeedBastionObjects(t *testing.T) {
	s, err := ParseSeed([]byte(bastionSeed))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := sqlite.Open(ctx, ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	rep, err := s.Apply(ctx, st, now)
	if err != nil {
		t.Fatal(err)
	}
	// 2 hosts + 2 accounts + 2 users + 1 group + 2 memberships.
	if rep.BastionObjects != 9 {
		t.Fatalf("created %d bastion objects, want 9 (%v)", rep.BastionObjects, rep)
	}
	const inst = "bastionhost-cn-seed1"
	hosts, _, _ := st.FindBastionHosts(ctx, localyun.BastionHostFilter{InstanceID: inst})
	if len(hosts) != 2 || hosts[0].ID != "1" || hosts[0].Name != "web" || hosts[1].OSType != "Windows" || hosts[0].AccountCount != 2 {
		t.Fatalf("hosts %+v", hosts)
	}
	if sec, err := st.FindBastionHostAccountSecret(ctx, inst, "1"); err != nil || sec.Password != "s3cret" {
		t.Fatalf("account secret %+v %v", sec, err)
	}
	users, _, _ := st.FindBastionUsers(ctx, localyun.BastionUserFilter{InstanceID: inst, UserGroupID: "1", Now: now})
	if len(users) != 2 || users[0].Name != "alice" || users[1].Source != localyun.BastionUserRAM {
		t.Fatalf("members %+v", users)
	}
	// Applying again creates nothing and keeps the ids.
	rep, err = s.Apply(ctx, st, now)
	if err != nil || rep.BastionObjects != 0 {
		t.Fatalf("second apply: %v, %v", rep, err)
	}
	if hosts, total, _ := st.FindBastionHosts(ctx, localyun.BastionHostFilter{InstanceID: inst}); total != 2 || hosts[1].ID != "2" {
		t.Fatalf("hosts after second apply: %+v", hosts)
	}
}

func TestSeedBastionValidation(t *testing.T) {
	head := "accounts:\n  - id: \"1234567890123456\"\n    bastionhost:\n      instances:\n        - id: bastionhost-cn-seed1\n          region: cn-hangzhou\n"
	tests := []struct{ body, want string }{
		{"          hosts:\n            - {name: web}\n", "hosts[0]: HostPrivateAddress is mandatory"},
		{"          hosts:\n            - {name: web, os_type: BSD, private_address: 10.0.0.1}\n", "hosts[0]: The specified parameter \"OSType\""},
		{"          hosts:\n            - {name: web, private_address: 10.0.0.1, accounts: [{name: r, protocol: FTP}]}\n", "hosts[0].accounts[0]:"},
		{"          hosts:\n            - {name: web, private_address: 10.0.0.1}\n            - {name: web, private_address: 10.0.0.2}\n", "hosts[1].name: host web is declared twice"},
		{"          users:\n            - {name: alice, password: weak}\n", "users[0].password:"},
		{"          users:\n            - {name: bob, source: Ram}\n", "users[0]: SourceUserId is mandatory"},
		{"          user_groups:\n            - {name: ops, members: [carol]}\n", `user_groups[0].members[0]: user "carol" is not declared`},
	}
	for _, tt := range tests {
		_, err := ParseSeed([]byte(head + tt.body))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseSeed(%q) = %v, want an error containing %q", tt.body, err, tt.want)
		}
	}
}
