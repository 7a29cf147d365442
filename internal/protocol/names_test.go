package protocol_test

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/protocol"
)

func TestCheckName(t *testing.T) {
	tests := []struct {
		name     string
		s        string
		min, max int
		want     error // of CheckName
		wantText error // of CheckText
	}{
		{"ascii", "web-1", 1, 64, nil, nil},
		{"Chinese counts runes", "测试实例", 2, 4, nil, nil},
		{"too long in runes", "测试实例", 1, 3, protocol.ErrTextLength, protocol.ErrTextLength},
		{"too short", "a", 2, 128, protocol.ErrTextLength, protocol.ErrTextLength},
		{"empty allowed", "", 0, 10, nil, nil},
		{"NUL", "a\x00b", 1, 64, protocol.ErrTextChars, protocol.ErrTextChars},
		{"ESC", "a\x1b[31mb", 1, 64, protocol.ErrTextChars, protocol.ErrTextChars},
		{"DEL", "a\x7fb", 1, 64, protocol.ErrTextChars, protocol.ErrTextChars},
		{"C1 NEL", "a\u0085b", 1, 64, protocol.ErrTextChars, protocol.ErrTextChars},
		{"C1 CSI", "a\u009bb", 1, 64, protocol.ErrTextChars, protocol.ErrTextChars},
		{"U+FFFE", "a\ufffeb", 1, 64, protocol.ErrTextChars, protocol.ErrTextChars},
		{"U+FFFF", "a\uffffb", 1, 64, protocol.ErrTextChars, protocol.ErrTextChars},
		{"tab", "a\tb", 1, 64, protocol.ErrTextChars, nil},
		{"line feed", "a\nb", 1, 64, protocol.ErrTextChars, nil},
		{"carriage return", "a\r\nb", 1, 64, protocol.ErrTextChars, nil},
		{"vertical tab", "a\vb", 1, 64, protocol.ErrTextChars, protocol.ErrTextChars},
		{"invalid UTF-8", "a\xffb", 1, 64, protocol.ErrTextEncoding, protocol.ErrTextEncoding},
		{"lone surrogate bytes", "a\xed\xa0\x80b", 1, 64, protocol.ErrTextEncoding, protocol.ErrTextEncoding},
		// Length is checked first (the order RAM answers in).
		{"too long and invalid", strings.Repeat("\xff", 65), 1, 64, protocol.ErrTextLength, protocol.ErrTextLength},
		{"emoji and private use are fine", "a😀\ue000", 1, 64, nil, nil},
		{"U+FFFD is fine", "a\ufffdb", 1, 64, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := protocol.CheckName(tt.s, tt.min, tt.max); got != tt.want {
				t.Errorf("CheckName(%q, %d, %d) = %v, want %v", tt.s, tt.min, tt.max, got, tt.want)
			}
			if got := protocol.CheckText(tt.s, tt.min, tt.max); got != tt.wantText {
				t.Errorf("CheckText(%q, %d, %d) = %v, want %v", tt.s, tt.min, tt.max, got, tt.wantText)
			}
		})
	}
}

func TestCheckParams(t *testing.T) {
	tests := []struct {
		name   string
		params url.Values
		want   string // the parameter named, "" for none
	}{
		{"plain", url.Values{"A": {"x"}, "Doc": {"{\n\t\"a\": 1\r\n}"}, "Name": {"名前"}}, ""},
		{"empty", url.Values{"A": {""}}, ""},
		{"NUL", url.Values{"A": {"x"}, "B": {"y\x00"}}, "B"},
		{"second value", url.Values{"A": {"x", "\x1b"}}, "A"},
		{"C1", url.Values{"A": {"\u0085"}}, "A"},
		{"not UTF-8", url.Values{"A": {"\xff"}}, "A"},
		{"first in name order", url.Values{"Z": {"\x00"}, "M": {"\x7f"}, "Q": {"\x01"}}, "M"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := protocol.CheckParams(tt.params)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("CheckParams(%q) = %v, want nil", tt.params, err)
				}
				return
			}
			var le *localyun.Error
			if !errors.As(err, &le) || le.Status != http.StatusBadRequest || le.Code != "InvalidParameter" ||
				!strings.Contains(le.Message, `"`+tt.want+`"`) {
				t.Fatalf("CheckParams(%q) = %v, want 400 InvalidParameter naming %s", tt.params, err, tt.want)
			}
		})
	}
}
