package vscodepolicy_test

import (
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/extguard/extguard/adapters/vscodepolicy"
	"github.com/extguard/extguard/adapters/vscodepolicy/vscodepolicytest"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/blocklist"
	"github.com/extguard/extguard/domain/extension"
	"github.com/extguard/extguard/domain/group"
	"github.com/extguard/extguard/domain/policy"
)

// RegProbe is the probe: valid RE2 that, written raw into a .reg
// comment, starts a Run key section of its own.
const RegProbe = "x\\Q\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run]\r\n\"probe\"=\"C:\\\\probe.exe\"\r\n;\\E"

// hostile is text that is structure in at least one of the formats.
var hostile = []string{
	RegProbe,
	"a\rb", "a\nb", "a\x00b", `a"b`, `a\b`, "a]b", "a[b", "a<b", "a&b", "a]]>b", `\Q"]<&\E`,
	"]\r\n[-HKEY_LOCAL_MACHINE\\SOFTWARE]\r\n", "</string><key>PayloadType</key><string>x",
	"<![CDATA[x]]>", "x{1,3}", "a\u2028b", "a\u202eb", "a\x1bb", "a\ufffeb", "\u00e9\U0001F600\x7f",
}

// hostilePolicy puts hostile text into every field of a compiled policy
// that a rendering reads, bypassing validation as a stored row or a cached
// policy could.
func hostilePolicy() (policy.Policy, string) {
	p := policy.Policy{GroupID: domain.NewID(), Mode: group.ModeAllowlist, Enforcement: group.EnforcementAudit,
		ETag: `"` + strings.Join(hostile, "|") + `"`}
	types := []blocklist.PatternType{blocklist.PatternExact, blocklist.PatternPublisher, blocklist.PatternGlob, blocklist.PatternRegex}
	for i, h := range hostile {
		id := extension.ExtensionID("req" + h)
		p.Required = append(p.Required, policy.Requirement{ExtensionID: id, Version: h, SHA256: "x"})
		p.Allowed = append(p.Allowed, policy.Allowance{ExtensionID: extension.ExtensionID("opt" + h), ContentSHA256: "x"})
		p.Blocked = append(p.Blocked, policy.BlockRule{PatternType: types[i%len(types)], Pattern: h, Reason: h})
		p.Blocked = append(p.Blocked, policy.BlockRule{PatternType: blocklist.PatternRegex, Pattern: "re" + h, Reason: h})
	}
	return p, "Team " + strings.Join(hostile, " ")
}

// intendedRules is what AllowedExtensions must say, written out from the
// policy's meaning rather than from the renderer. Keys are lower-cased, as
// the editor reads them, and of two rules for one key the stricter stays.
func intendedRules(p policy.Policy) map[string]any {
	rules := map[string]any{"*": p.Mode == group.ModeBlocklist}
	put := func(key string, v any) {
		key = strings.ToLower(key)
		if prev, ok := rules[key]; ok && (prev == false || v == true) {
			return
		}
		rules[key] = v
	}
	for _, r := range p.Required {
		put(string(r.ExtensionID), []any{r.Version})
	}
	for _, a := range p.Allowed {
		put(string(a.ExtensionID), true)
	}
	for _, b := range p.Blocked {
		if b.PatternType == blocklist.PatternExact || b.PatternType == blocklist.PatternPublisher {
			put(b.Pattern, false)
		}
	}
	return rules
}

func TestRenderingsOfHostileTextParseBackToWhatWasMeant(t *testing.T) {
	t.Parallel()
	p, name := hostilePolicy()
	want := intendedRules(p)
	t.Run("unexpressible", func(t *testing.T) {
		// Only a blocklist loses glob and regex blocks: in allowlist mode
		// "*": false refuses what they match.
		bp := p
		bp.Mode = group.ModeBlocklist
		checkUnexpressible(t, bp)
	})
	t.Run("reg", func(t *testing.T) {
		r := vscodepolicy.Render(p, name, vscodepolicy.FormatReg)
		rules, comments, err := vscodepolicytest.ReadReg(r.Body)
		if err != nil {
			t.Fatalf("%v\n%s", err, r.Body)
		}
		checkRules(t, rules, want)
		if len(comments) != 1+len(r.Unexpressible) {
			t.Errorf(".reg has %d comment lines for %d unexpressible rules", len(comments), len(r.Unexpressible))
		}
	})
	t.Run("mobileconfig", func(t *testing.T) {
		r := vscodepolicy.Render(p, name, vscodepolicy.FormatMobileconfig)
		profile, err := vscodepolicytest.ReadProfile(r.Body)
		if err != nil {
			t.Fatalf("%v\n%s", err, r.Body)
		}
		checkRules(t, profile.Rules, want)
		if got := profile.Top["PayloadIdentifier"]; got != "com.extguard.policy."+p.GroupID.String() {
			t.Errorf("identifier %q", got)
		}
		if got, want := profile.Top["PayloadDisplayName"], "extguard: "+inXML(name); got != want {
			t.Errorf("display name %q, want %q", got, want)
		}
		wantDesc := "Extensions allowed in VS Code for extguard group " + inXML(name) + " (policy " + inXML(p.ETag) + ")"
		if got := profile.Top["PayloadDescription"]; got != wantDesc {
			t.Errorf("description %q, want %q", got, wantDesc)
		}
	})
	t.Run("json", func(t *testing.T) {
		rules, err := vscodepolicytest.ReadJSON(vscodepolicy.Render(p, name, vscodepolicy.FormatJSON).Body)
		if err != nil {
			t.Fatal(err)
		}
		checkRules(t, rules, want)
	})
}

// checkUnexpressible: every rule the native form leaves out is named on
// one printable ASCII line (it goes into comments and a response header),
// with the pattern quoted so that it can be read back exactly.
func checkUnexpressible(t *testing.T, p policy.Policy) {
	_, lost := vscodepolicy.AllowedExtensions(p)
	all := strings.Join(lost, "\x00")
	for _, l := range lost {
		for _, c := range []byte(l) {
			if c < 0x20 || c > 0x7e || c == ',' { // the header separates items with commas
				t.Fatalf("unexpressible item is not one printable ASCII line without commas: %q", l)
			}
		}
	}
	for _, b := range p.Blocked {
		if b.PatternType == blocklist.PatternGlob || b.PatternType == blocklist.PatternRegex {
			quoted := strings.ReplaceAll(strconv.QuoteToASCII(b.Pattern), ",", `\x2c`)
			if back, err := strconv.Unquote(quoted); err != nil || back != b.Pattern {
				t.Fatalf("%q does not read back as %q", quoted, b.Pattern)
			}
			if !strings.Contains(all, string(b.PatternType)+" block "+quoted+" ") {
				t.Errorf("%s block %q is not named exactly among %q", b.PatternType, b.Pattern, lost)
			}
		}
	}
}

// inXML is s as XML 1.0 can carry it: characters outside its Char
// production cannot be written even as references, so they become U+FFFD.
func inXML(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' || r >= 0x20 && r <= 0xd7ff || r >= 0xe000 && r <= 0xfffd || r >= 0x10000 && r <= 0x10ffff {
			return r
		}
		return '\ufffd'
	}, s)
}

func checkRules(t *testing.T, got, want map[string]any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("AllowedExtensions\n got %q\nwant %q", vscodepolicytest.Keys(got), vscodepolicytest.Keys(want))
	}
}

// TestStoredRegProbeAddsNoRegistryKey: the probe as a blocklist row
// stored before free text was validated still renders as one comment line.
func TestStoredRegProbeAddsNoRegistryKey(t *testing.T) {
	t.Parallel()
	e, err := blocklist.RehydrateEntry(blocklist.EntryParams{ID: domain.NewID(), PatternType: "regex", Pattern: RegProbe})
	if err != nil {
		t.Fatal(err)
	}
	p := policy.Compile(policy.CompileInput{GroupID: domain.NewID(), Settings: group.DefaultSettings(),
		Blocklist: []blocklist.Entry{e}})
	r := vscodepolicy.Render(p, "Platform", vscodepolicy.FormatReg)
	if _, _, err := vscodepolicytest.ReadReg(r.Body); err != nil {
		t.Fatalf("%v\n%s", err, r.Body)
	}
}
