// Package check validates the deployment files with what runs on a machine
// without Docker: every YAML document parses, the compose file's services
// reference services and files that exist, and the collector config's
// pipelines use only receivers, processors and exporters it defines.
package check

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func readYAML(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := yaml.NewDecoder(f)
	var docs []map[string]any
	for {
		var doc map[string]any
		if err := dec.Decode(&doc); err != nil {
			if err.Error() == "EOF" {
				return docs
			}
			t.Fatalf("%s: %v", path, err)
		}
		docs = append(docs, doc)
	}
}

func TestEveryDeploymentYAMLParses(t *testing.T) {
	var files []string
	_ = filepath.WalkDir("..", func(p string, d os.DirEntry, err error) error {
		if err == nil && (strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
			files = append(files, p)
		}
		return nil
	})
	if len(files) < 4 {
		t.Fatalf("found only %v", files)
	}
	for _, f := range files {
		if docs := readYAML(t, f); len(docs) == 0 {
			t.Errorf("%s: no documents", f)
		}
	}
}

func TestComposeReferencesExist(t *testing.T) {
	compose := readYAML(t, "../compose/compose.yaml")[0]
	services := compose["services"].(map[string]any)
	for name, raw := range services {
		svc := raw.(map[string]any)
		if deps, ok := svc["depends_on"].(map[string]any); ok {
			for dep := range deps {
				if _, ok := services[dep]; !ok {
					t.Errorf("%s depends on unknown service %s", name, dep)
				}
			}
		}
		if vols, ok := svc["volumes"].([]any); ok {
			for _, v := range vols {
				src := strings.SplitN(v.(string), ":", 2)[0]
				if strings.HasPrefix(src, "./") {
					if _, err := os.Stat(filepath.Join("../compose", src)); err != nil {
						t.Errorf("%s mounts missing file %s", name, src)
					}
				}
			}
		}
		if b, ok := svc["build"].(map[string]any); ok {
			df := filepath.Join("../compose", b["context"].(string), b["dockerfile"].(string))
			if _, err := os.Stat(df); err != nil {
				t.Errorf("%s builds from missing %s", name, df)
			}
		}
	}
}

// Every extguard service in the compose file has a memory limit, as every
// Kubernetes workload does: a leak must not take the host down with it.
func TestComposeExtguardServicesHaveMemoryLimits(t *testing.T) {
	services := readYAML(t, "../compose/compose.yaml")[0]["services"].(map[string]any)
	for _, name := range []string{"api", "worker"} {
		svc, _ := services[name].(map[string]any)
		deploy, _ := svc["deploy"].(map[string]any)
		res, _ := deploy["resources"].(map[string]any)
		limits, _ := res["limits"].(map[string]any)
		if limits["memory"] == nil {
			t.Errorf("compose service %s has no deploy.resources.limits.memory", name)
		}
	}
}

func TestCollectorPipelinesUseDefinedComponents(t *testing.T) {
	cfg := readYAML(t, "../compose/otel-collector.yaml")[0]
	pipelines := cfg["service"].(map[string]any)["pipelines"].(map[string]any)
	for name, raw := range pipelines {
		p := raw.(map[string]any)
		for _, kind := range []string{"receivers", "processors", "exporters"} {
			defined := cfg[kind].(map[string]any)
			for _, c := range p[kind].([]any) {
				if _, ok := defined[c.(string)]; !ok {
					t.Errorf("pipeline %s uses undefined %s %s", name, kind, c)
				}
			}
		}
	}
}

// TestPrometheusScrapesWhatTheServicesServe: each scrape target is a compose
// service listening on that port: the API on EXTGUARD_HTTP_ADDR (default
// :8080), any process on its EXTGUARD_METRICS_ADDR.
func TestPrometheusScrapesWhatTheServicesServe(t *testing.T) {
	services := readYAML(t, "../compose/compose.yaml")[0]["services"].(map[string]any)
	prom := readYAML(t, "../compose/prometheus.yml")[0]
	var targets int
	for _, job := range prom["scrape_configs"].([]any) {
		for _, sc := range job.(map[string]any)["static_configs"].([]any) {
			for _, target := range sc.(map[string]any)["targets"].([]any) {
				targets++
				host, port, _ := strings.Cut(target.(string), ":")
				svc, ok := services[host].(map[string]any)
				if !ok {
					t.Errorf("scrape target %s: no service %q", target, host)
					continue
				}
				env, _ := svc["environment"].(map[string]any)
				listens := map[string]bool{}
				for _, name := range []string{"EXTGUARD_HTTP_ADDR", "EXTGUARD_METRICS_ADDR"} {
					if v, ok := env[name].(string); ok {
						_, p, _ := strings.Cut(v, ":")
						listens[p] = true
					}
				}
				if cmd, _ := svc["command"].([]any); len(cmd) > 0 && cmd[0] != "worker" && env["EXTGUARD_HTTP_ADDR"] == nil {
					listens["8080"] = true
				}
				if !listens[port] {
					t.Errorf("scrape target %s: service %q does not serve metrics on port %s", target, host, port)
				}
			}
		}
	}
	if targets < 2 {
		t.Errorf("want the API and the worker scraped, found %d targets", targets)
	}
}
