package telemetry

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// With nothing to receive spans, spans keep their ids (a caller's trace is
// passed on) but are not recorded; a processor or an explicit sampler turns
// recording on.
func TestSpansAreRecordedOnlyWhenSomethingReceivesThem(t *testing.T) {
	ctx := context.Background()
	t.Setenv("OTEL_TRACES_EXPORTER", "none")
	t.Setenv("OTEL_TRACES_SAMPLER", "")
	recording := func(t *testing.T, extra ...sdktrace.SpanProcessor) bool {
		t.Helper()
		tp, recorded, err := newTracerProvider(ctx, resource.Default(), extra...)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = tp.Shutdown(ctx) }()
		_, span := tp.Tracer("test").Start(ctx, "request")
		defer span.End()
		if !span.SpanContext().IsValid() {
			t.Fatal("a span without ids: a caller's trace would not be passed on")
		}
		if span.IsRecording() != recorded {
			t.Fatalf("span recording %v, but the provider says spans are recorded: %v (use cases would be watched for nothing, or not at all)",
				span.IsRecording(), recorded)
		}
		return span.IsRecording()
	}
	if recording(t) {
		t.Error("spans are recorded with no exporter and no processor")
	}
	if !recording(t, tracetest.NewSpanRecorder()) {
		t.Error("spans are not recorded for a processor")
	}
	t.Setenv("OTEL_TRACES_SAMPLER", "always_on")
	if !recording(t) {
		t.Error("OTEL_TRACES_SAMPLER=always_on is not honoured")
	}
}

// A use case under a parent that is not recorded opens no span of its own;
// under a recorded parent it does.
func TestUseCaseSpansFollowTheirParent(t *testing.T) {
	ctx := context.Background()
	t.Setenv("OTEL_TRACES_EXPORTER", "none")
	t.Setenv("OTEL_TRACES_SAMPLER", "")
	quiet, _, err := newTracerProvider(ctx, resource.Default())
	if err != nil {
		t.Fatal(err)
	}
	rec := tracetest.NewSpanRecorder()
	loud, _, err := newTracerProvider(ctx, resource.Default(), rec)
	if err != nil {
		t.Fatal(err)
	}
	parentCtx, parent := quiet.Tracer("test").Start(ctx, "request")
	uc := UseCaseSpans{tracer: loud.Tracer("test")}
	got, end := uc.Start(parentCtx, "RecordHeartbeat")
	end(nil)
	parent.End()
	if got != parentCtx || len(rec.Ended()) != 0 {
		t.Fatalf("a use case under an unrecorded parent opened a span (%d recorded)", len(rec.Ended()))
	}
	parentCtx, parent = loud.Tracer("test").Start(ctx, "request")
	_, end = uc.Start(parentCtx, "RecordHeartbeat")
	end(nil)
	parent.End()
	if len(rec.Ended()) != 2 {
		t.Fatalf("%d spans recorded under a recorded parent, want the request's and the use case's", len(rec.Ended()))
	}
}
