package protocol

import (
	"strconv"
	"unicode/utf8"
)

// JSONFields is implemented by a success response that renders its own
// JSON: WriteResponse then calls AppendJSONFields instead of encoding/json,
// whose reflection is a large part of a listing's cost. AppendJSONFields
// appends the response's fields exactly as encoding/json renders the
// response (HTML characters not escaped), comma-separated and without the
// braces around them; it appends nothing when there are no fields. The
// helpers below render the values as encoding/json does; a test of the
// product holds the two renderings equal. XML is always rendered by
// encoding/xml.
type JSONFields interface {
	AppendJSONFields(b []byte) []byte
}

// AppendJSONField appends `"name":` to b, with a comma before it unless
// first: name must need no escaping (a Go identifier).
func AppendJSONField(b []byte, name string, first bool) []byte {
	if !first {
		b = append(b, ',')
	}
	b = append(b, '"')
	b = append(b, name...)
	return append(b, '"', ':')
}

// AppendJSONInt appends n as encoding/json renders an integer.
func AppendJSONInt(b []byte, n int64) []byte { return strconv.AppendInt(b, n, 10) }

// AppendJSONString appends s as encoding/json renders a string with
// HTML escaping off (json.Encoder.SetEscapeHTML(false), as every response
// is encoded).
func AppendJSONString(b []byte, s string) []byte { return appendJSONString(b, s, false) }

// appendJSONString is encoding/json's string encoding: quotes, backslash
// escapes, \u00XX for the other control characters (and for <, > and &
// when escapeHTML), U+FFFD for each byte of invalid UTF-8, and U+2028 and
// U+2029 escaped.
func appendJSONString(b []byte, s string, escapeHTML bool) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && (!escapeHTML || c != '<' && c != '>' && c != '&') {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
