package discovery_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/extguard/extguard/adapters/contentdigest"
	"github.com/extguard/extguard/cmd/extguard-agent/internal/discovery"
	"github.com/extguard/extguard/cmd/extguard-agent/internal/tempdir"
)

type row struct{ editor, profile, ids string }

func summarize(insts []discovery.Installation) []row {
	var out []row
	for _, in := range insts {
		var ids []string
		for _, e := range in.Extensions {
			ids = append(ids, e.ID+"@"+e.Version)
		}
		out = append(out, row{in.Editor, in.Profile, strings.Join(ids, ",")})
	}
	return out
}

func hasWarning(in discovery.Installation, substrs ...string) bool {
	for _, w := range in.Warnings {
		ok := true
		for _, s := range substrs {
			ok = ok && strings.Contains(w, s)
		}
		if ok {
			return true
		}
	}
	return false
}

func find(t *testing.T, insts []discovery.Installation, editor, profile string) discovery.Installation {
	t.Helper()
	for _, in := range insts {
		if in.Editor == editor && in.Profile == profile {
			return in
		}
	}
	t.Fatalf("no installation %s/%s in %+v", editor, profile, summarize(insts))
	return discovery.Installation{}
}

// linuxHome lays out a developer's Linux home with several editors and profiles.
func linuxHome(t *testing.T) *fixture {
	f := newFixture(t)

	// VS Code: default profile listed in extensions.json, with an obsolete folder, an unlisted
	// leftover, a listed-but-missing folder, and two non-default profiles.
	vs := ".vscode/extensions"
	python := f.ext(vs, "ms-python", "python", "2024.2.1", "linux-x64")
	oldPython := f.ext(vs, "ms-python", "python", "2024.0.0", "linux-x64") // left behind by an update
	prettier := f.ext(vs, "esbenp", "prettier-vscode", "10.1.0", "")
	golangOld := f.ext(vs, "golang", "Go", "0.40.0", "")
	golangNew := f.ext(vs, "golang", "Go", "0.41.0", "")
	f.ext(vs, "evil", "pack", "0.0.3", "") // on disk, listed nowhere
	f.extensionsJSON(vs+"/extensions.json", vs,
		listing{id: "ms-python.python", version: "2024.2.1", folder: python, platform: "linux-x64"},
		listing{id: "esbenp.prettier-vscode", version: "10.1.0", folder: prettier},
		listing{id: "golang.go", version: "0.40.0", folder: golangOld},
		listing{id: "redhat.java", version: "1.30.0", folder: "redhat.java-1.30.0-linux-x64"},
	)
	f.writeJSON(vs+"/.obsolete", map[string]bool{golangOld: true, oldPython: true})

	profiles := ".config/Code/User/profiles"
	f.extensionsJSON(profiles+"/-6b5f8a2e/extensions.json", vs,
		listing{id: "golang.go", version: "0.41.0", folder: golangNew, preRelease: true},
		listing{id: "ms-python.python", version: "2024.2.1", folder: python, platform: "linux-x64"},
	)
	f.extensionsJSON(profiles+"/3c1d0f7a/extensions.json", vs,
		listing{id: "esbenp.prettier-vscode", version: "10.1.0", folder: prettier},
	)
	f.write(profiles+"/1a2b3c4d/settings.json", []byte("{}")) // shares the default profile's extensions
	f.writeJSON(".config/Code/User/globalStorage/storage.json", map[string]any{
		"theme": "vs-dark",
		"userDataProfiles": []map[string]any{
			{"location": "-6b5f8a2e", "name": "Go dev", "icon": "beaker"},
			{"location": "1a2b3c4d", "name": "Shared", "useDefaultFlags": map[string]bool{"extensions": true}},
		},
	})

	// Cursor: no extensions.json at all (package.json scan), hidden and obsolete folders skipped.
	cur := ".cursor/extensions"
	f.ext(cur, "anysphere", "cursorpyright", "1.0.3", "")
	f.ext(cur, "Vue", "volar", "2.0.6", "")
	f.ext(cur, "gone", "ext", "1.0.0", "")
	f.write(cur+"/.a1b2c3d4-partial/package.json", []byte(`{"publisher":"half","name":"extracted","version":"1.0.0"}`))
	f.write(cur+"/not-an-extension/notes.txt", []byte("x"))
	f.writeJSON(cur+"/.obsolete", map[string]bool{"gone.ext-1.0.0": true})

	// Windsurf: a torn write of extensions.json.
	ws := ".windsurf/extensions"
	codeium := f.ext(ws, "codeium", "windsurf-pyright", "1.2.0", "")
	f.write(ws+"/extensions.json", []byte(`[{"identifier":{"id":"codeium.windsurf-pyright"},"version":"1.2.0","relativeLocation":"`+codeium+`"},{"identifier":{"id":"codei`))

	// code-server and the remote VS Code Server.
	cs := ".local/share/code-server/extensions"
	f.extensionsJSON(cs+"/extensions.json", cs, listing{id: "redhat.vscode-yaml", version: "1.14.0", folder: f.ext(cs, "redhat", "vscode-yaml", "1.14.0", "")})
	srv := ".vscode-server/extensions"
	f.extensionsJSON(srv+"/extensions.json", srv, listing{id: "ms-python.python", version: "2024.2.1", folder: f.ext(srv, "ms-python", "python", "2024.2.1", "linux-x64"), platform: "linux-x64"})
	srvIns := ".vscode-server-insiders/extensions"
	f.extensionsJSON(srvIns+"/extensions.json", srvIns, listing{id: "ms-python.python", version: "2024.3.0", folder: f.ext(srvIns, "ms-python", "python", "2024.3.0", "linux-x64"), platform: "linux-x64"})

	// Linux only: macOS and Windows conventions must not pick these up, and vice versa.
	f.extensionsJSON("Library/Application Support/Code/User/profiles/mac1/extensions.json", vs, listing{id: "esbenp.prettier-vscode", version: "10.1.0", folder: prettier})
	return f
}

func TestDiscoverLinux(t *testing.T) {
	f := linuxHome(t)
	insts, err := discovery.Discover(f.home, "linux", discovery.Options{ComputeDigests: true})
	if err != nil {
		t.Fatal(err)
	}
	want := []row{
		{"code-server", "default", "redhat.vscode-yaml@1.14.0"},
		{"cursor", "default", "anysphere.cursorpyright@1.0.3,vue.volar@2.0.6"},
		{"vscode", "default", "esbenp.prettier-vscode@10.1.0,ms-python.python@2024.2.1"},
		{"vscode", "3c1d0f7a", "esbenp.prettier-vscode@10.1.0"},
		{"vscode", "Go dev", "golang.go@0.41.0,ms-python.python@2024.2.1"},
		{"vscode-server", "default", "ms-python.python@2024.3.0"}, // .vscode-server-insiders sorts first
		{"vscode-server", "default", "ms-python.python@2024.2.1"},
		{"windsurf", "default", "codeium.windsurf-pyright@1.2.0"},
	}
	if got := summarize(insts); !slices.Equal(got, want) {
		t.Fatalf("installations:\n got %+v\nwant %+v", got, want)
	}

	vs := find(t, insts, "vscode", "default")
	if vs.ExtensionsDir != f.path(".vscode/extensions") {
		t.Errorf("ExtensionsDir = %s", vs.ExtensionsDir)
	}
	if !hasWarning(vs, "redhat.java", "missing") {
		t.Errorf("no warning for the listed-but-missing folder: %q", vs.Warnings)
	}
	py := vs.Extensions[1]
	if py.TargetPlatform != "linux-x64" || py.PreRelease || py.Dir != f.path(".vscode/extensions/ms-python.python-2024.2.1-linux-x64") {
		t.Errorf("python = %+v", py)
	}
	if vs.Extensions[0].TargetPlatform != "" {
		t.Errorf("untargeted platform should be empty: %+v", vs.Extensions[0])
	}
	if g := find(t, insts, "vscode", "Go dev").Extensions[0]; !g.PreRelease {
		t.Errorf("pre-release flag lost: %+v", g)
	}
	if !hasWarning(find(t, insts, "windsurf", "default"), "extensions.json", "corrupt") {
		t.Errorf("no warning for the torn extensions.json: %q", find(t, insts, "windsurf", "default").Warnings)
	}
	if cur := find(t, insts, "cursor", "default"); !hasWarning(cur, "not-an-extension") {
		t.Errorf("cursor warnings: %q", cur.Warnings)
	}

	for _, in := range insts {
		for _, e := range in.Extensions {
			want, err := contentdigest.Compute(os.DirFS(e.Dir), contentdigest.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if e.ContentSHA256 != want {
				t.Errorf("%s %s: digest %q, want %q", in.Editor, e.Dir, e.ContentSHA256, want)
			}
		}
	}

	// Same input, same output: the report must not churn between runs.
	again, err := discovery.Discover(f.home, "linux", discovery.Options{ComputeDigests: true})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.EqualFunc(insts, again, func(a, b discovery.Installation) bool {
		return a.Editor == b.Editor && a.Profile == b.Profile && slices.Equal(a.Extensions, b.Extensions) && slices.Equal(a.Warnings, b.Warnings)
	}) {
		t.Error("two runs over the same home differ")
	}
}

func TestDiscoverWithoutDigests(t *testing.T) {
	f := linuxHome(t)
	insts, err := discovery.Discover(f.home, "linux", discovery.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range insts {
		for _, e := range in.Extensions {
			if e.ContentSHA256 != "" {
				t.Fatalf("digest computed without ComputeDigests: %+v", e)
			}
		}
	}
}

func TestDiscoverMacOS(t *testing.T) {
	f := newFixture(t)
	vs := ".vscode/extensions"
	pretty := f.ext(vs, "esbenp", "prettier-vscode", "10.1.0", "")
	py := f.ext(vs, "ms-python", "python", "2024.2.1", "darwin-arm64")
	f.extensionsJSON(vs+"/extensions.json", vs, listing{id: "esbenp.prettier-vscode", version: "10.1.0", folder: pretty})
	app := "Library/Application Support"
	f.extensionsJSON(app+"/Code/User/profiles/-70a1/extensions.json", vs, listing{id: "ms-python.python", version: "2024.2.1", folder: py, platform: "darwin-arm64"})
	f.writeJSON(app+"/Code/User/globalStorage/storage.json", map[string]any{"userDataProfiles": []map[string]any{{"location": "-70a1", "name": "Data science"}}})
	// Insiders with its own profile on macOS.
	ins := ".vscode-insiders/extensions"
	gl := f.ext(ins, "GitLab", "gitlab-workflow", "4.0.0", "")
	f.extensionsJSON(ins+"/extensions.json", ins)
	f.extensionsJSON(app+"/Code - Insiders/User/profiles/p1/extensions.json", ins, listing{id: "GitLab.gitlab-workflow", version: "4.0.0", folder: gl})
	// A Linux-convention profile must be ignored on macOS.
	f.extensionsJSON(".config/Code/User/profiles/linux1/extensions.json", vs, listing{id: "ms-python.python", version: "2024.2.1", folder: py})

	insts, err := discovery.Discover(f.home, "darwin", discovery.Options{ComputeDigests: true})
	if err != nil {
		t.Fatal(err)
	}
	want := []row{
		{"vscode", "default", "esbenp.prettier-vscode@10.1.0"},
		{"vscode", "Data science", "ms-python.python@2024.2.1"},
		{"vscode-insiders", "default", ""},
		{"vscode-insiders", "p1", "gitlab.gitlab-workflow@4.0.0"},
	}
	if got := summarize(insts); !slices.Equal(got, want) {
		t.Fatalf("installations:\n got %+v\nwant %+v", got, want)
	}
	if e := insts[1].Extensions[0]; e.TargetPlatform != "darwin-arm64" || e.ContentSHA256 == "" {
		t.Errorf("python = %+v", e)
	}
}

func TestDiscoverWindows(t *testing.T) {
	f := newFixture(t)
	cur := ".cursor/extensions"
	// An older extensions.json: no relativeLocation, Windows paths in location.
	ts := f.ext(cur, "ms-vscode", "vscode-typescript-next", "5.5.20240301", "")
	eslint := f.ext(cur, "dbaeumer", "vscode-eslint", "3.0.5", "")
	f.extensionsJSON(cur+"/extensions.json", cur,
		listing{id: "ms-vscode.vscode-typescript-next", version: "5.5.20240301", folder: ts, noRelative: true, windowsHome: `C:\Users\alice`, preRelease: true},
	)
	roaming := "AppData/Roaming"
	f.extensionsJSON(roaming+"/Cursor/User/profiles/7f3e/extensions.json", cur,
		listing{id: "dbaeumer.vscode-eslint", version: "3.0.5", folder: eslint, noRelative: true, windowsHome: `C:\Users\alice`})
	f.writeJSON(roaming+"/Cursor/User/globalStorage/storage.json", map[string]any{"userDataProfiles": []map[string]any{
		// Older editors stored the profile location as a URI.
		{"location": map[string]any{"$mid": 1, "path": "/c:/Users/alice/AppData/Roaming/Cursor/User/profiles/7f3e", "scheme": "file"}, "name": "Web"},
	}})
	cs := ".local/share/code-server/extensions"
	f.ext(cs, "redhat", "vscode-yaml", "1.14.0", "")

	insts, err := discovery.Discover(f.home, "windows", discovery.Options{ComputeDigests: true})
	if err != nil {
		t.Fatal(err)
	}
	want := []row{
		{"code-server", "default", "redhat.vscode-yaml@1.14.0"},
		{"cursor", "default", "ms-vscode.vscode-typescript-next@5.5.20240301"},
		{"cursor", "Web", "dbaeumer.vscode-eslint@3.0.5"},
	}
	if got := summarize(insts); !slices.Equal(got, want) {
		t.Fatalf("installations:\n got %+v\nwant %+v", got, want)
	}
	if e := insts[1].Extensions[0]; e.Dir != filepath.Join(f.path(cur), ts) || !e.PreRelease {
		t.Errorf("typescript-next = %+v", e)
	}
	for _, in := range insts {
		if len(in.Warnings) > 0 {
			t.Errorf("%s/%s warnings: %q", in.Editor, in.Profile, in.Warnings)
		}
	}
}

func TestListingCannotPointOutsideExtensionsDir(t *testing.T) {
	f := newFixture(t)
	vs := ".vscode/extensions"
	f.ext(vs, "good", "ext", "1.0.0", "")
	f.write("secret/package.json", []byte(`{"publisher":"x","name":"y","version":"1"}`))
	f.write(vs+"/extensions.json", []byte(`[{"identifier":{"id":"x.y"},"version":"1","relativeLocation":"../../secret","location":{"path":"/"}}]`))
	insts, err := discovery.Discover(f.home, "linux", discovery.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := summarize(insts); !slices.Equal(got, []row{{"vscode", "default", "good.ext@1.0.0"}}) {
		t.Fatalf("got %+v", got)
	}
	if !hasWarning(insts[0], "corrupt") {
		t.Errorf("warnings: %q", insts[0].Warnings)
	}
}

func TestCorruptStateFilesWarnNeverFail(t *testing.T) {
	for name, body := range map[string]string{
		"not an array":    `{"identifier":{"id":"a.b"}}`,
		"wrong types":     `[{"identifier":{"id":7},"version":"1"}]`,
		"no id":           `[{"version":"1","relativeLocation":"a.b-1"}]`,
		"null":            `null`,
		"empty file":      ``,
		"binary garbage":  "\x00\xff\xfe",
		"two json values": `[] []`,
	} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			vs := ".vscode/extensions"
			f.ext(vs, "a", "b", "1.0.0", "")
			f.write(vs+"/extensions.json", []byte(body))
			f.write(vs+"/.obsolete", []byte(`{"a.b-1.0.0": tru`))
			insts, err := discovery.Discover(f.home, "linux", discovery.Options{ComputeDigests: true})
			if err != nil {
				t.Fatal(err)
			}
			if got := summarize(insts); !slices.Equal(got, []row{{"vscode", "default", "a.b@1.0.0"}}) {
				t.Fatalf("got %+v", got)
			}
			if !hasWarning(insts[0], "extensions.json", "corrupt") || !hasWarning(insts[0], ".obsolete") {
				t.Errorf("warnings: %q", insts[0].Warnings)
			}
		})
	}
}

func TestDigestFailureIsAWarning(t *testing.T) {
	f := newFixture(t)
	vs := ".vscode/extensions"
	f.ext(vs, "big", "ext", "1.0.0", "", "a", "b", "c")
	insts, err := discovery.Discover(f.home, "linux", discovery.Options{ComputeDigests: true, DigestLimits: contentdigest.Limits{MaxFiles: 2}})
	if err != nil {
		t.Fatal(err)
	}
	if e := insts[0].Extensions[0]; e.ContentSHA256 != "" || !hasWarning(insts[0], "too many files") {
		t.Fatalf("extension %+v warnings %q", e, insts[0].Warnings)
	}
}

func TestDiscoverHome(t *testing.T) {
	insts, err := discovery.Discover(tempdir.New(t), "linux", discovery.Options{ComputeDigests: true})
	if err != nil || len(insts) != 0 {
		t.Fatalf("empty home: %v %v", insts, err)
	}
	if _, err := discovery.Discover(filepath.Join(tempdir.New(t), "nope"), "linux", discovery.Options{}); err == nil {
		t.Fatal("missing home: want an error")
	}
	if _, err := discovery.Discover("", "linux", discovery.Options{}); err == nil {
		t.Fatal("empty home: want an error")
	}
}

func TestInventory(t *testing.T) {
	f := linuxHome(t)
	insts, err := discovery.Discover(f.home, "linux", discovery.Options{ComputeDigests: true})
	if err != nil {
		t.Fatal(err)
	}
	items := discovery.Inventory(insts)
	var got []string
	for _, it := range items {
		if it.SHA256 == "" {
			t.Errorf("no digest: %+v", it)
		}
		got = append(got, it.Editor+" "+it.ExtensionID+"@"+it.Version)
	}
	want := []string{
		"code-server redhat.vscode-yaml@1.14.0",
		"cursor anysphere.cursorpyright@1.0.3",
		"cursor vue.volar@2.0.6",
		"vscode esbenp.prettier-vscode@10.1.0",
		"vscode golang.go@0.41.0",
		"vscode ms-python.python@2024.2.1",
		"vscode-server ms-python.python@2024.3.0", // the highest of the two server copies
		"windsurf codeium.windsurf-pyright@1.2.0",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("inventory:\n got %q\nwant %q", got, want)
	}
}

func TestInventoryPicksHighestVersion(t *testing.T) {
	ext := func(v, sum string) discovery.Extension {
		return discovery.Extension{ID: "a.b", Version: v, ContentSHA256: sum}
	}
	insts := []discovery.Installation{
		{Editor: "vscode", Profile: "default", Extensions: []discovery.Extension{ext("1.10.0", "s1")}},
		{Editor: "vscode", Profile: "p", Extensions: []discovery.Extension{ext("1.9.0", "s2")}},
		{Editor: "vscode", Profile: "q", Extensions: []discovery.Extension{ext("1.10.0-beta.1", "s3")}},
		{Editor: "cursor", Profile: "default", Extensions: []discovery.Extension{ext("2.0.0", "")}},
		{Editor: "cursor", Profile: "p", Extensions: []discovery.Extension{ext("2.0.0", "s4")}},
	}
	got := discovery.Inventory(insts)
	want := []discovery.Item{
		{ExtensionID: "a.b", Version: "2.0.0", SHA256: "s4", Editor: "cursor"},
		{ExtensionID: "a.b", Version: "1.10.0", SHA256: "s1", Editor: "vscode"},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
}
