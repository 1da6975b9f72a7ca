package telemetry

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// MetricsListener serves GET /metrics, /healthz and /readyz on an address of
// its own (EXTGUARD_METRICS_ADDR): the worker process has no HTTP API to
// carry them. /healthz says the process is up (a liveness probe: restarting
// a worker does not bring Redis back); /readyz runs Checks.
type MetricsListener struct {
	Addr    string
	Metrics prometheus.Gatherer
	Checks  []ReadinessCheck
	Log     *slog.Logger
	Pprof   bool // also serve Go's profiler under /debug/pprof/ (EXTGUARD_PPROF)
}

// profileWriteTimeout lets a CPU profile run for up to two minutes: the
// profiler refuses a duration the server's write timeout would cut.
const profileWriteTimeout = 2*time.Minute + 5*time.Second

// Run serves until ctx ends.
func (m MetricsListener) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", m.Addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: m.Handler(), ReadHeaderTimeout: 5 * time.Second, WriteTimeout: 30 * time.Second}
	if m.Pprof {
		srv.WriteTimeout = profileWriteTimeout
	}
	m.Log.Info("metrics listening", "addr", ln.Addr().String())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}
}

// Handler serves the listener's three routes.
func (m MetricsListener) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.Metrics, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"ok"}` + "\n"))
	})
	mux.HandleFunc("GET /readyz", m.ready)
	if m.Pprof {
		mux.HandleFunc("GET /debug/pprof/", pprof.Index) // and the named profiles: heap, goroutine, allocs…
		mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	}
	return mux
}

// ready answers like the API's /readyz: 200 or 503 and each check's state.
func (m MetricsListener) ready(w http.ResponseWriter, r *http.Request) {
	ok, states := Ready(r.Context(), m.Checks)
	w.Header().Set("Content-Type", "application/json")
	if !ok {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"ready": ok, "checks": states})
}
