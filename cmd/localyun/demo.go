package main

import (
	"context"
	"fmt"
	"time"

	"github.com/localyun/localyun"
)

// The demo world's account and root AccessKey. They are public (the README
// prints them) and exist only in a store started with --demo.
const (
	demoAccountID = "1000000000000001"
	demoKeyID     = "LTAI5tDemoRootKey0001"
	demoKeySecret = "demoRootSecret0000000000000001"
)

// demoSeed is the world `serve --demo` applies at every start, with the
// seed file's rules: what is missing is created, what exists is left as the
// API last left it. The README's quick start runs against it.
const demoSeed = `
accounts:
  - id: "` + demoAccountID + `"
    name: demo
    access_keys:
      - {id: ` + demoKeyID + `, secret: ` + demoKeySecret + `}
    ram:
      roles:
        - name: EcsAppRole                 # an instance RAM role
          description: the demo's instance RAM role
          assume_role_policy: '{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":["ecs.aliyuncs.com"]}}],"Version":"1"}'
          policies: [AliyunECSReadOnlyAccess]
        - name: CiDeployRole               # assumable by the account's own principals (STS AssumeRole)
          description: the demo's role for STS AssumeRole
          assume_role_policy: '{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"RAM":["acs:ram::` + demoAccountID + `:root"]}}],"Version":"1"}'
          policies: [AliyunECSReadOnlyAccess]
      users:
        - name: alice                      # a RAM user who may only read ECS
          access_keys: [{id: LTAI5tDemoAliceKey001, secret: demoAliceSecret000000000000001}]
          policies: [AliyunECSReadOnlyAccess, AliyunSTSAssumeRoleAccess]
    ecs:
      instances:
        - {id: i-bp1demo000000000001, region: cn-hangzhou, name: web-1, ram_role: EcsAppRole}
        - {id: i-bp1demo000000000002, region: cn-hangzhou, name: web-2}    # the README's SDK snippets
        - {id: i-bp1demo000000000003, region: cn-hangzhou, name: app-1}    # the README's Terraform example
        - {id: i-bp1demo000000000004, region: cn-hangzhou, name: app-2}    # the README's Terraform example
    bastionhost:
      instances:
        - id: bastionhost-cn-demo0000001
          region: cn-hangzhou
          description: the demo's bastion host
          hosts:
            - {name: web-1, private_address: 10.0.0.1, accounts: [{name: root, password: "Demo-S3cret!"}]}
          users:
            - {name: bob, password: "Bob-passw0rd!"}
          user_groups:
            - {name: ops, members: [bob]}
`

// demoWorld returns the parsed demo seed; a test keeps it valid.
func demoWorld() *Seed {
	s, err := ParseSeed([]byte(demoSeed))
	if err != nil {
		panic("the demo seed is invalid: " + err.Error())
	}
	return s
}

// applySeeds applies the demo world (with --demo) and then the seed file
// (when given), and returns the banner's seed line.
func (m *Main) applySeeds(ctx context.Context, st localyun.Store, seed *Seed, now time.Time) (string, error) {
	seeded := "no seed file"
	if m.Config.Demo {
		rep, err := demoWorld().Apply(ctx, st, now)
		if err != nil {
			return "", fmt.Errorf("apply the demo world: %w", err)
		}
		seeded = "demo world: " + rep.String() + "\n  demo:  account " + demoAccountID + ", AccessKeyId " + demoKeyID +
			", AccessKeySecret " + demoKeySecret + " (public; see the README)"
	}
	if seed != nil {
		rep, err := seed.Apply(ctx, st, now)
		if err != nil {
			return "", fmt.Errorf("apply seed %s: %w", m.Config.Seed, err)
		}
		line := m.Config.Seed + ": " + rep.String()
		if m.Config.Demo {
			line = seeded + "\n  seed:  " + line
		}
		seeded = line
	}
	return seeded, nil
}
