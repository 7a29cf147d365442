package protocol

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"unicode"
	"unicode/utf8"

	"github.com/localyun/localyun"
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
	if printableASCII(s) {
		// What nearly every parameter is: one rune per byte, none refused.
		if len(s) < min || len(s) > max {
			return ErrTextLength
		}
		return nil
	}
	return checkTextRunes(s, min, max, lines)
}

// printableASCII reports whether every byte of s is in ' '..'~'.
func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' || c > '~' {
			return false
		}
	}
	return true
}

// checkTextRunes is checkText rune by rune, for any string.
func checkTextRunes(s string, min, max int, lines bool) error {
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

// CheckParams is the rule every parameter of every action keeps, checked
// after the action's own parser (whose codes come first): valid UTF-8 and
// no character CheckText refuses. Such a value is no id, name, filter or
// text of any product, SQLite would keep it and PostgreSQL could not (a
// NUL). It returns 400 InvalidParameter naming the first such parameter
// in name order.
func CheckParams(params url.Values) error {
	var bad []string
	for k, vs := range params {
		for _, v := range vs {
			if CheckText(v, 0, len(v)) != nil {
				bad = append(bad, k)
				break
			}
		}
	}
	if len(bad) == 0 {
		return nil
	}
	name := slices.Min(bad)
	return localyun.NewError(http.StatusBadRequest, "InvalidParameter",
		`The specified parameter "`+name+`" is not valid: it holds a control character or is not UTF-8.`)
}
