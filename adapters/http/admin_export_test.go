package httpapi_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/extguard/extguard/adapters/vscodepolicy/vscodepolicytest"
	"github.com/extguard/extguard/domain"
)

// regProbe is the probe: valid RE2 that, written raw into a .reg
// comment, starts a Run key section of its own.
const regProbe = "x\\Q\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run]\r\n\"probe\"=\"C:\\\\probe.exe\"\r\n;\\E"

// invisible are characters every free-text field refuses.
var invisible = []string{"\r", "\n", "\r\n", "\x00", "\t", "\u200b", "\u200c", "\u200d", "\u202a", "\u202e", "\u2066",
	"\u2069", "\ufeff", "\u2028", "\u00ad"}

// jsonText is s as a JSON string literal, so that control characters reach
// the server as the JSON escapes a client would send.
func jsonText(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func TestFreeTextWithControlOrInvisibleCharactersIsRefusedNamingTheField(t *testing.T) {
	e := newAdminEnv(t)
	g := e.must(201, "POST", "/api/v1/groups", `{"name":"`+uniqueName("text")+`"}`)["id"].(string)
	ext := e.must(201, "POST", "/api/v1/extensions", `{"extension_id":"`+strings.ToLower(uniqueName("pub"))+`.x"}`)["id"].(string)
	admin := uniqueName("admin")
	e.must(201, "POST", "/api/v1/groups", `{"name":"`+admin+`"}`)
	cases := []struct{ method, path, field, body string }{
		{"POST", "/api/v1/groups", "name", `{"name":%s}`},
		{"POST", "/api/v1/groups", "description", `{"name":"` + uniqueName("g") + `","description":%s}`},
		{"PATCH", "/api/v1/groups/" + g, "name", `{"name":%s}`},
		{"POST", "/api/v1/blocklist", "pattern", `{"pattern_type":"regex","pattern":%s}`},
		{"POST", "/api/v1/blocklist", "reason", `{"pattern_type":"exact","pattern":"` + strings.ToLower(uniqueName("p")) + `.x","reason":%s}`},
		{"POST", "/api/v1/extensions", "name", `{"extension_id":"` + strings.ToLower(uniqueName("p")) + `.x","name":%s}`},
		{"PATCH", "/api/v1/extensions/" + ext, "block_reason", `{"is_blocked":true,"block_reason":%s}`},
		{"POST", "/api/v1/users", "display_name", `{"email":"` + uniqueName("u") + `@example.com","password":"` + testPassword + `","role":"viewer","display_name":%s}`},
		{"POST", "/api/v1/groups/" + g + "/api-keys", "name", `{"scopes":["agent"],"name":%s}`},
		{"POST", "/api/v1/webhooks", "description", `{"url":"https://siem.example.com/hook","description":%s}`},
	}
	before := e.count(`SELECT count(*) FROM audit_log`)
	for _, c := range cases {
		for _, bad := range invisible {
			// The look-alike: "ad\u200bmin" beside "admin".
			text := admin[:2] + bad + admin[2:]
			if c.field == "pattern" {
				text = "x" + bad + "y"
			}
			a := e.as("admin", c.method, c.path, strings.Replace(c.body, "%s", jsonText(text), 1))
			if a.status != 400 || !contains(problemFields(t, a), c.field) {
				t.Errorf("%s %s with %q in %s: %d %s, want 400 naming %s", c.method, c.path, bad, c.field, a.status, a.body, c.field)
			}
		}
	}
	a := e.as("admin", "POST", "/api/v1/blocklist", `{"pattern_type":"regex","pattern":`+jsonText(regProbe)+`}`)
	if a.status != 400 || !reflect.DeepEqual(problemFields(t, a), []string{"pattern"}) {
		t.Fatalf("the issue's regex probe: %d %s", a.status, a.body)
	}
	if after := e.count(`SELECT count(*) FROM audit_log`); after != before {
		t.Fatalf("refused requests changed something: %d audit rows, then %d", before, after)
	}
}

// TestPolicyExportsOfHostileTextHoldExactlyWhatWasMeant sends text that is
// structure in the native formats through every field that reaches an
// export: what validation lets through (quotes, backslashes, brackets, XML
// markup, \Q...\E) and, as a row stored before validation refused it, the
// issue's CR/LF probe. Every format must read back, strictly, as the one
// policy key holding exactly the group's compiled rules.
func TestPolicyExportsOfHostileTextHoldExactlyWhatWasMeant(t *testing.T) {
	e := newAdminEnv(t)
	visible := `"\][<&]]></string><key>PayloadType</key>` + "\u00e9\u4e2d"
	name := uniqueName("Team " + visible)
	g := e.must(201, "POST", "/api/v1/groups", `{"name":`+jsonText(name)+`}`)["id"].(string)
	pub := strings.ToLower(uniqueName("hostile"))
	entry := e.must(201, "POST", "/api/v1/extensions", `{"extension_id":"`+pub+`.x","pinned_version":"1.2.3-a.b","name":`+
		jsonText(visible)+`,"sha256_checksum":"`+strings.Repeat("ab", 32)+`"}`)["id"].(string)
	e.must(201, "PUT", "/api/v1/groups/"+g+"/extensions/"+entry, `{"is_required":true}`)
	for _, pattern := range []string{`\Q` + pub + visible + `\E`, pub + `\.(a|b)\]\[`,
		strings.ReplaceAll(regProbe, "\r\n", "") + pub} {
		e.must(201, "POST", "/api/v1/blocklist", `{"pattern_type":"regex","pattern":`+jsonText(pattern)+`,"reason":`+jsonText(visible)+`}`)
	}
	e.must(201, "POST", "/api/v1/blocklist", `{"pattern_type":"publisher","pattern":"`+pub+`-evil","reason":`+jsonText(visible)+`}`)
	stored := domain.NewID().String()
	e.exec(`INSERT INTO blocklist (id, pattern_type, pattern, reason) VALUES (?, 'regex', ?, ?)`, stored, regProbe+pub, "a\r\n[x]\x01")
	t.Cleanup(func() { e.exec(`DELETE FROM blocklist WHERE id = ?`, stored) })

	want := compiledRules(t, e.must(200, "GET", "/api/v1/groups/"+g+"/policy", ""))
	if want[pub+"-evil"] != false || want[pub+".x"] == nil {
		t.Fatalf("the compiled policy misses this test's rules: %v", want)
	}
	get := func(format string) []byte {
		a := e.as("viewer", "GET", "/api/v1/groups/"+g+"/policy/vscode?format="+format, "")
		if a.status != 200 {
			t.Fatalf("%s: %d %s", format, a.status, a.body)
		}
		for _, c := range a.header.Get("Extguard-Unexpressible") {
			if c < 0x20 || c > 0x7e {
				t.Fatalf("%s: the Extguard-Unexpressible header is not printable ASCII: %q", format, a.header.Get("Extguard-Unexpressible"))
			}
		}
		return a.body
	}
	reg, _, err := vscodepolicytest.ReadReg(get("reg"))
	if err != nil {
		t.Fatal(err)
	}
	profile, err := vscodepolicytest.ReadProfile(get("mobileconfig"))
	if err != nil {
		t.Fatal(err)
	}
	if profile.Top["PayloadDisplayName"] != "extguard: "+name {
		t.Errorf("profile display name %q, want %q", profile.Top["PayloadDisplayName"], "extguard: "+name)
	}
	js, err := vscodepolicytest.ReadJSON(get("json"))
	if err != nil {
		t.Fatal(err)
	}
	for format, got := range map[string]map[string]any{"reg": reg, "mobileconfig": profile.Rules, "json": js} {
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: AllowedExtensions\n got %q\nwant %q", format, vscodepolicytest.Keys(got), vscodepolicytest.Keys(want))
		}
	}
}

// compiledRules is the AllowedExtensions the compiled policy document
// means, written out from its semantics (allowlist: "*" false, assigned ids
// with their pinned version; exact and publisher blocks false).
func compiledRules(t *testing.T, doc map[string]any) map[string]any {
	t.Helper()
	rules := map[string]any{"*": doc["mode"] == "blocklist"}
	for _, list := range []string{"required", "allowed"} {
		if doc["mode"] != "allowlist" {
			break
		}
		for _, it := range doc[list].([]any) {
			m := it.(map[string]any)
			rules[m["extension_id"].(string)] = true
			if v, ok := m["version"].(string); ok {
				rules[m["extension_id"].(string)] = []any{v}
			}
		}
	}
	for _, it := range doc["blocked"].([]any) {
		m := it.(map[string]any)
		if m["pattern_type"] == "exact" || m["pattern_type"] == "publisher" {
			rules[m["pattern"].(string)] = false
		}
	}
	return rules
}
