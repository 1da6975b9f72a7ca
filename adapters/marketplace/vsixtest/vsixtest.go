// Package vsixtest builds VSIX packages in memory for tests of the code that
// downloads and inspects them (marketplace fetcher, revalidation worker).
package vsixtest

import (
	"archive/zip"
	"bytes"
	"testing"
)

// File is one entry of the package's zip.
type File struct {
	Name string
	Data []byte
}

// The two files every VSIX carries besides its extension/ tree.
var (
	Manifest     = File{"extension.vsixmanifest", []byte(`<?xml version="1.0"?><PackageManifest/>`)}
	ContentTypes = File{"[Content_Types].xml", []byte(`<?xml version="1.0"?><Types/>`)}
)

// Build zips files in order, names as given (so tests can build hostile
// packages with escaping names).
func Build(t testing.TB, files ...File) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		w, err := zw.Create(f.Name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(f.Data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
