package httpapi

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	gojson "github.com/goccy/go-json"
	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	dto "github.com/prometheus/client_model/go"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/extguard/extguard/domain"
)

type routes func(app *fiber.App)

func (r routes) Register(app *fiber.App) { r(app) }

func testApp(cfg ServerConfig) *fiber.App {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	return NewApp(cfg, log, routes(func(app *fiber.App) {
		app.Get("/invalid", func(c *fiber.Ctx) error {
			return domain.Invalid("bad input", domain.FieldError{Field: "a", Message: "x"}, domain.FieldError{Field: "b", Message: "y"})
		})
		app.Get("/conflict", func(*fiber.Ctx) error { return domain.Conflict("taken") })
		app.Get("/internal", func(*fiber.Ctx) error { return errors.New("pq: secret internal detail") })
		app.Get("/canceled", func(*fiber.Ctx) error { return context.Canceled })
		app.Get("/panic", func(*fiber.Ctx) error { panic("boom") })
		app.Post("/echo", func(c *fiber.Ctx) error { return c.Send(c.Body()) })
		app.Get("/ip", func(c *fiber.Ctx) error { return c.SendString(clientIP(c)) })
	}), NewHealth(goRegistry(), ReadinessCheck{Name: "always", Check: func(context.Context) error { return nil }}))
}

func goRegistry() *prometheus.Registry {
	r := prometheus.NewRegistry()
	r.MustRegister(collectors.NewGoCollector())
	return r
}

func do(t *testing.T, app *fiber.App, req *http.Request) (int, string, Problem) {
	t.Helper()
	resp, err := app.Test(req, 5000)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	var p Problem
	if resp.Header.Get("Content-Type") == "application/problem+json" {
		if err := gojson.Unmarshal(b, &p); err != nil {
			t.Fatalf("problem body %q: %v", b, err)
		}
	}
	return resp.StatusCode, string(b), p
}

func TestErrorsBecomeProblemDocuments(t *testing.T) {
	app := testApp(DefaultServerConfig())
	cases := []struct {
		path   string
		status int
	}{
		{"/invalid", 400}, {"/conflict", 409}, {"/internal", 500}, {"/canceled", 499}, {"/panic", 500}, {"/no/such/route", 404},
	}
	for _, c := range cases {
		status, body, p := do(t, app, httptest.NewRequest("GET", c.path, nil))
		if status != c.status || p.Status != c.status || p.Title == "" {
			t.Errorf("%s: status %d, problem %+v, body %s", c.path, status, p, body)
		}
		if strings.Contains(body, "secret internal detail") || strings.Contains(body, "boom") {
			t.Errorf("%s leaks internal text: %s", c.path, body)
		}
	}
	_, _, p := do(t, app, httptest.NewRequest("GET", "/invalid", nil))
	if len(p.Errors) != 2 || p.Errors[0].Field != "a" || p.Errors[1].Field != "b" {
		t.Fatalf("every invalid field must be listed: %+v", p.Errors)
	}
}

// serve runs app on a real socket until the test ends and returns its
// address (for what app.Test cannot show: fasthttp's own limits).
func serve(t *testing.T, app *fiber.App) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go app.Listener(ln) //nolint:errcheck
	t.Cleanup(func() { _ = app.Shutdown() })
	return ln.Addr().String()
}

func TestBodiesOverOneMebibyteAreRefused(t *testing.T) {
	// Through a real listener: app.Test refuses oversized bodies client-side.
	app := testApp(DefaultServerConfig())
	addr := serve(t, app)
	url := "http://" + addr + "/echo"
	// Announce a body one byte over the limit; the server must answer 413
	// from the headers alone, before reading (or buffering) the body.
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(c, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", MaxBodyBytes+1)
	status, _ := bufio.NewReader(c).ReadString('\n')
	c.Close()
	if !strings.Contains(status, "413") {
		t.Fatalf("status line %q, want 413", status)
	}
	resp, err := http.Post(url, "text/plain", strings.NewReader("small"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "small" {
		t.Fatalf("small body: %d %q", resp.StatusCode, body)
	}
}

// A client that sends its request slowly (a slowloris) is cut off after
// the read timeout rather than holding a connection and a worker.
func TestSlowClientsAreCutOffAfterTheReadTimeout(t *testing.T) {
	cfg := DefaultServerConfig()
	cfg.ReadTimeout = 200 * time.Millisecond
	app := testApp(cfg)
	c, err := net.Dial("tcp", serve(t, app))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprint(c, "POST /echo HTTP/1.1\r\nHost: x\r\n") // and never the rest
	start := time.Now()
	_ = c.SetReadDeadline(start.Add(5 * time.Second))
	buf := make([]byte, 512)
	for {
		if _, err := c.Read(buf); err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatal("the server still held the half-sent request after 5 s")
			}
			break // closed by the server (possibly after a 408)
		}
	}
	if waited := time.Since(start); waited < cfg.ReadTimeout/2 {
		t.Fatalf("cut off after %v, before the read timeout", waited)
	}
}

func TestForwardedForIsBelievedOnlyFromTrustedProxies(t *testing.T) {
	ipOf := func(app *fiber.App, forwardedFor ...string) string {
		r := httptest.NewRequest("GET", "/ip", nil)
		for _, h := range forwardedFor {
			r.Header.Add("X-Forwarded-For", h)
		}
		_, ip, _ := do(t, app, r)
		return ip
	}
	// app.Test's connections come from 0.0.0.0.
	if ip := ipOf(testApp(DefaultServerConfig()), "203.0.113.9"); ip != "0.0.0.0" {
		t.Fatalf("with no trusted proxy the address must be the peer's, got %q", ip)
	}
	notTheProxy := DefaultServerConfig()
	notTheProxy.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	if ip := ipOf(testApp(notTheProxy), "203.0.113.9"); ip != "0.0.0.0" {
		t.Fatalf("a peer that is not a trusted proxy was believed: got %q", ip)
	}
	cfg := DefaultServerConfig()
	cfg.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("0.0.0.0/32"), netip.MustParsePrefix("10.0.0.0/8")}
	app := testApp(cfg)
	for _, c := range []struct {
		name         string
		forwardedFor []string
		want         string
	}{
		{"one hop", []string{"203.0.113.9"}, "203.0.113.9"},
		// The client sent 1.2.3.4 itself; the proxy appended what it saw.
		{"a forged hop left of the real one", []string{"1.2.3.4, 203.0.113.9"}, "203.0.113.9"},
		{"behind two trusted proxies", []string{"1.2.3.4, 203.0.113.9, 10.0.0.7"}, "203.0.113.9"},
		{"one header per proxy", []string{"1.2.3.4", "203.0.113.9"}, "203.0.113.9"},
		{"garbage left of the real hop", []string{"not-an-address, 203.0.113.9"}, "203.0.113.9"},
		{"IPv6", []string{"2001:db8::1"}, "2001:db8::1"},
		{"only trusted hops", []string{"10.0.0.8, 10.0.0.7"}, "10.0.0.8"},
		{"no header", nil, "0.0.0.0"},
	} {
		if ip := ipOf(app, c.forwardedFor...); ip != c.want {
			t.Errorf("%s: X-Forwarded-For %q gave %q, want %q", c.name, c.forwardedFor, ip, c.want)
		}
	}
}

func TestHealthEndpoints(t *testing.T) {
	app := testApp(DefaultServerConfig())
	for path, want := range map[string]string{"/healthz": `"ok"`, "/readyz": `"ready":true`, "/metrics": "go_goroutines"} {
		status, body, _ := do(t, app, httptest.NewRequest("GET", path, nil))
		if status != 200 || !strings.Contains(body, want) {
			t.Errorf("%s: %d %s", path, status, body)
		}
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	failing := NewApp(DefaultServerConfig(), log, NewHealth(prometheus.NewRegistry(),
		ReadinessCheck{Name: "postgres", Check: func(context.Context) error { return errors.New("down: password=hunter2") }}))
	status, body, _ := do(t, failing, httptest.NewRequest("GET", "/readyz", nil))
	if status != 503 || !strings.Contains(body, `"postgres":"failing"`) || strings.Contains(body, "hunter2") {
		t.Fatalf("failing readyz: %d %s", status, body)
	}
}

// Requests are counted by route template, a method HTTP knows and status,
// so that neither paths nor invented methods become series.
func TestRequestsAreCountedWithoutUnboundedLabels(t *testing.T) {
	app := testApp(DefaultServerConfig())
	var m dto.Metric
	count := func() uint64 {
		if err := requestDuration.WithLabelValues("/echo", "POST", "200").(prometheus.Histogram).Write(&m); err != nil {
			t.Fatal(err)
		}
		return m.GetHistogram().GetSampleCount()
	}
	before := count()
	if status, _, _ := do(t, app, httptest.NewRequest("POST", "/echo", strings.NewReader("x"))); status != 200 {
		t.Fatalf("echo: %d", status)
	}
	if got := count() - before; got != 1 {
		t.Errorf("POST /echo counted %d times, want 1", got)
	}
	if status, _, _ := do(t, app, httptest.NewRequest("BREW", "/coffee/42", nil)); status < 400 {
		t.Fatalf("an invented method was answered %d", status)
	}
	families, err := prometheus.DefaultGatherer.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		for _, metric := range f.GetMetric() {
			for _, l := range metric.GetLabel() {
				if strings.Contains(l.GetValue(), "BREW") || strings.Contains(l.GetValue(), "coffee") {
					t.Errorf("%s has a series labelled %s=%q", f.GetName(), l.GetName(), l.GetValue())
				}
			}
		}
	}
	if knownMethod("BREW") != "_OTHER" || knownMethod("PATCH") != "PATCH" {
		t.Error("methods HTTP does not define must be counted as _OTHER")
	}
}

func TestETagMatchesListsWeakTagsAndStar(t *testing.T) {
	const etag = `"p-1"`
	for header, want := range map[string]bool{
		``: false, `"p-1"`: true, `W/"p-1"`: true, `*`: true, `"p-0", "p-1"`: true, `"p-0",W/"p-1"  ,`: true,
		`"p-0"`: false, `"p-0", "p-2"`: false, `,`: false, `"p-10"`: false, `p-1`: false, `"p-0" , * `: true,
	} {
		if got := etagMatches(header, etag); got != want {
			t.Errorf("etagMatches(%q) = %v, want %v", header, got, want)
		}
	}
}

// When no span can be recorded, a request gets a server span only if it
// carries a caller's trace context (to pass it on); otherwise every request
// gets one.
func TestServerSpansWhenSpansCannotBeRecorded(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	installTracing(t, sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)))
	probe := func(spansRecorded bool) *fiber.App {
		cfg := DefaultServerConfig()
		cfg.SpansRecorded = spansRecorded
		return NewApp(cfg, slog.New(slog.DiscardHandler), routes(func(app *fiber.App) {
			app.Get("/span-probe", func(c *fiber.Ctx) error { return c.SendStatus(fiber.StatusNoContent) })
		}))
	}
	probeSpans := func() []sdktrace.ReadOnlySpan {
		var out []sdktrace.ReadOnlySpan
		for _, s := range rec.Ended() {
			if s.Name() == "GET /span-probe" {
				out = append(out, s)
			}
		}
		return out
	}
	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	withCaller := func() *http.Request {
		r := httptest.NewRequest("GET", "/span-probe", nil)
		r.Header.Set("traceparent", "00-"+traceID+"-00f067aa0ba902b7-01")
		return r
	}

	unrecorded := probe(false)
	if status, _, _ := do(t, unrecorded, httptest.NewRequest("GET", "/span-probe", nil)); status != fiber.StatusNoContent {
		t.Fatalf("probe: %d", status)
	}
	if n := len(probeSpans()); n != 0 {
		t.Fatalf("%d spans for a request without trace context, when none can be recorded", n)
	}
	do(t, unrecorded, withCaller())
	spans := probeSpans()
	if len(spans) != 1 || spans[0].SpanContext().TraceID().String() != traceID {
		t.Fatalf("a caller's trace was not passed on: %d spans", len(spans))
	}

	do(t, probe(true), httptest.NewRequest("GET", "/span-probe", nil))
	if n := len(probeSpans()); n != 2 {
		t.Fatalf("%d spans in all, want a span for every request when spans are recorded", n)
	}
}

// With the production setting for "nothing records" (sampler always_off),
// the handler still sees the caller's trace id, to pass it on.
func TestCallersTraceIsPassedOnWhenNothingRecords(t *testing.T) {
	installTracing(t, sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.NeverSample())))
	cfg := DefaultServerConfig()
	cfg.SpansRecorded = false
	seen := make(chan string, 1)
	app := NewApp(cfg, slog.New(slog.DiscardHandler), routes(func(app *fiber.App) {
		app.Get("/trace-probe", func(c *fiber.Ctx) error {
			seen <- trace.SpanContextFromContext(c.UserContext()).TraceID().String()
			return c.SendStatus(fiber.StatusNoContent)
		})
	}))
	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	r := httptest.NewRequest("GET", "/trace-probe", nil)
	r.Header.Set("traceparent", "00-"+traceID+"-00f067aa0ba902b7-01")
	do(t, app, r)
	if got := <-seen; got != traceID {
		t.Fatalf("the handler saw trace %s, want the caller's %s", got, traceID)
	}
}

// installTracing makes tp and the W3C propagator the process's for one
// test, and puts the previous ones back after it.
func installTracing(t *testing.T, tp trace.TracerProvider) {
	prevTP, prevProp := otel.GetTracerProvider(), otel.GetTextMapPropagator()
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.TraceContext{})
	t.Cleanup(func() {
		otel.SetTracerProvider(prevTP)
		otel.SetTextMapPropagator(prevProp)
	})
}

// A request head fasthttp cannot parse (here a NUL in a header) is a 400
// whose detail names no part of the request: fasthttp's own message quotes
// the whole head and body, Authorization and password included, and a
// proxy in front may have added headers of its own to it.
func TestAnUnparsableHeadIsRefusedWithoutEchoingIt(t *testing.T) {
	addr := serve(t, testApp(DefaultServerConfig()))
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	body := `{"password":"body-marker"}`
	fmt.Fprintf(c, "POST /echo HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer head-marker\r\nUser-Agent: a\x00b\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", len(body), body)
	answer, _ := io.ReadAll(c)
	if !strings.HasPrefix(string(answer), "HTTP/1.1 400") {
		t.Fatalf("answer %q, want 400", answer)
	}
	if strings.Contains(string(answer), "marker") || strings.Contains(string(answer), "buffer size") {
		t.Fatalf("the 400 echoes the request: %q", answer)
	}
}
