package discovery_test

import (
	"fmt"
	"testing"

	"github.com/extguard/extguard/cmd/extguard-agent/internal/discovery"
)

// BenchmarkDiscoverWithDigests: 100 extensions of 30 files each (3,000 files) in one editor.
func BenchmarkDiscoverWithDigests(b *testing.B) {
	f := newFixture(b)
	vs := ".vscode/extensions"
	extra := make([]string, 26)
	for i := range extra {
		extra[i] = fmt.Sprintf("module.exports = %d // %0512d\n", i, i)
	}
	var entries []listing
	for i := range 100 {
		name := fmt.Sprintf("ext%03d", i)
		entries = append(entries, listing{id: "pub." + name, version: "1.0.0", folder: f.ext(vs, "pub", name, "1.0.0", "", extra...)})
	}
	f.extensionsJSON(vs+"/extensions.json", vs, entries...)
	b.ReportAllocs()
	for b.Loop() {
		insts, err := discovery.Discover(f.home, "linux", discovery.Options{ComputeDigests: true})
		if err != nil || len(insts) != 1 || len(insts[0].Extensions) != 100 {
			b.Fatalf("%v %v", insts, err)
		}
	}
}
