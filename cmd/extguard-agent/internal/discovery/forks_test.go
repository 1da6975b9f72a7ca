package discovery_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/extguard/extguard/cmd/extguard-agent/internal/discovery"
	"github.com/extguard/extguard/cmd/extguard-agent/internal/tempdir"
)

// forkLayouts is docs/agent-editors.md's table, written out again so that a row dropped or
// changed in the code fails here: the home-relative folder, the editor it reports, and where its
// profiles live on each OS ("" for none; a remote server keeps them in <folder>/data).
var forkLayouts = []struct {
	folder, editor        string
	linux, darwin, window string
}{
	{".vscode", "vscode", ".config/Code", "Library/Application Support/Code", "AppData/Roaming/Code"},
	{".vscode-insiders", "vscode-insiders", ".config/Code - Insiders", "Library/Application Support/Code - Insiders", "AppData/Roaming/Code - Insiders"},
	{".vscode-oss", "vscodium", ".config/VSCodium", "Library/Application Support/VSCodium", "AppData/Roaming/VSCodium"},
	{".cursor", "cursor", ".config/Cursor", "Library/Application Support/Cursor", "AppData/Roaming/Cursor"},
	{".windsurf", "windsurf", ".config/Windsurf", "Library/Application Support/Windsurf", "AppData/Roaming/Windsurf"},
	{".devin", "devin", ".config/Devin", "Library/Application Support/Devin", "AppData/Roaming/Devin"},
	{".trae", "trae", ".config/Trae", "Library/Application Support/Trae", "AppData/Roaming/Trae"},
	{".positron", "positron", ".config/Positron", "Library/Application Support/Positron", "AppData/Roaming/Positron"},
	{".kiro", "kiro", ".config/Kiro", "Library/Application Support/Kiro", "AppData/Roaming/Kiro"},
	{".antigravity", "antigravity", ".config/Antigravity", "Library/Application Support/Antigravity", "AppData/Roaming/Antigravity"},
	{".vscode-server", "vscode-server", ".vscode-server/data", ".vscode-server/data", ".vscode-server/data"},
	{".vscode-server-insiders", "vscode-server", ".vscode-server-insiders/data", ".vscode-server-insiders/data", ".vscode-server-insiders/data"},
	{".vscodium-server", "vscodium-server", ".vscodium-server/data", ".vscodium-server/data", ".vscodium-server/data"},
	{".cursor-server", "cursor-server", ".cursor-server/data", ".cursor-server/data", ".cursor-server/data"},
	{".windsurf-server", "windsurf-server", ".windsurf-server/data", ".windsurf-server/data", ".windsurf-server/data"},
	{".trae-server", "trae-server", ".trae-server/data", ".trae-server/data", ".trae-server/data"},
	{".kiro-server", "kiro-server", ".kiro-server/data", ".kiro-server/data", ".kiro-server/data"},
	{".local/share/code-server", "code-server", ".local/share/code-server", ".local/share/code-server", ".local/share/code-server"},
}

// TestEveryForkOnEveryOS lays each editor out alone in a home shaped for each OS (an extension in
// its extensions folder, listed in extensions.json, and a second profile with its own listing) and
// checks the editor name, both profiles and the digest.
func TestEveryForkOnEveryOS(t *testing.T) {
	for _, l := range forkLayouts {
		for goos, userData := range map[string]string{"linux": l.linux, "darwin": l.darwin, "windows": l.window} {
			t.Run(l.editor+l.folder+"/"+goos, func(t *testing.T) {
				t.Parallel()
				f := newFixture(t)
				ext := l.folder + "/extensions"
				a := f.ext(ext, "pub", "alpha", "1.0.0", "")
				b := f.ext(ext, "pub", "beta", "2.0.0", "")
				f.extensionsJSON(ext+"/extensions.json", ext, listing{id: "pub.alpha", version: "1.0.0", folder: a})
				f.extensionsJSON(userData+"/User/profiles/p1/extensions.json", ext, listing{id: "pub.beta", version: "2.0.0", folder: b})
				insts, err := discovery.Discover(f.home, goos, discovery.Options{ComputeDigests: true})
				if err != nil {
					t.Fatal(err)
				}
				want := []row{{l.editor, "default", "pub.alpha@1.0.0"}, {l.editor, "p1", "pub.beta@2.0.0"}}
				if got := summarize(insts); !slices.Equal(got, want) {
					t.Fatalf("got %+v\nwant %+v", got, want)
				}
				for _, in := range insts {
					if in.Extensions[0].ContentSHA256 == "" || len(in.Warnings) > 0 || in.Home != f.home || in.Configured {
						t.Errorf("%+v", in)
					}
				}
			})
		}
	}
}

func TestEditorsNamesEveryRow(t *testing.T) {
	var want []string
	for _, l := range forkLayouts {
		if !slices.Contains(want, l.editor) {
			want = append(want, l.editor)
		}
	}
	got := discovery.Editors()
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("Editors() = %q, want %q", got, want)
	}
}

func TestConfiguredExtensionsDirs(t *testing.T) {
	f := newFixture(t)
	// A portable VS Code: <app>/data/extensions with its profiles in <app>/data/user-data.
	portable := "VSCode-linux-x64/data/extensions"
	a := f.ext(portable, "pub", "alpha", "1.0.0", "")
	b := f.ext(portable, "pub", "beta", "1.0.0", "")
	f.extensionsJSON(portable+"/extensions.json", portable, listing{id: "pub.alpha", version: "1.0.0", folder: a})
	f.extensionsJSON("VSCode-linux-x64/data/user-data/User/profiles/x/extensions.json", portable, listing{id: "pub.beta", version: "1.0.0", folder: b})
	// A folder given to Cursor with --extensions-dir, without extensions.json.
	f.ext("shared/cursor-exts", "pub", "gamma", "3.0.0", "")
	// The default folder named again (VSCODE_EXTENSIONS pointing at it) is reported once.
	f.ext(".vscode/extensions", "pub", "delta", "4.0.0", "")

	homes := []string{f.home}
	dirs := []discovery.ExtensionsDir{
		discovery.ParseExtensionsDir(f.path(portable)),
		discovery.ParseExtensionsDir("cursor=" + f.path("shared/cursor-exts")),
		discovery.ParseExtensionsDir(f.path(".vscode/extensions") + "/"),
		discovery.ParseExtensionsDir(f.path("missing")),
	}
	insts := discovery.DiscoverScope(discovery.Scope{Homes: homes, ExtensionsDirs: dirs, GOOS: "linux"}, discovery.Options{ComputeDigests: true})
	want := []row{
		{"cursor", "default", "pub.gamma@3.0.0"},
		{"vscode", "default", "pub.delta@4.0.0"},
		{"vscode", "default", "pub.alpha@1.0.0"},
		{"vscode", "x", "pub.beta@1.0.0"},
	}
	if got := summarize(insts); !slices.Equal(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
	if !insts[0].Configured || insts[0].Home != "" || insts[1].Configured || insts[1].Home != f.home {
		t.Errorf("configured/home: %+v %+v", insts[0], insts[1])
	}
	fp := discovery.FingerprintScope(discovery.Scope{Homes: homes, ExtensionsDirs: dirs, GOOS: "linux"})
	f.ext("shared/cursor-exts", "pub", "epsilon", "1.0.0", "")
	if discovery.FingerprintScope(discovery.Scope{Homes: homes, ExtensionsDirs: dirs, GOOS: "linux"}) == fp {
		t.Error("fingerprint ignores a configured folder")
	}
}

func TestParseExtensionsDir(t *testing.T) {
	for in, want := range map[string]discovery.ExtensionsDir{
		"/opt/exts":               {Dir: "/opt/exts"},
		"cursor=/opt/exts":        {Editor: "cursor", Dir: "/opt/exts"},
		"/opt/a=b":                {Dir: "/opt/a=b"},
		`kiro=C:\Tools\Kiro\data`: {Editor: "kiro", Dir: `C:\Tools\Kiro\data`},
	} {
		if got := discovery.ParseExtensionsDir(in); got != want {
			t.Errorf("%q: got %+v want %+v", in, got, want)
		}
	}
}

func TestUserHomes(t *testing.T) {
	root := tempdir.New(t)
	for _, d := range []string{"home/alice", "home/bob", "root", "Users/carol", "Users/Shared", "Users/Public", "Users/Default"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for goos, want := range map[string][]string{
		"linux":   {"root", "home/alice", "home/bob"},
		"darwin":  {"Users/Default", "Users/Public", "Users/carol"},
		"windows": {"Users/Shared", "Users/carol"}, // Shared is macOS's; on Windows it is a user
	} {
		var rel []string
		for _, h := range discovery.UserHomes(goos, root) {
			r, _ := filepath.Rel(root, h)
			rel = append(rel, filepath.ToSlash(r))
		}
		if !slices.Equal(rel, want) {
			t.Errorf("%s: got %q want %q", goos, rel, want)
		}
	}
}
