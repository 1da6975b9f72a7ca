package telemetry

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// TestMetricsListenerServesPprofOnlyWhenAsked: /debug/pprof/ is not found on
// the metrics listener by default; with Pprof its index, a named profile
// and a one-second CPU profile answer, and /metrics still does.
func TestMetricsListenerServesPprofOnlyWhenAsked(t *testing.T) {
	get := func(m MetricsListener, path string) (int, string) {
		t.Helper()
		srv := httptest.NewServer(m.Handler())
		defer srv.Close()
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	base := MetricsListener{Metrics: prometheus.NewRegistry(), Log: slog.New(slog.DiscardHandler)}
	if code, _ := get(base, "/debug/pprof/"); code != http.StatusNotFound {
		t.Fatalf("pprof off: /debug/pprof/ answered %d", code)
	}
	on := base
	on.Pprof = true
	for path, want := range map[string]string{"/debug/pprof/": "goroutine", "/debug/pprof/goroutine?debug=1": "goroutine profile:", "/metrics": ""} {
		if code, body := get(on, path); code != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("pprof on: %s answered %d without %q", path, code, want)
		}
	}
	if code, body := get(on, "/debug/pprof/profile?seconds=1"); code != http.StatusOK || len(body) == 0 {
		t.Errorf("pprof on: a CPU profile answered %d with %d bytes", code, len(body))
	}
}
