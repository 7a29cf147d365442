package metadata_test

import (
	"bufio"
	"fmt"
	"io"
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
	// refreshErr is in the error the provider reports when it refreshes
	// after the detach: what it prints of the server's answer.
	refreshErr string
}

var clientCases = []clientCase{
	// The default chain of credentials-go, as an app without any
	// configuration uses it: it reaches the IMDS provider, which takes a
	// token before every read. The instance requires tokens, so this
	// passes only in token mode. After the detach the token read of the
	// role listing gets 404, and the provider (ALIBABA_CLOUD_IMDSV1_DISABLED
	// unset) retries it without a token, which this instance answers 403:
	// the 403 is what it reports (helper.run checks the 404 itself).
	{"credentials-go-default-chain", instCGoToken, func(s *server) []string {
		return []string{"HTTP_PROXY=" + s.metadataURL(instCGoToken, false)}
	}, "get role name failed: GET http://100.100.100.200/latest/meta-data/ram/security-credentials/ 403"},
	// type ecs_ram_role with ALIBABA_CLOUD_IMDSV1_DISABLED=true: a failed
	// token PUT or read is fatal instead of retried without a token.
	{"credentials-go-imdsv1-disabled", instCGoV1Off, func(s *server) []string {
		return []string{"HTTP_PROXY=" + s.metadataURL(instCGoV1Off, false), "ALIBABA_CLOUD_IMDSV1_DISABLED=true"}
	}, "get role name failed: GET http://100.100.100.200/latest/meta-data/ram/security-credentials/ 404"},
	// The v1 SDK's NewClientWithEcsRamRole, whose provider (v1.63.107:
	// credentials.ECSRAMRoleCredentialsProvider) takes a token first and
	// reads the named role's path.
	{"sdk-v1-ecs-ram-role", instSDKV1, func(s *server) []string {
		return []string{"HTTP_PROXY=" + s.metadataURL(instSDKV1, false)}
	}, "refresh Ecs sts token err, httpStatus: 404"},
	// The default chain with ALIBABA_CLOUD_CREDENTIALS_URI, and the IMDS
	// provider off (else it would dial 100.100.100.200: no proxy here).
	// The provider prints the body of a failed answer, not its status.
	{"credentials-go-uri", instURI, func(s *server) []string {
		return []string{"ALIBABA_CLOUD_CREDENTIALS_URI=" + s.metadataURL(instURI, true), "ALIBABA_CLOUD_ECS_METADATA_DISABLED=true"}
	}, "failed: Instance " + instURI + " has no RAM role attached."},
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
	for _, backend := range []string{"sqlite", postgresBackend} {
		t.Run(backend, func(t *testing.T) { testClients(t) })
	}
}

// testClients is TestClients on the backend its test name holds.
func testClients(t *testing.T) {
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

// TestSDKV1TokenModeOnTokensRequired: in v1.63.107 the v1 SDK's
// NewClientWithEcsRamRole (services/ecs, sdk) builds its credentials
// through auth.ToCredentialsProvider, that is
// credentials.NewECSRAMRoleCredentialsProvider, which PUTs a metadata
// token before each read: it works on an instance with
// HttpTokens=required.
func TestSDKV1TokenModeOnTokensRequired(t *testing.T) {
	if os.Getenv(clientEnvVar) != "" {
		t.Skip("in a client process")
	}
	s := startServer(t, "tail", issueOffset)
	runHelperCase(t, s, "sdk-v1-tokens-required", instSDKV1Req)
}

// TestSDKV1LegacySignerIMDSv1Only: the v1 SDK's legacy
// signers.EcsRamRoleSigner (auth.NewSignerWithCredential of an
// EcsRamRoleCredential; deprecated, no client of v1.63.107 uses it, apps
// still may) reads the role path without a token: an instance with
// HttpTokens=required refuses it 403, one with optional tokens serves the
// same request.
func TestSDKV1LegacySignerIMDSv1Only(t *testing.T) {
	if os.Getenv(clientEnvVar) != "" {
		t.Skip("in a client process")
	}
	s := startServer(t, "tail", issueOffset)
	runHelperCase(t, s, "sdk-v1-legacy-signer", instSDKV1Req, "LOCALYUN_TEST_WANT=403")
	runHelperCase(t, s, "sdk-v1-legacy-signer", instSDKV1, "LOCALYUN_TEST_WANT=200")
}

// runHelperCase runs TestClientHelper as client, with HTTP_PROXY naming
// instance inst of s, and fails with its log unless it passes.
func runHelperCase(t *testing.T, s *server, client, inst string, extra ...string) {
	t.Helper()
	c := startChild(t, client, clientEnv(t, s, inst, s.revoke, append(extra, "HTTP_PROXY="+s.metadataURL(inst, false))...))
	if err := c.wait(); err != nil {
		t.Fatalf("%s as %s: %v\n%s\nserver:\n%s", client, inst, err, c.log, s.stderr)
	}
	t.Logf("%s as %s:\n%s", client, inst, c.log)
}

// clientEnv is the environment of a client process for instance inst of
// server s. There is no NO_PROXY: the v1 SDK and the Tea clients read
// HTTP_PROXY themselves and, unlike Go's transport, send their loopback
// API calls through it too, which the server serves as its own (see
// TestAPIThroughProxy).
func clientEnv(t *testing.T, s *server, inst, revoke string, extra ...string) []string {
	return helperEnv(t, append([]string{"LOCALYUN_TEST_API=" + s.addr,
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
		if _, err = c.DescribeInstances(h.describeInstances()); err != nil {
			t.Fatalf("NewClientWithEcsRamRole on an instance with HttpTokens=required: %v, want it served (token mode)", err)
		}
	case "sdk-v1-legacy-signer":
		h.legacySigner()
	case "api-through-proxy":
		h.apiThroughProxy()
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
	h.checkRoleGone()
	if _, err := a.refresh(); err == nil || !strings.Contains(err.Error(), h.refreshErr()) {
		t.Fatalf("the provider's refresh after the detach: %v, want an error with %q", err, h.refreshErr())
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

// sdkV1 is the app of the v1 SDK's NewClientWithEcsRamRole. In v1.63.107
// that client's credentials come from
// credentials.NewECSRAMRoleCredentialsProvider(role) (auth.ToCredentialsProvider),
// which fetches again whenever 180 s or less are left by the client's
// clock, and under issueOffset that is every call: after the detach the
// client's own calls fail on that refresh (its 404) before any request is
// sent, so they cannot show what the server does with credentials already
// issued. held signs with the credentials a provider of the same type
// returned before the detach (the client's own, the server gives an
// instance the same ones within the rotation period, which refresh
// checks), so the server's answer to them is what the test sees.
func (h *helper) sdkV1() app {
	t := h.t
	c, err := sdkecs.NewClientWithEcsRamRole(region, appRole)
	if err != nil {
		t.Fatal(err)
	}
	c.Domain = h.api
	p := sdkcreds.NewECSRAMRoleCredentialsProvider(appRole)
	first, err := p.GetCredentials()
	if err != nil || !strings.HasPrefix(first.AccessKeyId, "STS.") || first.SecurityToken == "" {
		t.Fatalf("the v1 ECS RAM role provider: %+v, %v; want an STS session", first, err)
	}
	held := ecsClientWith(t, h.api, sdkcreds.NewStsTokenCredential(first.AccessKeyId, first.AccessKeySecret, first.SecurityToken))
	return app{
		call: h.v1Call(c),
		held: h.v1Call(held),
		refresh: func() (string, error) {
			cc, err := p.GetCredentials()
			if err != nil {
				return "", err
			}
			return cc.AccessKeyId, nil
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
		firstAK: first.AccessKeyId,
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

// refreshErr is what the helper's client case reports on a refresh after
// the detach (clientCase.refreshErr).
func (h *helper) refreshErr() string {
	for _, tc := range clientCases {
		if tc.name == os.Getenv(clientEnvVar) {
			return tc.refreshErr
		}
	}
	h.t.Fatalf("no client case %s", os.Getenv(clientEnvVar))
	return ""
}

// checkRoleGone reads, as the helper's instance, what its provider reads,
// and wants 404 at once after the detach: the credentials URI, or (through
// HTTP_PROXY, with a token) the role listing and the role's path.
func (h *helper) checkRoleGone() {
	t := h.t
	get := func(method, u string, header map[string]string) (int, string) {
		req, err := http.NewRequest(method, u, nil)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range header {
			req.Header.Set(k, v)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, u, err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(body)
	}
	if uri := os.Getenv("ALIBABA_CLOUD_CREDENTIALS_URI"); uri != "" {
		if status, body := get("GET", uri, nil); status != http.StatusNotFound {
			t.Fatalf("the credentials URI after the detach: %d %q, want 404", status, body)
		}
		return
	}
	status, tok := get("PUT", "http://100.100.100.200/latest/api/token", map[string]string{"X-aliyun-ecs-metadata-token-ttl-seconds": "60"})
	if status != http.StatusOK {
		t.Fatalf("PUT the metadata token: %d %q", status, tok)
	}
	for _, path := range []string{"", appRole} {
		u := "http://100.100.100.200/latest/meta-data/ram/security-credentials/" + path
		if status, body := get("GET", u, map[string]string{"X-aliyun-ecs-metadata-token": tok}); status != http.StatusNotFound {
			t.Fatalf("GET %s with a token after the detach: %d %q, want 404", u, status, body)
		}
	}
}

// legacySigner: the v1 SDK's deprecated signers.EcsRamRoleSigner, made
// the way an app still can (auth.NewSignerWithCredential), reads the role
// path with no token (through Go's default transport, so HTTP_PROXY):
// LOCALYUN_TEST_WANT=403 on an instance with HttpTokens=required, 200 (the
// role's STS credentials) on one with optional tokens.
func (h *helper) legacySigner() {
	t := h.t
	signer, err := auth.NewSignerWithCredential(sdkcreds.NewEcsRamRoleCredential(appRole), nil)
	if err != nil {
		t.Fatal(err)
	}
	ak, err := signer.GetAccessKeyId()
	switch status, _ := apiError(err); os.Getenv("LOCALYUN_TEST_WANT") {
	case "403":
		if status != http.StatusForbidden {
			t.Fatalf("the legacy ECS RAM role signer on an instance with HttpTokens=required: %q, %v; want 403", ak, err)
		}
		t.Logf("refused as it should be: %v", err)
	case "200":
		if err != nil || !strings.HasPrefix(ak, "STS.") {
			t.Fatalf("the legacy ECS RAM role signer on an instance with optional tokens: %q, %v; want an STS AccessKeyId", ak, err)
		}
	default:
		t.Fatalf("LOCALYUN_TEST_WANT=%q", os.Getenv("LOCALYUN_TEST_WANT"))
	}
}

// TestAPIThroughProxy: an app run with only HTTP_PROXY=$(localyun
// metadata-url ...) (no NO_PROXY) makes its API calls with the v1 SDK and
// a Tea client, which both send them through the proxy even to loopback:
// the server serves those addressed to itself, and still refuses 403 one
// for another host (which, through the proxy, is never resolved or
// dialled).
func TestAPIThroughProxy(t *testing.T) {
	if os.Getenv(clientEnvVar) != "" {
		t.Skip("in a client process")
	}
	s := startServer(t, "tail", issueOffset)
	runHelperCase(t, s, "api-through-proxy", instWire)
}

// apiThroughProxy is the client side of TestAPIThroughProxy.
func (h *helper) apiThroughProxy() {
	t := h.t
	if os.Getenv("NO_PROXY") != "" || os.Getenv("no_proxy") != "" || os.Getenv("HTTP_PROXY") == "" {
		t.Fatal("want HTTP_PROXY and no NO_PROXY")
	}
	_, port, _ := strings.Cut(h.api, ":")
	other := "api.localyun.invalid:" + port
	for _, addr := range []string{h.api, "localhost:" + port, other} {
		_, err := ecsClient(t, addr, rootKey, rootSecret).DescribeInstances(h.describeInstances())
		tc, terr := ecs7.NewClient(&openapi.Config{AccessKeyId: dara.String(rootKey), AccessKeySecret: dara.String(rootSecret),
			Endpoint: dara.String(addr), Protocol: dara.String("http"), RegionId: dara.String(region)})
		if terr == nil {
			_, terr = tc.DescribeInstances(&ecs7.DescribeInstancesRequest{RegionId: dara.String(region)})
		}
		if addr != other {
			if err != nil || terr != nil {
				t.Fatalf("DescribeInstances at %s through HTTP_PROXY: v1 SDK %v; Tea %v; want both served", addr, err, terr)
			}
			continue
		}
		const refusal = "Forbidden: localyun proxies only http://100.100.100.200/"
		if status, _ := apiError(err); status != http.StatusForbidden || !strings.Contains(err.Error(), refusal) {
			t.Errorf("v1 SDK at %s through HTTP_PROXY: %v, want the proxy's 403 %q", addr, err, refusal)
		}
		// The Tea client reads any answer of 400 or more as a JSON error
		// envelope and reports only that the proxy's plain-text 403
		// ("Forbidden: ...") is not JSON; a name it had resolved itself
		// would fail with "no such host" instead.
		if terr == nil || !strings.Contains(terr.Error(), "invalid character 'F' looking for beginning of value") {
			t.Errorf("Tea client at %s through HTTP_PROXY: %v, want its failure to parse the proxy's text 403", addr, terr)
		}
		t.Logf("another host: v1 SDK %v; Tea %v", err, terr)
	}
}
