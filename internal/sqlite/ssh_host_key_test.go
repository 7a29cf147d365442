package sqlite_test

import (
	"bytes"
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/seal"
	"github.com/localyun/localyun/internal/sqlite"
	"github.com/localyun/localyun/internal/storetest"
)

// TestSSHHostKeySealed: the gateway's host keys are sealed at rest, and
// read back with the master key.
func TestSSHHostKeySealed(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sealed.db")
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if st.Sealer, err = seal.NewAES(bytes.Repeat([]byte{7}, 32)); err != nil {
		t.Fatal(err)
	}
	storetest.MustCreateAccount(t, st, "1111111111111111")
	if err := st.CreateBastionInstance(ctx, localyun.BastionInstance{ID: "bh1", AccountID: "1111111111111111",
		RegionID: "cn-hangzhou", Status: localyun.BastionRunning}); err != nil {
		t.Fatal(err)
	}
	const key = "-----BEGIN OPENSSH PRIVATE KEY-----\nsecret\n"
	if _, err := st.CreateBastionSSHHostKey(ctx, localyun.BastionSSHHostKey{InstanceID: "bh1", PrivateKey: key}); err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=query_only(1)")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var stored string
	if err := raw.QueryRowContext(ctx, `SELECT private_key FROM bastion_ssh_host_keys`).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(stored, "secret") || !strings.HasPrefix(stored, seal.Prefix) {
		t.Fatalf("stored %q, want a sealed key", stored)
	}
	keys, err := st.FindBastionSSHHostKeys(ctx)
	if err != nil || len(keys) != 1 || keys[0].PrivateKey != key || keys[0].Slot != 0 {
		t.Fatalf("FindBastionSSHHostKeys = %+v, %v", keys, err)
	}
}
