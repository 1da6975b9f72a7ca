package domain_test

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/extguard/extguard"

// deps lists every package pattern's transitive imports (go list -deps).
func deps(t *testing.T, pattern string) map[string][]string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", "-f", `{{.ImportPath}} {{if .Standard}}std{{end}}`, pattern).Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", pattern, err)
	}
	byKind := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 2:
			byKind["std"] = append(byKind["std"], f[0])
		case strings.HasPrefix(f[0], module+"/"):
			byKind["ours"] = append(byKind["ours"], f[0])
		default:
			byKind["third"] = append(byKind["third"], f[0])
		}
	}
	return byKind
}

// TestArchitectureDomainIsStandardLibraryOnly keeps the dependency arrow
// pointing inward: the domain imports nothing but the standard library and
// its own packages.
func TestArchitectureDomainIsStandardLibraryOnly(t *testing.T) {
	d := deps(t, module+"/domain/...")
	if len(d["third"]) > 0 {
		t.Errorf("domain imports third-party packages: %v", d["third"])
	}
	for _, p := range d["ours"] {
		if !strings.HasPrefix(p, module+"/domain") {
			t.Errorf("domain imports %s", p)
		}
	}
	if len(d["ours"]) < 5 {
		t.Fatalf("go list saw only %v; the check would pass vacuously", d["ours"])
	}
}

// TestArchitectureApplicationDependsOnDomainOnly: use cases know the domain
// and their own ports, never an adapter, a worker or a framework.
func TestArchitectureApplicationDependsOnDomainOnly(t *testing.T) {
	d := deps(t, module+"/application/...")
	for _, p := range d["ours"] {
		if !strings.HasPrefix(p, module+"/domain") && !strings.HasPrefix(p, module+"/application") {
			t.Errorf("application imports %s", p)
		}
	}
	if len(d["third"]) > 0 {
		t.Errorf("application imports third-party packages: %v", d["third"])
	}
}
