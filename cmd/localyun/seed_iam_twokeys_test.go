package main

import (
	"context"
	"testing"
	"time"

	"github.com/localyun/localyun/internal/sqlite"
)

// TestSeedIAMTwoKeysTwice applies a seed whose user has the two keys a
// user may hold, twice (as every start does).
func TestSeedIAMTwoKeysTwice(t *testing.T) {
	s, err := ParseSeed([]byte(`
accounts:
  - id: "1234567890123456"
    ram:
      users:
        - name: bob
          access_keys:
            - id: LTAI5tBobKey000001
              secret: bobsecret00000001
            - id: LTAI5tBobKey000002
              secret: bobsecret00000002
`))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := sqlite.Open(ctx, ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 2; i++ {
		rep, err := s.Apply(ctx, st, now)
		if err != nil {
			t.Fatalf("apply %d: %v", i, err)
		}
		if want := 2 - 2*i; rep.AccessKeys != want {
			t.Fatalf("apply %d created %d keys, want %d", i, rep.AccessKeys, want)
		}
	}
	if keys, err := st.FindAccessKeys(ctx, "1234567890123456", "bob"); err != nil || len(keys) != 2 {
		t.Fatalf("keys = %+v, %v", keys, err)
	}
}
