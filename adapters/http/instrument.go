package httpapi

import (
	"log/slog"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"
	"go.opentelemetry.io/otel/trace"
)

const instrumentationName = "github.com/extguard/extguard/adapters/http"

// Instrument gives every request a server span named after its route template
// (never the raw path, which holds ids), records the request rate, errors and
// latency by route and status, and writes one log line per request.
func Instrument(log *slog.Logger) fiber.Handler {
	tracer := otel.Tracer(instrumentationName)
	meter := otel.Meter(instrumentationName)
	duration, _ := meter.Float64Histogram("http.server.request.duration",
		metric.WithUnit("s"), metric.WithDescription("HTTP request latency by route and status"),
		metric.WithExplicitBucketBoundaries(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
	prop := otel.GetTextMapPropagator()

	return func(c *fiber.Ctx) error {
		start := time.Now()
		ctx := prop.Extract(c.UserContext(), headerCarrier{c})
		ctx, span := tracer.Start(ctx, c.Method(), trace.WithSpanKind(trace.SpanKindServer))
		c.SetUserContext(ctx)

		err := c.Next()
		if err != nil {
			// Run the error handler now so the span and metrics see the real status.
			if herr := c.App().ErrorHandler(c, err); herr != nil {
				_ = c.SendStatus(fiber.StatusInternalServerError)
			}
		}
		status := c.Response().StatusCode()
		route := c.Route().Path
		method := c.Method()
		span.SetName(method + " " + route)
		span.SetAttributes(
			semconv.HTTPRequestMethodKey.String(method),
			semconv.HTTPRoute(route),
			semconv.HTTPResponseStatusCode(status),
		)
		if status >= 500 {
			span.SetStatus(codes.Error, strconv.Itoa(status))
		}
		span.End()

		elapsed := time.Since(start)
		duration.Record(ctx, elapsed.Seconds(), metric.WithAttributes(
			attribute.String("http.route", route),
			attribute.String("http.request.method", method),
			attribute.Int("http.response.status_code", status),
		))
		log.LogAttrs(ctx, slog.LevelInfo, "request",
			slog.String("method", method), slog.String("route", route),
			slog.Int("status", status), slog.Duration("duration", elapsed))
		return nil
	}
}

// headerCarrier reads request headers for the propagator without copying them.
type headerCarrier struct{ c *fiber.Ctx }

func (h headerCarrier) Get(key string) string { return h.c.Get(key) }
func (h headerCarrier) Set(string, string)    {}
func (h headerCarrier) Keys() []string        { return nil }

var _ propagation.TextMapCarrier = headerCarrier{}
