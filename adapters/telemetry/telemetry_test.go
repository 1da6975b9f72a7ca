package telemetry

import (
	"bytes"
	"context"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// TestConsoleExporterAndMetrics is the one test that calls Setup (it installs
// the process's global providers): OTEL_TRACES_EXPORTER=console prints spans
// with the service's resource and OTEL_METRICS_EXPORTER=console the
// Prometheus client instruments of the hot path too (checked in a child
// process, since the console exporter holds the stdout it found at
// start-up); /metrics serves both registries, and cached gauges read their
// store once per TTL.
func TestConsoleExporterAndMetrics(t *testing.T) {
	if os.Getenv("EXTGUARD_TELEMETRY_CHILD") == "1" {
		tel, err := Setup(context.Background(), ServiceInfo{Name: "extguard", Version: "1.2.3", InstanceID: "box-1"})
		if err != nil {
			t.Fatal(err)
		}
		_, span := otel.Tracer("t").Start(context.Background(), "console-span")
		span.SetAttributes(attribute.String("url.full", "https://hooks.example.com/services/SECRET?token=x"))
		span.End()
		hot := prometheus.NewCounter(prometheus.CounterOpts{Name: "extguard_test_hot_total", Help: "a hot-path counter"})
		prometheus.MustRegister(hot)
		hot.Add(7)
		_ = tel.Shutdown(context.Background()) // flushes the metric reader
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestConsoleExporterAndMetrics$", "-test.count=1")
	cmd.Env = append(os.Environ(), "EXTGUARD_TELEMETRY_CHILD=1", "OTEL_TRACES_EXPORTER=console", "OTEL_METRICS_EXPORTER=console",
		"OTEL_RESOURCE_ATTRIBUTES=deployment.environment=test")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, want := range []string{`"Name":"console-span"`, `"service.name"`, `"extguard"`, `"1.2.3"`, `"box-1"`, `"deployment.environment"`, `https://hooks.example.com/`,
		`"Name":"extguard_test_hot_total"`} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("console output lacks %s:\n%s", want, out)
		}
	}
	if bytes.Contains(out, []byte("SECRET")) {
		t.Errorf("console output holds the URL's path:\n%s", out)
	}

	tel, err := Setup(context.Background(), ServiceInfo{Name: "extguard", Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	var reads atomic.Int32
	unregister, err := ObserveCached(slog.New(slog.DiscardHandler), time.Hour, func(context.Context) ([][]Sample, error) {
		reads.Add(1)
		return [][]Sample{{{Value: 42, Attrs: []attribute.KeyValue{attribute.String("group", "lab")}}}}, nil
	}, Gauge{Name: "extguard.test.gauge", Unit: "{thing}", Description: "test"})
	if err != nil {
		t.Fatal(err)
	}
	defer unregister()
	for range 3 {
		rec := httptest.NewRecorder()
		promhttp.HandlerFor(tel.Metrics, promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		if !strings.Contains(rec.Body.String(), `extguard_test_gauge{group="lab"`) || !strings.Contains(rec.Body.String(), "go_goroutines ") {
			t.Fatalf("gauge missing from:\n%s", rec.Body.String())
		}
	}
	if n := reads.Load(); n != 1 {
		t.Errorf("three scrapes read the store %d times, want once per TTL", n)
	}
	_ = tel.Shutdown(context.Background())
}

func TestURLsAreRedactedBeforeAnyProcessorSeesThem(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(redactingProcessor{rec}))
	_, span := tp.Tracer("t").Start(context.Background(), "POST")
	// Set after the start, as otelhttp does.
	span.SetAttributes(attribute.String("url.full", "https://user:pw@hooks.example.com:8443/services/T0/B0/XYZ?sig=abc#frag"),
		attribute.String("url.query", "sig=abc"), attribute.String("http.request.method", "POST"))
	span.End()
	got := map[attribute.Key]string{}
	for _, kv := range rec.Ended()[0].Attributes() {
		got[kv.Key] = kv.Value.Emit()
	}
	if got["url.full"] != "https://hooks.example.com:8443/" || got["url.query"] != "REDACTED" || got["http.request.method"] != "POST" {
		t.Fatalf("attributes after redaction: %v", got)
	}
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://hooks.slack.com/services/T/B/secret":  "https://hooks.slack.com/",
		"http://127.0.0.1:9000/x?token=1":              "http://127.0.0.1:9000/",
		"https://a:b@example.com/":                     "https://example.com/",
		"not a url":                                    "REDACTED",
		"https://open-vsx.org/api/x/y/1.0.0/file.vsix": "https://open-vsx.org/",
	} {
		if got := RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
}
