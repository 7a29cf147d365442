package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestEnvCommand(t *testing.T) {
	dir := t.TempDir()
	creds := "account_id = 1234567890123456\naccess_key_id = LTAI5tEnvKey000000001\naccess_key_secret = envsecret'0001\n"
	if err := os.WriteFile(filepath.Join(dir, "credentials"), []byte(creds), 0o600); err != nil {
		t.Fatal(err)
	}
	ca := filepath.Join(dir, caCertName)
	getenv := func(k string) string {
		return map[string]string{"LOCALYUN_DATA_DIR": dir, "LOCALYUN_TLS_ADDR": "0.0.0.0:9443"}[k]
	}
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"env"}, getenv, &out, &errOut); err != nil {
		t.Fatalf("env: %v\n%s", err, errOut.String())
	}
	got := out.String()
	for _, want := range []string{
		"export ALIBABA_CLOUD_ACCESS_KEY_ID=LTAI5tEnvKey000000001\n",
		`export ALIBABA_CLOUD_ACCESS_KEY_SECRET='envsecret'\''0001'` + "\n",
		"export ALIBABA_CLOUD_REGION_ID=cn-hangzhou",
		"export ALIBABA_CLOUD_REGION=cn-hangzhou",
		"export SSL_CERT_FILE=" + ca,
		"export NODE_EXTRA_CA_CERTS=" + ca,
		"does not exist yet", // the CA: no server ran in dir
		"export ALIBABA_CLOUD_ENDPOINT_STS=127.0.0.1:9443\n",
		"export ALIBABA_CLOUD_ENDPOINT_YUNDUN_BASTIONHOST=127.0.0.1:9443\n",
		"#   aliyun configure set --profile localyun --mode AK --access-key-id LTAI5tEnvKey000000001",
		"#   provider \"alicloud\" {",
		"#       bastionhost = \"127.0.0.1:9443\"",
		"Config.STSEndpoint = \"127.0.0.1:9443\"",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("env output lacks %q", want)
		}
	}
	for _, l := range strings.Split(strings.TrimSpace(got), "\n") {
		if !strings.HasPrefix(l, "#") && !strings.HasPrefix(l, "export ") {
			t.Errorf("line %q is neither a comment nor an export: the output cannot be evaluated", l)
		}
	}
	if sh, err := exec.LookPath("sh"); err == nil {
		cmd := exec.Command(sh, "-c", `eval "$(cat)"; printf '%s|%s' "$ALIBABA_CLOUD_ACCESS_KEY_SECRET" "$ALIBABA_CLOUD_ENDPOINT_ECS"`)
		cmd.Stdin = strings.NewReader(got)
		b, err := cmd.Output()
		if err != nil || string(b) != "envsecret'0001|127.0.0.1:9443" {
			t.Errorf("eval in sh: %q, %v", b, err)
		}
	}

	// HTTPS off: plain endpoints, no CA; no credentials file: a hint.
	out.Reset()
	if err := run(context.Background(), []string{"env", "--tls-addr", "off", "--data-dir", t.TempDir(), "--addr", "127.0.0.1:9080", "--format", "fish"},
		func(string) string { return "" }, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	got = out.String()
	for _, bad := range []string{"SSL_CERT_FILE", "set -gx ALIBABA_CLOUD_ACCESS_KEY_ID"} {
		if strings.Contains(got, bad) {
			t.Errorf("--tls-addr off, no credentials: output has %q:\n%s", bad, got)
		}
	}
	for _, want := range []string{"set -gx ALIBABA_CLOUD_ENDPOINT_ECS 127.0.0.1:9080", "no generated AccessKey", `protocol = "HTTP"`, "cannot reach this server"} {
		if !strings.Contains(got, want) {
			t.Errorf("--tls-addr off: output lacks %q:\n%s", want, got)
		}
	}
}

func TestEnvHelpAndErrors(t *testing.T) {
	var out, errOut bytes.Buffer
	for _, h := range []string{"-h", "--help"} {
		errOut.Reset()
		if err := run(context.Background(), []string{"env", h}, func(string) string { return "" }, &out, &errOut); err != nil {
			t.Errorf("env %s: %v, want success", h, err)
		}
		if !strings.Contains(errOut.String(), "usage: localyun env") || !strings.Contains(errOut.String(), "-tls-addr") {
			t.Errorf("env %s printed %q", h, errOut.String())
		}
	}
	for _, args := range [][]string{{"env", "--format", "csh"}, {"env", "extra"}, {"env", "--nope"}} {
		if err := run(context.Background(), args, func(string) string { return "" }, &out, io.Discard); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}

// TestEnvOwnCertificate: with the server's own certificate (--tls-cert or
// LOCALYUN_TLS_CERT) env does not point clients at a local CA that serve
// never creates in that mode.
func TestEnvOwnCertificate(t *testing.T) {
	dir := t.TempDir()
	const cert = "/etc/ssl/localyun.pem"
	for _, tc := range []struct {
		args []string
		env  map[string]string
	}{
		{[]string{"env"}, map[string]string{"LOCALYUN_DATA_DIR": dir, "LOCALYUN_TLS_CERT": cert}},
		{[]string{"env", "--tls-cert", cert, "--data-dir", dir}, nil},
	} {
		var out, errOut bytes.Buffer
		if err := run(context.Background(), tc.args, func(k string) string { return tc.env[k] }, &out, &errOut); err != nil {
			t.Fatalf("%v: %v\n%s", tc.args, err, errOut.String())
		}
		got := out.String()
		if strings.Contains(got, "SSL_CERT_FILE") || strings.Contains(got, "NODE_EXTRA_CA_CERTS") || strings.Contains(got, caCertName) {
			t.Errorf("%v: points at the local CA:\n%s", tc.args, got)
		}
		if !strings.Contains(got, cert) {
			t.Errorf("%v: does not name the certificate:\n%s", tc.args, got)
		}
	}
}
