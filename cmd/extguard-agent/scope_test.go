package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/extguard/extguard/cmd/extguard-agent/internal/discovery"
	"github.com/extguard/extguard/cmd/extguard-agent/internal/tempdir"
)

func writeExtension(t *testing.T, extDir, id, version string) {
	t.Helper()
	pub, name, _ := strings.Cut(id, ".")
	dir := filepath.Join(extDir, id+"-"+version)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	body := `{"publisher":"` + pub + `","name":"` + name + `","version":"` + version + `"}`
	if err := os.WriteFile(filepath.Join(dir, "package.json"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestInventoryFindsEveryConfiguredFolder: --extensions-dir (repeated), the --config file,
// VSCODE_EXTENSIONS and VSCODE_PORTABLE all add folders to the default ones.
func TestInventoryFindsEveryConfiguredFolder(t *testing.T) {
	root := tempdir.New(t)
	home := filepath.Join(root, "home")
	dir := func(rel string) string { return filepath.Join(root, filepath.FromSlash(rel)) }
	writeExtension(t, filepath.Join(home, ".vscode", "extensions"), "pub.default", "1.0.0")
	writeExtension(t, dir("flag1"), "pub.flag-one", "1.0.0")
	writeExtension(t, dir("flag2"), "pub.flag-two", "1.0.0")
	writeExtension(t, dir("from-config"), "pub.config", "1.0.0")
	writeExtension(t, dir("from-env"), "pub.env", "1.0.0")
	writeExtension(t, dir("portable/data/extensions"), "pub.portable", "1.0.0")
	config := dir("agent.json")
	if err := os.WriteFile(config, []byte(`{"extensions_dirs": ["kiro=`+filepath.ToSlash(dir("from-config"))+`"]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("VSCODE_EXTENSIONS", dir("from-env"))
	t.Setenv("VSCODE_PORTABLE", dir("portable/data"))

	var stdout, stderr strings.Builder
	code := run([]string{"inventory", "--json", "--home", home, "--config", config,
		"--extensions-dir", dir("flag1"), "--extensions-dir", "cursor=" + dir("flag2")}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var insts []discovery.Installation
	if err := json.Unmarshal([]byte(stdout.String()), &insts); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, in := range insts {
		for _, e := range in.Extensions {
			got = append(got, in.Editor+" "+e.ID)
			if e.ContentSHA256 == "" || in.Configured == (e.ID == "pub.default") {
				t.Errorf("%+v in %+v", e, in)
			}
		}
	}
	want := []string{"cursor pub.flag-two", "kiro pub.config", "vscode pub.default", "vscode pub.flag-one", "vscode pub.env", "vscode pub.portable"}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("got %q\nwant %q", got, want)
	}
}

func TestBadScopeIsRefused(t *testing.T) {
	home := tempdir.New(t)
	bad := filepath.Join(home, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"extension_dirs": []}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"inventory", "--home", home, "--extensions-dir", "relative/dir"},
		{"inventory", "--home", home, "--config", bad},
		{"inventory", "--home", home, "--config", filepath.Join(home, "missing.json")},
	} {
		var stdout, stderr strings.Builder
		if code := run(args, &stdout, &stderr); code != 1 || stderr.Len() == 0 {
			t.Errorf("%q: exit %d, stderr %q", args, code, stderr.String())
		}
	}
}

// TestInventoryTableEscapesWhatHomesHold: a profile name from a user's storage.json reaches the
// terminal of whoever runs inventory; its control characters (and a tab) are escaped.
func TestInventoryTableEscapesWhatHomesHold(t *testing.T) {
	home := tempdir.New(t)
	ext := filepath.Join(home, ".vscode", "extensions")
	writeExtension(t, ext, "pub.alpha", "1.0.0")
	userData := filepath.Join(home, map[string]string{"darwin": "Library/Application Support", "windows": "AppData/Roaming"}[runtime.GOOS], "Code", "User")
	if runtime.GOOS != "darwin" && runtime.GOOS != "windows" {
		userData = filepath.Join(home, ".config", "Code", "User")
	}
	for rel, body := range map[string]string{
		"profiles/p1/extensions.json": `[{"identifier":{"id":"pub.alpha"},"version":"1.0.0","relativeLocation":"pub.alpha-1.0.0"}]`,
		"globalStorage/storage.json":  `{"userDataProfiles":[{"location":"p1","name":"work\u001b]0;pwned\u0007\tx"}]}`,
	} {
		p := filepath.Join(userData, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var stdout, stderr strings.Builder
	if code := run([]string{"inventory", "--home", home}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if strings.ContainsAny(stdout.String()+stderr.String(), "\x1b\a") || !strings.Contains(stdout.String(), `work\x1b]0;pwned\a\tx`) {
		t.Fatalf("stdout %q\nstderr %q", stdout.String(), stderr.String())
	}
}
