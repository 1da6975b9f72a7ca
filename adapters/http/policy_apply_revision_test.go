package httpapi_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/extguard/extguard/domain/user"
)

// TestPolicyApplyAtARevisionAppliesOnlyThePlannedFile: the revision of a
// plan names the file planned as well as the state. The reviewed file,
// reformatted, plans the same revision and applies; a file edited after
// the review, or the reviewed one with prune, is refused at that revision
// with a 409 that says the file differs, and writes nothing; once the
// state has moved (by that apply, or through the REST API) the 409 says
// so instead.
func TestPolicyApplyAtARevisionAppliesOnlyThePlannedFile(t *testing.T) {
	e := newAdminEnv(t)
	pub := strings.ToLower(uniqueName("reviewed"))
	reviewed := "version: 1\nblocklist:\n  - {pattern_type: publisher, pattern: " + pub + ", reason: malware}\n  - {pattern_type: exact, pattern: " + pub + "-a.tool}\n"
	// The same policy: comments, block style, the other order.
	reformatted := "# reviewed on the pull request\nversion: 1\nblocklist:\n  - pattern_type: exact\n    pattern: " + pub + "-a.tool\n" +
		"  - pattern_type: publisher\n    pattern: " + pub + "\n    reason: malware\n"
	edited := strings.Replace(reviewed, pub+"-a.tool", pub+"-b.tool", 1)
	plan := func(file string, prune bool) string {
		b, _ := json.Marshal(map[string]any{"file": file, "prune": prune})
		return e.must(200, "POST", "/api/v1/policy/plan", string(b))["revision"].(string)
	}
	apply := func(file string, prune bool, revision string) answer {
		b, _ := json.Marshal(map[string]any{"file": file, "prune": prune, "revision": revision})
		return e.as(user.RoleEditor, "POST", "/api/v1/policy/apply", string(b))
	}
	mine := func() int {
		return e.count(`SELECT count(*) FROM blocklist WHERE pattern LIKE ? AND deleted_at IS NULL`, pub+"%")
	}
	refused := func(what string, a answer, detail string) {
		t.Helper()
		var p struct{ Detail string }
		_ = json.Unmarshal(a.body, &p)
		if a.status != 409 || !strings.Contains(p.Detail, detail) || mine() != 0 {
			t.Fatalf("%s: %d %s (%d entries), want 409 saying %q", what, a.status, a.body, mine(), detail)
		}
	}

	revision := plan(reviewed, false)
	if again := plan(reformatted, false); again != revision {
		t.Fatalf("the reviewed file reformatted plans revision %s, the review %s", again, revision)
	}
	refused("a file edited after the review", apply(edited, false, revision), "differs from the one planned")
	refused("the reviewed file with prune", apply(reviewed, true, revision), "differs from the one planned")
	if plan(reviewed, true) == revision {
		t.Fatal("prune does not change the revision")
	}

	done := apply(reformatted, false, revision)
	if done.status != 200 || len(done.json(t)["changes"].([]any)) != 2 || mine() != 2 {
		t.Fatalf("the reviewed file: %d %s", done.status, done.body)
	}
	audits := e.count(`SELECT count(*) FROM audit_log WHERE details::text LIKE ?`, "%"+pub+"%")
	if a := apply(reviewed, false, revision); a.status != 409 || !strings.Contains(string(a.body), "changed since this plan") {
		t.Fatalf("the reviewed plan again after its apply: %d %s", a.status, a.body)
	}
	after := done.json(t)["revision"].(string)
	if again := apply(reviewed, false, after); again.status != 200 || again.json(t)["change_set_id"] != nil ||
		e.count(`SELECT count(*) FROM audit_log WHERE details::text LIKE ?`, "%"+pub+"%") != audits {
		t.Fatalf("the same file at the revision its apply answered: %d %s", again.status, again.body)
	}

	// The state moved through the REST API since the plan: refused as such,
	// whatever the file.
	next := reviewed + "  - {pattern_type: exact, pattern: " + pub + "-c.tool}\n"
	stale := plan(next, false)
	e.must(201, "POST", "/api/v1/blocklist", `{"pattern_type":"exact","pattern":"`+pub+`-d.tool"}`)
	if a := apply(next, false, stale); a.status != 409 || !strings.Contains(string(a.body), "changed since this plan") ||
		e.count(`SELECT count(*) FROM blocklist WHERE pattern = ? AND deleted_at IS NULL`, pub+"-c.tool") != 0 {
		t.Fatalf("apply after a REST change since the plan: %d %s", a.status, a.body)
	}
	if a := apply(next, false, "r-"+strings.Repeat("0", 32)); a.status != 400 || !strings.Contains(string(a.body), "revision") {
		t.Fatalf("a revision no plan answered: %d %s", a.status, a.body)
	}
}

// TestPolicyApplyRefusesABadRevisionWithTheFilesProblems: an apply without
// a revision, or with one no plan answered (garbled digests of the right
// length included), is a 400 that names the revision and, when the file
// has problems too, each of them by its path, in one answer; it writes
// nothing.
func TestPolicyApplyRefusesABadRevisionWithTheFilesProblems(t *testing.T) {
	e := newAdminEnv(t)
	pub := strings.ToLower(uniqueName("badrev"))
	bad := "version: 1\nblocklist:\n  - {pattern_type: publisher, pattern: " + pub + "}\n  - {pattern_type: nonsense, pattern: " + pub + "-x}\n"
	good := "version: 1\nblocklist:\n  - {pattern_type: publisher, pattern: " + pub + "}\n"
	garbled := "r-" + strings.Repeat("z", 32) + "." + strings.Repeat("0", 64)
	for _, c := range []struct {
		what, file, revision string
		fields               []string
	}{
		{"a bad file without a revision", bad, "", []string{"revision", "blocklist[1].pattern_type"}},
		{"a bad file at a garbled revision", bad, garbled, []string{"revision", "blocklist[1].pattern_type"}},
		{"a good file without a revision", good, "", []string{"revision"}},
		{"a good file at a garbled revision", good, garbled, []string{"revision"}},
		{"a good file at a revision in capitals", good, "r-" + strings.Repeat("A", 32) + "." + strings.Repeat("0", 64), []string{"revision"}},
	} {
		b, _ := json.Marshal(map[string]any{"file": c.file, "revision": c.revision})
		a := e.as(user.RoleEditor, "POST", "/api/v1/policy/apply", string(b))
		var p struct {
			Errors []struct{ Field string }
		}
		_ = json.Unmarshal(a.body, &p)
		var fields []string
		for _, f := range p.Errors {
			fields = append(fields, f.Field)
		}
		if a.status != 400 || strings.Join(fields, " ") != strings.Join(c.fields, " ") {
			t.Fatalf("%s: %d %s, want 400 naming %v", c.what, a.status, a.body, c.fields)
		}
		if n := e.count(`SELECT count(*) FROM blocklist WHERE pattern LIKE ?`, pub+"%"); n != 0 {
			t.Fatalf("%s wrote %d entries", c.what, n)
		}
	}
}
