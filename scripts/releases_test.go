// Package scripts holds the repository's checks that are not about one Go
// package: the module's requirements (here) and the idle-CPU measurement
// (idle-cpu.sh).
package scripts

import (
	"encoding/json"
	"os/exec"
	"testing"

	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
)

// requirement is one line of go.mod's require blocks (go mod edit -json).
type requirement struct {
	Path, Version string
	Indirect      bool
}

// notReleased lists the requirements that are not releases: any pre-release
// (v1.2.3-beta.1, -rc.1), and a pseudo-version (a bare commit) that we chose
// ourselves. An indirect pseudo-version is allowed: it is what a dependency
// requires of a module that publishes no tags, not our choice.
func notReleased(reqs []requirement) []requirement {
	var bad []requirement
	for _, r := range reqs {
		pseudo := module.IsPseudoVersion(r.Version)
		if (semver.Prerelease(r.Version) != "" && !pseudo) || (pseudo && !r.Indirect) {
			bad = append(bad, r)
		}
	}
	return bad
}

func TestModuleRequiresOnlyReleasedVersions(t *testing.T) {
	out, err := exec.Command("go", "mod", "edit", "-json").Output()
	if err != nil {
		t.Fatalf("go mod edit -json: %v", err)
	}
	var mod struct{ Require []requirement }
	if err := json.Unmarshal(out, &mod); err != nil {
		t.Fatal(err)
	}
	if len(mod.Require) < 10 {
		t.Fatalf("read only %d requirements from go.mod", len(mod.Require))
	}
	for _, r := range notReleased(mod.Require) {
		t.Errorf("go.mod requires %s %s, which is not a release: use one that `go list -m -versions %s` lists without a suffix",
			r.Path, r.Version, r.Path)
	}
}

func TestNotReleasedRecognisesPreReleases(t *testing.T) {
	reqs := []requirement{
		{Path: "a", Version: "v9.23.0-beta.1"},
		{Path: "b", Version: "v1.0.0-rc.2", Indirect: true},
		{Path: "c", Version: "v0.0.0-20240606120523-5a60cdf6a761"},
		{Path: "d", Version: "v0.0.0-20240606120523-5a60cdf6a761", Indirect: true},
		{Path: "e", Version: "v9.23.0"},
		{Path: "f", Version: "v1.0.0+incompatible"},
	}
	var got []string
	for _, r := range notReleased(reqs) {
		got = append(got, r.Path)
	}
	if len(got) != 3 || got[0] != "a" || got[1] != "b" || got[2] != "c" {
		t.Fatalf("not released: %v, want [a b c]", got)
	}
}
