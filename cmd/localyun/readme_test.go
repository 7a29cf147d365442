package main

import (
	"os"
	"strings"
	"testing"
)

// TestREADMESeedExample keeps the README's seed example loadable.
func TestREADMESeedExample(t *testing.T) {
	buf, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(buf)
	i := strings.Index(s, "```yaml\n")
	if i < 0 {
		t.Fatal("README has no yaml example")
	}
	s = s[i+len("```yaml\n"):]
	s = s[:strings.Index(s, "```")]
	seed, err := ParseSeed([]byte(s))
	if err != nil {
		t.Fatalf("README seed example: %v", err)
	}
	if len(seed.Accounts) != 1 || len(seed.Accounts[0].ECS.Instances) != 2 {
		t.Fatalf("parsed %+v", seed)
	}
}
