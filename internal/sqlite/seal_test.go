package sqlite_test

import (
	"bytes"
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/localyun/localyun"
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
	sealer, err := sqlite.NewAESSealer(key)
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
	st2.Sealer, _ = sqlite.NewAESSealer(bytes.Repeat([]byte{8}, 32))
	if _, err := st2.FindAccessKey(ctx, "AK1111111111111111"); err == nil {
		t.Fatal("wrong master key opened the secret")
	}
}
