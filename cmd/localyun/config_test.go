package main

import (
	"io"
	"strings"
	"testing"
	"time"
)

func TestLoadConfig(t *testing.T) {
	def := DefaultConfig()
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		want    Config
		wantErr string
	}{
		{name: "defaults", want: def},
		{name: "env beats defaults",
			env: map[string]string{"LOCALYUN_ADDR": "127.0.0.1:9", "LOCALYUN_DATA_DIR": "/d", "LOCALYUN_STORE": "sqlite:/x.db",
				"LOCALYUN_SEED": "s.yaml", "LOCALYUN_MEMORY": "true", "LOCALYUN_QUIET": "1"},
			want: Config{Addr: "127.0.0.1:9", DataDir: "/d", Store: "sqlite:/x.db", Seed: "s.yaml", Memory: true, Quiet: true, TLSAddr: def.TLSAddr, Limits: def.Limits, Console: true}},
		{name: "flags beat env",
			args: []string{"--addr", "127.0.0.1:1", "--data-dir", "/f", "--store", "sqlite:/f.db", "--seed", "f.yaml", "--memory=false", "--quiet=false"},
			env: map[string]string{"LOCALYUN_ADDR": "127.0.0.1:9", "LOCALYUN_DATA_DIR": "/d", "LOCALYUN_STORE": "sqlite:/x.db",
				"LOCALYUN_SEED": "s.yaml", "LOCALYUN_MEMORY": "true", "LOCALYUN_QUIET": "true"},
			want: Config{Addr: "127.0.0.1:1", DataDir: "/f", Store: "sqlite:/f.db", Seed: "f.yaml", TLSAddr: def.TLSAddr, Limits: def.Limits, Console: true}},
		{name: "flags beat defaults",
			args: []string{"-addr=:0", "-memory", "-quiet"},
			want: Config{Addr: ":0", DataDir: def.DataDir, Memory: true, Quiet: true, TLSAddr: def.TLSAddr, Limits: def.Limits, Console: true}},
		{name: "flag and env mixed",
			args: []string{"--data-dir", "/f"},
			env:  map[string]string{"LOCALYUN_DATA_DIR": "/d", "LOCALYUN_SEED": "s.yaml"},
			want: Config{Addr: def.Addr, DataDir: "/f", Seed: "s.yaml", TLSAddr: def.TLSAddr, Limits: def.Limits, Console: true}},
		{name: "empty env is unset", env: map[string]string{"LOCALYUN_ADDR": ""}, want: def},
		{name: "console off by flag", args: []string{"--console=false"}, want: withConsole(def, false)},
		{name: "console off by env", env: map[string]string{"LOCALYUN_CONSOLE": "false"}, want: withConsole(def, false)},
		{name: "console flag beats env", args: []string{"--console"}, env: map[string]string{"LOCALYUN_CONSOLE": "0"}, want: def},
		{name: "bad env bool", env: map[string]string{"LOCALYUN_MEMORY": "maybe"}, wantErr: "LOCALYUN_MEMORY"},
		{name: "bad env bool ignored under a flag", args: []string{"--memory"}, env: map[string]string{"LOCALYUN_MEMORY": "maybe"},
			want: Config{Addr: def.Addr, DataDir: def.DataDir, Memory: true, TLSAddr: def.TLSAddr, Limits: def.Limits, Console: true}},
		{name: "limits from env",
			env: map[string]string{"LOCALYUN_READ_HEADER_TIMEOUT": "2s", "LOCALYUN_READ_TIMEOUT": "5s", "LOCALYUN_WRITE_TIMEOUT": "7s",
				"LOCALYUN_MAX_CONNS": "100", "LOCALYUN_MAX_CONNS_PER_IP": "10", "LOCALYUN_MAX_BODY_MEMORY": "8MiB"},
			want: withLimits(def, Limits{ReadHeaderTimeout: 2 * time.Second, ReadTimeout: 5 * time.Second, WriteTimeout: 7 * time.Second,
				MaxConns: 100, MaxConnsPerIP: 10, MaxBodyMemory: 8 << 20})},
		{name: "limit flags beat env",
			args: []string{"--read-header-timeout", "1s", "--read-timeout", "3s", "--write-timeout", "4s", "--max-conns", "50",
				"--max-conns-per-ip", "5", "--max-body-memory", "3145728"},
			env: map[string]string{"LOCALYUN_READ_TIMEOUT": "5s", "LOCALYUN_MAX_CONNS": "100", "LOCALYUN_MAX_BODY_MEMORY": "8MiB"},
			want: withLimits(def, Limits{ReadHeaderTimeout: time.Second, ReadTimeout: 3 * time.Second, WriteTimeout: 4 * time.Second,
				MaxConns: 50, MaxConnsPerIP: 5, MaxBodyMemory: 3 << 20})},
		{name: "body memory in KiB and G", args: []string{"--max-body-memory", "4096KiB"},
			want: withLimits(def, Limits{ReadHeaderTimeout: def.Limits.ReadHeaderTimeout, ReadTimeout: def.Limits.ReadTimeout,
				WriteTimeout: def.Limits.WriteTimeout, MaxBodyMemory: 4 << 20})},
		{name: "body memory below two bodies", args: []string{"--max-body-memory", "1MiB"}, wantErr: "at least 2MiB"},
		{name: "body memory not a size", env: map[string]string{"LOCALYUN_MAX_BODY_MEMORY": "lots"}, wantErr: "LOCALYUN_MAX_BODY_MEMORY"},
		{name: "bad env duration", env: map[string]string{"LOCALYUN_READ_TIMEOUT": "30"}, wantErr: "LOCALYUN_READ_TIMEOUT"},
		{name: "zero read timeout", args: []string{"--read-timeout", "0s"}, wantErr: "must be positive"},
		{name: "write timeout within the read timeout", args: []string{"--read-timeout", "1m"}, wantErr: "must exceed --read-timeout"},
		{name: "negative connection cap", env: map[string]string{"LOCALYUN_MAX_CONNS_PER_IP": "-1"}, wantErr: "must not be negative"},
		{name: "unknown flag", args: []string{"--nope"}, wantErr: "not defined"},
		{name: "tls from env", env: map[string]string{"LOCALYUN_TLS_ADDR": ":0", "LOCALYUN_TLS_CERT": "c.pem", "LOCALYUN_TLS_KEY": "k.pem"},
			want: Config{Addr: def.Addr, DataDir: def.DataDir, TLSAddr: ":0", TLSCert: "c.pem", TLSKey: "k.pem", Limits: def.Limits, Console: true}},
		{name: "tls off by flag beats env", args: []string{"--tls-addr", "off"}, env: map[string]string{"LOCALYUN_TLS_ADDR": "127.0.0.1:9443"},
			want: Config{Addr: def.Addr, DataDir: def.DataDir, Limits: def.Limits, Console: true}},
		{name: "tls off in capitals", env: map[string]string{"LOCALYUN_TLS_ADDR": "OFF"}, want: Config{Addr: def.Addr, DataDir: def.DataDir, Limits: def.Limits, Console: true}},
		{name: "tls cert without key", args: []string{"--tls-cert", "c.pem"}, wantErr: "--tls-cert and --tls-key go together"},
		{name: "tls cert with https off", args: []string{"--tls-addr", "off", "--tls-cert", "c.pem", "--tls-key", "k.pem"}, wantErr: "no HTTPS listener"},
		{name: "stray argument", args: []string{"extra"}, wantErr: `unexpected argument "extra"`},
		{name: "postgres store needs a master key file", args: []string{"--store", "postgres://x"}, wantErr: "--master-key-file"},
		{name: "unsupported store from env", env: map[string]string{"LOCALYUN_STORE": "mysql:x"}, wantErr: "want sqlite:PATH or postgres://"},
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
			if tt.want.Log == (LogConfig{}) {
				tt.want.Log = def.Log // issue 16: TestLoadConfigLog (logging_test.go)
			}
			if got != tt.want {
				t.Fatalf("LoadConfig = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func withLimits(c Config, l Limits) Config {
	c.Limits = l
	return c
}

func TestConnCaps(t *testing.T) {
	tests := []struct {
		name              string
		lim               Limits
		nofile            int
		wantTotal, wantIP int
	}{
		{"derived from a small limit", Limits{}, 256, 192, 96},
		{"derived from a medium limit", Limits{}, 1024, 896, 448},
		{"derived, at most 10000", Limits{}, 1 << 20, 10_000, 5_000},
		{"limit unknown", Limits{}, 0, 10_000, 5_000},
		{"tiny limit", Limits{}, 40, 1, 1},
		{"set", Limits{MaxConns: 300, MaxConnsPerIP: 20}, 256, 300, 20},
		{"per-ip above the cap", Limits{MaxConns: 10, MaxConnsPerIP: 20}, 256, 10, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			total, ip := tt.lim.connCaps(tt.nofile)
			if total != tt.wantTotal || ip != tt.wantIP {
				t.Fatalf("connCaps(%d) = %d, %d, want %d, %d", tt.nofile, total, ip, tt.wantTotal, tt.wantIP)
			}
		})
	}
}

func TestByteSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		str  string
	}{
		{"67108864", 64 << 20, "64MiB"}, {"64MiB", 64 << 20, "64MiB"}, {"64M", 64 << 20, "64MiB"},
		{"512KiB", 512 << 10, "512KiB"}, {"1G", 1 << 30, "1GiB"}, {"1000", 1000, "1000"}, {"0", 0, "0"},
	}
	for _, tt := range tests {
		var b byteSize
		if err := b.Set(tt.in); err != nil || int64(b) != tt.want || b.String() != tt.str {
			t.Errorf("Set(%q) = %d (%s), %v, want %d (%s)", tt.in, int64(b), b.String(), err, tt.want, tt.str)
		}
	}
	for _, in := range []string{"", "x", "-1", "1.5M", "1MiBM", "99999999999G"} {
		var b byteSize
		if err := b.Set(in); err == nil {
			t.Errorf("Set(%q) = %d, want an error", in, int64(b))
		}
	}
}

func withConsole(c Config, on bool) Config {
	c.Console = on
	return c
}
