package discovery_test

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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

// BenchmarkDiscover2000Extensions: the robustness figure, an extensions folder of 2,000
// extensions (8 files each, 16,000 files) listed in extensions.json, inventoried with digests;
// the target is at most 2 s per op. "settled": files last modified an hour ago, hashed once;
// "just-written": modified seconds ago, so every folder is hashed twice (stableDigest's worst case).
func BenchmarkDiscover2000Extensions(b *testing.B) {
	f := newFixture(b)
	vs := ".vscode/extensions"
	extra := []string{"module.exports = 1\n", "// " + strings.Repeat("x", 2000) + "\n", `{"a":1}`, "/* css */"}
	var entries []listing
	for i := range 2000 {
		name := fmt.Sprintf("ext%04d", i)
		entries = append(entries, listing{id: "pub." + name, version: "1.0.0", folder: f.ext(vs, "pub", name, "1.0.0", "", extra...)})
	}
	f.extensionsJSON(vs+"/extensions.json", vs, entries...)
	run := func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			insts, err := discovery.Discover(f.home, "linux", discovery.Options{ComputeDigests: true})
			if err != nil || len(insts) != 1 || len(insts[0].Extensions) != 2000 || insts[0].Extensions[1999].ContentSHA256 == "" {
				b.Fatalf("%d installations, %v", len(insts), err)
			}
		}
	}
	b.Run("just-written", run)
	old := time.Now().Add(-time.Hour)
	if err := filepath.WalkDir(f.home, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Chtimes(p, old, old)
	}); err != nil {
		b.Fatal(err)
	}
	b.Run("settled", run)
}
