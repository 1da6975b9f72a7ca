package telemetry

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
)

// ReadinessCheck is one dependency a process reports on /readyz and in the
// extguard_dependency_up gauge.
type ReadinessCheck struct {
	Name  string
	Check func(ctx context.Context) error
	// Optional dependencies are reported but do not make the process
	// unready: the API answers without Redis, so a Redis restart must not
	// take every API pod out of its Service.
	Optional bool
}

// readinessTimeout bounds all of one readiness evaluation.
const readinessTimeout = 2 * time.Second

// Ready runs the checks side by side and reports whether the process is
// ready (every required check passed within readinessTimeout) with each
// check's state, "ok" or "failing" (never the error: its text may name hosts
// or credentials). Side by side, so that one unreachable dependency costs the
// probe one timeout, not one per check.
func Ready(ctx context.Context, checks []ReadinessCheck) (bool, map[string]string) {
	ctx, cancel := context.WithTimeout(Untraced(ctx), readinessTimeout)
	defer cancel()
	errs := make([]error, len(checks))
	var wg sync.WaitGroup
	for i, c := range checks {
		wg.Go(func() { errs[i] = c.Check(ctx) })
	}
	wg.Wait()
	ready, states := true, make(map[string]string, len(checks))
	for i, c := range checks {
		states[c.Name] = "ok"
		if errs[i] != nil {
			states[c.Name] = "failing"
			ready = ready && c.Optional
		}
	}
	return ready, states
}

// ObserveDependencies registers extguard_dependency_up{dependency}: 1 while
// a check passes, 0 while it fails, read at most once per ttl.
func ObserveDependencies(log *slog.Logger, ttl time.Duration, checks []ReadinessCheck) (func(), error) {
	return ObserveCached(log, ttl, func(ctx context.Context) ([][]Sample, error) {
		_, states := Ready(ctx, checks)
		samples := make([]Sample, 0, len(checks))
		for _, c := range checks {
			up := 0.0
			if states[c.Name] == "ok" {
				up = 1
			}
			samples = append(samples, Sample{Value: up, Attrs: []attribute.KeyValue{attribute.String("dependency", c.Name)}})
		}
		return [][]Sample{samples}, nil
	}, Gauge{Name: "extguard.dependency.up", Description: "Whether a dependency answers its readiness check (1) or not (0)"})
}
