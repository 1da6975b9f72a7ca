package domain_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// TestArchitectureDomainDoesNotReadTheClock: every time the domain stores
// comes from the application's Clock, passed in by a use case, so a test
// that pins the clock pins every timestamp. The one exception is NewID:
// a UUIDv7 carries the wall clock's milliseconds so that ids sort by
// creation; that orders index pages and is no timestamp anyone reads.
func TestArchitectureDomainDoesNotReadTheClock(t *testing.T) {
	fset := token.NewFileSet()
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if ok && path == "id.go" && fn.Name.Name == "NewID" {
				continue
			}
			ast.Inspect(decl, func(n ast.Node) bool {
				sel, ok := n.(*ast.SelectorExpr)
				if ok && sel.Sel.Name == "Now" {
					if pkg, ok := sel.X.(*ast.Ident); ok && (pkg.Name == "time" || pkg.Name == "domain") {
						t.Errorf("%s: %s.Now(): take the time from the caller (the application's Clock)", fset.Position(sel.Pos()), pkg.Name)
					}
				}
				return true
			})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
