package ecs

import (
	"encoding/json"
	"slices"
	"testing"
)

// FuzzPlainStrings: whenever plainStrings parses s, json.Unmarshal parses
// it to the same strings, so ParseInstanceIDs answers as it did with
// json.Unmarshal alone.
func FuzzPlainStrings(f *testing.F) {
	for _, s := range []string{`["i-1"]`, ` [ "i-1" , "i-2" ] `, `[]`, `["i-1",]`, `["i-1"]x`, `["a\"b"]`, `["a\u0041"]`,
		`["é"]`, "[\"a\tb\"]", `["i-1","i-1"]`, `[["i-1"]]`, `[null]`, `["i-1"`, `"i-1"`, `[1]`, "[\"\x7f\"]", `[""]`} {
		f.Add(s, 100)
		f.Add(s, 1)
	}
	f.Fuzz(func(t *testing.T, s string, max int) {
		got, plain := plainStrings(s, max)
		if !plain {
			if got != nil {
				t.Fatalf("plainStrings(%q) = %q, not plain", s, got)
			}
			return
		}
		var want []string
		if err := json.Unmarshal([]byte(s), &want); err != nil || !slices.Equal(got, want) || len(got) == 0 || len(got) > max {
			t.Fatalf("plainStrings(%q, %d) = %q; json.Unmarshal: %q, %v", s, max, got, want, err)
		}
	})
}
