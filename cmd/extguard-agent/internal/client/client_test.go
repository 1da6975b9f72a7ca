package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/extguard/extguard/cmd/extguard-agent/internal/client"
	"github.com/extguard/extguard/protocol/agentv1"
)

const testKey = "egk_test_secret"

func problem(w http.ResponseWriter, status int, detail string, fields ...agentv1.FieldError) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"type": "about:blank", "title": http.StatusText(status), "status": status, "detail": detail, "errors": fields,
	})
}

func newClient(t *testing.T, h http.HandlerFunc) *client.Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c, err := client.New(client.Config{Server: srv.URL + "/", Key: testKey, Version: "1.2.3"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestRequestsCarryKeyUserAgentAndAgentIDOnceEnrolled(t *testing.T) {
	var seen []http.Header
	var paths []string
	c := newClient(t, func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, r.Header.Clone())
		paths = append(paths, r.Method+" "+r.URL.Path)
		switch r.URL.Path {
		case "/api/v1/agent/enroll":
			w.WriteHeader(http.StatusCreated)
			_, _ = w.Write([]byte(`{"agent_id":"a-1","group_id":"g-1","heartbeat_interval_s":60,"policy_etag":"\"p-1\""}`))
		default:
			_, _ = w.Write([]byte(`{"policy_etag":"\"p-2\"","heartbeat_interval_s":30}`))
		}
	})
	enr, err := c.Enroll(context.Background(), agentv1.EnrollRequest{MachineID: "m"})
	if err != nil {
		t.Fatal(err)
	}
	if enr.AgentID != "a-1" || enr.HeartbeatIntervalS != 60 || enr.PolicyETag != `"p-1"` {
		t.Fatalf("enrollment = %+v", enr)
	}
	c.SetAgentID(enr.AgentID)
	hb, err := c.Heartbeat(context.Background(), agentv1.HeartbeatRequest{AgentVersion: "1.2.3"})
	if err != nil {
		t.Fatal(err)
	}
	if hb.PolicyETag != `"p-2"` || hb.HeartbeatIntervalS != 30 {
		t.Fatalf("heartbeat = %+v", hb)
	}
	if want := []string{"POST /api/v1/agent/enroll", "POST /api/v1/agent/heartbeat"}; strings.Join(paths, ",") != strings.Join(want, ",") {
		t.Fatalf("paths = %v, want %v", paths, want)
	}
	for i, h := range seen {
		if got := h.Get("Authorization"); got != "Bearer "+testKey {
			t.Errorf("request %d Authorization = %q", i, got)
		}
		if got := h.Get("User-Agent"); got != "extguard-agent/1.2.3" {
			t.Errorf("request %d User-Agent = %q", i, got)
		}
	}
	if got := seen[0].Get("X-Agent-ID"); got != "" {
		t.Errorf("enroll carried X-Agent-ID %q before there was one", got)
	}
	if got := seen[1].Get("X-Agent-ID"); got != "a-1" {
		t.Errorf("heartbeat X-Agent-ID = %q, want a-1", got)
	}
}

func TestProblemAnswersBecomeTypedErrors(t *testing.T) {
	cases := []struct {
		status              int
		rejected, permanent bool
	}{
		{http.StatusUnauthorized, true, false},
		{http.StatusForbidden, true, false},
		{http.StatusRequestEntityTooLarge, false, true},
		{http.StatusBadRequest, false, true},
		{http.StatusServiceUnavailable, false, false},
	}
	for _, tc := range cases {
		t.Run(http.StatusText(tc.status), func(t *testing.T) {
			c := newClient(t, func(w http.ResponseWriter, r *http.Request) {
				problem(w, tc.status, "agent decommissioned", agentv1.FieldError{Field: "extensions", Message: "too many"})
			})
			_, err := c.Report(context.Background(), agentv1.Report{})
			var apiErr *client.Error
			if !errors.As(err, &apiErr) {
				t.Fatalf("err = %v, want *client.Error", err)
			}
			if apiErr.Status != tc.status || apiErr.Detail != "agent decommissioned" || len(apiErr.Fields) != 1 {
				t.Fatalf("error = %+v", apiErr)
			}
			if client.IsRejected(err) != tc.rejected || client.IsPermanent(err) != tc.permanent {
				t.Fatalf("rejected=%v permanent=%v, want %v %v", client.IsRejected(err), client.IsPermanent(err), tc.rejected, tc.permanent)
			}
			if strings.Contains(err.Error(), testKey) {
				t.Fatal("error text contains the API key")
			}
		})
	}
}

func TestShortRetryAfterIsWaitedOutThenRetried(t *testing.T) {
	var calls atomic.Int32
	c := newClient(t, func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.Header().Set("Retry-After", "1")
			problem(w, http.StatusTooManyRequests, "slow down")
			return
		}
		_, _ = w.Write([]byte(`{"compliant":true,"violations":[],"actions":[]}`))
	})
	start := time.Now()
	v, err := c.Report(context.Background(), agentv1.Report{})
	if err != nil {
		t.Fatal(err)
	}
	if !v.Compliant || calls.Load() != 2 {
		t.Fatalf("verdict %+v after %d calls", v, calls.Load())
	}
	if waited := time.Since(start); waited < time.Second {
		t.Fatalf("retried after %v, before Retry-After's 1 s", waited)
	}
}

func TestLongRetryAfterIsHandedToTheCaller(t *testing.T) {
	var calls atomic.Int32
	c := newClient(t, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Retry-After", "600")
		problem(w, http.StatusTooManyRequests, "slow down")
	})
	_, err := c.Heartbeat(context.Background(), agentv1.HeartbeatRequest{})
	if got := client.RetryAfterOf(err); got != 10*time.Minute {
		t.Fatalf("RetryAfterOf = %v (err %v), want 10m", got, err)
	}
	if calls.Load() != 1 {
		t.Fatalf("%d calls; a long Retry-After must not be retried by the client", calls.Load())
	}
}

func TestPolicyIsConditionalOnTheHeldETag(t *testing.T) {
	var inm []string
	c := newClient(t, func(w http.ResponseWriter, r *http.Request) {
		inm = append(inm, r.Header.Get("If-None-Match"))
		if r.Header.Get("If-None-Match") == `"p-1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"p-1"`)
		_, _ = w.Write([]byte(`{"etag":"\"p-1\"","mode":"allowlist","enforcement":"enforce","required":[{"extension_id":"ms-python.python","version":null}]}`))
	})
	p, unchanged, err := c.Policy(context.Background(), "")
	if err != nil || unchanged {
		t.Fatalf("first fetch: unchanged=%v err=%v", unchanged, err)
	}
	if p.ETag != `"p-1"` || p.Enforcement != "enforce" || len(p.Required) != 1 || p.Required[0].Version != nil {
		t.Fatalf("policy = %+v", p)
	}
	_, unchanged, err = c.Policy(context.Background(), p.ETag)
	if err != nil || !unchanged {
		t.Fatalf("second fetch: unchanged=%v err=%v, want 304", unchanged, err)
	}
	if inm[0] != "" || inm[1] != `"p-1"` {
		t.Fatalf("If-None-Match sent = %q", inm)
	}
}

func TestSlowServerTimesOut(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	c, err := client.New(client.Config{Server: srv.URL, Key: testKey, HTTPClient: &http.Client{Timeout: 50 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Heartbeat(context.Background(), agentv1.HeartbeatRequest{})
	var apiErr *client.Error
	if err == nil || errors.As(err, &apiErr) {
		t.Fatalf("err = %v, want a transport timeout", err)
	}
}

func TestNewRefusesAServerThatIsNotAURL(t *testing.T) {
	for _, s := range []string{"", "extguard.example.com", "ftp://x"} {
		if _, err := client.New(client.Config{Server: s, Key: testKey}); err == nil {
			t.Errorf("New(%q) accepted", s)
		}
	}
	if _, err := client.New(client.Config{Server: "https://x", Key: " "}); err == nil {
		t.Error("New accepted an empty key")
	}
}
