package httpapi

import (
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// allowIndex tells the methods an app routes for a path, so a request with
// a method a known path does not take is 405 with Allow (RFC 9110 15.5.6)
// instead of a 404 that reads as a wrong URL. It is consulted only for
// requests no route took.
type allowIndex []routePattern

type routePattern struct {
	segments []string // ":name" matches any one segment
	method   string
}

func newAllowIndex(app *fiber.App) allowIndex {
	var idx allowIndex
	for _, r := range app.GetRoutes(true) {
		idx = append(idx, routePattern{segments: strings.Split(r.Path, "/"), method: r.Method})
	}
	return idx
}

// methods answers the sorted, comma-separated methods routed for path; ""
// when the path is unknown.
func (idx allowIndex) methods(path string) string {
	segments := strings.Split(strings.TrimSuffix(path, "/"), "/")
	var out []string
	for _, p := range idx {
		if p.matches(segments) && !slices.Contains(out, p.method) {
			out = append(out, p.method)
		}
	}
	slices.Sort(out)
	return strings.Join(out, ", ")
}

func (p routePattern) matches(segments []string) bool {
	if len(segments) != len(p.segments) {
		return false
	}
	for i, s := range p.segments {
		if strings.HasPrefix(s, ":") {
			if segments[i] == "" {
				return false
			}
		} else if !strings.EqualFold(s, segments[i]) {
			return false
		}
	}
	return true
}

// noRoute answers a request no route took: 405 when the path is known.
func noRoute(idx allowIndex) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if methods := idx.methods(c.Path()); methods != "" {
			c.Set(fiber.HeaderAllow, methods)
			return WriteProblem(c, newProblem(fiber.StatusMethodNotAllowed, "this route does not take "+c.Method()))
		}
		return WriteProblem(c, newProblem(fiber.StatusNotFound, "no such route"))
	}
}
