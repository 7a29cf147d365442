package protocol

import "testing"

// checkTextFastPath: checkText, with its printable-ASCII shortcut, answers
// what the rune-by-rune check answers, for names and for texts.
func checkTextFastPath(t *testing.T, s string, min, max int) {
	for _, lines := range []bool{false, true} {
		if got, want := checkText(s, min, max, lines), checkTextRunes(s, min, max, lines); got != want {
			t.Errorf("checkText(%q, %d, %d, %v) = %v, want %v", s, min, max, lines, got, want)
		}
	}
}

var checkTextCases = []string{"", "a", "LTAI5t-key_1.~", " ~", "tab\there", "line\n", "del\x7f", "nul\x00", "é", "\xff", "\u0085", "\uffff"}

func TestCheckTextFastPath(t *testing.T) {
	for _, s := range checkTextCases {
		for _, r := range [][2]int{{0, 0}, {0, 3}, {1, 128}, {3, 3}, {5, 100}} {
			checkTextFastPath(t, s, r[0], r[1])
		}
	}
}

func FuzzCheckText(f *testing.F) {
	for _, s := range checkTextCases {
		f.Add(s, 1, 10)
	}
	f.Fuzz(checkTextFastPath)
}
