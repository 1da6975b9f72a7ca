// Package tempdir gives the agent's tests temporary folders that also work under Wine, where
// testing.T.TempDir fails the test at cleanup: Wine 8.0 answers Go's file deletion
// (NtSetInformationFile with FileDispositionInformationEx) with a status Go does not fall back
// from. Off Windows it is t.TempDir.
package tempdir

import (
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
)

// New returns a fresh folder removed when the test ends. On Windows a failed removal is only
// logged: the Wine test run (scripts/wine-test.sh) deletes its whole prefix, temp folders included.
// Off Windows it is t.TempDir.
func New(t testing.TB) string {
	t.Helper()
	if runtime.GOOS != "windows" {
		return t.TempDir()
	}
	d, err := os.MkdirTemp("", "extguard-agent-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := RemoveAll(d); err != nil {
			t.Logf("temporary folder left behind: %v", err)
		}
	})
	return d
}

// RemoveAll is os.RemoveAll, falling back on Windows to removing each file and folder deepest
// first with os.Remove (DeleteFile and RemoveDirectory, which Wine implements).
func RemoveAll(path string) error {
	err := os.RemoveAll(path)
	if err == nil || runtime.GOOS != "windows" {
		return err
	}
	var paths []string
	if werr := filepath.WalkDir(path, func(p string, _ fs.DirEntry, err error) error {
		paths = append(paths, p)
		return err
	}); werr != nil {
		return werr
	}
	slices.Reverse(paths)
	for _, p := range paths {
		if err := os.Remove(p); err != nil {
			return err
		}
	}
	return nil
}
