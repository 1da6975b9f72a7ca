package policy

import (
	"encoding/json"
	"math/rand"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/blocklist"
	"github.com/extguard/extguard/domain/extension"
	"github.com/extguard/extguard/domain/group"
	"github.com/extguard/extguard/domain/report"
)

var (
	groupID = domain.MustParseID("0190a5e4-7c1b-7d2e-9f00-1a2b3c4d5e6f")
	digestA = strings.Repeat("a", 64)
	digestB = strings.Repeat("b", 64)
	digestC = strings.Repeat("c", 64)
)

func entry(t *testing.T, id, version, content string) extension.Entry {
	t.Helper()
	e, err := extension.NewEntry(extension.EntryParams{ExtensionID: id, PinnedVersion: version, SHA256: digestC,
		MarketplaceURL: "https://example.com/" + id + ".vsix", CreatedAt: time.Unix(1, 0)})
	if err != nil {
		t.Fatal(err)
	}
	if content != "" {
		if e, err = e.RecordRevalidation(content, time.Unix(2, 0)); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

func block(t *testing.T, typ, pattern, reason string) blocklist.Entry {
	t.Helper()
	e, err := blocklist.NewEntry(blocklist.EntryParams{PatternType: typ, Pattern: pattern, Reason: reason, CreatedAt: time.Unix(1, 0)})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func settings(t *testing.T, raw string) group.Settings {
	t.Helper()
	s, err := group.ParseSettings([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func item(t *testing.T, id, version, digest, editor string, installed bool) report.Item {
	t.Helper()
	it, err := report.NewItem(report.ItemParams{ExtensionID: id, Installed: installed, Version: version, SHA256: digest, Editor: editor})
	if err != nil {
		t.Fatal(err)
	}
	return it
}

func installed(t *testing.T, id, version, digest string) report.Item {
	return item(t, id, version, digest, "vscode", true)
}

// fixture: ms-python.python required at 2024.2.1 (content digest A);
// esbenp.prettier-vscode allowed at 10.1.0 (digest A); redhat.yaml allowed,
// not pinned; publisher "evil" blocklisted; catalog entry bad.actor blocked.
func fixture(t *testing.T, rawSettings string) CompileInput {
	bad, err := entry(t, "bad.actor", "", "").Block("typosquat", time.Unix(3, 0))
	if err != nil {
		t.Fatal(err)
	}
	return CompileInput{
		GroupID:  groupID,
		Settings: settings(t, rawSettings),
		Assignments: []Assignment{
			{Entry: entry(t, "ms-python.python", "2024.2.1", digestA), Required: true},
			{Entry: entry(t, "esbenp.prettier-vscode", "10.1.0", digestA)},
			{Entry: entry(t, "redhat.yaml", "", "")},
		},
		Blocklist: []blocklist.Entry{
			block(t, "publisher", "evil", "malware, advisory 2026-11"),
			inactive(t, block(t, "exact", "redhat.yaml", "inactive entries do not count")),
		},
		BlockedCatalog: []extension.Entry{bad},
	}
}

func inactive(t *testing.T, e blocklist.Entry) blocklist.Entry {
	off := false
	e, err := e.WithChanges(blocklist.EntryPatch{IsActive: &off})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestCompile(t *testing.T) {
	t.Parallel()
	p := Compile(fixture(t, `{"enforcement":"enforce"}`))
	if p.GroupID != groupID || p.Mode != group.ModeAllowlist || p.Enforcement != group.EnforcementEnforce || p.HeartbeatIntervalS != 60 {
		t.Fatalf("header: %+v", p)
	}
	wantReq := []Requirement{{"ms-python.python", "2024.2.1", digestC, digestA, "https://example.com/ms-python.python.vsix"}}
	wantAllowed := []Allowance{{"esbenp.prettier-vscode", "10.1.0", digestA}, {"redhat.yaml", "", ""}}
	wantBlocked := []BlockRule{{"exact", "bad.actor", "typosquat"}, {"publisher", "evil", "malware, advisory 2026-11"}}
	if !reflect.DeepEqual(p.Required, wantReq) || !reflect.DeepEqual(p.Allowed, wantAllowed) || !reflect.DeepEqual(p.Blocked, wantBlocked) {
		t.Fatalf("compiled:\n%+v\n%+v\n%+v", p.Required, p.Allowed, p.Blocked)
	}
	if len(p.ETag) != 36 || !strings.HasPrefix(p.ETag, `"p-`) || !strings.HasSuffix(p.ETag, `"`) {
		t.Fatalf("etag %s", p.ETag)
	}
}

// An assignment that a rule blocks is neither required nor allowed, so an
// enforcing agent is never told to install what it must uninstall.
func TestBlockedAssignmentsLeaveRequired(t *testing.T) {
	t.Parallel()
	in := fixture(t, `{"enforcement":"enforce"}`)
	in.Assignments = append(in.Assignments, Assignment{Entry: entry(t, "evil.pack", "1.0.0", ""), Required: true})
	blockedCatalog, _ := entry(t, "blocked.required", "1.0.0", "").Block("", time.Unix(3, 0))
	in.Assignments = append(in.Assignments, Assignment{Entry: blockedCatalog, Required: true})
	p := Compile(in)
	for _, r := range p.Required {
		if r.ExtensionID == "evil.pack" || r.ExtensionID == "blocked.required" {
			t.Fatalf("blocked extension required: %+v", p.Required)
		}
	}
	v := p.Evaluate(nil)
	for _, a := range v.Actions {
		if a.ExtensionID != "ms-python.python" {
			t.Fatalf("unexpected action %+v", a)
		}
	}
	k, d := p.ExtensionVerdict(installed(t, "blocked.required", "1.0.0", ""))
	if k != KindBlocked || d != "exact blocked.required: blocked in the catalog" {
		t.Fatalf("%s %q", k, d)
	}
}

func TestExtensionVerdicts(t *testing.T) {
	t.Parallel()
	allow := Compile(fixture(t, `{}`))
	blockMode := Compile(fixture(t, `{"mode":"blocklist"}`))
	tests := []struct {
		name       string
		p          Policy
		it         report.Item
		kind       Kind
		detailPart string
	}{
		{"blocked by publisher", allow, installed(t, "evil.pack", "0.0.3", ""), KindBlocked, "publisher evil: malware, advisory 2026-11"},
		{"blocked in catalog", allow, installed(t, "bad.actor", "1.0.0", ""), KindBlocked, "exact bad.actor: typosquat"},
		{"blocked in blocklist mode", blockMode, installed(t, "EVIL.Pack", "0.0.3", ""), KindBlocked, "publisher evil"},
		{"version mismatch", allow, installed(t, "ms-python.python", "2024.1.0", ""), KindVersionMismatch, "installed 2024.1.0, pinned 2024.2.1"},
		{"optional version mismatch", allow, installed(t, "esbenp.prettier-vscode", "9.0.0", ""), KindVersionMismatch, "pinned 10.1.0"},
		{"checksum mismatch", allow, installed(t, "ms-python.python", "2024.2.1", digestB), KindChecksumMismatch, "bbbbbbbbbbbb"},
		{"checksum ok", allow, installed(t, "ms-python.python", "2024.2.1", digestA), "", ""},
		{"no reported digest", allow, installed(t, "ms-python.python", "2024.2.1", ""), "", ""},
		{"unpinned: any version", allow, installed(t, "redhat.yaml", "0.0.1", digestB), "", ""},
		{"unapproved", allow, installed(t, "some.thing", "1.0.0", ""), KindUnapproved, "not assigned"},
		{"blocklist mode allows unassigned", blockMode, installed(t, "some.thing", "1.0.0", ""), "", ""},
		{"blocklist mode still pins", blockMode, installed(t, "ms-python.python", "1.0.0", ""), KindVersionMismatch, ""},
		{"case-insensitive id", allow, installed(t, "MS-Python.PYTHON", "2024.2.1", ""), "", ""},
		{"not installed is no inventory", allow, item(t, "evil.pack", "0.0.3", "", "vscode", false), "", ""},
	}
	for _, tt := range tests {
		kind, detail := tt.p.ExtensionVerdict(tt.it)
		if kind != tt.kind || !strings.Contains(detail, tt.detailPart) {
			t.Errorf("%s: got %q %q, want %q containing %q", tt.name, kind, detail, tt.kind, tt.detailPart)
		}
	}
}

func TestPrecedence(t *testing.T) {
	t.Parallel()
	// ms-python.python is pinned with a digest; each step adds a rule that
	// should win over the previous verdict.
	it := installed(t, "ms-python.python", "2024.2.1", digestB) // right version, wrong digest
	base := fixture(t, `{}`)
	other := installed(t, "other.ext", "1.0.0", digestB)

	p := Compile(base)
	if k, _ := p.ExtensionVerdict(it); k != KindChecksumMismatch {
		t.Fatalf("checksum: %s", k)
	}
	wrongVersion := installed(t, "ms-python.python", "1.0.0", digestB)
	if k, _ := p.ExtensionVerdict(wrongVersion); k != KindVersionMismatch {
		t.Fatalf("version beats checksum: %s", k)
	}
	base.Blocklist = append(base.Blocklist, block(t, "glob", "ms-*.*", "no ms"))
	p = Compile(base)
	if k, _ := p.ExtensionVerdict(wrongVersion); k != KindBlocked {
		t.Fatalf("blocked beats version: %s", k)
	}
	if k, _ := p.ExtensionVerdict(other); k != KindUnapproved {
		t.Fatalf("unapproved: %s", k)
	}
	base.Blocklist = append(base.Blocklist, block(t, "regex", `other\..*`, ""))
	if k, _ := Compile(base).ExtensionVerdict(other); k != KindBlocked {
		t.Fatalf("blocked beats unapproved: %s", k)
	}
}

func TestEvaluate(t *testing.T) {
	t.Parallel()
	items := []report.Item{
		item(t, "evil.pack", "0.0.3", "", "vscode", true),
		item(t, "evil.pack", "0.0.3", "", "cursor", true),
		item(t, "esbenp.prettier-vscode", "9.0.0", "", "vscode", true),
		item(t, "some.thing", "1.0.0", "", "vscodium", true),
		item(t, "ms-python.python", "2024.2.1", "", "cursor", false), // removed: does not count as installed
		item(t, "redhat.yaml", "1.0.0", "", "vscode", true),
	}
	audit := Compile(fixture(t, `{}`)).Evaluate(items)
	want := []Violation{
		{"esbenp.prettier-vscode", KindVersionMismatch, "installed 9.0.0, pinned 10.1.0", []report.Editor{"vscode"}},
		{"evil.pack", KindBlocked, "publisher evil: malware, advisory 2026-11", []report.Editor{"cursor", "vscode"}},
		{"ms-python.python", KindRequiredMissing, "required 2024.2.1, not installed", nil},
		{"some.thing", KindUnapproved, "not assigned to this group", []report.Editor{"vscodium"}},
	}
	if audit.Compliant || !reflect.DeepEqual(audit.Violations, want) || len(audit.Actions) != 0 {
		t.Fatalf("audit verdict:\n%+v\nwant\n%+v", audit, want)
	}
	enforce := Compile(fixture(t, `{"enforcement":"enforce"}`)).Evaluate(items)
	wantActions := []Action{
		{Action: ActionUninstall, ExtensionID: "evil.pack"},
		{Action: ActionUninstall, ExtensionID: "some.thing"},
		{Action: ActionInstall, ExtensionID: "ms-python.python", Version: "2024.2.1", DownloadURL: "https://example.com/ms-python.python.vsix", SHA256: digestC},
	}
	if !reflect.DeepEqual(enforce.Violations, want) || !reflect.DeepEqual(enforce.Actions, wantActions) {
		t.Fatalf("enforce actions:\n%+v\nwant\n%+v", enforce.Actions, wantActions)
	}
}

func TestEvaluateInstallsPinnedBuildOnMismatch(t *testing.T) {
	t.Parallel()
	p := Compile(fixture(t, `{"enforcement":"enforce"}`))
	for _, it := range []report.Item{
		installed(t, "ms-python.python", "2024.1.0", ""),
		installed(t, "ms-python.python", "2024.2.1", digestB),
	} {
		v := p.Evaluate([]report.Item{it, installed(t, "esbenp.prettier-vscode", "10.1.0", "")})
		if len(v.Actions) != 1 || v.Actions[0].Action != ActionInstall || v.Actions[0].Version != "2024.2.1" {
			t.Fatalf("%+v", v)
		}
	}
	// Installed in any editor counts; a wrong build in another editor is
	// still a violation of its own.
	v := p.Evaluate([]report.Item{
		item(t, "ms-python.python", "2024.2.1", digestA, "vscode", true),
		item(t, "ms-python.python", "2023.0.0", "", "cursor", true),
		installed(t, "esbenp.prettier-vscode", "10.1.0", ""),
	})
	if len(v.Violations) != 1 || v.Violations[0].Kind != KindVersionMismatch || v.Violations[0].Editors[0] != "cursor" {
		t.Fatalf("%+v", v)
	}
}

func TestCompliant(t *testing.T) {
	t.Parallel()
	p := Compile(fixture(t, `{"enforcement":"enforce"}`))
	v := p.Evaluate([]report.Item{
		installed(t, "ms-python.python", "2024.2.1", digestA),
		item(t, "ms-python.python", "2024.2.1", "", "cursor", true),
		installed(t, "redhat.yaml", "3.0.0", ""),
		item(t, "evil.pack", "0.0.3", "", "vscode", false),
	})
	if !v.Compliant || len(v.Violations) != 0 || len(v.Actions) != 0 {
		t.Fatalf("%+v", v)
	}
}

func TestETagDeterministic(t *testing.T) {
	t.Parallel()
	in := fixture(t, `{}`)
	want := Compile(in).ETag
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 20; i++ {
		shuffled := in
		shuffled.Assignments = append([]Assignment(nil), in.Assignments...)
		shuffled.Blocklist = append([]blocklist.Entry(nil), in.Blocklist...)
		rng.Shuffle(len(shuffled.Assignments), func(i, j int) {
			shuffled.Assignments[i], shuffled.Assignments[j] = shuffled.Assignments[j], shuffled.Assignments[i]
		})
		rng.Shuffle(len(shuffled.Blocklist), func(i, j int) {
			shuffled.Blocklist[i], shuffled.Blocklist[j] = shuffled.Blocklist[j], shuffled.Blocklist[i]
		})
		if got := Compile(shuffled).ETag; got != want {
			t.Fatalf("shuffled input changed the ETag: %s vs %s", got, want)
		}
	}
}

func TestETagChanges(t *testing.T) {
	t.Parallel()
	base := fixture(t, `{}`)
	etag := Compile(base).ETag
	changes := map[string]func(in *CompileInput){
		"group":         func(in *CompileInput) { in.GroupID = domain.NewID() },
		"mode":          func(in *CompileInput) { in.Settings = settings(t, `{"mode":"blocklist"}`) },
		"enforcement":   func(in *CompileInput) { in.Settings = settings(t, `{"enforcement":"enforce"}`) },
		"heartbeat":     func(in *CompileInput) { in.Settings = settings(t, `{"heartbeat_interval_s":30}`) },
		"stale":         func(in *CompileInput) { in.Settings = settings(t, `{"stale_after_s":600}`) },
		"offline":       func(in *CompileInput) { in.Settings = settings(t, `{"offline_after_s":90000}`) },
		"required flag": func(in *CompileInput) { in.Assignments[1].Required = true },
		"assignment added": func(in *CompileInput) {
			in.Assignments = append(in.Assignments, Assignment{Entry: entry(t, "x.y", "", "")})
		},
		"assignment gone":  func(in *CompileInput) { in.Assignments = in.Assignments[1:] },
		"pinned version":   func(in *CompileInput) { in.Assignments[0].Entry = entry(t, "ms-python.python", "2024.3.0", digestA) },
		"content digest":   func(in *CompileInput) { in.Assignments[0].Entry = entry(t, "ms-python.python", "2024.2.1", digestB) },
		"blocklist added":  func(in *CompileInput) { in.Blocklist = append(in.Blocklist, block(t, "glob", "*.x", "")) },
		"blocklist reason": func(in *CompileInput) { in.Blocklist[0] = block(t, "publisher", "evil", "other reason") },
		"blocklist active": func(in *CompileInput) {
			on := true
			in.Blocklist[1], _ = in.Blocklist[1].WithChanges(blocklist.EntryPatch{IsActive: &on})
		},
		"catalog block gone": func(in *CompileInput) { in.BlockedCatalog = nil },
	}
	for name, change := range changes {
		in := base
		in.Assignments = append([]Assignment(nil), base.Assignments...)
		in.Blocklist = append([]blocklist.Entry(nil), base.Blocklist...)
		change(&in)
		if Compile(in).ETag == etag {
			t.Errorf("%s: ETag unchanged", name)
		}
	}
	// Irrelevant: an inactive entry's reason, the catalog row's id.
	in := base
	in.Blocklist = []blocklist.Entry{base.Blocklist[0], inactive(t, block(t, "exact", "redhat.yaml", "different"))}
	if Compile(in).ETag != etag {
		t.Error("an inactive entry changed the ETag")
	}
}

func TestRestoreFromCache(t *testing.T) {
	t.Parallel()
	p := Compile(fixture(t, `{"enforcement":"enforce"}`))
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var cached Policy
	if err := json.Unmarshal(b, &cached); err != nil {
		t.Fatal(err)
	}
	restored, err := Restore(cached)
	if err != nil || restored.ETag != p.ETag {
		t.Fatalf("restore: %v", err)
	}
	items := []report.Item{installed(t, "evil.pack", "1.0.0", ""), installed(t, "x.y", "1.0.0", "")}
	for _, q := range []Policy{restored, cached} {
		if got := q.Evaluate(items); !reflect.DeepEqual(got, p.Evaluate(items)) {
			t.Fatalf("cached policy evaluates differently: %+v", got)
		}
	}
	cached.Blocked = append(cached.Blocked, BlockRule{PatternType: "regex", Pattern: "("})
	if _, err := Restore(cached); domain.CodeOf(err) != domain.CodeInternal {
		t.Fatalf("broken rule: %v", err)
	}
}

// The ingest path judges a report without copying its items; it must
// reach Evaluate's verdict.
func TestEvaluateReportAgreesWithEvaluate(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	r, err := report.NewReport(report.ReportParams{ReportedAt: now, Items: []report.ItemParams{
		{ExtensionID: "evil.pack", Installed: true, Version: "0.0.3", Editor: "vscode"},
		{ExtensionID: "esbenp.prettier-vscode", Installed: true, Version: "9.0.0", Editor: "cursor"},
		{ExtensionID: "ms-python.python", Installed: false, Version: "2024.2.1", Editor: "vscode"},
		{ExtensionID: "redhat.yaml", Installed: true, Version: "1.0.0", Editor: "vscode"},
	}}, now)
	if err != nil {
		t.Fatal(err)
	}
	p := Compile(fixture(t, `{"enforcement":"enforce"}`))
	got, want := p.EvaluateReport(r), p.Evaluate(r.Items())
	if len(want.Violations) != 3 || !reflect.DeepEqual(got, want) {
		t.Fatalf("EvaluateReport:\n%+v\nEvaluate:\n%+v\n(want 3 violations: blocked, version mismatch, required missing)", got, want)
	}
}
