package policy

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/extguard/extguard/domain/blocklist"
	"github.com/extguard/extguard/domain/extension"
	"github.com/extguard/extguard/domain/report"
)

func advisories() []AdvisoryRule {
	return []AdvisoryRule{
		{Feed: "VS Code", PatternType: blocklist.PatternExact, Pattern: "esbenp.prettier-vscode", Reason: "malicious", Block: true},
		{Feed: "VS Code", PatternType: blocklist.PatternPublisher, Pattern: "badpub", Reason: "malicious", Block: true},
		{Feed: "intel", PatternType: blocklist.PatternExact, Pattern: "ms-python.python", Versions: []string{"2024.2.0"}, Reason: "bad build", Block: true},
		{Feed: "watch", PatternType: blocklist.PatternGlob, Pattern: "*.yaml", Reason: "under review", Reference: "https://example.com/r"},
	}
}

func TestAdvisoriesBlockAndAlert(t *testing.T) {
	t.Parallel()
	in := fixture(t, `{"enforcement":"enforce"}`)
	before := Compile(in)
	in.Advisories = advisories()
	p := Compile(in)
	if p.ETag == before.ETag {
		t.Fatal("advisories did not change the ETag")
	}
	// The block advisory of every version leaves the allowed list; the one
	// of another version does not touch the pinned requirement.
	if len(p.Allowed) != 1 || p.Allowed[0].ExtensionID != "redhat.yaml" || len(p.Required) != 1 {
		t.Fatalf("allowed %+v required %+v", p.Allowed, p.Required)
	}
	v := p.Evaluate([]report.Item{
		installed(t, "esbenp.prettier-vscode", "10.1.0", ""),
		installed(t, "badpub.anything", "1.0.0", ""),
		installed(t, "ms-python.python", "2024.2.1", digestA),
		installed(t, "redhat.yaml", "1.0.0", ""),
	})
	got := map[string]string{}
	for _, x := range v.Violations {
		got[x.ExtensionID.String()+"/"+string(x.Kind)] = x.Detail
	}
	if got["esbenp.prettier-vscode/blocked"] != "threat feed VS Code: malicious" || got["badpub.anything/blocked"] != "threat feed VS Code: malicious" {
		t.Fatalf("%v", got)
	}
	if got["redhat.yaml/advisory"] != "threat feed watch: under review (https://example.com/r)" || len(got) != 3 {
		t.Fatalf("%v", got)
	}
	// Alerts enforce nothing: only the blocked two are uninstalled.
	var acts []string
	for _, a := range v.Actions {
		acts = append(acts, string(a.Action)+" "+a.ExtensionID.String())
	}
	if strings.Join(acts, ",") != "uninstall badpub.anything,uninstall esbenp.prettier-vscode" {
		t.Fatalf("%v", acts)
	}
	// The version-specific advisory blocks its version only.
	v = p.Evaluate([]report.Item{installed(t, "ms-python.python", "2024.2.0", digestA)})
	if v.Violations[0].Kind != KindBlocked || v.Violations[0].Detail != "threat feed intel: bad build" {
		t.Fatalf("%+v", v.Violations)
	}
}

// Input order never changes the ETag, and a policy decoded from a cache
// evaluates as the compiled one.
func TestAdvisoriesDeterministicAndRestored(t *testing.T) {
	t.Parallel()
	in := fixture(t, `{}`)
	in.Advisories = advisories()
	a := Compile(in)
	rev := advisories()
	for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
		rev[i], rev[j] = rev[j], rev[i]
	}
	in.Advisories = rev
	if b := Compile(in); b.ETag != a.ETag {
		t.Fatal("order changed the ETag")
	}
	raw, _ := json.Marshal(a)
	var decoded Policy
	if err := json.Unmarshal(raw, &decoded); err != nil {
		t.Fatal(err)
	}
	k, d := decoded.ExtensionVerdict(installed(t, "badpub.x", "1", ""))
	if k != KindBlocked || d != "threat feed VS Code: malicious" {
		t.Fatal(k, d)
	}
	if k, _ := decoded.ExtensionVerdict(installed(t, "redhat.yaml", "1", "")); k != KindAdvisory {
		t.Fatal(k)
	}
}

func TestNoAdvisoriesKeepsETag(t *testing.T) {
	t.Parallel()
	// The ETag of a policy without advisories is what it was before
	// advisories existed: a deploy must not make every agent refetch.
	p := Compile(fixture(t, `{}`))
	doc, _ := json.Marshal(canonicalPolicy{1, p.GroupID.String(), p.Mode, p.Enforcement, p.HeartbeatIntervalS, 180, 600,
		p.Required, p.Allowed, p.Blocked, nil})
	if strings.Contains(string(doc), "Advisories") {
		t.Fatal(string(doc))
	}
}

// A threat feed's block wins over approvals as a blocklist rule does: an
// approval is refused (Blocks) and an exception already granted is left out
// of the agent's policy. A block of some versions only blocks nothing here.
func TestAdvisoryBlocksWinOverExceptions(t *testing.T) {
	t.Parallel()
	in := fixture(t, `{"enforcement":"enforce"}`)
	in.Advisories = advisories()
	p := Compile(in)
	for id, want := range map[string]bool{"esbenp.prettier-vscode": true, "badpub.tool": true, "ms-python.python": false, "some.yaml": false} {
		r, blocked := p.Blocks(extension.ExtensionID(id))
		if blocked != want || blocked && !strings.HasPrefix(r.Reason, "threat feed VS Code") {
			t.Errorf("Blocks(%s) = %+v %v, want %v", id, r, blocked, want)
		}
	}
	with := p.WithExceptions([]Exception{{ExtensionID: "badpub.tool"}, {ExtensionID: "dev.tool"}})
	var allowed []string
	for _, a := range with.Allowed {
		allowed = append(allowed, a.ExtensionID.String())
	}
	if strings.Contains(strings.Join(allowed, ","), "badpub.tool") || !strings.Contains(strings.Join(allowed, ","), "dev.tool") {
		t.Fatalf("allowed %v: want dev.tool, not the feed-blocked badpub.tool", allowed)
	}
}
