//go:build unix

package nativepolicy_test

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/extguard/extguard/cmd/extguard-agent/internal/nativepolicy"
	"github.com/extguard/extguard/cmd/extguard-agent/internal/tempdir"
)

// A named pipe where policy.json should be would, opened blocking, wait for a
// writer forever: the reader refuses it as not a regular file, at once.
func TestLinuxPolicyPipeIsRefusedWithoutBlocking(t *testing.T) {
	root := tempdir.New(t)
	dir := filepath.Join(root, "etc", "vscode")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "policy.json"), 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if got := nativepolicy.Read("linux", nativepolicy.Sources{Root: root}); got.Present || got.Error == "" {
			t.Errorf("pipe: %+v, want an error and nothing present", got)
		}
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Read blocked on a named pipe")
	}
}
