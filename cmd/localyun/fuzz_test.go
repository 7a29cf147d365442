package main

import "testing"

// FuzzSeed: ParseSeed never panics, and what it accepts validates again.
func FuzzSeed(f *testing.F) {
	f.Add(iamSeed)
	f.Add("accounts:\n  - id: \"1234567890123456\"\n    access_keys:\n      - id: LTAI5tKey0001\n        secret: secret0001\n")
	f.Add("accounts: 3")
	f.Add("{")
	f.Fuzz(func(t *testing.T, doc string) {
		s, err := ParseSeed([]byte(doc))
		if err != nil {
			return
		}
		if err := s.Validate(); err != nil {
			t.Fatalf("accepted seed fails Validate: %v", err)
		}
	})
}
