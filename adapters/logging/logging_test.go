package logging

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

func TestLinesInsideASpanCarryItsIDs(t *testing.T) {
	var buf bytes.Buffer
	log := New("info", "json", &buf)
	tp := sdktrace.NewTracerProvider()
	ctx, span := tp.Tracer("t").Start(context.Background(), "op")
	log.InfoContext(ctx, "inside")
	span.End()
	log.InfoContext(context.Background(), "outside")

	lines := bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n"))
	if len(lines) != 2 {
		t.Fatalf("want 2 lines, got %q", buf.String())
	}
	var in, out map[string]any
	_ = json.Unmarshal(lines[0], &in)
	_ = json.Unmarshal(lines[1], &out)
	if in["trace_id"] != span.SpanContext().TraceID().String() || in["span_id"] != span.SpanContext().SpanID().String() {
		t.Fatalf("inside line lacks the span's ids: %v", in)
	}
	if _, ok := out["trace_id"]; ok {
		t.Fatalf("outside line has a trace id: %v", out)
	}
}

func TestLevelFilters(t *testing.T) {
	var buf bytes.Buffer
	New("warn", "text", &buf).Info("hidden")
	if buf.Len() != 0 {
		t.Fatalf("info written at warn level: %q", buf.String())
	}
}

func TestLinesInsideAnUnsampledSpanCarryNoIDs(t *testing.T) {
	var buf bytes.Buffer
	log := New("info", "json", &buf)
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.NeverSample()))
	ctx, span := tp.Tracer("t").Start(context.Background(), "op")
	defer span.End()
	log.InfoContext(ctx, "inside")
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatal(err)
	}
	if _, ok := line["trace_id"]; ok {
		t.Fatalf("an unsampled span's ids lead to no trace: %v", line)
	}
}

func TestDurationsAreWrittenForPeople(t *testing.T) {
	var buf bytes.Buffer
	New("info", "json", &buf).Info("request", "duration", 1500*time.Microsecond)
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatal(err)
	}
	if line["duration"] != "1.5ms" {
		t.Fatalf("duration written as %v, want \"1.5ms\"", line["duration"])
	}
}
