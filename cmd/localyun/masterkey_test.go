package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestLoadMasterKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "master.key")
	k1, err := LoadMasterKey(path)
	if err != nil || len(k1) != 32 {
		t.Fatalf("create: %v", err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, %v", fi.Mode(), err)
	}
	k2, err := LoadMasterKey(path)
	if err != nil || !bytes.Equal(k1, k2) {
		t.Fatalf("reload: %v", err)
	}
	os.Chmod(path, 0o644)
	if _, err := LoadMasterKey(path); err == nil {
		t.Fatal("world-readable key accepted")
	}
	short := filepath.Join(t.TempDir(), "short.key")
	os.WriteFile(short, []byte("x"), 0o600)
	if _, err := LoadMasterKey(short); err == nil {
		t.Fatal("short key accepted")
	}
}
