package domain_test

import (
	"os/exec"
	"slices"
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
	t.Parallel()
	d := deps(t, module+"/domain/...")
	standardLibraryAndOwn(t, "domain", d)
	if len(d["ours"]) < 5 {
		t.Fatalf("go list saw only %v; the check would pass vacuously", d["ours"])
	}
}

// TestArchitectureApplicationDependsOnDomainOnly: use cases know the domain
// and their own ports, never an adapter, a worker or a framework.
func TestArchitectureApplicationDependsOnDomainOnly(t *testing.T) {
	t.Parallel()
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

// TestArchitectureAgentProtocolIsStandardLibraryOnly: the wire types that
// the server and the agent share import nothing else, so sharing them ties
// neither side to the other's dependencies.
func TestArchitectureAgentProtocolIsStandardLibraryOnly(t *testing.T) {
	t.Parallel()
	standardLibraryAndOwn(t, "protocol", deps(t, module+"/protocol/..."))
}

// standardLibraryAndOwn fails when the packages below module/dir import
// anything but the standard library and each other.
func standardLibraryAndOwn(t *testing.T, dir string, d map[string][]string) {
	t.Helper()
	if len(d["third"]) > 0 {
		t.Errorf("%s imports third-party packages: %v", dir, d["third"])
	}
	for _, p := range d["ours"] {
		if !strings.HasPrefix(p, module+"/"+dir) {
			t.Errorf("%s imports %s", dir, p)
		}
	}
}

// agentMayLink is all of ours that extguard-agent may link besides its own
// packages: the protocol and the content digest it shares with the server.
var agentMayLink = []string{module + "/protocol/agentv1", module + "/adapters/contentdigest"}

// agentMayLinkThirdParty are the only third-party packages extguard-agent
// links, each for what the standard library cannot read: macOS managed
// preferences in binary plist form (howett.net/plist), and on Windows the
// registry (golang.org/x/sys/windows/registry, which a linux build does not
// link).
var agentMayLinkThirdParty = []string{"howett.net/plist", "golang.org/x/sys/windows", "golang.org/x/sys/windows/registry"}

// TestArchitectureAgentLinksNoServerCode keeps the binary that runs on
// developer machines small and its attack surface its own: no server
// adapter, use case or framework (fiber, bun, asynq, pgx, go-redis), and no
// third-party package but agentMayLinkThirdParty.
func TestArchitectureAgentLinksNoServerCode(t *testing.T) {
	t.Parallel()
	d := deps(t, module+"/cmd/extguard-agent")
	if third := slices.DeleteFunc(slices.Clone(d["third"]), func(p string) bool { return slices.Contains(agentMayLinkThirdParty, p) }); len(third) > 0 {
		t.Errorf("extguard-agent links third-party packages: %v", third)
	}
	linked := map[string]bool{}
	for _, p := range d["ours"] {
		linked[p] = true
		if !strings.HasPrefix(p, module+"/cmd/extguard-agent") && !slices.Contains(agentMayLink, p) {
			t.Errorf("extguard-agent links %s", p)
		}
	}
	// The protocol is one package only if both sides use it.
	if !linked[module+"/protocol/agentv1"] {
		t.Errorf("extguard-agent does not use the protocol package; it links %v", d["ours"])
	}
	if server := deps(t, module+"/adapters/http"); !slices.Contains(server["ours"], module+"/protocol/agentv1") {
		t.Errorf("the server's agent API does not use the protocol package")
	}
}
