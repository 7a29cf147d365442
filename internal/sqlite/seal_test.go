package sqlite_test

import (
	"bytes"
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/seal"
	"github.com/localyun/localyun/internal/sqlite"
	"github.com/localyun/localyun/internal/storetest"
)

// TestSealedSecrets checks that access key and session secrets are not
// stored in clear text when a sealer is set, and read back intact.
func TestSealedSecrets(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sealed.db")
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	key := bytes.Repeat([]byte{7}, 32)
	sealer, err := seal.NewAES(key)
	if err != nil {
		t.Fatal(err)
	}
	st.Sealer = sealer
	storetest.MustCreateAccount(t, st, "1111111111111111") // secret s1111111111111111
	now := time.Now()
	if err := st.CreateSession(ctx, localyun.Session{AccessKeyID: "STS.x", Secret: "sessionsecretvalue", TokenHash: "h",
		AccountID: "1111111111111111", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if k, err := st.FindAccessKey(ctx, "AK1111111111111111"); err != nil || k.Secret != "s1111111111111111" {
		t.Fatalf("FindAccessKey = %+v, %v", k, err)
	}
	if s, err := st.FindSession(ctx, "STS.x"); err != nil || s.Secret != "sessionsecretvalue" {
		t.Fatalf("FindSession = %+v, %v", s, err)
	}
	st.Close()
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	for _, q := range []string{`SELECT secret FROM access_keys`, `SELECT secret FROM sts_sessions`} {
		var v string
		if err := raw.QueryRow(q).Scan(&v); err != nil {
			t.Fatal(err)
		}
		if v == "s1111111111111111" || v == "sessionsecretvalue" || len(v) < 20 {
			t.Fatalf("%s stored %q in clear", q, v)
		}
	}
	// A wrong master key cannot read the secrets.
	st2, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	st2.Sealer, _ = seal.NewAES(bytes.Repeat([]byte{8}, 32))
	if _, err := st2.FindAccessKey(ctx, "AK1111111111111111"); err == nil {
		t.Fatal("wrong master key opened the secret")
	}
}

// TestSealedBastionCredentials checks that bastion host-account and user
// credentials are sealed at rest, read back intact, and that HasPassword
// still reflects them.
func TestSealedBastionCredentials(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sealed.db")
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	st.Sealer, err = seal.NewAES(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	const acct, inst = "1111111111111111", "bastionhost-cn-sealed"
	storetest.MustCreateAccount(t, st, acct)
	now := time.Now()
	if err := st.CreateBastionInstance(ctx, localyun.BastionInstance{ID: inst, AccountID: acct, RegionID: "cn-hangzhou",
		Status: localyun.BastionRunning, CreatedAt: now, ExpiresAt: now.AddDate(1, 0, 0)}); err != nil {
		t.Fatal(err)
	}
	h, err := st.CreateBastionHost(ctx, localyun.BastionHost{InstanceID: inst, Name: "web", OSType: "Linux", Source: "Local",
		ActiveAddressType: "Private", PrivateAddress: "10.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	secret := localyun.BastionSecret{Password: "hostPassw0rd!", PrivateKey: "LS0tLS1CRUdJTi1rZXk=", PassPhrase: "phrase-x"}
	a, err := st.CreateBastionHostAccount(ctx, localyun.BastionHostAccount{InstanceID: inst, HostID: h.ID, Name: "root", ProtocolName: "SSH"}, secret)
	if err != nil {
		t.Fatal(err)
	}
	if !a.HasPassword {
		t.Fatal("HasPassword false for a sealed password")
	}
	got, err := st.FindBastionHostAccountSecret(ctx, inst, a.ID)
	if err != nil || got != secret {
		t.Fatalf("secret read back as %+v, %v", got, err)
	}
	u, err := st.CreateBastionUser(ctx, localyun.BastionUser{InstanceID: inst, Name: "alice", Source: "Local"}, localyun.BastionSecret{Password: "userPassw0rd!"})
	if err != nil {
		t.Fatal(err)
	}
	if us, err := st.FindBastionUserSecret(ctx, inst, u.ID); err != nil || us.Password != "userPassw0rd!" {
		t.Fatalf("user secret %+v, %v", us, err)
	}
	st.Close()
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var pw, key, phrase, upw string
	if err := raw.QueryRow(`SELECT password, private_key, pass_phrase FROM bastion_host_accounts`).Scan(&pw, &key, &phrase); err != nil {
		t.Fatal(err)
	}
	if err := raw.QueryRow(`SELECT password FROM bastion_users`).Scan(&upw); err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{pw, key, phrase, upw} {
		if !bytes.HasPrefix([]byte(v), []byte("sealed:")) || bytes.Contains([]byte(v), []byte("Passw0rd")) || bytes.Contains([]byte(v), []byte("phrase-x")) {
			t.Fatalf("credential stored as %q", v)
		}
	}
}
