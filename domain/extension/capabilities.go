package extension

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Capabilities is what a package version can do, from its manifest and
// files: when it runs, what it loads, what it pulls in and what native code
// it carries. Revalidation records it for the pinned version, so a new
// version's additions can be named before it spreads.
type Capabilities struct {
	ActivationEvents      []string `json:"activation_events"`
	AlwaysRunning         bool     `json:"always_running"` // "*" or onStartupFinished
	Main                  string   `json:"main,omitempty"`
	Browser               string   `json:"browser,omitempty"`
	ExtensionDependencies []string `json:"extension_dependencies"`
	ExtensionPack         []string `json:"extension_pack"`
	EnabledAPIProposals   []string `json:"enabled_api_proposals"`
	UntrustedWorkspaces   string   `json:"untrusted_workspaces,omitempty"` // true, false, limited; "" when not declared
	ExtensionKind         []string `json:"extension_kind"`
	Executables           []string `json:"executables"` // native or executable files, by path under extension/
	MoreExecutables       int      `json:"more_executables,omitempty"`
}

// maxListed bounds each list kept from a manifest: the manifest is the
// publisher's text, and a capability list is for people to read.
const maxListed = 200

// manifest is the part of package.json capabilities are read from.
type manifest struct {
	ActivationEvents      []string        `json:"activationEvents"`
	Main                  string          `json:"main"`
	Browser               string          `json:"browser"`
	ExtensionDependencies []string        `json:"extensionDependencies"`
	ExtensionPack         []string        `json:"extensionPack"`
	EnabledAPIProposals   []string        `json:"enabledApiProposals"`
	ExtensionKind         json.RawMessage `json:"extensionKind"`
	Capabilities          struct {
		UntrustedWorkspaces struct {
			Supported json.RawMessage `json:"supported"`
		} `json:"untrustedWorkspaces"`
	} `json:"capabilities"`
}

// ParseCapabilities reads a manifest (package.json bytes) and the package's
// executables. A missing manifest has no capabilities but its files; one
// that is not JSON is an error (the editor would refuse it too).
func ParseCapabilities(raw []byte, executables []string, moreExecutables int) (Capabilities, error) {
	c := Capabilities{Executables: listed(executables), MoreExecutables: moreExecutables}
	if len(raw) > 0 {
		var m manifest
		if err := json.Unmarshal(raw, &m); err != nil {
			return Capabilities{}, fmt.Errorf("extension: package.json is not a manifest: %w", err)
		}
		c.ActivationEvents = listed(m.ActivationEvents)
		c.AlwaysRunning = slices.Contains(m.ActivationEvents, "*") || slices.Contains(m.ActivationEvents, "onStartupFinished")
		c.Main, c.Browser = cutText(m.Main), cutText(m.Browser)
		c.ExtensionDependencies = lowerIDs(m.ExtensionDependencies)
		c.ExtensionPack = lowerIDs(m.ExtensionPack)
		c.EnabledAPIProposals = listed(m.EnabledAPIProposals)
		c.ExtensionKind = extensionKinds(m.ExtensionKind)
		switch s := strings.Trim(string(m.Capabilities.UntrustedWorkspaces.Supported), `" `); s {
		case "true", "false", "limited":
			c.UntrustedWorkspaces = s
		}
	}
	return c, nil
}

// extensionKind is a string or an array of strings ("ui", "workspace", "web").
func extensionKinds(raw json.RawMessage) []string {
	var one string
	if json.Unmarshal(raw, &one) == nil && one != "" {
		return []string{cutText(one)}
	}
	var many []string
	_ = json.Unmarshal(raw, &many)
	return listed(many)
}

func lowerIDs(ids []string) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		out = append(out, strings.ToLower(strings.TrimSpace(id)))
	}
	return listed(out)
}

// listed sorts, dedups, cuts and bounds a list; never nil, so JSON says [].
func listed(in []string) []string {
	out := make([]string, 0, min(len(in), maxListed))
	for _, s := range in {
		if s = cutText(s); s != "" {
			out = append(out, s)
		}
	}
	sort.Strings(out)
	out = slices.Compact(out)
	if len(out) > maxListed {
		out = out[:maxListed]
	}
	return out
}

// cutText keeps printable text of at most 256 bytes.
func cutText(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == 0xfffd {
			return -1
		}
		return r
	}, strings.ToValidUTF8(strings.TrimSpace(s), ""))
	if len(s) > 256 {
		s = strings.ToValidUTF8(s[:256], "")
	}
	return s
}

// Added names what next can do that c could not, one line each, e.g.
// "native or executable file bin/helper", "always running (activation *)",
// "new dependency ms-python.debugpy". Empty when next adds nothing.
func (c Capabilities) Added(next Capabilities) []string {
	var out []string
	if next.AlwaysRunning && !c.AlwaysRunning {
		out = append(out, "always running (activation "+strings.Join(alwaysEvents(next.ActivationEvents), ", ")+")")
	}
	for _, e := range newIn(c.ActivationEvents, next.ActivationEvents) {
		out = append(out, "activation event "+e)
	}
	if next.Main != "" && c.Main == "" {
		out = append(out, "node entry point (main) "+next.Main)
	}
	if next.Browser != "" && c.Browser == "" {
		out = append(out, "web entry point (browser) "+next.Browser)
	}
	for _, d := range newIn(c.ExtensionDependencies, next.ExtensionDependencies) {
		out = append(out, "new dependency "+d)
	}
	for _, d := range newIn(c.ExtensionPack, next.ExtensionPack) {
		out = append(out, "new extension pack member "+d)
	}
	for _, p := range newIn(c.EnabledAPIProposals, next.EnabledAPIProposals) {
		out = append(out, "proposed API "+p)
	}
	if next.UntrustedWorkspaces != c.UntrustedWorkspaces && (next.UntrustedWorkspaces == "true" || next.UntrustedWorkspaces == "limited") {
		out = append(out, "runs in untrusted workspaces ("+next.UntrustedWorkspaces+")")
	}
	for _, k := range newIn(c.ExtensionKind, next.ExtensionKind) {
		out = append(out, "extension kind "+k)
	}
	for _, f := range newIn(c.Executables, next.Executables) {
		out = append(out, "native or executable file "+f)
	}
	if next.MoreExecutables > c.MoreExecutables {
		out = append(out, fmt.Sprintf("%d more native or executable files", next.MoreExecutables-c.MoreExecutables))
	}
	return out
}

func alwaysEvents(events []string) []string {
	var out []string
	for _, e := range events {
		if e == "*" || e == "onStartupFinished" {
			out = append(out, e)
		}
	}
	return out
}

// newIn lists what next has that prev lacks (both sorted).
func newIn(prev, next []string) []string {
	var out []string
	for _, s := range next {
		if _, found := slices.BinarySearch(prev, s); !found {
			out = append(out, s)
		}
	}
	return out
}
