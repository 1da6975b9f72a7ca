package report

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"testing"
	"time"
)

// BenchmarkNewReport50 validates a 50-item report, the shape of the load
// run's reports: it runs once per report on the ingest path.
func BenchmarkNewReport50(b *testing.B) {
	now := time.Now()
	p := ReportParams{ReportedAt: now.Add(-time.Minute), PolicyETag: `"p-0123456789abcdef0123456789abcdef"`}
	for i := range 50 {
		id := "publisher" + strconv.Itoa(i%7) + ".extension-" + strconv.Itoa(i)
		sum := sha256.Sum256([]byte(id))
		p.Items = append(p.Items, ItemParams{ExtensionID: id, Installed: true, Version: "1." + strconv.Itoa(i) + ".0",
			SHA256: hex.EncodeToString(sum[:]), Editor: "vscode"})
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := NewReport(p, now); err != nil {
			b.Fatal(err)
		}
	}
}
