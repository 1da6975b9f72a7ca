package main

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// The flush, flush batch and stale-scan figures come from the server's Prometheus text;
// the stale scan's labels carry the OpenTelemetry scope and the outcome.
func TestReadMetricsTakesTheFlushBatchAndStaleScanHistograms(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`# HELP extguard_heartbeat_flush_duration_seconds x
extguard_heartbeat_flush_duration_seconds_bucket{le="0.01"} 3
extguard_heartbeat_flush_duration_seconds_bucket{le="0.025"} 5
extguard_heartbeat_flush_duration_seconds_bucket{le="0.05"} 5
extguard_heartbeat_flush_duration_seconds_bucket{le="+Inf"} 5
extguard_heartbeat_flush_duration_seconds_sum 0.06
extguard_heartbeat_flush_duration_seconds_count 5
extguard_heartbeat_flush_batch_duration_seconds_bucket{le="0.005"} 6
extguard_heartbeat_flush_batch_duration_seconds_bucket{le="0.01"} 7
extguard_heartbeat_flush_batch_duration_seconds_bucket{le="0.025"} 7
extguard_heartbeat_flush_batch_duration_seconds_bucket{le="+Inf"} 7
extguard_heartbeat_flush_batch_duration_seconds_sum 0.05
extguard_heartbeat_flush_batch_duration_seconds_count 7
extguard_task_duration_seconds_bucket{otel_scope_name="w",outcome="ok",type="agents:stale_scan",le="0.1"} 1
extguard_task_duration_seconds_bucket{otel_scope_name="w",outcome="ok",type="agents:stale_scan",le="0.25"} 2
extguard_task_duration_seconds_bucket{otel_scope_name="w",outcome="ok",type="agents:stale_scan",le="0.5"} 2
extguard_task_duration_seconds_bucket{otel_scope_name="w",outcome="ok",type="agents:stale_scan",le="+Inf"} 2
extguard_task_duration_seconds_bucket{otel_scope_name="w",outcome="error",type="agents:stale_scan",le="0.1"} 1
extguard_task_duration_seconds_bucket{otel_scope_name="w",outcome="error",type="agents:stale_scan",le="+Inf"} 1
extguard_task_duration_seconds_bucket{otel_scope_name="w",outcome="ok",type="history:retention",le="10"} 1
extguard_task_duration_seconds_sum{otel_scope_name="w",outcome="ok",type="agents:stale_scan"} 0.3
extguard_task_duration_seconds_count{otel_scope_name="w",outcome="ok",type="agents:stale_scan"} 2
extguard_task_duration_seconds_sum{otel_scope_name="w",outcome="error",type="agents:stale_scan"} 0.1
extguard_task_duration_seconds_count{otel_scope_name="w",outcome="error",type="agents:stale_scan"} 1
extguard_task_duration_seconds_sum{otel_scope_name="w",outcome="ok",type="history:retention"} 9
`))
	}))
	defer srv.Close()
	var s snapshot
	s.readMetrics(srv.URL)
	if s.flush.count != 5 || s.flush.sum != 0.06 || s.flush.max != 0.025 || s.batch.count != 7 || s.batch.sum != 0.05 || s.batch.max != 0.01 || s.staleCount != 3 || s.staleSum != 0.4 || s.staleMax != 0.25 {
		t.Fatalf("%+v", s)
	}
}

// Blocked extensions leave the inventory and are reported as removed.
func TestUninstallMovesMatchesToRemoved(t *testing.T) {
	s := &simAgent{exts: []ext{{"a.b", "1"}, {"evil.x", "2"}, {"c.d", "3"}}}
	if !s.uninstall(func(id string) bool { return id == "evil.x" }) || len(s.exts) != 2 || len(s.removed) != 1 || s.removed[0].id != "evil.x" {
		t.Fatalf("%+v", s)
	}
	if s.uninstall(func(id string) bool { return id == "none.y" }) {
		t.Fatal("nothing matched, yet something was removed")
	}
}
