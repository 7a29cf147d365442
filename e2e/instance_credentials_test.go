package e2e_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ram"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/sts"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/pgtest"
	"github.com/localyun/localyun/internal/postgres"
	"github.com/localyun/localyun/internal/server"
	internalsts "github.com/localyun/localyun/internal/sts"
)

// offsetClock is the machine's clock plus an offset the test moves: the
// SDKs sign with the machine's clock, so the server's may only move within
// the 15-minute signature window while they call it.
type offsetClock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *offsetClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return time.Now().Add(c.off) }

func (c *offsetClock) Set(off time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.off = off }

// credsEnv is an env whose server runs on an offsetClock with a
// revocation mode, and the root's clients of account A.
type credsEnv struct {
	*env
	srv   *server.Server
	clock *offsetClock
	ecs   *ecs.Client
	iam   *iam
}

func newCredsEnv(t *testing.T, revocation string) *credsEnv {
	t.Helper()
	return newCredsEnvOn(t, openTestStore(t), revocation, true)
}

// newCredsEnvOn serves st; with create, it first creates account A, its
// policy and roles.
func newCredsEnvOn(t *testing.T, st localyun.Store, revocation string, create bool) *credsEnv {
	t.Helper()
	ctx := context.Background()
	c := &credsEnv{clock: &offsetClock{}}
	c.srv = server.New(server.Options{Store: st, Now: c.clock.Now, Revocation: revocation})
	hs := httptest.NewServer(c.srv)
	u, _ := url.Parse(hs.URL)
	c.env = &env{t: t, URL: hs.URL, Host: u.Host, Store: st, srv: hs}
	t.Cleanup(func() {
		hs.Close()
		st.Close()
	})
	c.ecs = &ecs.Client{Client: *c.env.v1Client(keyA, secretA)}
	c.iam = newIAM(c.env, keyA, secretA)
	if !create {
		return c
	}
	now := time.Now().UTC()
	if err := st.CreateAccount(ctx, localyun.Account{ID: accountA, Name: accountA, CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateAccessKey(ctx, localyun.AccessKey{ID: keyA, Secret: secretA, AccountID: accountA,
		Status: localyun.AccessKeyActive, CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	c.iam.customPolicy("DescribeOnly", `{"Version":"1","Statement":[{"Effect":"Allow","Action":"ecs:DescribeInstances","Resource":"*"}]}`)
	for _, name := range []string{"EcsAppRole", "OtherRole"} {
		c.createRole(name)
	}
	return c
}

// createRole creates a role trusting ECS, allowed ecs:DescribeInstances.
func (c *credsEnv) createRole(name string) {
	c.t.Helper()
	cr := ram.CreateCreateRoleRequest()
	cr.Domain = c.Host
	cr.RoleName, cr.AssumeRolePolicyDocument = name, ecsTrust
	if _, err := c.iam.ram.CreateRole(cr); err != nil {
		c.t.Fatal(err)
	}
	ar := ram.CreateAttachPolicyToRoleRequest()
	ar.Domain = c.Host
	ar.PolicyType, ar.PolicyName, ar.RoleName = "Custom", "DescribeOnly", name
	if _, err := c.iam.ram.AttachPolicyToRole(ar); err != nil {
		c.t.Fatal(err)
	}
}

func (c *credsEnv) deleteRole(name string) {
	c.t.Helper()
	dp := ram.CreateDetachPolicyFromRoleRequest()
	dp.Domain = c.Host
	dp.PolicyType, dp.PolicyName, dp.RoleName = "Custom", "DescribeOnly", name
	if _, err := c.iam.ram.DetachPolicyFromRole(dp); err != nil {
		c.t.Fatal(err)
	}
	dr := ram.CreateDeleteRoleRequest()
	dr.Domain = c.Host
	dr.RoleName = name
	if _, err := c.iam.ram.DeleteRole(dr); err != nil {
		c.t.Fatal(err)
	}
}

// runInstance runs an instance holding role through the SDK.
func (c *credsEnv) runInstance(role string) string {
	c.t.Helper()
	run := ecs.CreateRunInstancesRequest()
	run.Domain = c.Host
	run.RegionId, run.ImageId, run.InstanceType, run.RamRoleName = region, "img", "ecs.g7.large", role
	rr, err := c.ecs.RunInstances(run)
	if err != nil {
		c.t.Fatal(err)
	}
	return rr.InstanceIdSets.InstanceIdSet[0]
}

func (c *credsEnv) attach(id, role string) {
	c.t.Helper()
	at := ecs.CreateAttachInstanceRamRoleRequest()
	at.Domain = c.Host
	at.RegionId, at.InstanceIds, at.RamRoleName = region, `["`+id+`"]`, role
	if _, err := c.ecs.AttachInstanceRamRole(at); err != nil {
		c.t.Fatal(err)
	}
}

// creds asks for the instance's credentials as the metadata service
// does: the instance read from the store for this request.
func (c *credsEnv) creds(id string) (internalsts.InstanceCredentials, error) {
	c.t.Helper()
	insts, _, err := c.Store.FindInstances(context.Background(), localyun.InstanceFilter{AccountID: accountA, IDs: []string{id}})
	if err != nil {
		c.t.Fatal(err)
	}
	if len(insts) != 1 {
		return internalsts.InstanceCredentials{}, localyun.ErrNotFound
	}
	return c.srv.InstanceCredentials(context.Background(), insts[0])
}

// issue returns fresh credentials of the instance that expire two minutes
// from the machine's clock: issued with the server's clock set back,
// which it then returns to the machine's.
func (c *credsEnv) issue(id string) internalsts.InstanceCredentials {
	c.t.Helper()
	c.clock.Set(-internalsts.DefaultInstanceCredentialTTL + 2*time.Minute)
	defer c.clock.Set(0)
	cr, err := c.creds(id)
	if err != nil {
		c.t.Fatalf("InstanceCredentials(%s): %v", id, err)
	}
	return cr
}

// client is the SDK's ECS client on STS credentials.
func (c *credsEnv) client(cr internalsts.InstanceCredentials) *sdk.Client {
	c.t.Helper()
	sc, err := sdk.NewClientWithOptions(region, sdk.NewConfig(), credentials.NewStsTokenCredential(cr.AccessKeyID, cr.AccessKeySecret, cr.SecurityToken))
	if err != nil {
		c.t.Fatal(err)
	}
	sc.Domain = c.Host
	return sc
}

func (c *credsEnv) describe(sc *sdk.Client) error {
	di := ecs.CreateDescribeInstancesRequest()
	di.Domain = c.Host
	di.RegionId = region
	_, err := (&ecs.Client{Client: *sc}).DescribeInstances(di)
	return err
}

// TestInstanceCredentialsAuthorize checks that instance credentials are a
// session of the role: allowed what the role allows, denied the rest,
// shown by GetCallerIdentity as assumed-role/<role>/<instance id>.
func TestInstanceCredentialsAuthorize(t *testing.T) {
	c := newCredsEnv(t, server.RevocationTail)
	id := c.runInstance("EcsAppRole")
	cr, err := c.creds(id)
	if err != nil {
		t.Fatal(err)
	}
	if left := time.Until(cr.Expiration); left < 6*time.Hour-time.Minute || left > 6*time.Hour {
		t.Fatalf("Expiration %v: want 6 h from now", cr.Expiration)
	}
	if again, err := c.creds(id); err != nil || again != cr {
		t.Fatalf("asked again: %+v, %v; want the same credentials", again, err)
	}
	sc := c.client(cr)
	if err := c.describe(sc); err != nil {
		t.Fatalf("DescribeInstances (allowed): %v", err)
	}
	dr := ecs.CreateDescribeInstanceRamRoleRequest()
	dr.Domain = c.Host
	dr.RegionId, dr.InstanceIds = region, `["`+id+`"]`
	_, err = (&ecs.Client{Client: *sc}).DescribeInstanceRamRole(dr)
	serverError(t, err, "Forbidden.RAM", 403)

	gci := sts.CreateGetCallerIdentityRequest()
	gci.Domain, gci.Scheme = c.Host, "http"
	who, err := (&sts.Client{Client: *sc}).GetCallerIdentity(gci)
	if err != nil {
		t.Fatal(err)
	}
	role, err := c.Store.FindRoleByName(context.Background(), accountA, "EcsAppRole")
	if err != nil {
		t.Fatal(err)
	}
	if who.IdentityType != "AssumedRoleUser" || who.Arn != "acs:ram::"+accountA+":assumed-role/EcsAppRole/"+id ||
		who.PrincipalId != role.ID+":"+id || who.RoleId != role.ID || who.AccountId != accountA {
		t.Fatalf("GetCallerIdentity = %+v", who)
	}
}

// TestInstanceCredentialsRevocation checks, in both revocation modes,
// what becomes of held credentials once the instance loses their role
// through the SDK: the metadata path stops issuing them at once; strict
// refuses them on their next call as expired, tail lets them work until
// their Expiration.
func TestInstanceCredentialsRevocation(t *testing.T) {
	scenarios := []struct {
		name string
		// lose makes the instance lose EcsAppRole and returns whether it then
		// holds a role again (so that credentials are issued anew).
		lose func(c *credsEnv, id string) (reissued bool)
	}{
		{"DetachInstanceRamRole", func(c *credsEnv, id string) bool {
			if _, err := c.ecs.DetachInstanceRamRole(detachReq(c.env, id)); err != nil {
				c.t.Fatal(err)
			}
			return false
		}},
		{"DeleteInstance", func(c *credsEnv, id string) bool {
			del := ecs.CreateDeleteInstanceRequest()
			del.Domain = c.Host
			del.InstanceId, del.Force = id, "true"
			if _, err := c.ecs.DeleteInstance(del); err != nil {
				c.t.Fatal(err)
			}
			return false
		}},
		{"DeleteRole and CreateRole", func(c *credsEnv, id string) bool {
			c.deleteRole("EcsAppRole")
			if _, err := c.creds(id); !errors.Is(err, localyun.ErrNotFound) {
				c.t.Fatalf("role deleted: InstanceCredentials = %v, want ErrNotFound", err)
			}
			c.createRole("EcsAppRole")
			return true
		}},
		{"another role attached", func(c *credsEnv, id string) bool {
			if _, err := c.ecs.DetachInstanceRamRole(detachReq(c.env, id)); err != nil {
				c.t.Fatal(err)
			}
			c.attach(id, "OtherRole")
			return true
		}},
	}
	for _, mode := range []string{server.RevocationStrict, server.RevocationTail} {
		for _, sc := range scenarios {
			t.Run(mode+"/"+sc.name, func(t *testing.T) {
				c := newCredsEnv(t, mode)
				id := c.runInstance("EcsAppRole")
				held := c.issue(id)
				client := c.client(held)
				if err := c.describe(client); err != nil {
					t.Fatalf("before: %v", err)
				}
				reissued := sc.lose(c, id)
				next, err := c.creds(id)
				switch {
				case !reissued && !errors.Is(err, localyun.ErrNotFound):
					t.Fatalf("after: InstanceCredentials = %+v, %v; want ErrNotFound", next, err)
				case reissued && (err != nil || next.AccessKeyID == held.AccessKeyID):
					t.Fatalf("after: InstanceCredentials = %+v, %v; want new credentials", next, err)
				case reissued:
					if err := c.describe(c.client(next)); err != nil {
						t.Fatalf("the new credentials: %v", err)
					}
				}
				err = c.describe(client)
				if mode == server.RevocationStrict {
					serverError(t, err, "InvalidSecurityToken.Expired", 400)
					return
				}
				if err != nil {
					t.Fatalf("tail, before Expiration: %v", err)
				}
				c.clock.Set(time.Until(held.Expiration) + time.Second) // within the signature window
				serverError(t, c.describe(client), "InvalidSecurityToken.Expired", 400)
			})
		}
	}
}

// TestInstanceCredentialsTwoNodes checks, on two servers sharing one
// PostgreSQL database, that concurrent first requests on both nodes get
// one session, and that a detach through one node takes effect on the
// other at once: no more credentials, and strict refuses the held ones.
func TestInstanceCredentialsTwoNodes(t *testing.T) {
	if os.Getenv(backendEnv) != "postgres" {
		t.Skip("two nodes share a PostgreSQL database: runs in the postgres pass")
	}
	dsn := pgtest.NewDatabase(t)
	open := func() localyun.Store {
		st, err := postgres.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	a := newCredsEnvOn(t, open(), server.RevocationStrict, true)
	b := newCredsEnvOn(t, open(), server.RevocationStrict, false)
	id := a.runInstance("EcsAppRole")

	var got [2]internalsts.InstanceCredentials
	var errs [2]error
	var wg sync.WaitGroup
	for i, n := range []*credsEnv{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			insts, _, err := n.Store.FindInstances(context.Background(), localyun.InstanceFilter{AccountID: accountA, IDs: []string{id}})
			if err == nil && len(insts) == 1 {
				got[i], err = n.srv.InstanceCredentials(context.Background(), insts[0])
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	if errs[0] != nil || errs[1] != nil || got[0] != got[1] {
		t.Fatalf("concurrent first requests on two nodes: %+v, %v / %+v, %v; want one session", got[0], errs[0], got[1], errs[1])
	}
	onA, onB := a.client(got[0]), b.client(got[0])
	if err := b.describe(onB); err != nil {
		t.Fatal(err)
	}
	if _, err := b.ecs.DetachInstanceRamRole(detachReq(b.env, id)); err != nil {
		t.Fatal(err)
	}
	if _, err := a.creds(id); !errors.Is(err, localyun.ErrNotFound) {
		t.Fatalf("node A after the detach on B: %v, want ErrNotFound", err)
	}
	serverError(t, a.describe(onA), "InvalidSecurityToken.Expired", 400)
	serverError(t, b.describe(onB), "InvalidSecurityToken.Expired", 400)
}
