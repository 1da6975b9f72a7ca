package agent

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/group"
)

var t0 = time.Date(2026, 11, 26, 17, 0, 0, 0, time.UTC)

const userHash = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func enroll() EnrollParams {
	return EnrollParams{GroupID: domain.NewID(), MachineID: "4c4c4544-0042-3510-8052-b4c04f4e3732",
		UserHash: userHash, DisplayName: "alice-laptop", Platform: "linux-x64", AgentVersion: "1.0.0", Now: t0}
}

func TestNewAgent(t *testing.T) {
	t.Parallel()
	a, err := NewAgent(enroll())
	if err != nil {
		t.Fatal(err)
	}
	if a.Status() != StatusActive || !a.LastHeartbeat().Equal(t0) || a.ID().IsZero() {
		t.Fatalf("%+v", a)
	}
	for _, p := range append(KnownPlatforms, "freebsd-x64", "unknown") {
		e := enroll()
		e.Platform = p
		if _, err := NewAgent(e); err != nil {
			t.Errorf("platform %q refused: %v", p, err)
		}
	}
}

func TestNewAgentFieldErrors(t *testing.T) {
	t.Parallel()
	_, err := NewAgent(EnrollParams{MachineID: "a\x00b", UserHash: "nothex", DisplayName: strings.Repeat("n", 256),
		Platform: "linux_x64", AgentVersion: "1.0\x07"})
	e := err.(*domain.Error)
	if len(e.Fields) != 6 {
		t.Fatalf("want 6 field errors, got %v", e.Fields)
	}
	for _, bad := range []string{"", "linux-x64-extra", "-linux", strings.Repeat("a", 33)} {
		p := enroll()
		p.Platform = bad
		if _, err := NewAgent(p); err == nil {
			t.Errorf("platform %q accepted", bad)
		}
	}
}

func TestStatusAt(t *testing.T) {
	t.Parallel()
	a, _ := NewAgent(enroll())
	s := group.DefaultSettings() // stale after 180 s, offline after 86400 s
	tests := []struct {
		after time.Duration
		want  Status
	}{
		{0, StatusActive},
		{180 * time.Second, StatusActive},
		{181 * time.Second, StatusStale},
		{86400 * time.Second, StatusStale},
		{86401 * time.Second, StatusOffline},
	}
	for _, tt := range tests {
		if got := a.StatusAt(t0.Add(tt.after), s); got != tt.want {
			t.Errorf("after %v: %s, want %s", tt.after, got, tt.want)
		}
	}
	stale, changed := a.RefreshStatus(t0.Add(time.Hour), s)
	if !changed || stale.Status() != StatusStale {
		t.Fatal("refresh to stale")
	}
	if _, changed := stale.RefreshStatus(t0.Add(2*time.Hour), s); changed {
		t.Fatal("no transition expected")
	}
	back, err := stale.RecordHeartbeat(t0.Add(2 * time.Hour))
	if err != nil || back.Status() != StatusActive || !back.LastHeartbeat().Equal(t0.Add(2*time.Hour)) {
		t.Fatalf("heartbeat: %v", err)
	}
	gone := back.Decommission(t0.Add(3 * time.Hour))
	if gone.StatusAt(t0.Add(1000*time.Hour), s) != StatusDecommissioned {
		t.Fatal("decommissioned must stick")
	}
	if _, err := gone.RecordHeartbeat(t0.Add(4 * time.Hour)); domain.CodeOf(err) != domain.CodeForbidden {
		t.Fatalf("heartbeat of decommissioned agent: %v", err)
	}
}

func TestReenroll(t *testing.T) {
	t.Parallel()
	a, _ := NewAgent(enroll())
	gone := a.Decommission(t0.Add(time.Hour))
	p := enroll()
	p.DisplayName, p.AgentVersion = "alice-new", "1.1.0"
	back, was, err := gone.Reenroll(p, t0.Add(2*time.Hour))
	if err != nil || !was || back.Status() != StatusActive || back.ID() != a.ID() || back.DisplayName() != "alice-new" || back.AgentVersion() != "1.1.0" {
		t.Fatalf("reenroll: %+v %v %v", back, was, err)
	}
	if _, was, _ := back.Reenroll(p, t0.Add(3*time.Hour)); was {
		t.Fatal("was not decommissioned")
	}
	p.AgentVersion = "bad\x7f"
	if _, _, err := a.Reenroll(p, t0); err == nil {
		t.Fatal("bad version accepted")
	}
	if _, err := a.WithAgentVersion("1.0.1"); err != nil {
		t.Fatal(err)
	}
	if a.RecordSync(t0).LastSync() != t0 {
		t.Fatal("sync")
	}
}

// TestAgentVersionIsInformationNotPolicy: every version a build of the agent
// can carry enrolls (a tagged release, a checkout's describe output, a plain
// go build), while what a column or a log line cannot hold is refused.
func TestAgentVersionIsInformationNotPolicy(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"1.2.0", "0.0.0-dev+e282363", "0.0.0-dev+e282363.dirty", "1.2.0+3.gabc1234",
		"e282363", "v1.2.0", "v1.2.0-3-gabc-dirty", "dev", "2026.11 nightly", "é", strings.Repeat("9", 64),
		strings.Repeat("é", 64)} {
		p := enroll()
		p.AgentVersion = v
		if _, err := NewAgent(p); err != nil {
			t.Errorf("enroll with version %q: %v", v, err)
		}
		if _, err := (Agent{}).WithAgentVersion(v); err != nil {
			t.Errorf("heartbeat with version %q: %v", v, err)
		}
	}
	for _, v := range []string{"", "   ", "1.0\n.1", "a\x00b", "\x1b[31mred", strings.Repeat("9", 65), "\xff"} {
		p := enroll()
		p.AgentVersion = v
		_, err := NewAgent(p)
		var de *domain.Error
		if !errors.As(err, &de) || len(de.Fields) != 1 || de.Fields[0].Field != "agent_version" {
			t.Errorf("enroll with version %q: %v, want one agent_version error", v, err)
		}
		if _, err := (Agent{}).WithAgentVersion(v); err == nil {
			t.Errorf("heartbeat with version %q accepted", v)
		}
	}
}
