package main

import (
	"errors"
	"fmt"
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"
)

// seedFieldError is a seed value that cannot be read into its field: an
// unknown key or a value of the wrong shape, at a line of the file.
type seedFieldError struct {
	Path string // accounts[0].ram.roles[1].name
	Line int
	Msg  string
}

func (e *seedFieldError) Error() string {
	return fmt.Sprintf("%s: %s (line %d)", e.Path, e.Msg, e.Line)
}

// errEmptySeed is a seed document that declares nothing.
var errEmptySeed = errors.New("the seed file declares no accounts (an empty document, only comments, {} or accounts: []); " +
	"declare at least one account, as in the README's section \"Declare a world: the seed file\"")

// decodeSeed decodes the seed document buf into s, checking every key and
// the shape of every value against s's fields first, so that a problem is
// reported by its field path rather than yaml.v3's Go type names.
func decodeSeed(buf []byte, s *Seed) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(buf, &doc); err != nil {
		return err
	}
	if len(doc.Content) == 0 {
		return errEmptySeed
	}
	root := doc.Content[0]
	if err := checkSeedNode(root, reflect.TypeFor[Seed](), ""); err != nil {
		return err
	}
	if err := root.Decode(s); err != nil {
		return err
	}
	if len(s.Accounts) == 0 {
		return errEmptySeed
	}
	return nil
}

// checkSeedNode checks that n can be decoded into a value of type t, at
// path; a null node is a zero value and always fits.
func checkSeedNode(n *yaml.Node, t reflect.Type, path string) error {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return &seedFieldError{orTop(path), n.Line, "want a mapping of fields, not " + describeNode(n)}
		}
		return checkSeedFields(n, t, path)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return &seedFieldError{orTop(path), n.Line, "want a list, not " + describeNode(n)}
		}
		for i, c := range n.Content {
			if err := checkSeedNode(c, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		return nil
	}
	if n.Kind != yaml.ScalarNode {
		return &seedFieldError{path, n.Line, "want a single value, not " + describeNode(n)}
	}
	if err := n.Decode(reflect.New(t).Interface()); err != nil {
		want := "a " + t.Kind().String()
		if t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64 {
			want = "an integer"
		}
		return &seedFieldError{path, n.Line, fmt.Sprintf("%q is not %s", n.Value, want)}
	}
	return nil
}

// checkSeedFields checks the keys of the mapping n against the yaml tags of
// struct type t, and each value against its field.
func checkSeedFields(n *yaml.Node, t reflect.Type, path string) error {
	fields := map[string]reflect.Type{}
	var names []string
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name != "" && name != "-" {
			fields[name] = f.Type
			names = append(names, name)
		}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Value == "<<" { // a YAML merge key: its fields are checked where they are declared
			continue
		}
		at := k.Value
		if path != "" {
			at = path + "." + k.Value
		}
		ft, ok := fields[k.Value]
		if !ok {
			msg := "unknown field"
			if near := nearestName(k.Value, names); near != "" {
				msg += " (did you mean " + near + "?)"
			}
			return &seedFieldError{at, k.Line, msg}
		}
		if err := checkSeedNode(v, ft, at); err != nil {
			return err
		}
	}
	return nil
}

// orTop names the document itself when path is empty.
func orTop(path string) string {
	if path == "" {
		return "the document"
	}
	return path
}

// describeNode says what n is, for an error message.
func describeNode(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	return fmt.Sprintf("%q", n.Value)
}

// nearestName returns the name of names closest to s in edit distance, if
// it is close enough to be a likely typo ("" otherwise).
func nearestName(s string, names []string) string {
	best, bestD := "", 3
	for _, n := range names {
		if d := editDistance(strings.ToLower(s), n); d < bestD && d < max(len(n)/2, 1) {
			best, bestD = n, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
