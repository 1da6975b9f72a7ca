package httpapi_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// TestHandlersCallOneUseCase: a route's handler parses, calls one use case
// and shapes the answer; a rule that needs two belongs in a use case. The
// check reads the handlers' source: every method the route tables name
// (handle: a.x, and the agent API's routes) may refer to one field of the
// application at most.
func TestHandlersCallOneUseCase(t *testing.T) {
	methods, handlers := routeHandlers(t)
	for h := range handlers {
		used := useCasesIn(methods[h])
		if got := strings.Join(used, ","); len(used) > 1 {
			t.Errorf("handler %s calls %d use cases (%s); it should call one", h, len(used), got)
		}
	}
}

// TestHandlersLeaveTheStatusToTheRouteTable: the success status is the
// route row's (Register sets it; the OpenAPI document says it): a handler
// that set its own could answer what the document does not declare. The
// one alternative is a PUT that created its target (201, declared beside
// the row's 200 for every PUT).
func TestHandlersLeaveTheStatusToTheRouteTable(t *testing.T) {
	methods, handlers := routeHandlers(t)
	for h := range handlers {
		if !adminHandlers[h] {
			continue
		}
		ast.Inspect(methods[h].Body, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			fn, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || (fn.Sel.Name != "Status" && fn.Sel.Name != "SendStatus") {
				return true
			}
			if h == "putAssignment" && len(call.Args) == 1 && isSelector(call.Args[0], "StatusCreated") {
				return true
			}
			t.Errorf("handler %s sets its status (%s); the route row's is the answer's", h, fn.Sel.Name)
			return true
		})
	}
}

func isSelector(e ast.Expr, name string) bool {
	sel, ok := e.(*ast.SelectorExpr)
	return ok && sel.Sel.Name == name
}

// adminHandlers are the handlers the admin route table names (handle: a.x).
var adminHandlers = map[string]bool{}

// routeHandlers reads the package's source: every method, and the names of
// those the route tables name as handlers (handle: a.x rows and the agent
// API's app.Post(path, h.x)).
func routeHandlers(t *testing.T) (map[string]*ast.FuncDecl, map[string]bool) {
	t.Helper()
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	methods := map[string]*ast.FuncDecl{}
	handlers := map[string]bool{}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.FuncDecl:
				if n.Recv != nil {
					methods[n.Name.Name] = n
				}
			case *ast.KeyValueExpr:
				if k, ok := n.Key.(*ast.Ident); ok && k.Name == "handle" {
					if sel, ok := n.Value.(*ast.SelectorExpr); ok {
						handlers[sel.Sel.Name] = true
						adminHandlers[sel.Sel.Name] = true
					}
				}
			case *ast.CallExpr: // app.Post(path, h.enroll)
				if sel, ok := n.Fun.(*ast.SelectorExpr); ok && len(n.Args) == 2 && isRouteVerb(sel.Sel.Name) {
					if h, ok := n.Args[1].(*ast.SelectorExpr); ok {
						handlers[h.Sel.Name] = true
					}
				}
			}
			return true
		})
	}
	if len(handlers) < 40 {
		t.Fatalf("found %d handlers: the route tables were not read", len(handlers))
	}
	for h := range handlers {
		if methods[h] == nil {
			t.Fatalf("handler %s: no method of that name", h)
		}
	}
	return methods, handlers
}

func isRouteVerb(s string) bool {
	switch s {
	case "Get", "Post", "Put", "Patch", "Delete":
		return true
	}
	return false
}

// useCasesIn lists the distinct x of every <receiver>.uc.x in fn.
func useCasesIn(fn *ast.FuncDecl) []string {
	seen := map[string]bool{}
	ast.Inspect(fn.Body, func(n ast.Node) bool {
		sel, ok := n.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		if inner, ok := sel.X.(*ast.SelectorExpr); ok && inner.Sel.Name == "uc" {
			seen[sel.Sel.Name] = true
		}
		return true
	})
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
