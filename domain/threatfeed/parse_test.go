package threatfeed

import (
	"strings"
	"testing"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/blocklist"
)

func keys(es []Entry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Key()
	}
	return out
}

func TestParseControlManifest(t *testing.T) {
	body := `{"malicious":["Evil.Pack","badpub","evil.pack"],"learnMoreLinks":{"evil.pack":"https://example.com/evil"},
		"deprecated":{"old.ext":true,"x.y":{"disallowInstall":true,"extension":{"id":"a.b","displayName":"B"}}},"search":[{"query":"q"}]}`
	for _, kind := range []Kind{KindVSCodeControl, KindOpenVSXControl} {
		es, err := Parse(kind, []byte(body))
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(keys(es), ","); got != "exact:evil.pack,publisher:badpub" {
			t.Fatalf("%s: %s", kind, got)
		}
		if es[0].Reference != "https://example.com/evil" || es[0].Severity != SeverityCritical || es[1].Reference != "" {
			t.Fatalf("%+v", es)
		}
	}
}

func TestParseRefusesWholeFeedOnOneBadEntry(t *testing.T) {
	cases := map[Kind]string{
		KindVSCodeControl:   `{"malicious":["good.one","bad id!"]}`,
		KindExtguard:        `{"version":1,"entries":[{"id":"good.one"},{"id":"a.b","publisher":"a"}]}`,
		KindRemovedPackages: "|good.one|1/2/2025|Malware|\n|bad.one|1/32/2025|Malware|\n", // an uninstallable id is skipped, a bad date is not
	}
	for kind, body := range cases {
		if es, err := Parse(kind, []byte(body)); domain.CodeOf(err) != domain.CodeInvalid || es != nil {
			t.Errorf("%s: %v %v, want invalid and nothing", kind, es, err)
		}
	}
	for _, body := range []string{`{}`, `<html>`, `{"malicious":"x"}`} {
		if _, err := Parse(KindVSCodeControl, []byte(body)); err == nil {
			t.Errorf("%s parsed", body)
		}
	}
}

func TestParseRemovedPackagesIrregularRows(t *testing.T) {
	body := "# History\n\nSecurity is a priority.\n\n" +
		"| Extension Identifier                  | Removal Date | Type                          |\n" +
		"|---------------------------------------|--------------|-------------------------------|\n" +
		"|MediaLLC.solidyy|5/17/2025| Malware\n" +
		"|jsayol.firebase-explorer| 5/13/2025| Copyright violation\n" +
		"|JohnGaffney.blankebesxstnion | 5/12/2025| Malware\n" +
		"|bysabi.prettier-vscode-standard| 5/12/2025|  Typo-squatting\n" +
		"|Trustworthy.mevscode      |  4/8/2025            | Malware    |\n" +
		"| VKTeam.com| 2/26/2025| Malware |\n" +
		"  ceo.sammarco | 02/6/2025 |\n" +
		"\nLegend:\n- Malware - Designed to infiltrate your system.\n"
	es, err := Parse(KindRemovedPackages, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	got := keys(es)
	wantKeys := []string{"exact:mediallc.solidyy", "exact:jsayol.firebase-explorer", "exact:johngaffney.blankebesxstnion",
		"exact:bysabi.prettier-vscode-standard", "exact:trustworthy.mevscode", "exact:vkteam.com", "exact:ceo.sammarco"}
	if strings.Join(got, ",") != strings.Join(wantKeys, ",") {
		t.Fatalf("got %v", got)
	}
	if es[0].Reason != "Malware, removed from the Marketplace on 2025-05-17" || es[0].Severity != SeverityCritical {
		t.Fatalf("%+v", es[0])
	}
	if es[1].Severity != SeverityLow || es[3].Severity != SeverityHigh || es[3].Reason != "Typo-squatting, removed from the Marketplace on 2025-05-12" {
		t.Fatalf("%+v %+v", es[1], es[3])
	}
	if es[6].Reason != "removed from the Marketplace on 2025-02-06" || es[6].Reference != RemovedPackagesReference {
		t.Fatalf("%+v", es[6])
	}
	for _, bad := range []string{"|a.b|13/1/2025|Malware|\n", "|a.b|2/30/2025|Malware|\n", "|a.b|yesterday|\n", "no table here\n"} {
		if _, err := Parse(KindRemovedPackages, []byte(bad)); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestParseExtguard(t *testing.T) {
	body := `{"version":1,"entries":[
		{"id":"Evil.Pack","versions":["1.2.0","1.1.0","1.2.0"],"severity":"critical","reason":"stealer","reference":"https://example.com/a"},
		{"publisher":"badpub"},
		{"pattern":"*.miner-*"},
		{"pattern":"^x\\.(a|b)$","pattern_type":"regex","severity":"low"}]}`
	es, err := Parse(KindExtguard, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(keys(es), ","); got != `exact:evil.pack,publisher:badpub,glob:*.miner-*,regex:^x\.(a|b)$` {
		t.Fatal(got)
	}
	if strings.Join(es[0].Versions, ",") != "1.1.0,1.2.0" || es[1].Severity != SeverityHigh || es[1].Versions != nil ||
		es[3].Pattern.Type() != blocklist.PatternRegex {
		t.Fatalf("%+v", es)
	}
	for _, bad := range []string{`{"version":2,"entries":[]}`, `{"version":1}`, `{"version":1,"entries":[{"id":"a.b","typo":1}]}`,
		`{"version":1,"entries":[{"id":"a.b","severity":"apocalyptic"}]}`, `{"version":1,"entries":[{"id":"a.b","reference":"javascript:x"}]}`} {
		if _, err := Parse(KindExtguard, []byte(bad)); err == nil {
			t.Errorf("%s parsed", bad)
		}
	}
}

func TestNewFeed(t *testing.T) {
	f, err := New(Params{Name: "VS Code", Kind: "vscode-control", URL: "https://main.vscode-cdn.net/extensions/marketplace.json", Mode: "block"})
	if err != nil || f.Interval() != DefaultInterval || f.ID().IsZero() {
		t.Fatal(f, err)
	}
	for _, p := range []Params{{Name: "x", Kind: "nope", Mode: "block"}, {Name: "x", Kind: "extguard", Mode: "warn"},
		{Name: "x", Kind: "extguard", Mode: "block", URL: "http://example.com/"}, {Name: "", Kind: "extguard", Mode: "block"},
		{Name: "x", Kind: "extguard", Mode: "block", Interval: 1}} {
		if _, err := New(p); domain.CodeOf(err) != domain.CodeInvalid {
			t.Errorf("%+v: %v", p, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(string(KindRemovedPackages), "|a.b|1/2/2025|Malware|\n")
	f.Add(string(KindVSCodeControl), `{"malicious":["a.b","c"]}`)
	f.Add(string(KindExtguard), `{"version":1,"entries":[{"id":"a.b"}]}`)
	f.Fuzz(func(t *testing.T, kind, body string) {
		es, err := Parse(Kind(kind), []byte(body))
		if err != nil && es != nil {
			t.Fatal("an error with entries")
		}
	})
}
