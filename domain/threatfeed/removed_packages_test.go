package threatfeed

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// Shapes copied from microsoft/vsmarketplace's RemovedPackages.md (December
// 2026): two ids glued together, which VS Code cannot install and which
// used to void the whole file, and an id that contains the header's word.
func TestParseRemovedPackagesRealShapes(t *testing.T) {
	body := "| Extension Identifier | Removal Date | Type |\n|---|---|---|\n" +
		"| tangxia.roo-code-ex | 4/14/2026 | Impersonation |\n" +
		"| weiboplat.wecodergtfish1988.gtfish25-sql-formatter | 4/14/2026 | Impersonation |\n" +
		"|jonasxwebdev.sftp-dssCOMP.java-bazel-extension|3/20/2026|Impersonation|\n" +
		"| acme.identifier-lens | 3/19/2026 | Malware |\n" +
		"|QuantumCodeLabs.ayu-theme | 12/22/2025 | Malware\n"
	es, err := Parse(KindRemovedPackages, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(keys(es), ","); got != "exact:tangxia.roo-code-ex,exact:acme.identifier-lens,exact:quantumcodelabs.ayu-theme" {
		t.Fatalf("got %s", got)
	}
	if es[0].Severity != SeverityHigh {
		t.Errorf("impersonation is %s", es[0].Severity)
	}
	if _, err := Parse(KindRemovedPackages, []byte("| a.b.c | 1/2/2026 | Malware |\n")); err == nil {
		t.Error("a file without one usable row parsed")
	}
}

// TestParseRemovedPackagesRealFile runs the parser over the real file when
// EXTGUARD_REMOVED_PACKAGES_MD names a copy (curl -o /tmp/removed.md
// https://raw.githubusercontent.com/microsoft/vsmarketplace/main/RemovedPackages.md):
// every row with an installable id and a date must become an entry (one
// id there ends in a no-break space).
func TestParseRemovedPackagesRealFile(t *testing.T) {
	path := os.Getenv("EXTGUARD_REMOVED_PACKAGES_MD")
	if path == "" {
		t.Skip("EXTGUARD_REMOVED_PACKAGES_MD not set")
	}
	body, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	es, err := Parse(KindRemovedPackages, body)
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile(`^\|?\s*([A-Za-z0-9][A-Za-z0-9-]*\.[A-Za-z0-9][A-Za-z0-9-]*)[\s\p{Zs}]*\|\s*\d{1,2}/\d{1,2}/\d{4}\s*(\||$)`)
	want := map[string]bool{}
	for _, l := range strings.Split(string(body), "\n") {
		if m := row.FindStringSubmatch(strings.TrimSpace(l)); m != nil {
			want["exact:"+strings.ToLower(m[1])] = true
		}
	}
	if len(es) != len(want) {
		t.Errorf("%d entries, the file has %d rows with an installable id", len(es), len(want))
	}
	for _, e := range es {
		if !want[e.Key()] {
			t.Errorf("%s is not a row of the file", e.Key())
		}
	}
	t.Logf("%d entries", len(es))
}
