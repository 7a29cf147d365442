package protocol

import (
	"errors"
	"unicode"
	"unicode/utf8"
)

// What is wrong with a name or a text taken from the wire. They are kinds,
// not wire errors: each product answers them with its own code.
var (
	ErrTextLength   = errors.New("length out of range")
	ErrTextEncoding = errors.New("not valid UTF-8")
	ErrTextChars    = errors.New("a character that is not allowed")
)

// CheckName checks a name taken from the wire, in this order: min to max
// characters (runes), valid UTF-8, and no control character (C0, DEL, C1)
// nor any other character XML 1.0 cannot carry (U+FFFE, U+FFFF), so that
// a stored name comes back exactly in JSON and in XML. It returns
// ErrTextLength, ErrTextEncoding or ErrTextChars. Each product checks its
// own character set after it.
func CheckName(s string, min, max int) error { return checkText(s, min, max, false) }

// CheckText is CheckName for free text (descriptions, comments): tab, line
// feed and carriage return are allowed too.
func CheckText(s string, min, max int) error { return checkText(s, min, max, true) }

func checkText(s string, min, max int, lines bool) error {
	if n := utf8.RuneCountInString(s); n < min || n > max {
		return ErrTextLength
	}
	if !utf8.ValidString(s) {
		return ErrTextEncoding
	}
	for _, r := range s {
		switch {
		case lines && (r == '\t' || r == '\n' || r == '\r'):
		case unicode.IsControl(r), r == 0xFFFE, r == 0xFFFF:
			return ErrTextChars
		}
	}
	return nil
}
