package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"

	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	sdkecs "github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
)

// explainBinary runs `localyun explain args...` of the built binary with
// the credentials in the environment, as `localyun env` prints them.
func explainBinary(t *testing.T, endpoint, key, secret string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(mustBuild(t), append([]string{"explain"}, args...)...)
	cmd.Env = append(os.Environ(), "LOCALYUN_ENDPOINT="+endpoint, "ALIBABA_CLOUD_ACCESS_KEY_ID="+key,
		"ALIBABA_CLOUD_ACCESS_KEY_SECRET="+secret, "ALIBABA_CLOUD_SECURITY_TOKEN=")
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return code, out.String(), errOut.String()
}

// TestExplainCLI runs `localyun explain` against a `serve --demo` process:
// alice (ECS read-only) may describe but not detach web-1's role, and the
// CLI names the statement and the PassRole step; a denial's message
// decodes; bad command lines exit 2, API errors 1.
func TestExplainCLI(t *testing.T) {
	t.Setenv("LOCALYUN_DEMO", "true")
	p := mustServe(t, t.TempDir(), "")
	ep := "http://" + p.addr
	const inst = "i-bp1demo000000000001"
	arn := "acs:ecs:cn-hangzhou:" + demoAccountID + ":instance/" + inst

	code, out, errOut := explainBinary(t, ep, demoKeyID, demoKeySecret, "access", "--user", "alice", "--action", "ecs:DescribeInstances", "--resource", arn)
	if code != 0 || !strings.Contains(out, ": Allowed") ||
		!strings.Contains(out, "DECIDED BY Allow statement 0 of AliyunECSReadOnlyAccess (System, v1, via User)") {
		t.Fatalf("explain access describe: %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = explainBinary(t, ep, demoKeyID, demoKeySecret, "access", "--user", "alice", "--action", "ecs:DetachInstanceRamRole", "--resource", arn)
	if code != 0 || !strings.Contains(out, ": ImplicitDeny (AccountLevelIdentityBasedPolicy)") || !strings.Contains(out, "no Allow statement covers: "+arn) ||
		!strings.Contains(out, "PassRole step (role EcsAppRole)") || !strings.Contains(out, "=> the request is denied") {
		t.Fatalf("explain access detach: %d\n%s%s", code, out, errOut)
	}

	code, out, errOut = explainBinary(t, ep, demoKeyID, demoKeySecret, "instance", "--instance", inst, "--json")
	var in struct {
		RamRoleName string
		Role        struct {
			TrustsEcs bool
			Policies  []struct{ PolicyName, Attachment string }
		}
	}
	if code != 0 || json.Unmarshal([]byte(out), &in) != nil || in.RamRoleName != "EcsAppRole" || !in.Role.TrustsEcs ||
		len(in.Role.Policies) != 1 || in.Role.Policies[0].PolicyName != "AliyunECSReadOnlyAccess" || in.Role.Policies[0].Attachment != "Role" {
		t.Fatalf("explain instance --json: %d %+v\n%s%s", code, in, out, errOut)
	}

	// alice's denied detach, decoded by the account's root.
	req := sdkecs.CreateDetachInstanceRamRoleRequest()
	req.RegionId, req.InstanceIds = "cn-hangzhou", `["`+inst+`"]`
	_, err := p.ecs(t, "LTAI5tDemoAliceKey001", "demoAliceSecret000000000000001").DetachInstanceRamRole(req)
	var se *sdkerrors.ServerError
	if !errors.As(err, &se) || se.AccessDeniedDetail()["EncodedDiagnosticMessage"] == nil {
		t.Fatalf("alice's detach: %v", err)
	}
	encoded, _ := se.AccessDeniedDetail()["EncodedDiagnosticMessage"].(string)
	code, out, errOut = explainBinary(t, ep, demoKeyID, demoKeySecret, "decode", encoded)
	if code != 0 || !strings.Contains(out, "alice (SubUser) denied ecs:DetachInstanceRamRole on "+arn+": ImplicitDeny") {
		t.Fatalf("explain decode: %d\n%s%s", code, out, errOut)
	}

	for _, tt := range []struct {
		args      []string
		key, code int
		want      string
	}{
		{[]string{"access", "--user", "alice"}, 0, 2, "missing --action"},
		{[]string{"nope"}, 0, 2, `unknown subcommand "nope"`},
		{[]string{"decode"}, 0, 2, "want one argument"},
		{[]string{"access", "--user", "nobody", "--action", "ecs:DescribeInstances"}, 0, 1, "EntityNotExist.User"},
		{[]string{"decode", "bm90IGEgbWVzc2FnZQ=="}, 0, 1, "InvalidParameter.EncodedDiagnosticMessage"},
		{[]string{"instance", "--instance", inst}, 1, 1, "InvalidAccessKeyId.NotFound"},
	} {
		key := demoKeyID
		if tt.key == 1 {
			key = "LTAI5tNoSuchKey00001"
		}
		code, out, errOut := explainBinary(t, ep, key, demoKeySecret, tt.args...)
		if code != tt.code || !strings.Contains(errOut, tt.want) {
			t.Errorf("explain %v: exit %d, want %d; stderr %q (want %q), stdout %q", tt.args, code, tt.code, errOut, tt.want, out)
		}
	}
}

// TestExplainRegion: host and user send RegionId only when --region gives
// it; instance keeps its default.
func TestExplainRegion(t *testing.T) {
	var got []url.Values
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		got = append(got, r.PostForm)
		w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	env := func(string) string { return "" }
	for _, tt := range []struct {
		args []string
		want string // RegionId sent, "-" for none
	}{
		{[]string{"host", "--instance", "bastionhost-x", "--host", "1"}, "-"},
		{[]string{"host", "--instance", "bastionhost-x", "--host", "1", "--region", "cn-shanghai"}, "cn-shanghai"},
		{[]string{"user", "--instance", "bastionhost-x", "--user-id", "1"}, "-"},
		{[]string{"user", "--instance", "bastionhost-x", "--user-id", "1", "--region", "cn-beijing"}, "cn-beijing"},
		{[]string{"user", "--ram-user", "alice"}, "-"},
		{[]string{"instance", "--instance", "i-x"}, "cn-hangzhou"},
		{[]string{"instance", "--instance", "i-x", "--region", "cn-shanghai"}, "cn-shanghai"},
	} {
		got = nil
		args := append(tt.args, "--json", "--endpoint", srv.URL, "--access-key-id", "k", "--access-key-secret", "s")
		if err := explainCommand(context.Background(), args, env, nil, io.Discard, io.Discard); err != nil || len(got) != 1 {
			t.Fatalf("%v: %v (%d requests)", tt.args, err, len(got))
		}
		region := "-"
		if v, ok := got[0]["RegionId"]; ok {
			region = v[0]
		}
		if region != tt.want {
			t.Errorf("%v sent RegionId %q, want %q", tt.args, region, tt.want)
		}
	}
}
