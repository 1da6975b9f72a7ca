// Package enforcetest provides stand-in editor command lines for tests: small shell scripts put first
// on PATH that record every call and act just enough like the editor for discovery to see the result.
package enforcetest

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// CLI is a set of stand-in editor command lines.
type CLI struct {
	Dir string // the directory put first on PATH
	log string
}

// StandIn writes one script per program (program name → the editor's extensions folder) into a new
// directory and puts it first on PATH for the rest of the test. Each call appends "<program> <args>"
// to a log. --uninstall-extension ID removes the folders ID-* from the extensions folder, as the
// editor would; --install-extension FILE copies FILE to Installed(program). Skips on Windows.
func StandIn(t testing.TB, programs map[string]string) *CLI {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the stand-in editor command lines are shell scripts")
	}
	c := &CLI{Dir: t.TempDir()}
	c.log = filepath.Join(c.Dir, "calls.log")
	for program, extDir := range programs {
		script := fmt.Sprintf(`#!/bin/sh
printf '%%s\n' "%[1]s $*" >> '%[2]s'
case "$1" in
--uninstall-extension) rm -rf '%[3]s/'"$2"-* ;;
--install-extension) cp "$2" '%[4]s' ;;
esac
`, program, c.log, extDir, c.Installed(program))
		if err := os.WriteFile(filepath.Join(c.Dir, program), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PATH", c.Dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	return c
}

// Installed is where program's stand-in copies the last VSIX it was asked to install.
func (c *CLI) Installed(program string) string {
	return filepath.Join(c.Dir, program+"-installed.vsix")
}

// Calls lists the recorded calls, "<program> <args>" each, in order.
func (c *CLI) Calls(t testing.TB) []string {
	t.Helper()
	b, err := os.ReadFile(c.log)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(b)), "\n")
}
