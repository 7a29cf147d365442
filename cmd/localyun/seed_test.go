package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/ecs"
	"github.com/localyun/localyun/internal/sqlite"
)

const testSeed = `
accounts:
  - id: "1234567890123456"
    name: dev
    access_keys:
      - id: LTAI5tSeedKey0001
        secret: seedsecret0000000000000001
      - id: LTAI5tSeedKeyOff1
        secret: seedsecret0000000000000002
        status: Inactive
    ram:
      roles:
        - name: RamRoleTest
          description: the seed document's role
          assume_role_policy: '{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":["ecs.aliyuncs.com"]}}],"Version":"1"}'
    ecs:
      instances:
        - id: i-instance1
          region: cn-hangzhou
          ram_role: RamRoleTest
        - id: i-classic1
          region: cn-hangzhou
          network_type: classic
          status: Stopped
`

func TestParseSeed(t *testing.T) {
	s, err := ParseSeed([]byte(testSeed))
	if err != nil {
		t.Fatal(err)
	}
	a := s.Accounts[0]
	if a.ID != "1234567890123456" || len(a.AccessKeys) != 2 || a.AccessKeys[1].Status != "Inactive" ||
		len(a.RAM.Roles) != 1 || len(a.ECS.Instances) != 2 || a.ECS.Instances[0].RAMRole != "RamRoleTest" {
		t.Fatalf("parsed %+v", s)
	}
	for _, empty := range []string{"", "# only a comment\n", "{}\n", "accounts: []\n", "accounts:\n", "~\n", "---\n"} {
		if _, err := ParseSeed([]byte(empty)); err == nil || !strings.Contains(err.Error(), "declares no accounts") {
			t.Errorf("empty seed %q: err %v, want it refused as declaring no accounts", empty, err)
		}
	}

	const trust = `'{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":["ecs.aliyuncs.com"]}}],"Version":"1"}'`
	const fcTrust = `'{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":["fc.aliyuncs.com"]}}],"Version":"1"}'`
	acct := func(body string) string { return "accounts:\n  - id: \"1234567890123456\"\n" + body }
	tests := []struct {
		name string
		doc  string
		want []string // substrings of the error
	}{
		{"unknown top-level key", "acounts: []\n", []string{"acounts"}},
		{"unknown account key", acct("    nmae: x\n"), []string{"nmae"}},
		{"unknown role key", acct("    ram:\n      roles:\n        - name: R\n          policy: x\n"), []string{"policy"}},
		{"unknown instance key", acct("    ecs:\n      instances:\n        - id: i-a\n          regoin: cn-hangzhou\n"), []string{"regoin"}},
		{"not YAML", "accounts: [\n", []string{"yaml"}},
		{"wrong type", "accounts: 3\n", []string{"accounts: want a list, not \"3\" (line 1)"}},
		{"misspelt key", acct("    acess_keys: []\n"), []string{"accounts[0].acess_keys: unknown field (did you mean access_keys?) (line 3)"}},
		{"misspelt nested key", acct("    bastionhost:\n      instances:\n        - id: bastionhost-cn-x\n          region: cn-hangzhou\n          hosts:\n            - {name: h, privat_address: 10.0.0.1}\n"),
			[]string{"accounts[0].bastionhost.instances[0].hosts[0].privat_address: unknown field (did you mean private_address?) (line 8)"}},
		{"unknown key, nothing near", acct("    zzz: 1\n"), []string{"accounts[0].zzz: unknown field (line 3)"}},
		{"list for a value", acct("    name: [a]\n"), []string{"accounts[0].name: want a single value, not a list (line 3)"}},
		{"mapping for a list", acct("    access_keys: {id: x}\n"), []string{"accounts[0].access_keys: want a list, not a mapping (line 3)"}},
		{"not an integer", acct("    ram:\n      roles:\n        - name: R\n          max_session_duration: soon\n"),
			[]string{"accounts[0].ram.roles[0].max_session_duration: \"soon\" is not an integer (line 6)"}},
		{"document not a mapping", "- a\n", []string{"the document: want a mapping of fields, not a list (line 1)"}},
		{"account id", "accounts:\n  - id: \"12\"\n", []string{"accounts[0].id", `"12"`}},
		{"bastion region", acct("    bastionhost:\n      instances:\n        - id: bastionhost-cn-x\n          region: cn-guangzhou\n"),
			[]string{"accounts[0].bastionhost.instances[0].region", "not a Bastionhost region"}},
		{"duplicate account", acct("  - id: \"1234567890123456\"\n"), []string{"accounts[1].id", "twice"}},
		{"access key id", acct("    access_keys:\n      - id: short\n        secret: 0123456789\n"), []string{"accounts[0].access_keys[0].id", `"short"`}},
		{"access key secret", acct("    access_keys:\n      - id: LTAI5tSeedKey0001\n        secret: x\n"), []string{"accounts[0].access_keys[0].secret"}},
		{"access key status", acct("    access_keys:\n      - id: LTAI5tSeedKey0001\n        secret: 0123456789\n        status: Disabled\n"),
			[]string{"accounts[0].access_keys[0].status", `"Disabled"`}},
		{"duplicate key", acct("    access_keys:\n      - id: LTAI5tSeedKey0001\n        secret: 0123456789\n      - id: LTAI5tSeedKey0001\n        secret: 0123456789\n"),
			[]string{"accounts[0].access_keys[1].id", "twice"}},
		{"role name", acct("    ram:\n      roles:\n        - name: bad_name\n          assume_role_policy: " + trust + "\n"),
			[]string{"accounts[0].ram.roles[0].name", `"bad_name"`}},
		{"role policy", acct("    ram:\n      roles:\n        - name: R\n          assume_role_policy: '{}'\n"),
			[]string{"accounts[0].ram.roles[0].assume_role_policy", "Version"}},
		{"role duplicate ignoring case", acct("    ram:\n      roles:\n        - name: R\n          assume_role_policy: " + trust + "\n        - name: r\n          assume_role_policy: " + trust + "\n"),
			[]string{"accounts[0].ram.roles[1].name", "twice"}},
		{"role max session", acct("    ram:\n      roles:\n        - name: R\n          assume_role_policy: " + trust + "\n          max_session_duration: 60\n"),
			[]string{"accounts[0].ram.roles[0].max_session_duration"}},
		{"instance id", acct("    ecs:\n      instances:\n        - id: I-UPPER\n          region: cn-hangzhou\n"), []string{"accounts[0].ecs.instances[0].id", `"I-UPPER"`}},
		{"instance region", acct("    ecs:\n      instances:\n        - id: i-a\n          region: mars-1\n"), []string{"accounts[0].ecs.instances[0].region", `"mars-1"`}},
		{"instance network", acct("    ecs:\n      instances:\n        - id: i-a\n          region: cn-hangzhou\n          network_type: VPC\n"),
			[]string{"accounts[0].ecs.instances[0].network_type", `"VPC"`}},
		{"instance status", acct("    ecs:\n      instances:\n        - id: i-a\n          region: cn-hangzhou\n          status: Starting\n"),
			[]string{"accounts[0].ecs.instances[0].status", `"Starting"`}},
		{"instance duplicate", acct("    ecs:\n      instances:\n        - id: i-a\n          region: cn-hangzhou\n        - id: i-a\n          region: cn-beijing\n"),
			[]string{"accounts[0].ecs.instances[1].id", "twice"}},
		{"instance role undeclared", acct("    ecs:\n      instances:\n        - id: i-a\n          region: cn-hangzhou\n          ram_role: Nope\n"),
			[]string{"accounts[0].ecs.instances[0].ram_role", `"Nope"`}},
		{"instance role on classic", acct("    ram:\n      roles:\n        - name: R\n          assume_role_policy: " + trust + "\n    ecs:\n      instances:\n        - id: i-a\n          region: cn-hangzhou\n          network_type: classic\n          ram_role: R\n"),
			[]string{"accounts[0].ecs.instances[0].ram_role", "classic"}},
		{"instance role not trusting ECS", acct("    ram:\n      roles:\n        - name: R\n          assume_role_policy: " + fcTrust + "\n    ecs:\n      instances:\n        - id: i-a\n          region: cn-hangzhou\n          ram_role: R\n"),
			[]string{"accounts[0].ecs.instances[0].ram_role", "ecs.aliyuncs.com"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseSeed([]byte(tt.doc))
			if err == nil {
				t.Fatalf("ParseSeed accepted:\n%s", tt.doc)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Fatalf("ParseSeed error %q does not name %q", err, w)
				}
			}
		})
	}
}

func TestSeedApply(t *testing.T) {
	ctx := context.Background()
	s, err := ParseSeed([]byte(testSeed))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "localyun.db")
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { st.Close() }()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	rep, err := s.Apply(ctx, st, now)
	if err != nil {
		t.Fatal(err)
	}
	if want := (SeedReport{Accounts: 1, AccessKeys: 2, Roles: 1, Instances: 2}); rep != want {
		t.Fatalf("first apply %+v, want %+v", rep, want)
	}
	k, err := st.FindAccessKey(ctx, "LTAI5tSeedKeyOff1")
	if err != nil || k.Status != localyun.AccessKeyInactive || k.AccountID != "1234567890123456" {
		t.Fatalf("inactive key %+v, %v", k, err)
	}
	role, err := st.FindRoleByName(ctx, "1234567890123456", "ramroletest")
	if err != nil || role.Name != "RamRoleTest" || role.MaxSessionDuration != 3600 {
		t.Fatalf("role %+v, %v", role, err)
	}
	insts := mustInstances(t, st)
	if len(insts) != 2 || insts[0].RAMRoleName != "RamRoleTest" || insts[0].NetworkType != localyun.NetworkVPC ||
		insts[0].Status != localyun.StatusRunning || insts[1].NetworkType != localyun.NetworkClassic || insts[1].Status != localyun.StatusStopped {
		t.Fatalf("instances %+v", insts)
	}

	// Detach through the ECS API, then apply again (as every restart does):
	// nothing is created and the detached role stays detached.
	svc := ecs.NewService(st, ecs.Options{})
	pctx := localyun.NewContextWithPrincipal(ctx, localyun.Principal{AccountID: "1234567890123456", Type: localyun.PrincipalTypeRoot})
	if _, res, err := svc.DetachInstanceRAMRole(pctx, ecs.DetachInstanceRAMRoleInput{RegionID: "cn-hangzhou",
		InstanceIDs: []string{"i-instance1"}, RAMRoleName: "RamRoleTest"}); err != nil || !res[0].Success {
		t.Fatalf("detach %+v, %v", res, err)
	}
	for range 2 {
		rep, err = s.Apply(ctx, st, now.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if rep != (SeedReport{}) {
			t.Fatalf("re-apply created %+v", rep)
		}
	}
	// And across a reopen of the database.
	st.Close()
	if st, err = sqlite.Open(ctx, path); err != nil {
		t.Fatal(err)
	}
	if rep, err = s.Apply(ctx, st, now); err != nil || rep != (SeedReport{}) {
		t.Fatalf("apply after reopen %+v, %v", rep, err)
	}
	if got := mustInstances(t, st); got[0].RAMRoleName != "" {
		t.Fatalf("the seed re-attached the role: %+v", got[0])
	}
	if n, err := st.CountAccounts(ctx); err != nil || n != 1 {
		t.Fatalf("accounts %d, %v", n, err)
	}
}

func TestSeedApplyKeyOfAnotherAccount(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	doc := func(account string) *Seed {
		s, err := ParseSeed([]byte("accounts:\n  - id: \"" + account + "\"\n    access_keys:\n      - id: LTAI5tSharedKey01\n        secret: 0123456789\n"))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	if _, err := doc("1111111111111111").Apply(ctx, st, time.Now()); err != nil {
		t.Fatal(err)
	}
	_, err = doc("2222222222222222").Apply(ctx, st, time.Now())
	if err == nil || !strings.Contains(err.Error(), "already belongs to account 1111111111111111") {
		t.Fatalf("err %v", err)
	}
}

func mustInstances(tb testing.TB, st localyun.Store) []localyun.Instance {
	tb.Helper()
	insts, _, err := st.FindInstances(context.Background(), localyun.InstanceFilter{AccountID: "1234567890123456"})
	if err != nil {
		tb.Fatal(err)
	}
	return insts
}

// TestLoadSeedNamesTheFile: every seed error names the file, and a missing
// file says how to make one.
func TestLoadSeedNamesTheFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, doc string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	tests := []struct {
		path string
		want []string
	}{
		{filepath.Join(dir, "missing.yaml"), []string{"seed file " + filepath.Join(dir, "missing.yaml") + " does not exist",
			`README's section "Declare a world: the seed file"`, "--demo"}},
		{write("typo.yaml", "accounts:\n  - id: \"1234567890123456\"\n    acess_keys: []\n"),
			[]string{filepath.Join(dir, "typo.yaml") + ": accounts[0].acess_keys: unknown field (did you mean access_keys?) (line 3)"}},
		{write("empty.yaml", "# nothing yet\n"), []string{filepath.Join(dir, "empty.yaml") + ": the seed file declares no accounts"}},
		{write("invalid.yaml", "accounts:\n  - id: \"12\"\n"), []string{filepath.Join(dir, "invalid.yaml") + `: accounts[0].id: "12" is not a 16-digit account UID`}},
		{write("syntax.yaml", "accounts: [\n"), []string{filepath.Join(dir, "syntax.yaml") + ": yaml: line"}},
	}
	for _, tt := range tests {
		_, err := LoadSeed(tt.path)
		for _, w := range tt.want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("LoadSeed(%s) = %v, want it to contain %q", filepath.Base(tt.path), err, w)
			}
		}
	}
}

// TestDemoWorld: the demo seed is valid, and applying it twice creates
// nothing the second time.
func TestDemoWorld(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "demo.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now().UTC()
	first, err := demoWorld().Apply(ctx, st, now)
	if err != nil {
		t.Fatal(err)
	}
	if first.Accounts != 1 || first.AccessKeys != 2 || first.Roles != 2 || first.Instances != 4 || first.BastionInstances != 1 {
		t.Fatalf("first apply %+v", first)
	}
	again, err := demoWorld().Apply(ctx, st, now)
	if err != nil {
		t.Fatal(err)
	}
	if again != (SeedReport{}) {
		t.Fatalf("second apply created %+v", again)
	}
	key, err := st.FindAccessKey(ctx, demoKeyID)
	if err != nil || key.AccountID != demoAccountID {
		t.Fatalf("demo key %+v, %v", key, err)
	}
}
