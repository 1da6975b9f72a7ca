package group

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/extguard/extguard/domain"
)

func fieldsOf(t *testing.T, err error) []string {
	t.Helper()
	e, ok := err.(*domain.Error)
	if !ok || e.Code != domain.CodeInvalid {
		t.Fatalf("want invalid *domain.Error, got %T %v", err, err)
	}
	var out []string
	for _, f := range e.Fields {
		out = append(out, f.Field)
	}
	sort.Strings(out)
	return out
}

func TestParseSettingsDefaults(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{"", "null", "{}", "  {} ", `{"mode": null}`} {
		s, err := ParseSettings([]byte(raw))
		if err != nil {
			t.Fatalf("%q: %v", raw, err)
		}
		if s != DefaultSettings() || s.Mode() != ModeAllowlist || s.Enforcement() != EnforcementAudit ||
			s.HeartbeatIntervalS() != 60 || s.StaleAfterS() != 180 || s.OfflineAfterS() != 86400 {
			t.Fatalf("%q: not defaults: %+v", raw, s)
		}
	}
}

func TestParseSettingsValues(t *testing.T) {
	t.Parallel()
	s, err := ParseSettings([]byte(`{"mode":"blocklist","enforcement":"enforce","heartbeat_interval_s":120}`))
	if err != nil {
		t.Fatal(err)
	}
	if s.Mode() != ModeBlocklist || s.Enforcement() != EnforcementEnforce || s.HeartbeatIntervalS() != 120 || s.StaleAfterS() != 360 {
		t.Fatalf("%+v", s)
	}
	full, _ := json.Marshal(s)
	if string(full) != `{"mode":"blocklist","enforcement":"enforce","heartbeat_interval_s":120,"stale_after_s":360,"offline_after_s":86400}` {
		t.Fatalf("MarshalJSON = %s", full)
	}
	if string(s.ExplicitJSON()) != `{"mode":"blocklist","enforcement":"enforce","heartbeat_interval_s":120}` {
		t.Fatalf("ExplicitJSON = %s", s.ExplicitJSON())
	}
	var back Settings
	if err := json.Unmarshal(full, &back); err != nil || back.StaleAfterS() != 360 {
		t.Fatalf("round trip: %v", err)
	}
}

func TestParseSettingsErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		raw    string
		fields []string
	}{
		{`[]`, []string{"settings"}},
		{`"x"`, []string{"settings"}},
		{`{"colour":"red"}`, []string{"colour"}},
		{`{"mode":"open","enforcement":"strict","extra":1}`, []string{"enforcement", "extra", "mode"}},
		{`{"mode":5}`, []string{"mode"}},
		{`{"mode":""}`, []string{"mode"}},
		{`{"heartbeat_interval_s":"60"}`, []string{"heartbeat_interval_s"}},
		{`{"heartbeat_interval_s":60.5}`, []string{"heartbeat_interval_s"}},
		{`{"heartbeat_interval_s":true}`, []string{"heartbeat_interval_s"}},
		{`{"heartbeat_interval_s":5}`, []string{"heartbeat_interval_s"}},
		{`{"heartbeat_interval_s":86401}`, []string{"heartbeat_interval_s"}},
		{`{"heartbeat_interval_s":-1}`, []string{"heartbeat_interval_s"}},
		{`{"heartbeat_interval_s":1e400}`, []string{"heartbeat_interval_s"}},
		{`{"stale_after_s":60}`, []string{"stale_after_s"}},
		{`{"stale_after_s":90000}`, []string{"offline_after_s"}},
		{`{"offline_after_s":180}`, []string{"offline_after_s"}},
		{`{"heartbeat_interval_s":86400}`, []string{"offline_after_s"}},
		{`{"mode":"x","heartbeat_interval_s":"abc"}`, []string{"heartbeat_interval_s", "mode"}},
	}
	for _, tt := range tests {
		_, err := ParseSettings([]byte(tt.raw))
		if err == nil {
			t.Errorf("%s accepted", tt.raw)
			continue
		}
		if got := fieldsOf(t, err); strings.Join(got, ",") != strings.Join(tt.fields, ",") {
			t.Errorf("%s: fields %v, want %v", tt.raw, got, tt.fields)
		}
	}
}

func TestMerge(t *testing.T) {
	t.Parallel()
	s, _ := ParseSettings([]byte(`{"mode":"blocklist"}`))
	// A defaulted stale threshold follows the heartbeat.
	m, err := s.Merge([]byte(`{"heartbeat_interval_s":300}`))
	if err != nil || m.Mode() != ModeBlocklist || m.StaleAfterS() != 900 {
		t.Fatalf("merge: %+v %v", m, err)
	}
	// An explicit one is checked against it.
	s2, _ := ParseSettings([]byte(`{"stale_after_s":200}`))
	if _, err := s2.Merge([]byte(`{"heartbeat_interval_s":300}`)); err == nil {
		t.Fatal("stale below heartbeat accepted")
	}
	// null resets a key to its default.
	back, err := m.Merge([]byte(`{"mode":null}`))
	if err != nil || back.Mode() != ModeAllowlist {
		t.Fatalf("reset: %v", err)
	}
	if _, err := s.Merge([]byte(`{"nope":1}`)); err == nil {
		t.Fatal("unknown key accepted in patch")
	}
}

func TestNewSettings(t *testing.T) {
	t.Parallel()
	if _, err := NewSettings("allowlist", "enforce", 30, 0, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := NewSettings("x", "y", 1, 0, 0); len(fieldsOf(t, err)) != 3 {
		t.Fatalf("want 3 fields: %v", err)
	}
}

func TestGroup(t *testing.T) {
	t.Parallel()
	g, err := NewGroup(GroupParams{Name: "  Platform  ", Description: `one line, <b> & "quoted"`})
	if err != nil || g.Name() != "Platform" || g.ID().IsZero() || g.Settings() != DefaultSettings() {
		t.Fatalf("%+v %v", g, err)
	}
	_, err = NewGroup(GroupParams{Name: " ", Description: strings.Repeat("d", 2001)})
	if got := fieldsOf(t, err); strings.Join(got, ",") != "description,name" {
		t.Fatalf("fields %v", got)
	}
	r, err := g.Rename("Security", time.Unix(2, 0))
	if err != nil || r.Name() != "Security" || r.ID() != g.ID() {
		t.Fatalf("rename: %v", err)
	}
	if _, err := g.Rename(strings.Repeat("x", 129), time.Unix(2, 0)); err == nil {
		t.Fatal("long name accepted")
	}
	s, _ := ParseSettings([]byte(`{"enforcement":"enforce"}`))
	c, err := g.WithChanges(GroupPatch{Settings: &s})
	if err != nil || c.Settings().Enforcement() != EnforcementEnforce {
		t.Fatalf("settings change: %v", err)
	}
	if RehydrateGroup(GroupParams{ID: g.ID(), Name: "x"}).Name() != "x" {
		t.Fatal("rehydrate")
	}
}

func FuzzParseSettings(f *testing.F) {
	for _, s := range []string{"", "null", "{}", `{"mode":"blocklist","enforcement":"enforce"}`,
		`{"heartbeat_interval_s":60,"stale_after_s":180,"offline_after_s":86400}`, `{"x":1}`,
		`{"heartbeat_interval_s":1e3}`, `{"mode":null}`, `[1,2]`, `{"heartbeat_interval_s":"60"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		s, err := ParseSettings(raw)
		if err != nil {
			if domain.CodeOf(err) != domain.CodeInvalid {
				t.Fatalf("error of code %v", domain.CodeOf(err))
			}
			return
		}
		hb, stale, off := s.HeartbeatIntervalS(), s.StaleAfterS(), s.OfflineAfterS()
		if hb < MinHeartbeatIntervalS || hb > MaxHeartbeatIntervalS || stale <= hb || off <= stale {
			t.Fatalf("invalid settings accepted: %d %d %d", hb, stale, off)
		}
		for _, doc := range [][]byte{s.ExplicitJSON(), mustJSON(t, s)} {
			back, err := ParseSettings(doc)
			if err != nil || effective(back) != effective(s) {
				t.Fatalf("round trip of %s: %v", doc, err)
			}
		}
	})
}

func mustJSON(t *testing.T, s Settings) []byte {
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// effective is the settings with defaults filled, for comparisons.
func effective(s Settings) string {
	b, _ := s.MarshalJSON()
	return string(b)
}
