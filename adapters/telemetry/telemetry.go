// Package telemetry sets OpenTelemetry up once at startup: a tracer provider
// and a meter provider configured from the standard OTEL_* variables, and
// what GET /metrics serves. Adapters add their own instrumentation against
// the global providers; the few instruments on the agent API's hot path are
// Prometheus client ones in Prometheus's default registry instead (an OTel
// SDK histogram's Record cost ~0.3 us per request, the client's ~0.01 us),
// which /metrics serves too and OTLP metric readers receive through the
// Prometheus bridge, so each exporter sees every metric.
package telemetry

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/prometheus/client_golang/prometheus"
	prombridge "go.opentelemetry.io/contrib/bridges/prometheus"
	"go.opentelemetry.io/contrib/exporters/autoexport"
	"go.opentelemetry.io/otel"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"

	"github.com/extguard/extguard/application"
)

// ServiceInfo names this process in every span and metric.
type ServiceInfo struct {
	Name       string
	Version    string
	InstanceID string
}

// Telemetry is what Setup built; Shutdown flushes and stops the exporters.
// Metrics is what /metrics serves: the OTel exporter's registry and
// Prometheus's default one (the Go runtime, the process, the hot-path
// instruments).
type Telemetry struct {
	TracerProvider *sdktrace.TracerProvider
	MeterProvider  *sdkmetric.MeterProvider
	Metrics        prometheus.Gatherer
	// SpansRecorded is false when no span can be recorded (no exporter, no
	// processor, no sampler asked for): the HTTP server then starts spans
	// only to pass a caller's trace on.
	SpansRecorded bool
}

// Setup installs the global tracer provider, meter provider and propagators,
// and, when spans can be recorded at all, the use-case observer that gives
// every use case its span.
// OTEL_TRACES_EXPORTER defaults to "none" here (the SDK's own default is
// otlp), so a fresh install exports nothing until an operator asks for it;
// spans are then still created where a caller's trace context is to be
// passed on, but never recorded. extra processors see the
// spans too (tests add an in-memory span recorder); every processor gets them
// with URLs redacted.
//
// OpenTelemetry's global instruments bind to the first providers installed,
// so a process (or test binary) calls Setup once.
func Setup(ctx context.Context, info ServiceInfo, extra ...sdktrace.SpanProcessor) (*Telemetry, error) {
	res, err := newResource(ctx, info)
	if err != nil {
		return nil, err
	}
	tp, recorded, err := newTracerProvider(ctx, res, extra...)
	if err != nil {
		return nil, err
	}
	reg := prometheus.NewRegistry()
	mp, err := newMeterProvider(ctx, res, reg)
	if err != nil {
		_ = tp.Shutdown(ctx)
		return nil, err
	}
	otel.SetTracerProvider(tp)
	otel.SetMeterProvider(mp)
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	if recorded {
		application.SetUseCaseObserver(NewUseCaseSpans())
	} else {
		// No use-case span could ever be recorded: not watching use cases
		// at all saves the agent API's requests two context walks each.
		application.SetUseCaseObserver(nil)
	}
	return &Telemetry{TracerProvider: tp, MeterProvider: mp, Metrics: prometheus.Gatherers{reg, prometheus.DefaultGatherer},
		SpansRecorded: recorded}, nil
}

// Shutdown flushes pending spans and metrics.
func (t *Telemetry) Shutdown(ctx context.Context) error {
	return errors.Join(t.TracerProvider.Shutdown(ctx), t.MeterProvider.Shutdown(ctx))
}

func newResource(ctx context.Context, info ServiceInfo) (*resource.Resource, error) {
	name := info.Name
	if v := os.Getenv("OTEL_SERVICE_NAME"); v != "" {
		name = v
	}
	instance := info.InstanceID
	if instance == "" {
		host, _ := os.Hostname()
		instance = fmt.Sprintf("%s-%d", host, os.Getpid())
	}
	return resource.New(ctx,
		resource.WithTelemetrySDK(),
		resource.WithAttributes(
			semconv.ServiceName(name),
			semconv.ServiceVersion(info.Version),
			semconv.ServiceInstanceID(instance),
		),
		resource.WithFromEnv(), // OTEL_RESOURCE_ATTRIBUTES wins over the defaults above
	)
}

// newTracerProvider also says whether any span can be recorded.
func newTracerProvider(ctx context.Context, res *resource.Resource, extra ...sdktrace.SpanProcessor) (*sdktrace.TracerProvider, bool, error) {
	opts := []sdktrace.TracerProviderOption{sdktrace.WithResource(res)}
	for _, p := range extra {
		opts = append(opts, sdktrace.WithSpanProcessor(redactingProcessor{p}))
	}
	exporting := os.Getenv("OTEL_TRACES_EXPORTER") != "" && os.Getenv("OTEL_TRACES_EXPORTER") != "none"
	recorded := exporting || len(extra) > 0 || os.Getenv("OTEL_TRACES_SAMPLER") != ""
	if !recorded {
		// Nothing would receive a recorded span. Spans still get ids, so a
		// caller's traceparent is passed on, but none is recorded:
		// recording every heartbeat's spans for no one cost the agent API
		// about a sixth of its throughput.
		opts = append(opts, sdktrace.WithSampler(sdktrace.NeverSample()))
	}
	if exporting {
		exp, err := autoexport.NewSpanExporter(ctx)
		if err != nil {
			return nil, false, fmt.Errorf("OTEL_TRACES_EXPORTER: %w", err)
		}
		opts = append(opts, sdktrace.WithSpanProcessor(redactingProcessor{sdktrace.NewBatchSpanProcessor(exp)}))
	}
	return sdktrace.NewTracerProvider(opts...), recorded, nil
}

func newMeterProvider(ctx context.Context, res *resource.Resource, reg *prometheus.Registry) (*sdkmetric.MeterProvider, error) {
	promReader, err := otelprom.New(otelprom.WithRegisterer(reg))
	if err != nil {
		return nil, fmt.Errorf("prometheus exporter: %w", err)
	}
	opts := []sdkmetric.Option{sdkmetric.WithResource(res), sdkmetric.WithReader(promReader)}
	switch v := os.Getenv("OTEL_METRICS_EXPORTER"); v {
	case "", "none", "prometheus":
		// /metrics is always served from the registry; nothing else to start.
	default:
		// Unless OTEL_METRICS_PRODUCERS says otherwise, the reader also
		// exports what Prometheus's default registry holds (see the package
		// comment).
		autoexport.WithFallbackMetricProducer(func(context.Context) (sdkmetric.Producer, error) {
			return prombridge.NewMetricProducer(), nil
		})
		r, err := autoexport.NewMetricReader(ctx)
		if err != nil {
			return nil, fmt.Errorf("OTEL_METRICS_EXPORTER: %w", err)
		}
		opts = append(opts, sdkmetric.WithReader(r))
	}
	return sdkmetric.NewMeterProvider(opts...), nil
}
