//go:build unix

package discovery_test

import (
	"slices"
	"syscall"
	"testing"
	"time"
)

// TestSpecialFilesInAHomeAreNotOpened: a service reads every user's home, so a user can plant a
// named pipe (or a link to a device) where the editors keep extensions.json, .obsolete or an
// extension's package.json. Opening a pipe for reading waits for a writer that never comes: the
// agent would hang for every user. They must be warnings, and the rest still reported.
func TestSpecialFilesInAHomeAreNotOpened(t *testing.T) {
	f := newFixture(t)
	vs := ".vscode/extensions"
	f.ext(vs, "pub", "good", "1.0.0", "")
	piped := f.ext(vs, "pub", "piped", "1.0.0", "")
	for _, p := range []string{vs + "/extensions.json", vs + "/.obsolete", vs + "/" + piped + "/package.json"} {
		_ = syscall.Unlink(f.path(p))
		if err := syscall.Mkfifo(f.path(p), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	insts := discoverWithin(t, f.home, 10*time.Second, "blocked opening a named pipe")
	if got := summarize(insts); !slices.Equal(got, []row{{"vscode", "default", "pub.good@1.0.0"}}) {
		t.Fatalf("got %+v", got)
	}
	if !hasWarning(insts[0], "not a regular file") {
		t.Errorf("warnings %q", insts[0].Warnings)
	}
}
