package telemetry

import (
	"context"
	crand "crypto/rand"

	"go.opentelemetry.io/otel/trace"
)

// Untraced returns ctx under a parent span context that is not sampled, so
// the spans started below it (bun queries, Redis commands, use cases) are not
// recorded with the default parent-based sampler. Polling loops and metric
// scrapes use it: a query every second would otherwise be a trace every
// second. Logging leaves the ids of unsampled spans out.
func Untraced(ctx context.Context) context.Context {
	var sc trace.SpanContextConfig
	_, _ = crand.Read(sc.TraceID[:])
	_, _ = crand.Read(sc.SpanID[:])
	return trace.ContextWithSpanContext(ctx, trace.NewSpanContext(sc))
}
