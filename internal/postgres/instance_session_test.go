package postgres_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/pgtest"
	"github.com/localyun/localyun/internal/postgres"
	"github.com/localyun/localyun/internal/storetest"
)

func TestInstanceSessionConformance(t *testing.T) {
	storetest.RunInstanceSessions(t, func(t *testing.T) storetest.InstanceSessionStore { return openStore(t) })
}

// TestInstanceSessionSealed checks that an instance session's secret and
// token are sealed at rest and read back intact.
func TestInstanceSessionSealed(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	st, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	const account = "1111111111111111"
	storetest.MustCreateAccount(t, st, account)
	if err := st.CreateInstances(ctx, []localyun.Instance{{ID: "i-1", AccountID: account, RegionID: "cn-hangzhou",
		RAMRoleName: "R"}}); err != nil {
		t.Fatal(err)
	}
	st.Sealer = rot13Sealer{}
	s := storetest.InstanceSession(account, "i-1", "STS.1")
	if err := st.ReplaceInstanceSession(ctx, s, ""); err != nil {
		t.Fatal(err)
	}
	if got, err := st.FindInstanceSession(ctx, account, "i-1"); err != nil || got != s {
		t.Fatalf("FindInstanceSession = %+v, %v; want %+v", got, err, s)
	}
	raw, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var secret, token string
	if err := raw.QueryRow(`SELECT secret, token FROM instance_sessions JOIN sts_sessions USING (access_key_id)`).Scan(&secret, &token); err != nil {
		t.Fatal(err)
	}
	if secret != "sealed:R"+rot13(s.Secret) || token != "sealed:R"+rot13(s.Token) {
		t.Fatalf("stored %q %q, want them sealed", secret, token)
	}
}
