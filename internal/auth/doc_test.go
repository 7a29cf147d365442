package auth

import (
	"flag"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/authorization.md")

const docPath = "../../docs/authorization.md"

// TestAuthorizationDoc keeps docs/authorization.md equal to the table:
// go test ./internal/auth -run TestAuthorizationDoc -update rewrites it.
func TestAuthorizationDoc(t *testing.T) {
	got := Markdown()
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
		t.Fatalf("docs/authorization.md is stale; run go test ./internal/auth -run TestAuthorizationDoc -update")
	}
	if !strings.Contains(got, "ecs:DetachInstanceRamRole") || !strings.Contains(got, "yundun-bastionhost:DetachHostAccountsFromUserGroup") {
		t.Fatal("table misses the seed actions")
	}
}
