package localyun_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// maxFuncLines is the longest a function or method of a non-test file may
// be: its whole declaration, from the line of the func keyword to the line
// of the closing brace (the doc comment is not counted).
const maxFuncLines = 80

// longFuncs are the functions allowed past maxFuncLines, by
// "dir/file.go:Name" (methods "dir/file.go:Type.Name"), each with the
// reason it reads better whole. An entry without a reason fails the test.
var longFuncs = map[string]string{}

// goFile is one parsed .go file of the module.
type goFile struct {
	path string // slash-separated, relative to the module root
	test bool
	ast  *ast.File
}

// moduleFiles parses every .go file of the module (testdata and hidden
// directories excluded), with comments.
func moduleFiles(t *testing.T) (*token.FileSet, []goFile) {
	t.Helper()
	fset := token.NewFileSet()
	var files []goFile
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != "." && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata" || name == "vendor") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
		if err != nil {
			return err
		}
		if ast.IsGenerated(f) {
			return nil
		}
		files = append(files, goFile{path: filepath.ToSlash(path), test: strings.HasSuffix(name, "_test.go"), ast: f})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return fset, files
}

// TestHygieneFunctionLength fails on a function or method of a non-test
// file longer than maxFuncLines that longFuncs does not name with a reason.
func TestHygieneFunctionLength(t *testing.T) {
	fset, files := moduleFiles(t)
	seen := map[string]bool{}
	var long []string
	for _, f := range files {
		if f.test {
			continue
		}
		for _, d := range f.ast.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			key := f.path + ":" + funcName(fn)
			seen[key] = true
			n := fset.Position(fn.End()).Line - fset.Position(fn.Pos()).Line + 1
			if n <= maxFuncLines {
				continue
			}
			if strings.TrimSpace(longFuncs[key]) == "" {
				long = append(long, fmt.Sprintf("%s: %d lines", key, n))
			}
		}
	}
	for key, reason := range longFuncs {
		if !seen[key] {
			t.Errorf("longFuncs names %s, which is not a function of the module: remove it", key)
		}
		if strings.TrimSpace(reason) == "" {
			t.Errorf("longFuncs: %s has no reason", key)
		}
	}
	sort.Strings(long)
	if len(long) > 0 {
		t.Errorf("%d functions are longer than %d lines (split them, or name them in longFuncs with a reason):\n\t%s",
			len(long), maxFuncLines, strings.Join(long, "\n\t"))
	}
}

// funcName is Name, or Type.Name for a method.
func funcName(fn *ast.FuncDecl) string {
	if fn.Recv == nil || len(fn.Recv.List) == 0 {
		return fn.Name.Name
	}
	return recvType(fn) + "." + fn.Name.Name
}

// recvType is the name of a method's receiver type, without * or type
// parameters.
func recvType(fn *ast.FuncDecl) string {
	x := fn.Recv.List[0].Type
	for {
		switch e := x.(type) {
		case *ast.StarExpr:
			x = e.X
		case *ast.IndexExpr:
			x = e.X
		case *ast.IndexListExpr:
			x = e.X
		case *ast.Ident:
			return e.Name
		default:
			return fmt.Sprintf("%T", x)
		}
	}
}

// TestHygienePackageComments fails on a package without a package comment
// (in any of its files; test-only packages such as e2e included). A
// library's comment starts "Package <name> "; a command's may start
// with anything.
func TestHygienePackageComments(t *testing.T) {
	_, files := moduleFiles(t)
	type pkg struct {
		dir, name string
	}
	docs := map[pkg][]string{}
	for _, f := range files {
		p := pkg{filepath.Dir(f.path), f.ast.Name.Name}
		if _, ok := docs[p]; !ok {
			docs[p] = nil
		}
		if f.ast.Doc != nil {
			docs[p] = append(docs[p], f.path+": "+f.ast.Doc.Text())
		}
	}
	var bad []string
	for p, ds := range docs {
		if strings.HasSuffix(p.name, "_test") {
			if _, tested := docs[pkg{p.dir, strings.TrimSuffix(p.name, "_test")}]; tested {
				continue // an external test package: its package has the comment
			}
		}
		switch {
		case len(ds) == 0:
			bad = append(bad, fmt.Sprintf("%s (package %s): no package comment", p.dir, p.name))
		case p.name != "main":
			for _, d := range ds {
				if _, text, _ := strings.Cut(d, ": "); !strings.HasPrefix(text, "Package "+p.name+" ") {
					bad = append(bad, fmt.Sprintf("%s: package comment does not start %q", strings.SplitN(d, ": ", 2)[0], "Package "+p.name+" "))
				}
			}
		}
	}
	sort.Strings(bad)
	if len(bad) > 0 {
		t.Errorf("package comments:\n\t%s", strings.Join(bad, "\n\t"))
	}
}

// TestHygieneDocComments fails on an exported identifier of a non-test
// file without a doc comment that starts with its name: functions, methods
// of exported types, types, constants and variables. A constant or
// variable in a documented group ( const ( ... ) ) may rely on the group's
// comment. Struct fields and interface methods are not checked.
func TestHygieneDocComments(t *testing.T) {
	fset, files := moduleFiles(t)
	var bad []string
	report := func(pos token.Pos, name, problem string) {
		p := fset.Position(pos)
		bad = append(bad, fmt.Sprintf("%s:%d: %s %s", filepath.ToSlash(p.Filename), p.Line, name, problem))
	}
	check := func(pos token.Pos, name string, doc *ast.CommentGroup) {
		short := name[strings.LastIndex(name, ".")+1:] // a method's doc starts with the method's name
		switch {
		case doc == nil:
			report(pos, name, "has no doc comment")
		case !startsWithName(doc.Text(), short):
			report(pos, name, "has a doc comment that does not start with its name")
		}
	}
	for _, f := range files {
		if f.test {
			continue
		}
		for _, d := range f.ast.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if !d.Name.IsExported() || (d.Recv != nil && !ast.IsExported(recvType(d))) {
					continue
				}
				check(d.Pos(), funcName(d), d.Doc)
			case *ast.GenDecl:
				checkGenDecl(d, check)
			}
		}
	}
	sort.Slice(bad, func(i, j int) bool { return lessPos(bad[i], bad[j]) })
	if len(bad) > 0 {
		t.Errorf("%d exported identifiers lack a doc comment starting with their name:\n\t%s", len(bad), strings.Join(bad, "\n\t"))
	}
}

// checkGenDecl checks the exported types, constants and variables of d.
func checkGenDecl(d *ast.GenDecl, check func(token.Pos, string, *ast.CommentGroup)) {
	for _, s := range d.Specs {
		switch s := s.(type) {
		case *ast.TypeSpec:
			if !s.Name.IsExported() {
				continue
			}
			doc := s.Doc
			if doc == nil && !d.Lparen.IsValid() {
				doc = d.Doc
			}
			check(s.Pos(), s.Name.Name, doc)
		case *ast.ValueSpec:
			for _, n := range s.Names {
				if !n.IsExported() {
					continue
				}
				switch {
				case s.Doc != nil:
					if len(s.Names) == 1 {
						check(n.Pos(), n.Name, s.Doc)
					}
				case d.Lparen.IsValid() && d.Doc != nil:
					// documented by its group
				case !d.Lparen.IsValid():
					check(n.Pos(), n.Name, d.Doc)
				default:
					check(n.Pos(), n.Name, nil)
				}
			}
		}
	}
}

// startsWithName reports whether a doc comment starts with name (after
// an optional article, as `go doc` and golint read it).
func startsWithName(text, name string) bool {
	for _, article := range []string{"A ", "An ", "The "} {
		text = strings.TrimPrefix(text, article)
	}
	rest, ok := strings.CutPrefix(text, name)
	if !ok {
		return false
	}
	return rest == "" || strings.IndexAny(rest[:1], " .,:;'(\n") == 0
}

var posRE = regexp.MustCompile(`^(.*):(\d+):`)

// lessPos orders "file:line: ..." messages by file, then line number.
func lessPos(a, b string) bool {
	ma, mb := posRE.FindStringSubmatch(a), posRE.FindStringSubmatch(b)
	if ma == nil || mb == nil || ma[1] != mb[1] {
		return a < b
	}
	la, _ := strconv.Atoi(ma[2])
	lb, _ := strconv.Atoi(mb[2])
	return la < lb
}

// migrationRE is the name of a migration file: a four-digit number and a
// snake_case name.
var migrationRE = regexp.MustCompile(`^(\d{4})_[a-z0-9_]+\.sql$`)

// TestHygieneMigrationsInStep fails when the SQLite and PostgreSQL
// migration directories differ in their file names (a change that does
// not apply to one backend is a migration of comments there), or when the
// numbers are not 0001, 0002, ... without gaps or repeats.
func TestHygieneMigrationsInStep(t *testing.T) {
	list := func(dir string) []string {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		sort.Strings(names)
		return names
	}
	lite, pg := list("internal/sqlite/migrations"), list("internal/postgres/migrations")
	if strings.Join(lite, " ") != strings.Join(pg, " ") {
		t.Errorf("migrations are not in step:\n\tinternal/sqlite/migrations:   %s\n\tinternal/postgres/migrations: %s",
			strings.Join(lite, " "), strings.Join(pg, " "))
	}
	for dir, names := range map[string][]string{"internal/sqlite/migrations": lite, "internal/postgres/migrations": pg} {
		for i, name := range names {
			m := migrationRE.FindStringSubmatch(name)
			if m == nil {
				t.Errorf("%s/%s: want NNNN_snake_case.sql", dir, name)
				continue
			}
			if want := fmt.Sprintf("%04d", i+1); m[1] != want {
				t.Errorf("%s/%s: number %s, want %s (numbers run from 0001 without gaps or repeats)", dir, name, m[1], want)
			}
		}
	}
}

// TestHygieneStartsWithName checks the doc comment rule itself.
func TestHygieneStartsWithName(t *testing.T) {
	for _, tc := range []struct {
		doc, name string
		want      bool
	}{
		{"Open opens a store.\n", "Open", true},
		{"A Store keeps state.\n", "Store", true},
		{"Opens a store.\n", "Open", false},
		{"OpenAll opens every store.\n", "Open", false},
		{"Open.\n", "Open", true},
		{"Open\n", "Open", true},
		{"open opens a store.\n", "Open", false},
	} {
		if got := startsWithName(tc.doc, tc.name); got != tc.want {
			t.Errorf("startsWithName(%q, %q) = %v, want %v", tc.doc, tc.name, got, tc.want)
		}
	}
}
