package discovery_test

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/extguard/extguard/adapters/contentdigest"
	"github.com/extguard/extguard/cmd/extguard-agent/internal/discovery"
	"github.com/extguard/extguard/cmd/extguard-agent/internal/tempdir"
)

func digestOf(t *testing.T, dir string) string {
	t.Helper()
	d, err := contentdigest.Compute(os.DirFS(dir), contentdigest.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func symlinkOrSkip(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		if runtime.GOOS == "windows" {
			t.Skipf("symlinks need a privilege on Windows: %v", err)
		}
		t.Fatal(err)
	}
}

// discoverWithin is Discover on a Linux-shaped home, failing the test when it takes longer than
// limit (why names what would have made it hang).
func discoverWithin(t *testing.T, home string, limit time.Duration, why string) []discovery.Installation {
	t.Helper()
	done := make(chan []discovery.Installation, 1)
	go func() {
		insts, _ := discovery.Discover(home, "linux", discovery.Options{ComputeDigests: true})
		done <- insts
	}()
	select {
	case insts := <-done:
		return insts
	case <-time.After(limit):
		t.Fatalf("discovery did not finish: %s", why)
		return nil
	}
}

// TestSymlinkedFoldersAndLoops: an extension folder linked from elsewhere is found with the digest
// of its content; links inside it (one back to its parent, one to itself) are not followed; a loop
// in the extensions folder and a dangling link are passed over. No hang, no crash.
func TestSymlinkedFoldersAndLoops(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows links extension folders with junctions, which os.Symlink does not make (and Wine's links are Unix ones)")
	}
	f := newFixture(t)
	vs := ".vscode/extensions"
	real := f.ext("elsewhere", "pub", "linked", "1.0.0", "")
	want := digestOf(t, f.path("elsewhere/"+real))
	f.ext(vs, "pub", "plain", "2.0.0", "")
	symlinkOrSkip(t, f.path("elsewhere/"+real), f.path(vs+"/"+real))
	symlinkOrSkip(t, "..", f.path("elsewhere/"+real+"/out/up"))
	symlinkOrSkip(t, "self", f.path("elsewhere/"+real+"/out/self"))
	symlinkOrSkip(t, "loop-b", f.path(vs+"/loop-a"))
	symlinkOrSkip(t, "loop-a", f.path(vs+"/loop-b"))
	symlinkOrSkip(t, f.path(vs), f.path(vs+"/parent"))
	symlinkOrSkip(t, f.path("nowhere"), f.path(vs+"/dangling"))

	insts := discoverWithin(t, f.home, 20*time.Second, "a link loop was followed")
	if got := summarize(insts); !slices.Equal(got, []row{{"vscode", "default", "pub.linked@1.0.0,pub.plain@2.0.0"}}) {
		t.Fatalf("got %+v", got)
	}
	if d := insts[0].Extensions[0].ContentSHA256; d != want {
		t.Errorf("linked extension digest %s, want its content's %s", d, want)
	}
	if !hasWarning(insts[0], "parent", "not an extension folder") {
		t.Errorf("warnings %q", insts[0].Warnings)
	}
}

// TestUnreadableFilesAreWarnings: an extension whose package.json cannot be read (a folder in its
// place; as root, permissions do not stop reads), and, when not root, a file of mode 000: warnings,
// the readable extensions still reported with their digests.
func TestUnreadableFilesAreWarnings(t *testing.T) {
	f := newFixture(t)
	vs := ".vscode/extensions"
	good := f.ext(vs, "pub", "good", "1.0.0", "")
	bad := f.ext(vs, "pub", "bad", "1.0.0", "")
	if err := os.Remove(f.path(vs + "/" + bad + "/package.json")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(f.path(vs+"/"+bad+"/package.json"), 0o755); err != nil {
		t.Fatal(err)
	}
	secret := f.ext(vs, "pub", "secret", "1.0.0", "")
	unreadable := f.path(vs + "/" + secret + "/out/extension.js")
	if err := os.Chmod(unreadable, 0); err != nil {
		t.Fatal(err)
	}
	_, readErr := os.ReadFile(unreadable) // root (and Windows) can still read it
	insts, err := discovery.Discover(f.home, "linux", discovery.Options{ComputeDigests: true})
	if err != nil {
		t.Fatal(err)
	}
	in := insts[0]
	byID := map[string]discovery.Extension{}
	for _, e := range in.Extensions {
		byID[e.ID] = e
	}
	if e, ok := byID["pub.good"]; !ok || e.ContentSHA256 != digestOf(t, f.path(vs+"/"+good)) {
		t.Errorf("good extension %+v", e)
	}
	if _, ok := byID["pub.bad"]; ok || !hasWarning(in, bad, "not an extension folder") {
		t.Errorf("unreadable package.json: %+v, warnings %q", byID, in.Warnings)
	}
	if e := byID["pub.secret"]; readErr != nil && (e.ContentSHA256 != "" || !hasWarning(in, secret, "content digest")) {
		t.Errorf("unreadable file: %+v, warnings %q", e, in.Warnings)
	}
}

// TestVSIXInstalledEntryWithoutMetadata: extensions installed from a VSIX file have no metadata
// (the entry osquery crashed on) and may carry only a location.
func TestVSIXInstalledEntryWithoutMetadata(t *testing.T) {
	f := newFixture(t)
	vs := ".vscode/extensions"
	local := f.ext(vs, "me", "local-build", "0.0.1", "")
	gallery := f.ext(vs, "pub", "gallery", "1.0.0", "")
	f.write(vs+"/extensions.json", []byte(`[
		{"identifier":{"id":"me.local-build"},"version":"0.0.1","location":{"$mid":1,"path":"`+filepath.ToSlash(f.path(vs+"/"+local))+`","scheme":"file"}},
		{"identifier":{"id":"pub.gallery","uuid":"x"},"version":"1.0.0","relativeLocation":"`+gallery+`","metadata":null},
		{"identifier":{"id":"pub.gallery2"},"version":"1.0.0","relativeLocation":"`+gallery+`","metadata":{}}
	]`))
	insts, err := discovery.Discover(f.home, "linux", discovery.Options{ComputeDigests: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := summarize(insts); !slices.Equal(got, []row{{"vscode", "default", "me.local-build@0.0.1,pub.gallery@1.0.0,pub.gallery2@1.0.0"}}) {
		t.Fatalf("got %+v", got)
	}
	if !hasWarning(insts[0], "package.json says pub.gallery 1.0.0") || hasWarning(insts[0], "corrupt") {
		t.Errorf("warnings %q", insts[0].Warnings)
	}
}

// TestFolderWrittenDuringTheScan: an extension is updated in place again and again while discovery
// runs: update n replaces first out/extra0.js, then out/extra1.js, with version n of each (each file
// atomically). The folder is only ever (n, n) or (n+1, n); a read straddling an update would give
// (n, n+k), a state that never was. Every digest reported must be one of a real state, or none with
// a warning.
func TestFolderWrittenDuringTheScan(t *testing.T) {
	const updates = 150
	f := newFixture(t)
	vs := ".vscode/extensions"
	folder := f.ext(vs, "pub", "busy", "1.0.0", "", "x", "y")
	dir := f.path(vs + "/" + folder)
	staging := f.path("staging") // outside the extension folder, on the same file system
	if err := os.Mkdir(staging, 0o755); err != nil {
		t.Fatal(err)
	}
	put := func(root string, file, version int) error {
		tmp := filepath.Join(staging, fmt.Sprint(file))
		if err := os.WriteFile(tmp, []byte(fmt.Sprintf("// part %d of version %04d\n", file, version)), 0o644); err != nil {
			return err
		}
		// Windows refuses to replace a file another program has open (discovery reading it): an
		// editor there tries again, and so does this writer.
		var err error
		for range 1000 {
			if err = os.Rename(tmp, filepath.Join(root, "out", fmt.Sprintf("extra%d.js", file))); err == nil || runtime.GOOS != "windows" {
				break
			}
			time.Sleep(time.Millisecond)
		}
		return err
	}
	// The digest of every state the folder passes through, from a copy.
	real := map[string]string{}
	cp := tempdir.New(t)
	if err := os.CopyFS(cp, os.DirFS(dir)); err != nil {
		t.Fatal(err)
	}
	for n := range updates {
		for _, st := range [][2]int{{n, n}, {n + 1, n}} {
			if put(cp, 0, st[0]) != nil || put(cp, 1, st[1]) != nil {
				t.Fatal("staging a state")
			}
			real[digestOf(t, cp)] = fmt.Sprint(st)
		}
	}
	if put(dir, 0, 0) != nil || put(dir, 1, 0) != nil {
		t.Fatal("version 0")
	}

	var done atomic.Bool
	var wg sync.WaitGroup
	wg.Go(func() {
		defer done.Store(true)
		for n := 1; n < updates; n++ {
			if err := put(dir, 0, n); err != nil {
				t.Error(err)
				return
			}
			if err := put(dir, 1, n); err != nil {
				t.Error(err)
				return
			}
			time.Sleep(100 * time.Microsecond)
		}
	})
	var digests, skipped int
	for !done.Load() {
		insts, err := discovery.Discover(f.home, "linux", discovery.Options{ComputeDigests: true})
		if err != nil || len(insts) != 1 || len(insts[0].Extensions) != 1 {
			t.Fatalf("%+v %v", insts, err)
		}
		switch d := insts[0].Extensions[0].ContentSHA256; {
		case d == "":
			if !hasWarning(insts[0], "content digest") {
				t.Fatalf("no digest and no warning: %q", insts[0].Warnings)
			}
			skipped++
		case real[d] == "":
			done.Store(true)
			t.Fatalf("digest %s is of no state the folder was ever in: a read straddled an update", d)
		default:
			digests++
		}
	}
	wg.Wait()
	t.Logf("%d digests of a real state, %d scans that gave up", digests, skipped)
	insts, _ := discovery.Discover(f.home, "linux", discovery.Options{ComputeDigests: true})
	if d := insts[0].Extensions[0].ContentSHA256; real[d] != fmt.Sprint([2]int{updates - 1, updates - 1}) {
		t.Errorf("settled folder: digest %q (%s), warnings %q", d, real[d], insts[0].Warnings)
	}
}

// TestDiscoveryNeverWritesIntoEditorFolders: every file and folder of a home full of editors has
// the same size, mode and modification time after discovery as before.
func TestDiscoveryNeverWritesIntoEditorFolders(t *testing.T) {
	f := linuxHome(t)
	snapshot := func() map[string]string {
		m := map[string]string{}
		err := filepath.WalkDir(f.home, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			m[p] = fmt.Sprint(info.Size(), info.Mode(), info.ModTime().UnixNano())
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	before := snapshot()
	for range 2 {
		if _, err := discovery.Discover(f.home, "linux", discovery.Options{ComputeDigests: true}); err != nil {
			t.Fatal(err)
		}
		discovery.Fingerprint(f.home, "linux")
	}
	after := snapshot()
	for p, s := range after {
		if before[p] != s {
			t.Errorf("%s changed: %q -> %q", p, before[p], s)
		}
	}
	if len(after) != len(before) {
		t.Errorf("%d entries before, %d after", len(before), len(after))
	}
}

// TestUnreportableExtensionsAreWarnings: an extension whose package.json (or extensions.json) gives
// an id or version the server refuses would make it refuse the whole report, so anyone able to
// write into a home the agent reads could hide the machine's inventory from the server. Such an
// extension becomes a warning, with its values quoted; the others are still reported.
func TestUnreportableExtensionsAreWarnings(t *testing.T) {
	f := newFixture(t)
	vs := ".vscode/extensions"
	f.ext(vs, "pub", "good", "1.0.0", "")
	f.ext(vs, "pub", "under_score", "1.0.0", "")
	f.ext(vs, "pub", "spaced", "1.0 beta", "")
	escaped := f.ext(vs, "pub", "escaped", "1.0.0", "")
	f.writeJSON(vs+"/"+escaped+"/package.json", map[string]string{"publisher": "pub", "name": "escaped", "version": "1.0.0\x1b]0;pwned\a"})
	insts, err := discovery.Discover(f.home, "linux", discovery.Options{ComputeDigests: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := summarize(insts); !slices.Equal(got, []row{{"vscode", "default", "pub.good@1.0.0"}}) {
		t.Fatalf("got %+v, warnings %q", got, insts[0].Warnings)
	}
	if !hasWarning(insts[0], `"pub.under_score"`, "cannot be reported") || !hasWarning(insts[0], `"1.0 beta"`) ||
		!hasWarning(insts[0], `"1.0.0\x1b]0;pwned\a"`) {
		t.Errorf("warnings %q", insts[0].Warnings)
	}
}
