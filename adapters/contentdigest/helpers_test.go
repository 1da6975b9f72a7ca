package contentdigest_test

import (
	"archive/zip"
	"io/fs"
	"testing"
)

func zipSub(t testing.TB, zr *zip.Reader) fs.FS {
	t.Helper()
	sub, err := fs.Sub(zr, "extension")
	if err != nil {
		t.Fatal(err)
	}
	return sub
}
