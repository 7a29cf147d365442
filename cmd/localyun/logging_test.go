package main

import (
	"bytes"
	"io"
	"log/slog"
	"strings"
	"testing"
)

func TestLoadConfigLog(t *testing.T) {
	tests := []struct {
		args    []string
		env     map[string]string
		want    LogConfig
		wantErr string
	}{
		{want: LogConfig{Format: "text"}}, // the access log is off by default
		{env: map[string]string{"LOCALYUN_ACCESS_LOG": "true"}, want: LogConfig{Format: "text", Access: true}},
		{args: []string{"--log-format", "json", "--access-log=false"}, want: LogConfig{Format: "json"}},
		{env: map[string]string{"LOCALYUN_LOG_FORMAT": "json", "LOCALYUN_ACCESS_LOG": "false"}, want: LogConfig{Format: "json"}},
		{args: []string{"--access-log"}, env: map[string]string{"LOCALYUN_ACCESS_LOG": "false"}, want: LogConfig{Format: "text", Access: true}},
		{args: []string{"--log-format", "xml"}, wantErr: "--log-format"},
		{env: map[string]string{"LOCALYUN_ACCESS_LOG": "maybe"}, wantErr: "LOCALYUN_ACCESS_LOG"},
	}
	for _, tt := range tests {
		c, err := LoadConfig(tt.args, func(k string) string { return tt.env[k] }, io.Discard)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%v %v: error %v, want %q", tt.args, tt.env, err, tt.wantErr)
			}
			continue
		}
		if err != nil || c.Log != tt.want {
			t.Errorf("%v %v: %+v, %v; want %+v", tt.args, tt.env, c.Log, err, tt.want)
		}
	}
	var buf bytes.Buffer
	b := &bufferedLog{w: &buf}
	LogConfig{Format: "json", Access: true}.accessLogger(b).Info("access", slog.String("k", "v"))
	if buf.Len() != 0 {
		t.Errorf("a line reached the output before the flush: %q", buf.String())
	}
	b.Flush()
	if !strings.HasPrefix(buf.String(), "{") || !strings.Contains(buf.String(), `"k":"v"`) {
		t.Errorf("json access log line %q", buf.String())
	}
	if (LogConfig{Format: "json"}).accessLogger(b) != nil {
		t.Error("--access-log=false gave an access log")
	}
}
