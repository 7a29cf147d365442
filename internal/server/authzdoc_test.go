package server

import (
	"context"
	"flag"
	"github.com/localyun/localyun/internal/sqlite"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/authorization.md")

const docPath = "../../docs/authorization.md"

// TestAuthorizationDoc keeps docs/authorization.md equal to the served routes:
// go test ./internal/server -run TestAuthorizationDoc -update rewrites it.
func TestAuthorizationDoc(t *testing.T) {
	st, err := sqlite.Open(context.Background(), ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	got := AuthorizationDoc(New(Options{Store: st}).Mux())
	if *update {
		if err := os.WriteFile(docPath, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != got {
		t.Fatalf("docs/authorization.md is stale; run go test ./internal/server -run TestAuthorizationDoc -update")
	}
	if !strings.Contains(got, "ecs:DetachInstanceRamRole") || !strings.Contains(got, "yundun-bastionhost:DetachHostAccountsFromUserGroup") {
		t.Fatal("table misses the seed actions")
	}
}
