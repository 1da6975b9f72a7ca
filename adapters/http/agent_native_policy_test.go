package httpapi_test

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"
)

func sha256Hex(s string) string {
	b := sha256.Sum256([]byte(s))
	return hex.EncodeToString(b[:])
}

// TestAgentDetailShowsTheInstalledNativePolicy: the report's native_policy is kept per agent and
// GET /api/v1/agents/{id} shows it, with whether it is the group's current export; a report
// without it (an older agent) clears it, and an invalid one changes nothing.
func TestAgentDetailShowsTheInstalledNativePolicy(t *testing.T) {
	db := testDB(t)
	ag, ad := newAgentEnv(t, envOptions{db: db}), newAdminEnvOn(t, db)
	g := ag.group(`{"mode":"allowlist","enforcement":"audit"}`)
	key := ag.key(g)
	id := ag.enroll(key, "m-native-policy")
	export := ad.must(200, "GET", "/api/v1/groups/"+g.String()+"/policy/vscode?format=json", "")
	value := export["AllowedExtensions"].(string)

	at := time.Now().Add(-time.Minute)
	report := func(native string) answer {
		t.Helper()
		body := strings.TrimSuffix(string(reportBody(at, installed("ms-python.python", "2024.2.1"))), "}")
		if native != "" {
			body += `,"native_policy":` + native
		}
		at = at.Add(time.Second)
		return ag.call("POST", "/api/v1/agent/reports", key, id, []byte(body+"}"))
	}
	native := func(value string) string {
		return `{"present":true,"source":"/etc/vscode/policy.json","sha256":"` + sha256Hex("file "+value) +
			`","allowed_extensions_sha256":"` + sha256Hex(value) + `"}`
	}
	detail := func() map[string]any {
		t.Helper()
		np, _ := ad.must(200, "GET", "/api/v1/agents/"+id, "")["native_policy"].(map[string]any)
		return np
	}

	if a := report(native(value)); a.status != 200 {
		t.Fatalf("report: %d %s", a.status, a.body)
	}
	np := detail()
	if np == nil || np["present"] != true || np["source"] != "/etc/vscode/policy.json" || np["sha256"] != sha256Hex("file "+value) ||
		np["allowed_extensions_sha256"] != sha256Hex(value) || np["matches_group_export"] != true || np["error"] != nil {
		t.Fatalf("native policy %v", np)
	}
	if report(native(`{"*":true}`)); detail()["matches_group_export"] != false {
		t.Fatalf("another value must not match: %v", detail())
	}
	if report(`{"present":false,"source":"/etc/vscode/policy.json"}`); detail()["present"] != false || detail()["matches_group_export"] != nil {
		t.Fatalf("absent policy: %v", detail())
	}
	if a := report(`{"present":true,"source":"x","sha256":"nothex"}`); a.status != 400 || !strings.Contains(string(a.body), "native_policy.sha256") {
		t.Fatalf("invalid native policy: %d %s", a.status, a.body)
	}
	// Wrong shapes and text the server cannot show: problem+json 400, nothing kept.
	for _, bad := range []string{`"present"`, `[]`, `{"present":"yes"}`, `{"present":true,"source":"a\u0007b"}`,
		`{"present":true,"allowed_extensions_sha256":"` + strings.Repeat("a", 63) + `"}`} {
		if a := report(bad); a.status != 400 || !strings.HasPrefix(a.header.Get("Content-Type"), "application/problem+json") {
			t.Fatalf("native_policy %s: %d %s", bad, a.status, a.body)
		}
	}
	if detail()["present"] != false {
		t.Fatalf("an invalid report changed the stored policy: %v", detail())
	}
	if report(""); detail() != nil {
		t.Fatalf("a report without native_policy must clear it: %v", detail())
	}
}
