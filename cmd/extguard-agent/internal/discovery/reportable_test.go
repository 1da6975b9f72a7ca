package discovery_test

import (
	"strings"
	"testing"

	"github.com/extguard/extguard/cmd/extguard-agent/internal/discovery"
	"github.com/extguard/extguard/domain/report"
)

// TestUnreportableIsTheServersRule: what discovery leaves out is exactly what the server's report
// validation refuses (a test dependency only: the agent binary links no domain code).
func TestUnreportableIsTheServersRule(t *testing.T) {
	ids := []string{"pub.good", "a.b", "pub.under_score", "pub", ".name", "pub.", "-pub.name", "pub.-name", "pub.na.me",
		"pub.näme", "pub.x\x1b", "pub." + strings.Repeat("n", 252), "pub." + strings.Repeat("n", 253)}
	versions := []string{"1.0.0", "2024.2.1-insider+x", "", "1.0 beta", "1.0.0\x1b]0;\a", "1.0\u200e", "1\xff",
		strings.Repeat("9", 64), strings.Repeat("9", 65), "1.0\u00a0"}
	for _, id := range ids {
		for _, v := range versions {
			_, err := report.NewItem(report.ItemParams{ExtensionID: id, Installed: true, Version: v, Editor: "vscode"})
			if why := discovery.Unreportable(id, v); (why == "") != (err == nil) {
				t.Errorf("%q %q: discovery says %q, the server %v", id, v, why, err)
			}
		}
	}
}
