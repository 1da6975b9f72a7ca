package httpapi_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	httpapi "github.com/extguard/extguard/adapters/http"
	"github.com/extguard/extguard/application"
)

// Every answer a test of this package receives through send is checked
// against the OpenAPI document the server serves, with kin-openapi's
// validator: its status must be declared for the operation and its body and
// headers must match the declared response. A request to a path the document
// does not know must be the 404 problem, and one with a method the path does
// not have must be 405 with the path's methods in Allow; nothing escapes.

var served struct {
	once   sync.Once
	doc    *openapi3.T
	router routers.Router
	err    error
}

// servedDocument loads GET /api/v1/openapi.json as the admin module serves it
// (the agent routes are in the same document).
func servedDocument(t testing.TB) (*openapi3.T, routers.Router) {
	t.Helper()
	served.once.Do(func() {
		// The macOS profile is XML the validator has no decoder for; its
		// schema is a string, as for text/plain.
		openapi3filter.RegisterBodyDecoder("application/x-apple-aspen-config", openapi3filter.RegisteredBodyDecoder("text/plain"))
		openapi3filter.RegisterBodyDecoder("application/vnd.cyclonedx+json", openapi3filter.RegisteredBodyDecoder("application/json"))
		log := slog.New(slog.DiscardHandler)
		app := httpapi.NewApp(httpapi.DefaultServerConfig(), log, httpapi.NewAdmin(&application.Application{}, log))
		resp, err := app.Test(httptest.NewRequest("GET", "/api/v1/openapi.json", nil), -1)
		if err != nil {
			served.err = err
			return
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		loader := openapi3.NewLoader()
		if served.doc, served.err = loader.LoadFromData(body); served.err != nil {
			return
		}
		if served.err = served.doc.Validate(loader.Context); served.err != nil {
			return
		}
		served.router, served.err = gorillamux.NewRouter(served.doc)
	})
	if served.err != nil {
		t.Fatalf("the served OpenAPI document: %v", served.err)
	}
	return served.doc, served.router
}

// methodsOfDocument are the methods the document uses.
var methodsOfDocument = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// checkServed fails t unless a is an answer the document allows to req.
func checkServed(t testing.TB, req *http.Request, a answer) {
	t.Helper()
	doc, router := servedDocument(t)
	route, params, err := router.FindRoute(req)
	if err != nil {
		checkOutsideDocument(t, doc, router, req, a, err)
		return
	}
	if route.Operation.Responses.Status(a.status) == nil {
		t.Errorf("OpenAPI: %s %s answered %d, which the document does not declare: %s", req.Method, req.URL.Path, a.status, a.body)
		return
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 a.status,
		Header:                 a.header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true,
			SchemaValidationOptions: []openapi3.SchemaValidationOption{openapi3.EnableFormatValidation()}},
	}
	in.SetBodyBytes(a.body)
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		t.Errorf("OpenAPI: %s %s answered %d not as declared: %v\nbody: %s", req.Method, req.URL.Path, a.status, err, a.body)
	}
}

// checkOutsideDocument checks an answer to a request no operation takes: a
// known path with another method is 405 listing the path's methods, any
// other path is the 404 problem.
func checkOutsideDocument(t testing.TB, doc *openapi3.T, router routers.Router, req *http.Request, a answer, err error) {
	t.Helper()
	var re *routers.RouteError
	if !errors.As(err, &re) || (re.Reason != routers.ErrPathNotFound.Error() && re.Reason != routers.ErrMethodNotAllowed.Error()) {
		t.Errorf("OpenAPI: %s %s: %v", req.Method, req.URL.Path, err)
		return
	}
	var allowed []string
	for _, m := range methodsOfDocument {
		other := req.Clone(context.Background())
		other.Method = m
		if _, _, err := router.FindRoute(other); err == nil {
			allowed = append(allowed, m)
		}
	}
	want := http.StatusNotFound
	if len(allowed) > 0 {
		want = http.StatusMethodNotAllowed
		sort.Strings(allowed)
		if got := splitAllow(a.header.Get("Allow")); !slices.Equal(got, allowed) {
			t.Errorf("OpenAPI: %s %s: Allow %q, want %q", req.Method, req.URL.Path, got, allowed)
		}
	}
	if a.status != want {
		t.Errorf("OpenAPI: %s %s is no operation of the document but answered %d, want %d: %s", req.Method, req.URL.Path, a.status, want, a.body)
		return
	}
	problem := doc.Components.Schemas["Problem"].Value
	if ct := a.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		t.Errorf("OpenAPI: %s %s: %d with content type %q, want problem+json", req.Method, req.URL.Path, a.status, ct)
		return
	}
	var v any
	if err := jsonUnmarshal(a.body, &v); err != nil {
		t.Errorf("OpenAPI: %s %s: %d body is not JSON: %s", req.Method, req.URL.Path, a.status, a.body)
		return
	}
	if err := problem.VisitJSON(v, openapi3.EnableJSONSchema2020(), openapi3.VisitAsResponse()); err != nil {
		t.Errorf("OpenAPI: %s %s: %d body is no Problem: %v", req.Method, req.URL.Path, a.status, err)
	}
}

func splitAllow(h string) []string {
	var out []string
	for _, m := range strings.Split(h, ",") {
		// HEAD comes with GET (fiber routes both); the document lists GET.
		if m = strings.TrimSpace(m); m != "" && m != http.MethodHead {
			out = append(out, m)
		}
	}
	sort.Strings(out)
	return out
}
