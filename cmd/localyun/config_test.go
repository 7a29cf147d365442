package main

import (
	"io"
	"strings"
	"testing"
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
			want: Config{Addr: "127.0.0.1:9", DataDir: "/d", Store: "sqlite:/x.db", Seed: "s.yaml", Memory: true, Quiet: true}},
		{name: "flags beat env",
			args: []string{"--addr", "127.0.0.1:1", "--data-dir", "/f", "--store", "sqlite:/f.db", "--seed", "f.yaml", "--memory=false", "--quiet=false"},
			env: map[string]string{"LOCALYUN_ADDR": "127.0.0.1:9", "LOCALYUN_DATA_DIR": "/d", "LOCALYUN_STORE": "sqlite:/x.db",
				"LOCALYUN_SEED": "s.yaml", "LOCALYUN_MEMORY": "true", "LOCALYUN_QUIET": "true"},
			want: Config{Addr: "127.0.0.1:1", DataDir: "/f", Store: "sqlite:/f.db", Seed: "f.yaml"}},
		{name: "flags beat defaults",
			args: []string{"-addr=:0", "-memory", "-quiet"},
			want: Config{Addr: ":0", DataDir: def.DataDir, Memory: true, Quiet: true}},
		{name: "flag and env mixed",
			args: []string{"--data-dir", "/f"},
			env:  map[string]string{"LOCALYUN_DATA_DIR": "/d", "LOCALYUN_SEED": "s.yaml"},
			want: Config{Addr: def.Addr, DataDir: "/f", Seed: "s.yaml"}},
		{name: "empty env is unset", env: map[string]string{"LOCALYUN_ADDR": ""}, want: def},
		{name: "bad env bool", env: map[string]string{"LOCALYUN_MEMORY": "maybe"}, wantErr: "LOCALYUN_MEMORY"},
		{name: "bad env bool ignored under a flag", args: []string{"--memory"}, env: map[string]string{"LOCALYUN_MEMORY": "maybe"},
			want: Config{Addr: def.Addr, DataDir: def.DataDir, Memory: true}},
		{name: "unknown flag", args: []string{"--nope"}, wantErr: "not defined"},
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
			if got != tt.want {
				t.Fatalf("LoadConfig = %+v, want %+v", got, tt.want)
			}
		})
	}
}
