// Package telemetry sets OpenTelemetry up once at startup: a tracer provider
// and a meter provider configured from the standard OTEL_* variables, and a
// Prometheus registry that GET /metrics serves. Adapters only add their own
// instrumentation against the global providers.
package telemetry

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.opentelemetry.io/contrib/exporters/autoexport"
	"go.opentelemetry.io/otel"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"
)

// ServiceInfo names this process in every span and metric.
type ServiceInfo struct {
	Name       string
	Version    string
	InstanceID string
}

// Telemetry is what Setup built; Shutdown flushes and stops the exporters.
type Telemetry struct {
	TracerProvider *sdktrace.TracerProvider
	MeterProvider  *sdkmetric.MeterProvider
	Registry       *prometheus.Registry
}

// Setup installs the global tracer provider, meter provider and propagators.
// OTEL_TRACES_EXPORTER defaults to "none" here (the SDK's own default is
// otlp), so a fresh install exports nothing until an operator asks for it;
// spans are still created so logs carry trace ids.
func Setup(ctx context.Context, info ServiceInfo) (*Telemetry, error) {
	res, err := newResource(ctx, info)
	if err != nil {
		return nil, err
	}
	tp, err := newTracerProvider(ctx, res)
	if err != nil {
		return nil, err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	mp, err := newMeterProvider(ctx, res, reg)
	if err != nil {
		_ = tp.Shutdown(ctx)
		return nil, err
	}
	otel.SetTracerProvider(tp)
	otel.SetMeterProvider(mp)
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	return &Telemetry{TracerProvider: tp, MeterProvider: mp, Registry: reg}, nil
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

func newTracerProvider(ctx context.Context, res *resource.Resource) (*sdktrace.TracerProvider, error) {
	opts := []sdktrace.TracerProviderOption{sdktrace.WithResource(res)}
	if os.Getenv("OTEL_TRACES_EXPORTER") != "" && os.Getenv("OTEL_TRACES_EXPORTER") != "none" {
		exp, err := autoexport.NewSpanExporter(ctx)
		if err != nil {
			return nil, fmt.Errorf("OTEL_TRACES_EXPORTER: %w", err)
		}
		opts = append(opts, sdktrace.WithBatcher(exp))
	}
	return sdktrace.NewTracerProvider(opts...), nil
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
		r, err := autoexport.NewMetricReader(ctx)
		if err != nil {
			return nil, fmt.Errorf("OTEL_METRICS_EXPORTER: %w", err)
		}
		opts = append(opts, sdkmetric.WithReader(r))
	}
	return sdkmetric.NewMeterProvider(opts...), nil
}
