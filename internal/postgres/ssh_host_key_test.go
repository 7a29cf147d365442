package postgres_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/pgtest"
	"github.com/localyun/localyun/internal/storetest"
)

func TestSSHHostKeyConformance(t *testing.T) {
	storetest.RunSSHHostKeys(t, func(t *testing.T) storetest.SSHHostKeyStore { return openStore(t) })
}

// TestSSHHostKeySealed: the gateway's host keys are sealed at rest.
func TestSSHHostKeySealed(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	st := bastionNode(t, dsn)
	seedBastionInstance(t, st, "bh1")
	st.Sealer = rot13Sealer{}
	if _, err := st.CreateBastionSSHHostKey(ctx, localyun.BastionSSHHostKey{InstanceID: "bh1", PrivateKey: "KEY"}); err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var stored string
	if err := raw.QueryRowContext(ctx, `SELECT private_key FROM bastion_ssh_host_keys`).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if stored != "sealed:R"+rot13("KEY") {
		t.Fatalf("stored %q, want the sealed key", stored)
	}
	keys, err := st.FindBastionSSHHostKeys(ctx)
	if err != nil || len(keys) != 1 || keys[0].PrivateKey != "KEY" {
		t.Fatalf("FindBastionSSHHostKeys = %+v, %v", keys, err)
	}
}
