package main

import (
	"io"
	"strings"
	"testing"
	"time"
)

func TestLoadConfigCredentials(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		env        map[string]string
		ttl        time.Duration
		revocation string
		wantErr    string
	}{
		{name: "defaults"},
		{name: "flags", args: []string{"--metadata-credential-ttl", "1h", "--revocation", "strict"}, ttl: time.Hour, revocation: "strict"},
		{name: "env", env: map[string]string{"LOCALYUN_METADATA_CREDENTIAL_TTL": "12h", "LOCALYUN_REVOCATION": "tail"}, ttl: 12 * time.Hour, revocation: "tail"},
		{name: "flags beat env", args: []string{"--metadata-credential-ttl=15m", "--revocation=tail"},
			env: map[string]string{"LOCALYUN_METADATA_CREDENTIAL_TTL": "bad", "LOCALYUN_REVOCATION": "strict"}, ttl: 15 * time.Minute, revocation: "tail"},
		{name: "ttl below 15m", args: []string{"--metadata-credential-ttl", "14m59s"}, wantErr: "must be from 15m0s to 12h0m0s"},
		{name: "ttl above 12h", env: map[string]string{"LOCALYUN_METADATA_CREDENTIAL_TTL": "12h1s"}, wantErr: "must be from"},
		{name: "ttl not a duration", env: map[string]string{"LOCALYUN_METADATA_CREDENTIAL_TTL": "6"}, wantErr: "LOCALYUN_METADATA_CREDENTIAL_TTL"},
		{name: "unknown revocation", args: []string{"--revocation", "never"}, wantErr: `--revocation "never": want tail or strict`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := LoadConfig(tt.args, func(k string) string { return tt.env[k] }, io.Discard)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("LoadConfig error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.MetadataCredentialTTL != tt.ttl || got.Revocation != tt.revocation {
				t.Fatalf("LoadConfig = ttl %s, revocation %q; want %s, %q", got.MetadataCredentialTTL, got.Revocation, tt.ttl, tt.revocation)
			}
		})
	}
}
