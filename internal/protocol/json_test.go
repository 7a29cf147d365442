package protocol

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

var jsonStringCases = []string{
	"", "plain", `quote " and \ backslash`, "\b\f\n\r\t\x00\x01\x1f\x7f", "<script>&amp;</script>", "中文 ü é",
	"\u2028\u2029", "bad \xff\xfe utf-8 \xc3", "\xed\xa0\x80 surrogate", "emoji 😀", strings.Repeat("x", 300),
}

// checkJSONString: appendJSONString renders s as encoding/json does, with
// HTML escaping on (json.Marshal) and off (the response encoder).
func checkJSONString(t *testing.T, s string) {
	for _, html := range []bool{false, true} {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(html)
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
		want := strings.TrimSuffix(buf.String(), "\n")
		if got := string(appendJSONString([]byte("x"), s, html)); got != "x"+want {
			t.Errorf("appendJSONString(%q, html %v) = %s, want x%s", s, html, got, want)
		}
	}
}

func TestAppendJSONString(t *testing.T) {
	for _, s := range jsonStringCases {
		checkJSONString(t, s)
	}
	if got := string(AppendJSONInt(AppendJSONField(AppendJSONField(nil, "A", true), "B", false), -42)); got != `"A":,"B":-42` {
		t.Errorf("fields = %s", got)
	}
}

func FuzzAppendJSONString(f *testing.F) {
	for _, s := range jsonStringCases {
		f.Add(s)
	}
	f.Fuzz(checkJSONString)
}

type fieldsResponse struct{ fields string }

func (r fieldsResponse) AppendJSONFields(b []byte) []byte { return append(b, r.fields...) }

// TestEncodeJSONFields: a response that renders its own fields gets the
// envelope around them; one with none, RequestId alone.
func TestEncodeJSONFields(t *testing.T) {
	for _, c := range []struct{ fields, want string }{
		{`"A":1,"B":"x"`, `{"RequestId":"R\u003c1","A":1,"B":"x"}`},
		{``, `{"RequestId":"R\u003c1"}`},
	} {
		var buf bytes.Buffer
		if err := EncodeResponse(&buf, FormatJSON, "Act", "R<1", fieldsResponse{c.fields}); err != nil || buf.String() != c.want {
			t.Errorf("EncodeResponse(%q) = %s, %v; want %s", c.fields, buf.String(), err, c.want)
		}
	}
}
