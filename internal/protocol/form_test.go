package protocol

import (
	"net/url"
	"reflect"
	"strings"
	"testing"
)

var formCases = []string{
	"", "a=1", "a=1&b=2&a=3", "a", "a=", "=v", "&&a=1&&", "a=x+y%20z", "a%3Db=c%26d", "a=%zz&b=2", "a%=1&b=2",
	"a=1;b=2&c=3", "k=v=w", "+=+", "%41=%42", "a=%", "ä=ö&%E4=%F6", strings.Repeat("x", 1<<16) + "=1",
}

// TestParseForm: parseForm gives what url.ParseQuery gives.
func TestParseForm(t *testing.T) {
	for _, s := range formCases {
		checkParseForm(t, s)
	}
	many := strings.Repeat("a=1&", maxFormParams)
	if _, err := parseForm(many); err == nil {
		t.Errorf("parseForm of %d parameters: no error", maxFormParams+1)
	}
	if _, err := parseForm(many[:len(many)-4]); err != nil {
		t.Errorf("parseForm of %d parameters: %v", maxFormParams, err)
	}
}

func FuzzParseForm(f *testing.F) {
	for _, s := range formCases {
		f.Add(s)
	}
	f.Fuzz(checkParseForm)
}

func checkParseForm(t *testing.T, s string) {
	got, err := parseForm(s)
	want, werr := url.ParseQuery(s)
	if (err == nil) != (werr == nil) || (err != nil && err.Error() != werr.Error()) || !reflect.DeepEqual(got, want) {
		t.Errorf("parseForm(%.80q) = %v, %v; url.ParseQuery: %v, %v", s, got, err, want, werr)
	}
}
