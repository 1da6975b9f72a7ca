package httpapi

import (
	"fmt"
	"testing"

	"github.com/extguard/extguard/protocol/agentv1"
)

// The plain reading of a heartbeat body answers what the JSON decoder
// reads from it, or steps aside; the bodies an agent sends take it.
func FuzzPlainHeartbeatVersion(f *testing.F) {
	for _, seed := range []string{`{"agent_version":"1.4.2"}`, `{"agent_version":"0.0.0-dev+abc1234.dirty"}`,
		`{"agent_version":""}`, `{"agent_version":"dev"}`, `{"agent_version":"1\u002e2"}`, `{"agent_version":"a\"b"}`,
		`{"agent_version":"1.2" }`, `{ "agent_version":"1.2"}`, `{"AGENT_VERSION":"1.2"}`, `{"agent_version":"é"}`,
		`{"agent_version":"1.2","x":1}`, `{"agent_version":"1.2"}{`, `{"agent_version":"1.2"}` + "\n", `{"agent_version":"a\tb"}`,
		`{"agent_version":"1.2"`, `{}`, `null`, ``} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		v, ok := plainHeartbeatVersion(body)
		if !ok {
			return
		}
		var req agentv1.HeartbeatRequest
		if err := jsonDecode(body, &req); err != nil || req.AgentVersion != string(v) {
			t.Fatalf("%q: read %q plainly, the decoder %q (error %v)", body, v, req.AgentVersion, err)
		}
	})
}

func TestPlainHeartbeatVersionTakesWhatAgentsSend(t *testing.T) {
	for _, v := range []string{"1.4.2", "0.0.0-dev+abc1234.dirty", "dev", ""} {
		body, err := jsonEncode(agentv1.HeartbeatRequest{AgentVersion: v})
		if err != nil {
			t.Fatal(err)
		}
		if v == "" { // omitempty: {}, which the decoder reads
			continue
		}
		if got, ok := plainHeartbeatVersion(body); !ok || string(got) != v {
			t.Errorf("%s: read %q (plain %v), want %q", body, got, ok, v)
		}
	}
}

// Known versions come back without an allocation; past the bound, versions
// are still answered, only not kept.
func TestVersionTableInternsUpToItsBound(t *testing.T) {
	var table versionTable
	known := []byte("1.4.2")
	if got := table.intern(known); got != "1.4.2" {
		t.Fatalf("intern %q", got)
	}
	if n := testing.AllocsPerRun(100, func() { _ = table.intern(known) }); n != 0 {
		t.Errorf("a known version cost %.0f allocations, want 0", n)
	}
	for i := range 2 * maxAgentVersions {
		v := fmt.Sprintf("9.%d.0", i)
		if got := table.intern([]byte(v)); got != v {
			t.Fatalf("intern %q answered %q", v, got)
		}
	}
	if n := len(*table.m.Load()); n != maxAgentVersions {
		t.Errorf("%d versions kept, want the bound %d", n, maxAgentVersions)
	}
}
