package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/extguard/extguard/adapters/config"
	"github.com/extguard/extguard/adapters/logging"
	"github.com/extguard/extguard/adapters/postgres/pgtest"
	"github.com/extguard/extguard/adapters/redis/redistest"
	"github.com/extguard/extguard/adapters/telemetry"
)

// readyz is one /readyz answer.
type readyz struct {
	status int
	Ready  bool              `json:"ready"`
	Checks map[string]string `json:"checks"`
}

// A Redis outage must not take the API out of its Service: /readyz stays
// 200 and says Redis is failing, in the body and in extguard_dependency_up,
// while the worker, whose tasks are in Redis, reports itself unready on its
// metrics listener (whose /healthz, the liveness probe, stays 200).
func TestReadinessWhileRedisIsDown(t *testing.T) {
	ctx := context.Background()
	proxy := redistest.NewProxy(t, redistest.Addr(t))
	env := map[string]string{"EXTGUARD_DATABASE_URL": pgtest.DSN(t), "EXTGUARD_REDIS_URL": "redis://" + proxy.Addr + "/0"}
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	log := logging.New("error", "json", io.Discard)
	tel, err := telemetry.Setup(ctx, telemetry.ServiceInfo{Name: "extguard-test", Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tel.Shutdown(ctx) })
	srv, cleanupSrv, err := initServer(ctx, cfg, log, tel)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cleanupSrv)
	w, cleanupWorker, err := initWorker(ctx, cfg, log, tel)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cleanupWorker)
	deps := dependencies{server: srv.Readiness, worker: w.Readiness}
	unobserve, err := telemetry.ObserveDependencies(log, 0, deps.all())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(unobserve)
	workerListener := httptest.NewServer(telemetry.MetricsListener{Metrics: tel.Metrics, Checks: deps.listener(), Log: log}.Handler())
	t.Cleanup(workerListener.Close)

	api := func() readyz { return readyzOf(t, apiGet(t, srv.App.Test, "/readyz")) }
	worker := func() readyz { return readyzOf(t, listenerGet(t, workerListener.URL+"/readyz")) }
	if a, wk := api(), worker(); a.status != 200 || a.Checks["redis"] != "ok" || wk.status != 200 {
		t.Fatalf("with Redis up: API %+v, worker %+v", a, wk)
	}
	if up := redisUp(t, apiGet(t, srv.App.Test, "/metrics")); up != "1" {
		t.Fatalf("extguard_dependency_up for redis with Redis up: %q", up)
	}

	proxy.Cut()
	a := api()
	if a.status != 200 || !a.Ready || a.Checks["redis"] != "failing" || a.Checks["postgres"] != "ok" || a.Checks["migrations"] != "ok" {
		t.Fatalf("API /readyz with Redis down: %+v, want 200, ready, redis failing", a)
	}
	if up := redisUp(t, apiGet(t, srv.App.Test, "/metrics")); up != "0" {
		t.Fatalf("extguard_dependency_up for redis with Redis down: %q, want 0", up)
	}
	if wk := worker(); wk.status != 503 || wk.Ready || wk.Checks["redis"] != "failing" {
		t.Fatalf("worker /readyz with Redis down: %+v, want 503", wk)
	}
	if r := listenerGet(t, workerListener.URL+"/healthz"); r.StatusCode != 200 {
		t.Fatalf("worker /healthz with Redis down: %d", r.StatusCode)
	}
}

func apiGet(t *testing.T, test func(*http.Request, ...int) (*http.Response, error), path string) *http.Response {
	t.Helper()
	resp, err := test(httptest.NewRequest("GET", path, nil), int((10 * time.Second).Milliseconds()))
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func listenerGet(t *testing.T, url string) *http.Response {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func readyzOf(t *testing.T, resp *http.Response) readyz {
	t.Helper()
	defer resp.Body.Close()
	r := readyz{status: resp.StatusCode}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatalf("/readyz body: %v", err)
	}
	return r
}

// redisUp is the value of extguard_dependency_up{dependency="redis"}.
func redisUp(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "extguard_dependency_up{") && strings.Contains(line, `dependency="redis"`) {
			return line[strings.LastIndexByte(line, ' ')+1:]
		}
	}
	t.Fatalf("no extguard_dependency_up for redis in /metrics")
	return ""
}
