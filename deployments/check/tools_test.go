package check

import (
	"os/exec"
	"testing"
)

// tool finds a validator; without it only that check is skipped, and says so.
func tool(t *testing.T, names ...string) string {
	t.Helper()
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	t.Skipf("%v not on PATH: this check is skipped (promtool: apt-get install prometheus; the collector: otelcol-contrib from its releases)", names)
	return ""
}

func TestPrometheusConfigPassesPromtool(t *testing.T) {
	if out, err := exec.Command(tool(t, "promtool"), "check", "config", "../compose/prometheus.yml").CombinedOutput(); err != nil {
		t.Fatalf("promtool check config: %v\n%s", err, out)
	}
}

func TestCollectorConfigValidates(t *testing.T) {
	bin := tool(t, "otelcol-contrib", "otelcol")
	if out, err := exec.Command(bin, "validate", "--config=../compose/otel-collector.yaml").CombinedOutput(); err != nil {
		t.Fatalf("%s validate: %v\n%s", bin, err, out)
	}
}
