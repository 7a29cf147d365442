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

// TestInstanceSessionSealed checks that an instance session's secret and
// token are sealed at rest and read back intact.
func TestInstanceSessionSealed(t *testing.T) {
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
	const account = "1111111111111111"
	storetest.MustCreateAccount(t, st, account)
	if err := st.CreateInstances(ctx, []localyun.Instance{{ID: "i-1", AccountID: account, RegionID: "cn-hangzhou",
		RAMRoleName: "R"}}); err != nil {
		t.Fatal(err)
	}
	s := storetest.InstanceSession(account, "i-1", "STS.1")
	if err := st.ReplaceInstanceSession(ctx, s, ""); err != nil {
		t.Fatal(err)
	}
	if got, err := st.FindInstanceSession(ctx, account, "i-1"); err != nil || got != s {
		t.Fatalf("FindInstanceSession = %+v, %v; want %+v", got, err, s)
	}
	st.Close()
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var secret, token string
	if err := raw.QueryRow(`SELECT secret, token FROM instance_sessions JOIN sts_sessions USING (access_key_id)`).Scan(&secret, &token); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, seal.Prefix) || !strings.HasPrefix(token, seal.Prefix) || strings.Contains(token, s.Token) {
		t.Fatalf("stored %q %q, want them sealed", secret, token)
	}
}
