package main

import (
	"io"
	"testing"
	"time"
)

func TestAuditRetentionConfig(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	c, err := LoadConfig(nil, env(nil), io.Discard)
	if err != nil || c.auditRetention() != 90*24*time.Hour {
		t.Fatalf("default: %v, %v", c.auditRetention(), err)
	}
	c, err = LoadConfig([]string{"--audit-retention", "48h"}, env(map[string]string{"LOCALYUN_AUDIT_RETENTION": "1h"}), io.Discard)
	if err != nil || c.auditRetention() != 48*time.Hour {
		t.Fatalf("flag beats env: %v, %v", c.auditRetention(), err)
	}
	c, err = LoadConfig(nil, env(map[string]string{"LOCALYUN_AUDIT_RETENTION": "1h"}), io.Discard)
	if err != nil || c.auditRetention() != time.Hour {
		t.Fatalf("env: %v, %v", c.auditRetention(), err)
	}
	if _, err := LoadConfig([]string{"--audit-retention", "-1h"}, env(nil), io.Discard); err == nil {
		t.Fatal("a negative retention is accepted")
	}
}
