package postgres

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/report"
)

// Fingerprints are stored (agent_verdicts.inventory_sha256), so the
// function must not drift: a change would make every agent's next report
// look like a changed inventory. The golden value was computed by the
// first implementation (sorted "editor\x00extension\x00version\x00sha256"
// lines after the group id).
func TestInventoryFingerprintIsStableAndOrderFree(t *testing.T) {
	group := domain.ID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	items := []report.ItemParams{
		{ExtensionID: "ms-python.python", Installed: true, Version: "2.0.0", Editor: "vscode"},
		{ExtensionID: "golang.go", Installed: true, Version: "0.41.0", SHA256: "ab" + strings.Repeat("0", 62), Editor: "cursor"},
		{ExtensionID: "golang.go", Installed: true, Version: "0.41.0", Editor: "vscode"},
		{ExtensionID: "removed.one", Installed: false, Editor: "vscode"},
	}
	fingerprint := func(items []report.ItemParams) string {
		r, err := report.NewReport(report.ReportParams{ReportedAt: time.Now(), Items: items}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return inventoryFingerprint(application.StoredReport{GroupID: group, Report: r})
	}
	const golden = "39fcecfc382a30b2ad99b0450981b5a86915b54d976440a4a4fb9f30720907a9"
	if got := fingerprint(items); got != golden {
		t.Fatalf("fingerprint %s, want %s", got, golden)
	}
	reversed := []report.ItemParams{items[3], items[2], items[1], items[0]}
	if got := fingerprint(reversed); got != golden {
		t.Fatalf("fingerprint depends on item order: %s", got)
	}
}

// A committer fingerprints every report of its batch inside the
// transaction: go test -run '^$' -bench InventoryFingerprint ./adapters/postgres/
func BenchmarkInventoryFingerprint50(b *testing.B) {
	items := make([]report.ItemParams, 50)
	for i := range items {
		// The load run's order: not sorted, publishers interleaved.
		items[i] = report.ItemParams{ExtensionID: "publisher" + strconv.Itoa(i%7) + ".extension-" + strconv.Itoa(i),
			Installed: true, Version: "1." + strconv.Itoa(i) + ".0", SHA256: strings.Repeat(strconv.Itoa(i%10), 64), Editor: "vscode"}
	}
	r, err := report.NewReport(report.ReportParams{ReportedAt: time.Now(), Items: items}, time.Now())
	if err != nil {
		b.Fatal(err)
	}
	stored := application.StoredReport{Report: r}
	b.ReportAllocs()
	for b.Loop() {
		_ = inventoryFingerprint(stored)
	}
}
