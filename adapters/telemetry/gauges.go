package telemetry

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// Sample is one value of a gauge with its attributes.
type Sample struct {
	Attrs []attribute.KeyValue
	Value float64
}

// Gauge describes a gauge read from a store (PostgreSQL, the queue).
type Gauge struct {
	Name, Unit, Description string
}

// Reading reads several gauges at once (one query for all of them), returning
// the samples of each, indexed like the gauges it was registered with.
type Reading func(ctx context.Context) ([][]Sample, error)

// readTimeout bounds one reading, so a slow database cannot hold a scrape.
const readTimeout = 2 * time.Second

// ObserveCached registers gauges whose values come from read, run at most
// once per ttl however often /metrics is scraped (the last good values are
// served in between, and while a reading fails). The reading runs untraced.
// The returned function unregisters them.
func ObserveCached(log *slog.Logger, ttl time.Duration, read Reading, gauges ...Gauge) (func(), error) {
	meter := otel.Meter(instrumentationName)
	insts := make([]metric.Float64ObservableGauge, len(gauges))
	obs := make([]metric.Observable, len(gauges))
	for i, g := range gauges {
		var err error
		insts[i], err = meter.Float64ObservableGauge(g.Name, metric.WithUnit(g.Unit), metric.WithDescription(g.Description))
		if err != nil {
			return nil, err
		}
		obs[i] = insts[i]
	}
	c := &cachedReading{read: read, ttl: ttl, log: log}
	reg, err := meter.RegisterCallback(func(ctx context.Context, o metric.Observer) error {
		for i, samples := range c.get(ctx) {
			if i >= len(insts) {
				break
			}
			for _, s := range samples {
				o.ObserveFloat64(insts[i], s.Value, metric.WithAttributes(s.Attrs...))
			}
		}
		return nil
	}, obs...)
	if err != nil {
		return nil, err
	}
	return func() { _ = reg.Unregister() }, nil
}

type cachedReading struct {
	read    Reading
	ttl     time.Duration
	log     *slog.Logger
	mu      sync.Mutex
	at      time.Time
	last    [][]Sample
	failing bool
}

func (c *cachedReading) get(ctx context.Context) [][]Sample {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.at.IsZero() && time.Since(c.at) < c.ttl {
		return c.last
	}
	rctx, cancel := context.WithTimeout(Untraced(ctx), readTimeout)
	defer cancel()
	v, err := c.read(rctx)
	c.at = time.Now() // a failing store is asked again after ttl, not on every scrape
	if err != nil {
		if !c.failing {
			c.log.WarnContext(ctx, "metrics: reading gauges failed; serving the last values", "error", err)
		}
		c.failing = true
		return c.last
	}
	c.failing = false
	c.last = v
	return v
}
