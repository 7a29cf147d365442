package auth

import (
	"encoding/json"
	"strconv"
	"strings"
	"unicode"
)

// UniqueKeys checks that no object of a JSON document (a policy, a trust
// policy, at any depth, Condition blocks included) has two keys that a
// parser would take for one: equal once decoded (escapes such as \u0045
// resolved), or equal ignoring case, since encoding/json matches struct
// fields without regard to case and condition keys are compared
// lower-cased. Without it the last of the two would silently win. The
// error is a Problem naming the key and where it is; a document nested
// deeper than maxDepth (no policy is) is a Problem too. A document that
// is not well-formed JSON passes: its parser reports that.
func UniqueKeys(doc string) error {
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.UseNumber()
	var stack []*jsonFrame // the open objects and arrays, innermost last
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil
		}
		var top *jsonFrame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.wantKey {
			if tok == json.Delim('}') {
				stack = closeValue(stack[:len(stack)-1])
				continue
			}
			key, _ := tok.(string)
			if top.keys[foldKey(key)] {
				if top.path == "" {
					return Problemf("duplicate key %q", key)
				}
				return Problemf("duplicate key %q in %s", key, top.path)
			}
			top.keys[foldKey(key)] = true
			top.key, top.wantKey = key, false
			continue
		}
		if d, ok := tok.(json.Delim); ok && (d == '{' || d == '[') && len(stack) == maxDepth {
			return Problemf("the document nests deeper than %d levels", maxDepth)
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &jsonFrame{path: top.child(), keys: map[string]bool{}, wantKey: true})
		case json.Delim('['):
			stack = append(stack, &jsonFrame{path: top.child()})
		case json.Delim(']'):
			stack = closeValue(stack[:len(stack)-1])
		default:
			stack = closeValue(stack)
		}
	}
}

// maxDepth is how deep UniqueKeys follows a document: a policy nests five
// levels (Statement, a statement, Condition, an operator, a value list).
const maxDepth = 32

// jsonFrame is an object (keys set) or an array being read by UniqueKeys.
type jsonFrame struct {
	path    string          // e.g. Statement[0].Condition
	keys    map[string]bool // folded keys seen; nil for an array
	key     string          // the object's current key
	wantKey bool            // the next token is a key or the object's end
	n       int             // the array's current index
}

// child is the path of the value f is at: a key of an object, an index
// of an array, "" for the document itself (f nil).
func (f *jsonFrame) child() string {
	switch {
	case f == nil:
		return ""
	case f.keys == nil:
		return f.path + "[" + strconv.Itoa(f.n) + "]"
	case f.path == "":
		return f.key
	}
	return f.path + "." + f.key
}

// closeValue records that a value of the innermost frame was read.
func closeValue(stack []*jsonFrame) []*jsonFrame {
	if len(stack) > 0 {
		f := stack[len(stack)-1]
		if f.keys != nil {
			f.wantKey = true
		} else {
			f.n++
		}
	}
	return stack
}

// foldKey folds a key the way encoding/json matches field names.
func foldKey(k string) string {
	return strings.Map(func(r rune) rune { return unicode.ToUpper(unicode.ToLower(r)) }, k)
}
