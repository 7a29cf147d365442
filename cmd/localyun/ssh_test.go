package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// TestServeSSH: serve starts the bastion SSH gateway with the store, shows
// it in the banner, logs the demo's bob in, and stops it in Close.
func TestServeSSH(t *testing.T) {
	cfg, err := LoadConfig([]string{"--memory", "--demo", "--addr", "127.0.0.1:0", "--tls-addr", "off",
		"--data-dir", t.TempDir(), "--ssh-addr", "127.0.0.1:0", "--ssh-revoke", "grace=30s"}, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	m := NewMain(cfg)
	var banner bytes.Buffer
	m.Stdout = &banner
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	addr := m.SSHAddr("bastionhost-cn-demo0000001")
	if addr == "" || !strings.Contains(banner.String(), "  ssh:   "+addr+"  bastionhost-cn-demo0000001 (host key SHA256:") ||
		!strings.Contains(banner.String(), "revoke: grace=30s") {
		t.Fatalf("ssh address %q, banner:\n%s", addr, banner.String())
	}
	c, err := ssh.Dial("tcp", addr, &ssh.ClientConfig{User: "bob", Auth: []ssh.AuthMethod{ssh.Password("Bob-passw0rd!")},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	if out, err := s.Output("ls"); err != nil || len(out) != 0 {
		t.Fatalf("ls = %q, %v (the demo grants bob nothing)", out, err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := ssh.Dial("tcp", addr, &ssh.ClientConfig{User: "bob", HostKeyCallback: ssh.InsecureIgnoreHostKey(),
		Timeout: time.Second}); err == nil {
		t.Fatal("the gateway still listens after Close")
	}
}

func TestLoadConfigSSH(t *testing.T) {
	tests := []struct {
		args    []string
		env     map[string]string
		want    SSHConfig
		wantErr string
	}{
		{args: nil, want: SSHConfig{}},
		{args: []string{"--ssh-addr", "off"}, env: map[string]string{"LOCALYUN_SSH_ADDR": "127.0.0.1:7022"}, want: SSHConfig{Addr: "off"}},
		{env: map[string]string{"LOCALYUN_SSH_ADDR": "127.0.0.1:7022", "LOCALYUN_SSH_REVOKE": "keep"}, want: SSHConfig{Addr: "127.0.0.1:7022", Revoke: "keep"}},
		{args: []string{"--ssh-revoke", "grace=5m"}, want: SSHConfig{Revoke: "grace=5m"}},
		{args: []string{"--ssh-revoke", "grace=-1s"}, wantErr: "--ssh-revoke"},
		{args: []string{"--ssh-revoke", "never"}, wantErr: "--ssh-revoke"},
		{args: []string{"--ssh-addr", "60022"}, wantErr: "--ssh-addr"},
	}
	for _, tt := range tests {
		c, err := LoadConfig(tt.args, func(k string) string { return tt.env[k] }, io.Discard)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%v: error %v, want %q", tt.args, err, tt.wantErr)
			}
			continue
		}
		if err != nil || c.SSH != tt.want {
			t.Errorf("%v %v: %+v, %v; want %+v", tt.args, tt.env, c.SSH, err, tt.want)
		}
	}
}
