package httpapi

import (
	"context"
	"log/slog"
	"maps"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"
	"go.opentelemetry.io/otel/trace"
)

const instrumentationName = "github.com/extguard/extguard/adapters/http"

// traceparentHeader carries a caller's trace context (W3C Trace Context).
const traceparentHeader = "traceparent"

// noSpan stands for the span of a request that has none: its methods do
// nothing.
var noSpan = trace.SpanFromContext(context.Background())

// Instrument gives every request a server span named after its route template
// (never the raw path, which holds ids), records the request rate, errors and
// latency by route and status, and writes one log line per request. When no
// span can be recorded (spansRecorded false), only a request carrying a
// traceparent header gets a span, to pass its trace on.
func Instrument(log *slog.Logger, spansRecorded bool) fiber.Handler {
	tracer := otel.Tracer(instrumentationName)
	prop := otel.GetTextMapPropagator()
	// Options are passed as a ready slice: a variadic call through an
	// interface would allocate its slice on every request.
	serverKind := []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindServer)}

	return func(c *fiber.Ctx) error {
		// fasthttp stamps each request as its handling starts; reusing the
		// stamp saves a clock read, which costs ~0.1 us on our VMs.
		start := c.Context().Time()
		if start.IsZero() {
			start = time.Now()
		}
		ctx, span := c.UserContext(), noSpan
		if spansRecorded || len(c.Request().Header.Peek(traceparentHeader)) > 0 {
			ctx = prop.Extract(ctx, headerCarrier{c})
			ctx, span = tracer.Start(ctx, c.Method(), serverKind...)
			c.SetUserContext(ctx)
		}

		err := c.Next()
		if err != nil {
			// Run the error handler now so the span and metrics see the real status.
			if herr := c.App().ErrorHandler(c, err); herr != nil {
				_ = c.SendStatus(fiber.StatusInternalServerError)
			}
		}
		status := c.Response().StatusCode()
		route := routeTemplate(c)
		l := labelsFor(route, c.Method(), status)
		span.SetName(l.spanName)
		span.SetAttributes(l.spanAttrs...)
		if status >= 500 {
			span.SetStatus(codes.Error, strconv.Itoa(status))
		}
		span.End()

		elapsed := time.Since(start)
		l.duration.Observe(elapsed.Seconds())
		if log.Enabled(ctx, slog.LevelInfo) { // a fleet runs at warn: skip building the line
			log.LogAttrs(ctx, slog.LevelInfo, "request",
				slog.String("method", l.method), slog.String("route", route),
				slog.Int("status", status), slog.Duration("duration", elapsed))
		}
		return nil
	}
}

// requestLabels are a route's span name and attributes and its latency
// series for one method and status, found once: building an attribute set
// per request (sorting, allocating) cost about a tenth of a heartbeat.
type requestLabels struct {
	method    string
	spanName  string
	spanAttrs []attribute.KeyValue
	duration  prometheus.Observer
}

type labelKey struct {
	route, method string
	status        int
}

// maxLabelSets bounds the cache; routes, methods and statuses are finite,
// so only something unexpected would reach it, and then labels are built
// per request instead.
const maxLabelSets = 4096

// labelSets is read on every request without a lock or an allocation (a
// struct key boxed for sync.Map would allocate): a map replaced whole, copy
// on write under labelsMu, when a new route, method and status combination
// first shows.
var (
	labelSets atomic.Pointer[map[labelKey]*requestLabels]
	labelsMu  sync.Mutex
)

func labelsFor(route, method string, status int) *requestLabels {
	method = knownMethod(method)
	if m := labelSets.Load(); m != nil {
		if l, ok := (*m)[labelKey{route, method, status}]; ok {
			return l
		}
	}
	labelsMu.Lock()
	defer labelsMu.Unlock()
	current := map[labelKey]*requestLabels{}
	if m := labelSets.Load(); m != nil {
		current = *m
	}
	if l, ok := current[labelKey{route, method, status}]; ok {
		return l
	}
	l := newRequestLabels(route, method, status)
	if len(current) < maxLabelSets {
		next := maps.Clone(current)
		next[labelKey{route, method, status}] = l
		labelSets.Store(&next)
	}
	return l
}

// newRequestLabels: method is one knownMethod returned.
func newRequestLabels(route, method string, status int) *requestLabels {
	return &requestLabels{
		method:   method,
		spanName: method + " " + route,
		spanAttrs: []attribute.KeyValue{
			semconv.HTTPRequestMethodKey.String(method), semconv.HTTPRoute(route), semconv.HTTPResponseStatusCode(status),
		},
		duration: requestDuration.WithLabelValues(route, method, strconv.Itoa(status)),
	}
}

// knownMethod is method when HTTP defines it, else "_OTHER" (as
// OpenTelemetry's conventions say), so that a client inventing methods
// cannot create series. The result never aliases fiber's buffers, which the
// next request reuses.
func knownMethod(method string) string {
	for _, m := range [...]string{fiber.MethodGet, fiber.MethodHead, fiber.MethodPost, fiber.MethodPut, fiber.MethodPatch,
		fiber.MethodDelete, fiber.MethodConnect, fiber.MethodOptions, fiber.MethodTrace} {
		if method == m {
			return m
		}
	}
	return "_OTHER"
}

// routeTemplate is the matched route's template (/api/v1/groups/:id). A
// request no route matched ends in the not-found middleware, whose "path" is
// its mount point "/"; it is reported as "unmatched" so the raw path (which
// may hold ids, or anything a scanner tries) never becomes a label.
func routeTemplate(c *fiber.Ctx) string {
	r := c.Route()
	if r.Path == "/" && c.Path() != "/" {
		return "unmatched"
	}
	return r.Path
}

// The metrics every request or agent answer records are Prometheus client
// instruments in the default registry (see adapters/telemetry): the OTel
// SDK's synchronous instruments cost the heartbeat and the 304 a few
// percent of their throughput. The families keep the names and labels the
// OTel exporter gave them.
var (
	requestDuration = register(prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "http_server_request_duration_seconds",
		Help:    "HTTP request latency by route and status",
		Buckets: []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10},
	}, []string{"http_route", "http_request_method", "http_response_status_code"}))

	// The share of policy requests answered 304 says whether agents' ETags
	// work; reports ingested is the fleet's pulse.
	policyAnswers = register(prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "extguard_agent_policy_answers_total",
		Help: "Agent policy requests answered, by status (200 full policy, 304 not modified)",
	}, []string{"status"}))
	reportsIngested = register(prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "extguard_agent_reports_ingested_total",
		Help: "Agent inventory reports accepted, by the verdict returned",
	}, []string{"verdict"}))

	notModifiedAnswers, fullPolicyAnswers = policyAnswers.WithLabelValues("304"), policyAnswers.WithLabelValues("200")
	compliantReports, noncompliantReports = reportsIngested.WithLabelValues("compliant"), reportsIngested.WithLabelValues("noncompliant")
)

func register[C prometheus.Collector](c C) C {
	prometheus.MustRegister(c)
	return c
}

// countPolicyAnswer records one policy answer (304 when notModified).
func countPolicyAnswer(notModified bool) {
	if notModified {
		notModifiedAnswers.Inc()
		return
	}
	fullPolicyAnswers.Inc()
}

// countReportIngested records one accepted report and its verdict.
func countReportIngested(compliant bool) {
	if compliant {
		compliantReports.Inc()
		return
	}
	noncompliantReports.Inc()
}

// headerCarrier reads request headers for the propagator. Values are
// copied: the span context keeps tracestate and baggage, and spans are
// exported after fiber has reused the request's buffer.
type headerCarrier struct{ c *fiber.Ctx }

func (h headerCarrier) Get(key string) string { return strings.Clone(h.c.Get(key)) }
func (h headerCarrier) Set(string, string)    {}
func (h headerCarrier) Keys() []string        { return nil }

var _ propagation.TextMapCarrier = headerCarrier{}
