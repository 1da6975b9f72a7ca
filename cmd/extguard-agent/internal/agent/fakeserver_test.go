package agent_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/extguard/extguard/protocol/agentv1"
)

const (
	testKey     = "egk_agent_test_key_do_not_print"
	testAgentID = "6d1f3c2a-0000-4000-8000-000000000001"
)

// fakeServer implements agent protocol v1 for one group, keeping what agents sent.
type fakeServer struct {
	t   *testing.T
	srv *httptest.Server

	mu            sync.Mutex
	etag          string
	enforcement   string
	verdict       func(agentv1.Report) agentv1.Verdict
	down          bool // answer 503 to everything
	heartbeatFail int  // status to answer heartbeats with, 0 for none
	vsix          []byte

	enrolls     []agentv1.EnrollRequest
	heartbeats  int
	ifNoneMatch []string // one per policy request
	reports     []agentv1.Report
	failedAt    []time.Time // when a request got a 503
}

func newFakeServer(t *testing.T) *fakeServer {
	f := &fakeServer{t: t, etag: `"p-1"`, enforcement: "audit", verdict: blockEvilPack(nil)}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/agent/enroll", f.enroll)
	mux.HandleFunc("POST /api/v1/agent/heartbeat", f.agentOnly(f.heartbeat))
	mux.HandleFunc("GET /api/v1/agent/policy", f.agentOnly(f.policy))
	mux.HandleFunc("POST /api/v1/agent/reports", f.agentOnly(f.report))
	mux.HandleFunc("GET /vsix/required.vsix", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(f.vsix) })
	f.srv = httptest.NewServer(f.gate(mux))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeServer) URL() string { return f.srv.URL }

func (f *fakeServer) set(fn func(f *fakeServer)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

func (f *fakeServer) snapshot() fakeServer {
	f.mu.Lock()
	defer f.mu.Unlock()
	return fakeServer{enrolls: append([]agentv1.EnrollRequest(nil), f.enrolls...), heartbeats: f.heartbeats,
		ifNoneMatch: append([]string(nil), f.ifNoneMatch...), reports: append([]agentv1.Report(nil), f.reports...),
		failedAt: append([]time.Time(nil), f.failedAt...)}
}

func problem(w http.ResponseWriter, status int, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"type": "about:blank", "title": http.StatusText(status), "status": status, "detail": detail})
}

func reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// gate answers 503 while the server is down and 401 without the group's key.
func (f *fakeServer) gate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/vsix/") {
			next.ServeHTTP(w, r)
			return
		}
		f.mu.Lock()
		down := f.down
		if down {
			f.failedAt = append(f.failedAt, time.Now())
		}
		f.mu.Unlock()
		switch {
		case down:
			problem(w, http.StatusServiceUnavailable, "down for the test")
		case r.Header.Get("Authorization") != "Bearer "+testKey:
			problem(w, http.StatusUnauthorized, "unknown key")
		case r.Header.Get("User-Agent") != "extguard-agent/test":
			problem(w, http.StatusBadRequest, "unexpected User-Agent "+r.Header.Get("User-Agent"))
		default:
			next.ServeHTTP(w, r)
		}
	})
}

func (f *fakeServer) agentOnly(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Agent-ID") != testAgentID {
			problem(w, http.StatusForbidden, "agent id not in the key's group")
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		h(w, r)
	}
}

func (f *fakeServer) enroll(w http.ResponseWriter, r *http.Request) {
	var req agentv1.EnrollRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.MachineID == "" || len(req.UserHash) != 64 {
		problem(w, http.StatusBadRequest, "bad enrollment")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	status := http.StatusCreated
	if len(f.enrolls) > 0 {
		status = http.StatusOK
	}
	f.enrolls = append(f.enrolls, req)
	reply(w, status, agentv1.Enrollment{AgentID: testAgentID, GroupID: "g-1", HeartbeatIntervalS: 1, PolicyETag: f.etag})
}

func (f *fakeServer) heartbeat(w http.ResponseWriter, r *http.Request) {
	f.heartbeats++
	if f.heartbeatFail != 0 {
		problem(w, f.heartbeatFail, "agent decommissioned")
		return
	}
	reply(w, http.StatusOK, agentv1.HeartbeatAnswer{PolicyETag: f.etag, HeartbeatIntervalS: 1})
}

func (f *fakeServer) policy(w http.ResponseWriter, r *http.Request) {
	f.ifNoneMatch = append(f.ifNoneMatch, r.Header.Get("If-None-Match"))
	if r.Header.Get("If-None-Match") == f.etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("ETag", f.etag)
	reply(w, http.StatusOK, agentv1.Policy{ETag: f.etag, GroupID: "g-1", Mode: "blocklist", Enforcement: f.enforcement,
		Blocked: []agentv1.BlockedPattern{{PatternType: "publisher", Pattern: "evil", Reason: "malware"}}})
}

func (f *fakeServer) report(w http.ResponseWriter, r *http.Request) {
	var rep agentv1.Report
	if err := json.NewDecoder(r.Body).Decode(&rep); err != nil || rep.ReportedAt.IsZero() || rep.Extensions == nil {
		problem(w, http.StatusBadRequest, "bad report")
		return
	}
	f.reports = append(f.reports, rep)
	reply(w, http.StatusOK, f.verdict(rep))
}

// blockEvilPack judges like a blocklist of publisher evil: each installed evil.* is a violation
// (with an uninstall action), and so is each required extension missing (with an install action).
func blockEvilPack(required *agentv1.Action) func(agentv1.Report) agentv1.Verdict {
	return func(r agentv1.Report) agentv1.Verdict {
		v := agentv1.Verdict{Compliant: true, Violations: []agentv1.Violation{}, Actions: []agentv1.Action{}}
		haveRequired := false
		for _, e := range r.Extensions {
			if e.Installed && strings.HasPrefix(e.ExtensionID, "evil.") {
				v.Compliant = false
				v.Violations = append(v.Violations, agentv1.Violation{ExtensionID: e.ExtensionID, Kind: "blocked",
					Detail: "publisher evil:\nmalware", Editors: []string{e.Editor}})
				v.Actions = append(v.Actions, agentv1.Action{Action: "uninstall", ExtensionID: e.ExtensionID})
			}
			haveRequired = haveRequired || (required != nil && e.Installed && e.ExtensionID == required.ExtensionID)
		}
		if required != nil && !haveRequired {
			v.Compliant = false
			v.Violations = append(v.Violations, agentv1.Violation{ExtensionID: required.ExtensionID, Kind: "required_missing"})
			v.Actions = append(v.Actions, *required)
		}
		return v
	}
}
