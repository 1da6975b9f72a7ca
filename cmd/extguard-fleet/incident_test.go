package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"
)

// The wait for zero ends at the run's end, and ten heartbeat intervals
// after the block at most.
func TestIncidentWaitEndsByTheRunsEndAndTenIntervals(t *testing.T) {
	now := time.Date(2026, 12, 4, 1, 0, 0, 0, time.UTC)
	if got := incidentUntil(now, now.Add(time.Hour), 60); !got.Equal(now.Add(10 * time.Minute)) {
		t.Errorf("a long run waits until %s, want ten 60 s intervals", got.Sub(now))
	}
	if got := incidentUntil(now, now.Add(2*time.Minute), 60); !got.Equal(now.Add(2 * time.Minute)) {
		t.Errorf("a run ending in 2 min waits %s", got.Sub(now))
	}
}

func TestIncidentSummarySaysWhetherZeroCame(t *testing.T) {
	if got := (incidentResult{blocked: true, reached: true, took: 90 * time.Second}).summary("x.y", 60); !strings.Contains(got, "reached zero 1m30s after the block (1.5 heartbeat intervals)") {
		t.Error(got)
	}
	if got := (incidentResult{blocked: true, took: 10 * time.Minute, holding: 42}).summary("x.y", 60); got != "incident: not zero after 10m0s (10.0 heartbeat intervals): 42 agents still hold x.y" {
		t.Error(got)
	}
	if got := (incidentResult{blocked: true, took: time.Minute, holding: -1}).summary("x.y", 60); !strings.Contains(got, "an unknown number of agents still hold x.y") {
		t.Error(got)
	}
}

// A server whose "who has X" never empties: the incident gives up at its
// bound instead of holding the run (and its report) forever.
func TestRunIncidentGivesUpAtItsBound(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Method == http.MethodPost {
			w.WriteHeader(http.StatusCreated)
			_, _ = w.Write([]byte(`{}`))
			return
		}
		_, _ = w.Write([]byte(`{"items":[{"agent_id":"a"}]}`))
	}))
	defer srv.Close()
	o := options{server: srv.URL, workers: 1, heartbeat: 60, databaseURL: "postgres://postgres@127.0.0.1:1/none?connect_timeout=1"}
	f := &fleet{o: o, c: newClient(srv.URL, 1), incidentID: "evil.x"}
	start := time.Now()
	res := f.runIncident(context.Background(), start.Add(700*time.Millisecond))
	if took := time.Since(start); took > 3*time.Second {
		t.Fatalf("the incident waited %s past a 700 ms bound", took)
	}
	if !res.blocked || res.reached || res.holding != -1 || res.took < 700*time.Millisecond {
		t.Fatalf("%+v, want blocked, not reached, holding unknown, waited its 700 ms", res)
	}
}

// A signal (the run's context ending) during the steady state still
// prints the report: the figures so far, the endpoints' latencies.
func TestMeasureReportsWhenInterrupted(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	o := options{server: srv.URL, workers: 1, heartbeat: 60, duration: time.Hour, incidentAfter: 30 * time.Minute,
		timeScale: 1, databaseURL: "postgres://postgres@127.0.0.1:1/none?connect_timeout=1"}
	c := newClient(srv.URL, 1)
	c.record("heartbeat", 3*time.Millisecond, "200")
	ctx, cancel := context.WithCancel(context.Background())
	f := newFleet(o, c, admin{})
	f.run(ctx)
	cancel()
	out := captureStdout(t, func() { measure(ctx, o, c, f) })
	for _, want := range []string{"interrupted: the report covers the run so far", "steady state", "endpoint", "load average"} {
		if !strings.Contains(out, want) {
			t.Errorf("the report lacks %q:\n%s", want, out)
		}
	}
}

func captureStdout(t *testing.T, fn func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	saved := os.Stdout
	os.Stdout = w
	done := make(chan string)
	go func() {
		b, _ := io.ReadAll(r)
		done <- string(b)
	}()
	fn()
	os.Stdout = saved
	_ = w.Close()
	return <-done
}

// A run needs a heartbeat interval of at least a second, like the rest.
func TestOptionsRefuseAHeartbeatOfZero(t *testing.T) {
	o := options{adminEmail: "a@example.com", adminPassword: "p", fleet: 1, heartbeat: 60, timeScale: 1, agentsPerKey: 1}
	if !o.valid() {
		t.Fatal("good options refused")
	}
	for _, hb := range []int{0, -1} {
		bad := o
		bad.heartbeat = hb
		if bad.valid() {
			t.Errorf("-heartbeat %d accepted", hb)
		}
	}
}
