package postgres_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/pgtest"
	"github.com/localyun/localyun/internal/postgres"
	"github.com/localyun/localyun/internal/seal"
	"github.com/localyun/localyun/internal/storetest"
)

func TestIAMConformance(t *testing.T) {
	storetest.RunIAM(t, func(t *testing.T) storetest.IAMStore { return openStore(t) })
}

// TestIAMSealedSecrets checks that access key and session secrets are
// stored sealed ("sealed:" + Sealer.Seal, the SQLite format, so the SQLite
// master key opens them) and read back intact; that rows written without a
// sealer still read; and that a wrong master key cannot open them.
func TestIAMSealedSecrets(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	st, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	const account = "1111111111111111"
	storetest.MustCreateAccount(t, st, account) // root key AK<account>, plaintext secret s<account>
	key := bytes.Repeat([]byte{7}, 32)
	sealer, err := seal.NewAES(key)
	if err != nil {
		t.Fatal(err)
	}
	st.Sealer = sealer
	now := time.Now()
	if err := st.CreateUser(ctx, localyun.User{ID: "1", AccountID: account, Name: "u", CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateAccessKey(ctx, localyun.AccessKey{ID: "AKROOT2", Secret: "rootsecretvalue", AccountID: account,
		Status: localyun.AccessKeyActive, CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateUserAccessKey(ctx, localyun.AccessKey{ID: "AKUSER", Secret: "usersecretvalue", AccountID: account,
		UserName: "U", Status: localyun.AccessKeyActive, CreatedAt: now}, 2); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateSession(ctx, localyun.Session{AccessKeyID: "STS.x", Secret: "sessionsecretvalue", TokenHash: "h",
		AccountID: account, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]string{"AKROOT2": "rootsecretvalue", "AKUSER": "usersecretvalue", "AK" + account: "s" + account} {
		if k, err := st.FindAccessKey(ctx, id); err != nil || k.Secret != want {
			t.Fatalf("FindAccessKey(%s) = %+v, %v; want secret %q", id, k, err, want)
		}
	}
	if s, err := st.FindSession(ctx, "STS.x"); err != nil || s.Secret != "sessionsecretvalue" {
		t.Fatalf("FindSession = %+v, %v", s, err)
	}

	raw, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	for q, plain := range map[string]string{
		`SELECT secret FROM access_keys WHERE id = 'AKROOT2'`:           "rootsecretvalue",
		`SELECT secret FROM access_keys WHERE id = 'AKUSER'`:            "usersecretvalue",
		`SELECT secret FROM sts_sessions WHERE access_key_id = 'STS.x'`: "sessionsecretvalue",
	} {
		var v string
		if err := raw.QueryRowContext(ctx, q).Scan(&v); err != nil {
			t.Fatal(err)
		}
		if v == plain || bytes.Contains([]byte(v), []byte(plain)) || len(v) < len("sealed:")+20 || v[:len("sealed:")] != "sealed:" {
			t.Fatalf("%s stored %q, want it sealed", q, v)
		}
		// The SQLite store's format: the same master key opens it.
		if got, err := sealer.Open(v[len("sealed:"):]); err != nil || got != plain {
			t.Fatalf("%s: Open = %q, %v", q, got, err)
		}
	}

	// A wrong master key cannot read the secrets; no master key refuses too.
	st2, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	st2.Sealer, _ = seal.NewAES(bytes.Repeat([]byte{8}, 32))
	if _, err := st2.FindAccessKey(ctx, "AKUSER"); err == nil {
		t.Fatal("wrong master key opened the access key secret")
	}
	if _, err := st2.FindSession(ctx, "STS.x"); err == nil {
		t.Fatal("wrong master key opened the session secret")
	}
	st2.Sealer = nil
	if _, err := st2.FindAccessKey(ctx, "AKROOT2"); err == nil {
		t.Fatal("sealed secret read without a master key")
	}
}

// TestIAMConcurrentInvariants races two stores (two nodes) on one database:
// the per-user key limit, version numbering, the default version and
// case-insensitive unique names hold.
func TestIAMConcurrentInvariants(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	var nodes [2]*postgres.Store
	for i := range nodes {
		st, err := postgres.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		nodes[i] = st
	}
	const account = "1111111111111111"
	storetest.MustCreateAccount(t, nodes[0], account)
	now := time.Now()
	if err := nodes[0].CreateUser(ctx, localyun.User{ID: "1", AccountID: account, Name: "u", CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := nodes[0].CreatePolicy(ctx, localyun.Policy{AccountID: account, Name: "P", CreatedAt: now, UpdatedAt: now},
		localyun.PolicyVersion{Document: "{}", CreatedAt: now}); err != nil {
		t.Fatal(err)
	}

	const n = 12
	race := func(fn func(i int, st *postgres.Store) error) []error {
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = fn(i, nodes[i%2])
			}()
		}
		wg.Wait()
		return errs
	}
	count := func(errs []error, kind error) (ok, match int) {
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case errors.Is(err, kind):
				match++
			default:
				t.Fatalf("unexpected error: %v", err)
			}
		}
		return ok, match
	}

	errs := race(func(i int, st *postgres.Store) error {
		return st.CreateUserAccessKey(ctx, localyun.AccessKey{ID: fmt.Sprintf("AK%02d", i), Secret: "s", AccountID: account,
			UserName: []string{"u", "U"}[i%2], Status: localyun.AccessKeyActive, CreatedAt: now}, 2)
	})
	if ok, limited := count(errs, localyun.ErrLimitExceeded); ok != 2 || limited != n-2 {
		t.Fatalf("concurrent keys: %d created, %d limited", ok, limited)
	}

	ids := make([]string, n)
	errs = race(func(i int, st *postgres.Store) error {
		v, err := st.CreatePolicyVersion(ctx, account, "p", localyun.PolicyVersion{Document: "{}", IsDefault: i%3 == 0, CreatedAt: now}, 5, false)
		ids[i] = v.VersionID
		return err
	})
	if ok, limited := count(errs, localyun.ErrLimitExceeded); ok != 4 || limited != n-4 {
		t.Fatalf("concurrent versions: %d created, %d limited", ok, limited)
	}
	vs, err := nodes[0].FindPolicyVersions(ctx, account, "P")
	if err != nil || len(vs) != 5 {
		t.Fatalf("versions = %+v, %v", vs, err)
	}
	defaults := 0
	for i, v := range vs {
		if v.VersionID != fmt.Sprintf("v%d", i+1) {
			t.Fatalf("versions = %+v", vs)
		}
		if v.IsDefault {
			defaults++
		}
	}
	if defaults != 1 {
		t.Fatalf("%d default versions", defaults)
	}

	// Deleting versions while others set them default never leaves a
	// default that does not exist.
	errs = race(func(i int, st *postgres.Store) error {
		id := fmt.Sprintf("v%d", 2+i%4)
		if i%2 == 0 {
			return st.SetDefaultPolicyVersion(ctx, account, "P", id, now)
		}
		err := st.DeletePolicyVersion(ctx, account, "P", id)
		var ce *localyun.ConflictError
		if errors.As(err, &ce) {
			return fmt.Errorf("%w", localyun.ErrNotFound)
		}
		return err
	})
	count(errs, localyun.ErrNotFound)
	p, err := nodes[1].FindPolicy(ctx, account, "P")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := nodes[1].FindPolicyVersion(ctx, account, "P", p.DefaultVersion); err != nil {
		t.Fatalf("default version %s: %v", p.DefaultVersion, err)
	}

	errs = race(func(i int, st *postgres.Store) error {
		name := []string{"grp", "GRP", "Grp"}[i%3]
		return st.CreateGroup(ctx, localyun.Group{ID: fmt.Sprint(100 + i), AccountID: account, Name: name, CreatedAt: now, UpdatedAt: now})
	})
	if ok, dup := count(errs, localyun.ErrAlreadyExists); ok != 1 || dup != n-1 {
		t.Fatalf("concurrent groups: %d created, %d duplicates", ok, dup)
	}
}
