package contentdigest_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/extguard/extguard/adapters/contentdigest"
)

func BenchmarkComputeFolder(b *testing.B) {
	files := map[string]string{"package.json": packagedManifest}
	for i := range 3000 {
		files[fmt.Sprintf("out/d%02d/f%04d.js", i%50, i)] = fmt.Sprintf("module.exports = %d // %0512d\n", i, i)
	}
	dir := b.TempDir()
	writeTree(b, dir, files)
	fsys := os.DirFS(dir)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := contentdigest.Compute(fsys, contentdigest.Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}
