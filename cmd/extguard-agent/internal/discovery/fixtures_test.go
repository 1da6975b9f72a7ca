package discovery_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/extguard/extguard/cmd/extguard-agent/internal/tempdir"
)

// fixture builds editor folders under a fake home, shaped like what the editors write.
type fixture struct {
	t    testing.TB
	home string
}

func newFixture(t testing.TB) *fixture {
	return &fixture{t: t, home: tempdir.New(t)}
}

func (f *fixture) path(slashRel string) string {
	return filepath.Join(f.home, filepath.FromSlash(slashRel))
}

func (f *fixture) write(slashRel string, body []byte) {
	f.t.Helper()
	p := f.path(slashRel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		f.t.Fatal(err)
	}
	if err := os.WriteFile(p, body, 0o644); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) writeJSON(slashRel string, v any) {
	f.t.Helper()
	b, err := json.MarshalIndent(v, "", "\t")
	if err != nil {
		f.t.Fatal(err)
	}
	f.write(slashRel, b)
}

// ext unpacks an extension folder <extDir>/<publisher>.<name>-<version>[-platform] and returns
// the folder name. extra adds files.
func (f *fixture) ext(extDir, publisher, name, version, platform string, extra ...string) string {
	folder := strings.ToLower(publisher+"."+name) + "-" + version
	if platform != "" {
		folder += "-" + platform
	}
	base := extDir + "/" + folder
	manifest := map[string]any{
		"publisher": publisher, "name": name, "version": version,
		"engines": map[string]string{"vscode": "^1.80.0"}, "main": "./out/extension.js",
	}
	if platform != "" {
		manifest["__metadata"] = map[string]any{"targetPlatform": platform, "installedTimestamp": 1708000000000}
	}
	f.writeJSON(base+"/package.json", manifest)
	f.write(base+"/.vsixmanifest", []byte(`<?xml version="1.0" encoding="utf-8"?><PackageManifest Version="2.0.0"/>`))
	f.write(base+"/out/extension.js", []byte(fmt.Sprintf("exports.activate = () => %q\n", folder)))
	f.write(base+"/README.md", []byte("# "+name+"\n"))
	for i, e := range extra {
		f.write(fmt.Sprintf("%s/out/extra%d.js", base, i), []byte(e))
	}
	return folder
}

type listing struct {
	id, version, folder, platform string
	preRelease                    bool
	noRelative                    bool // old editors: only location
	windowsHome                   string
}

// extensionsJSON renders an extensions.json as VS Code writes it.
func (f *fixture) extensionsJSON(slashRel, extDir string, entries ...listing) {
	var out []map[string]any
	for _, l := range entries {
		fsPath := filepath.Join(f.path(extDir), l.folder)
		uriPath := filepath.ToSlash(fsPath)
		if l.windowsHome != "" {
			fsPath = l.windowsHome + `\` + strings.ReplaceAll(extDir, "/", `\`) + `\` + l.folder
			uriPath = "/" + strings.ToLower(fsPath[:1]) + strings.ReplaceAll(fsPath[1:], `\`, "/")
		}
		e := map[string]any{
			"identifier": map[string]any{"id": l.id, "uuid": "5f5e1a8b-0000-4000-8000-" + fmt.Sprintf("%012d", len(out))},
			"version":    l.version,
			"location":   map[string]any{"$mid": 1, "fsPath": fsPath, "path": uriPath, "scheme": "file"},
			"metadata": map[string]any{
				"installedTimestamp": 1708000000000, "targetPlatform": cmpOr(l.platform, "undefined"),
				"isPreReleaseVersion": l.preRelease, "pinned": false, "source": "gallery",
				"isApplicationScoped": false, "updated": false,
			},
		}
		if !l.noRelative {
			e["relativeLocation"] = l.folder
		}
		out = append(out, e)
	}
	if out == nil {
		out = []map[string]any{}
	}
	f.writeJSON(slashRel, out)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
