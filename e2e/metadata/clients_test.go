package metadata_test

import (
	"bufio"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"

	openapi "github.com/alibabacloud-go/darabonba-openapi/v2/client"
	ecs7 "github.com/alibabacloud-go/ecs-20140526/v7/client"
	"github.com/alibabacloud-go/tea/dara"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth"
	sdkcreds "github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	sdkecs "github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	sdksts "github.com/aliyun/alibaba-cloud-sdk-go/services/sts"
	"github.com/aliyun/credentials-go/credentials"
)

// A client case: the provider run in the helper process, the instance it
// acts as, and its environment beyond helperEnv's.
type clientCase struct {
	name string
	inst string
	env  func(s *server) []string
}

var clientCases = []clientCase{
	// The default chain of credentials-go, as an app without any
	// configuration uses it: it reaches the IMDS provider, which takes a
	// token before every read. The instance requires tokens, so this
	// passes only in token mode.
	{"credentials-go-default-chain", instCGoToken, func(s *server) []string {
		return []string{"HTTP_PROXY=" + s.metadataURL(instCGoToken, false)}
	}},
	// type ecs_ram_role with ALIBABA_CLOUD_IMDSV1_DISABLED=true: a failed
	// token PUT is fatal instead of falling back to IMDSv1.
	{"credentials-go-imdsv1-disabled", instCGoV1Off, func(s *server) []string {
		return []string{"HTTP_PROXY=" + s.metadataURL(instCGoV1Off, false), "ALIBABA_CLOUD_IMDSV1_DISABLED=true"}
	}},
	// The v1 SDK's legacy NewClientWithEcsRamRole: IMDSv1 only.
	{"sdk-v1-ecs-ram-role", instSDKV1, func(s *server) []string {
		return []string{"HTTP_PROXY=" + s.metadataURL(instSDKV1, false)}
	}},
	// The default chain with ALIBABA_CLOUD_CREDENTIALS_URI, and the IMDS
	// provider off (else it would dial 100.100.100.200: no proxy here).
	{"credentials-go-uri", instURI, func(s *server) []string {
		return []string{"ALIBABA_CLOUD_CREDENTIALS_URI=" + s.metadataURL(instURI, true), "ALIBABA_CLOUD_ECS_METADATA_DISABLED=true"}
	}},
}

// TestClients runs each unmodified provider against a server of its own,
// under --revocation tail and strict: the provider gets AppRole's
// credentials, the app calls an allowed ECS action (200) and a denied one
// (403); the role is detached; the provider's next refresh fails; the held
// credentials are refused at once (strict) or keep working until they
// expire (tail: the server restarts with its clock past their Expiration).
func TestClients(t *testing.T) {
	if os.Getenv(clientEnvVar) != "" {
		t.Skip("in a client process")
	}
	for _, revoke := range []string{"tail", "strict"} {
		t.Run(revoke, func(t *testing.T) {
			for _, tc := range clientCases {
				t.Run(tc.name, func(t *testing.T) {
					s := startServer(t, revoke, issueOffset)
					c := startChild(t, tc.name, clientEnv(t, s, tc.inst, revoke, tc.env(s)...))
					if revoke == "tail" {
						if !c.until("expire") {
							t.Fatalf("the client ended before its held credentials could expire: %v\n%s", c.wait(), c.log)
						}
						s.restart(expiredOffset)
						c.resume()
					}
					if err := c.wait(); err != nil {
						t.Fatalf("client %s: %v\n%s\nserver:\n%s", tc.name, err, c.log, s.stderr)
					}
					t.Logf("client %s:\n%s", tc.name, c.log)
				})
			}
		})
	}
}

// TestSDKV1RequiresIMDSv1 shows the v1 SDK's NewClientWithEcsRamRole,
// which never takes a token, refused by an instance with
// HttpTokens=required.
func TestSDKV1RequiresIMDSv1(t *testing.T) {
	if os.Getenv(clientEnvVar) != "" {
		t.Skip("in a client process")
	}
	s := startServer(t, "tail", issueOffset)
	c := startChild(t, "sdk-v1-tokens-required", clientEnv(t, s, instSDKV1Req, "tail",
		"HTTP_PROXY="+s.metadataURL(instSDKV1Req, false)))
	if err := c.wait(); err != nil {
		t.Fatalf("%v\n%s\nserver:\n%s", err, c.log, s.stderr)
	}
}

// clientEnv is the environment of a client process for instance inst of
// server s. NO_PROXY names the API endpoint: the v1 SDK and the Tea
// clients read HTTP_PROXY themselves and, unlike Go's transport, send
// loopback calls through it too.
func clientEnv(t *testing.T, s *server, inst, revoke string, extra ...string) []string {
	return helperEnv(t, append([]string{"NO_PROXY=" + s.addr, "LOCALYUN_TEST_API=" + s.addr,
		"LOCALYUN_TEST_INSTANCE=" + inst, "LOCALYUN_TEST_REVOCATION=" + revoke}, extra...)...)
}

// TestClientHelper is the client side of TestClients, run by it in a
// process of its own.
func TestClientHelper(t *testing.T) {
	client := os.Getenv(clientEnvVar)
	if client == "" {
		t.Skip("run by TestClients in a process of its own")
	}
	h := &helper{t: t, api: os.Getenv("LOCALYUN_TEST_API"), inst: os.Getenv("LOCALYUN_TEST_INSTANCE"),
		revoke: os.Getenv("LOCALYUN_TEST_REVOCATION")}
	switch client {
	case "credentials-go-default-chain", "credentials-go-uri":
		cred, err := credentials.NewCredential(nil)
		if err != nil {
			t.Fatal(err)
		}
		h.run(h.credentialsGo(cred))
	case "credentials-go-imdsv1-disabled":
		cred, err := credentials.NewCredential(&credentials.Config{Type: dara.String("ecs_ram_role")})
		if err != nil {
			t.Fatal(err)
		}
		h.run(h.credentialsGo(cred))
	case "sdk-v1-ecs-ram-role":
		h.run(h.sdkV1())
	case "sdk-v1-tokens-required":
		c, err := sdkecs.NewClientWithEcsRamRole(region, appRole)
		if err != nil {
			t.Fatal(err)
		}
		c.Domain = h.api
		_, err = c.DescribeInstances(h.describeInstances())
		if err == nil || !strings.Contains(err.Error(), "403") {
			t.Fatalf("NewClientWithEcsRamRole on an instance with HttpTokens=required: %v, want the 403 of a token-less read", err)
		}
		t.Logf("refused as it should be: %v", err)
	default:
		t.Fatalf("unknown client %q", client)
	}
}

// helper drives one client in the helper process.
type helper struct {
	t                 *testing.T
	api, inst, revoke string
}

// app is what helper.run needs of a client.
type app struct {
	// call runs an ECS action with the app's own client, wired to the
	// provider (which refreshes as it sees fit).
	call func(action string) error
	// held runs an ECS action with the credentials the provider first
	// returned.
	held func(action string) error
	// refresh makes the provider fetch credentials again and returns
	// their AccessKeyId ("" when the client does not show it).
	refresh func() (string, error)
	// identity is the caller ARN of the credentials, by GetCallerIdentity.
	identity func() (string, error)
	firstAK  string
}

const (
	allowed = "DescribeInstances"       // in AppRole's policy
	denied  = "DescribeInstanceRamRole" // not in it
)

// run is the scenario every client goes through.
func (h *helper) run(a app) {
	t := h.t
	if err := a.call(allowed); err != nil {
		t.Fatalf("%s with the provider's credentials: %v", allowed, err)
	}
	if status, code := apiError(a.call(denied)); status != http.StatusForbidden || code != "Forbidden.RAM" {
		t.Fatalf("%s (not in the role's policy): %d %s, want 403 Forbidden.RAM", denied, status, code)
	}
	arn, err := a.identity()
	if want := "acs:ram::" + accountA + ":assumed-role/" + appRole + "/"; err != nil || !strings.HasPrefix(arn, want) {
		t.Fatalf("GetCallerIdentity: %q, %v; want an ARN starting %s", arn, err, want)
	}
	if ak, err := a.refresh(); err != nil || ak != a.firstAK {
		t.Fatalf("a refresh within the rotation period: %q, %v; want the same credentials %q", ak, err, a.firstAK)
	}
	t.Logf("%s: %s as %s", h.inst, a.firstAK, arn)

	h.detach()
	if _, err := a.refresh(); err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("the provider's refresh after the detach: %v, want the 404 of the role path", err)
	}
	err = a.held(allowed)
	switch status, code := apiError(err); {
	case h.revoke == "strict" && (status != http.StatusBadRequest || !strings.HasPrefix(code, "InvalidSecurityToken.")):
		t.Fatalf("held credentials after the detach (strict): %v, want 400 InvalidSecurityToken.*", err)
	case h.revoke == "tail" && err != nil:
		t.Fatalf("held credentials after the detach (tail): %v, want them valid until Expiration", err)
	}
	if h.revoke != "tail" {
		return
	}
	h.step("expire")
	status, code := apiError(a.held(allowed))
	if status != http.StatusBadRequest || code != "InvalidSecurityToken.Expired" {
		t.Fatalf("held credentials past Expiration (tail): %d %s, want 400 InvalidSecurityToken.Expired", status, code)
	}
}

// credentialsGo is the app of a credentials-go Credential: the Tea ECS
// client takes the credential itself; the held credentials sign v1 SDK
// calls.
func (h *helper) credentialsGo(cred credentials.Credential) app {
	t := h.t
	first, err := cred.GetCredential()
	if err != nil {
		t.Fatalf("GetCredential: %v", err)
	}
	ak := dara.StringValue(first.AccessKeyId)
	if !strings.HasPrefix(ak, "STS.") || dara.StringValue(first.SecurityToken) == "" {
		t.Fatalf("credentials %s from %s: want an STS session", ak, dara.StringValue(first.ProviderName))
	}
	t.Logf("provider %s", dara.StringValue(first.ProviderName))
	tc, err := ecs7.NewClient(&openapi.Config{Credential: cred, Endpoint: dara.String(h.api),
		Protocol: dara.String("http"), RegionId: dara.String(region)})
	if err != nil {
		t.Fatal(err)
	}
	sts := sdkcreds.NewStsTokenCredential(ak, dara.StringValue(first.AccessKeySecret), dara.StringValue(first.SecurityToken))
	held := ecsClientWith(t, h.api, sts)
	return app{
		call: func(action string) error {
			if action == allowed {
				_, err := tc.DescribeInstances(&ecs7.DescribeInstancesRequest{RegionId: dara.String(region)})
				return err
			}
			_, err := tc.DescribeInstanceRamRole(&ecs7.DescribeInstanceRamRoleRequest{RegionId: dara.String(region),
				InstanceIds: dara.String(`["` + h.inst + `"]`)})
			return err
		},
		held: h.v1Call(held),
		refresh: func() (string, error) {
			m, err := cred.GetCredential()
			if err != nil {
				return "", err
			}
			return dara.StringValue(m.AccessKeyId), nil
		},
		identity: func() (string, error) {
			c, err := sdksts.NewClientWithOptions(region, sdk.NewConfig().WithAutoRetry(false), sts)
			if err != nil {
				return "", err
			}
			c.Domain = h.api
			res, err := c.GetCallerIdentity(sdksts.CreateGetCallerIdentityRequest())
			if err != nil {
				return "", err
			}
			return res.Arn, nil
		},
		firstAK: ak,
	}
}

// sdkV1 is the app of the v1 SDK's NewClientWithEcsRamRole. Its signer
// fetches again only after 95% of the credentials' lifetime by its own
// clock, so the client keeps the credentials it holds (held is the same
// client), and a refresh is a new client's first call.
func (h *helper) sdkV1() app {
	newClient := func() (*sdkecs.Client, error) {
		c, err := sdkecs.NewClientWithEcsRamRole(region, appRole)
		if err == nil {
			c.Domain = h.api
		}
		return c, err
	}
	c, err := newClient()
	if err != nil {
		h.t.Fatal(err)
	}
	call := h.v1Call(c)
	return app{
		call: call,
		held: call,
		refresh: func() (string, error) {
			c, err := newClient()
			if err != nil {
				return "", err
			}
			_, err = c.DescribeInstances(h.describeInstances())
			return "", err
		},
		identity: func() (string, error) {
			c, err := sdksts.NewClientWithEcsRamRole(region, appRole)
			if err != nil {
				return "", err
			}
			c.Domain = h.api
			res, err := c.GetCallerIdentity(sdksts.CreateGetCallerIdentityRequest())
			if err != nil {
				return "", err
			}
			return res.Arn, nil
		},
	}
}

// v1Call runs the allowed or the denied action with a v1 SDK client.
func (h *helper) v1Call(c *sdkecs.Client) func(string) error {
	return func(action string) error {
		if action == allowed {
			_, err := c.DescribeInstances(h.describeInstances())
			return err
		}
		req := sdkecs.CreateDescribeInstanceRamRoleRequest()
		req.RegionId, req.InstanceIds = region, `["`+h.inst+`"]`
		_, err := c.DescribeInstanceRamRole(req)
		return err
	}
}

func (h *helper) describeInstances() *sdkecs.DescribeInstancesRequest {
	req := sdkecs.CreateDescribeInstancesRequest()
	req.RegionId = region
	return req
}

func ecsClientWith(tb testing.TB, addr string, cred auth.Credential) *sdkecs.Client {
	tb.Helper()
	c, err := sdkecs.NewClientWithOptions(region, sdk.NewConfig().WithAutoRetry(false), cred)
	if err != nil {
		tb.Fatal(err)
	}
	c.Domain = addr
	return c
}

// detach detaches the helper's instance role as account A's root, through
// the v1 SDK.
func (h *helper) detach() {
	h.t.Helper()
	req := sdkecs.CreateDetachInstanceRamRoleRequest()
	req.RegionId, req.InstanceIds, req.RamRoleName = region, `["`+h.inst+`"]`, appRole
	res, err := ecsClient(h.t, h.api, rootKey, rootSecret).DetachInstanceRamRole(req)
	if err != nil {
		h.t.Fatalf("DetachInstanceRamRole: %v", err)
	}
	if r := res.DetachInstanceRamRoleResults.DetachInstanceRamRoleResult; res.FailCount != 0 || len(r) != 1 || !r[0].Success {
		h.t.Fatalf("DetachInstanceRamRole: %+v", res)
	}
}

// step tells the parent that the helper reached name and waits for it to
// answer on stdin.
func (h *helper) step(name string) {
	fmt.Printf("\n%s%s\n", stepPrefix, name)
	if !bufio.NewScanner(os.Stdin).Scan() {
		h.t.Fatalf("no answer from the parent at step %s", name)
	}
}
