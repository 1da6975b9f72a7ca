package contentdigest_test

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/extguard/extguard/adapters/contentdigest"
)

const packagedManifest = `{
  "name": "python",
  "publisher": "ms-python",
  "version": "2024.2.1",
  "engines": {"vscode": "^1.86.0"},
  "main": "./out/main.js",
  "contributes": {"commands": [{"command": "python.run", "title": "Run <file> & go"}]},
  "ratio": 1.50
}
`

// installedManifest is what an older editor wrote back: JSON.stringify with tabs, __metadata added.
const installedManifest = "{\n\t\"name\": \"python\",\n\t\"publisher\": \"ms-python\",\n\t\"version\": \"2024.2.1\",\n" +
	"\t\"engines\": {\n\t\t\"vscode\": \"^1.86.0\"\n\t},\n\t\"main\": \"./out/main.js\",\n" +
	"\t\"contributes\": {\n\t\t\"commands\": [\n\t\t\t{\n\t\t\t\t\"command\": \"python.run\",\n\t\t\t\t\"title\": \"Run <file> & go\"\n\t\t\t}\n\t\t]\n\t},\n" +
	"\t\"ratio\": 1.5,\n" +
	"\t\"__metadata\": {\n\t\t\"id\": \"f1f59ae4-9318-4f3c-a9b5-81b2eaa5f8a5\",\n\t\t\"publisherId\": \"998b010b\",\n\t\t\"installedTimestamp\": 1708000000000,\n\t\t\"targetPlatform\": \"linux-x64\"\n\t}\n}"

func extensionFiles() map[string]string {
	return map[string]string{
		"package.json":     packagedManifest,
		"out/main.js":      "exports.activate = function () { console.log('hi') }\n",
		"out/lib/util.js":  "module.exports = 42\n",
		"README.md":        "# Python\n",
		"a.txt":            "sorts before a/ bytewise",
		"a/b.txt":          "nested",
		"images/icon.png":  "\x89PNG\r\n\x1a\n\x00\x00binary",
		"node_modules/x/y": "",
	}
}

type zipEntry struct{ name, body string }

func buildZip(t testing.TB, entries []zipEntry) *zip.Reader {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		w, err := zw.Create(e.name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(w, e.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		t.Fatal(err)
	}
	return zr
}

func buildVSIX(t testing.TB, files map[string]string) *zip.Reader {
	entries := []zipEntry{
		{"extension.vsixmanifest", `<?xml version="1.0"?><PackageManifest/>`},
		{"[Content_Types].xml", `<?xml version="1.0"?><Types/>`},
	}
	for name, body := range files {
		entries = append(entries, zipEntry{"extension/" + name, body})
	}
	return buildZip(t, entries)
}

func writeTree(t testing.TB, root string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// installFolder lays out what an editor leaves on disk after installing the VSIX.
func installFolder(t testing.TB, files map[string]string) string {
	dir := filepath.Join(t.TempDir(), "ms-python.python-2024.2.1-linux-x64")
	installed := map[string]string{}
	for k, v := range files {
		installed[k] = v
	}
	installed["package.json"] = installedManifest
	installed[".vsixmanifest"] = `<?xml version="1.0"?><PackageManifest/>`
	writeTree(t, dir, installed)
	return dir
}

func TestInstalledFolderMatchesVSIX(t *testing.T) {
	t.Parallel()
	files := extensionFiles()
	fromVSIX, err := contentdigest.ComputeVSIX(buildVSIX(t, files), contentdigest.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	dir := installFolder(t, files)
	fromFolder, err := contentdigest.Compute(os.DirFS(dir), contentdigest.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if fromVSIX != fromFolder {
		t.Fatalf("VSIX digest %s != installed folder digest %s", fromVSIX, fromFolder)
	}
	if len(fromVSIX) != 64 || strings.ToLower(fromVSIX) != fromVSIX {
		t.Fatalf("not lowercase hex sha256: %q", fromVSIX)
	}

	// A symlink in the folder is not followed and not listed.
	if err := os.Symlink("/etc/passwd", filepath.Join(dir, "link")); err == nil {
		again, err := contentdigest.Compute(os.DirFS(dir), contentdigest.Limits{})
		if err != nil || again != fromFolder {
			t.Fatalf("symlink changed digest: %v %s", err, again)
		}
	}
}

// The listing format is a contract with digests stored by the server; pin it.
func TestListingFormat(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{
		"b":             {Data: []byte("B")},
		"a/x":           {Data: []byte("X")},
		"a.txt":         {Data: []byte("T")},
		".vsixmanifest": {Data: []byte("ignored")},
		"package.json":  {Data: []byte(`{ "z": 1, "__metadata": {"a": 1}, "a": "<&>" }`)},
	}
	hexsum := func(s string) string { s2 := sha256.Sum256([]byte(s)); return hex.EncodeToString(s2[:]) }
	listing := fmt.Sprintf("%s  a.txt\n%s  a/x\n%s  b\n%s  package.json\n",
		hexsum("T"), hexsum("X"), hexsum("B"), hexsum(`{"a":"<&>","z":1}`))
	got, err := contentdigest.Compute(fsys, contentdigest.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if want := hexsum(listing); got != want {
		t.Fatalf("digest %s, want %s over listing:\n%s", got, want, listing)
	}
}

func TestChangedByteChangesDigest(t *testing.T) {
	t.Parallel()
	files := extensionFiles()
	base, err := contentdigest.ComputeVSIX(buildVSIX(t, files), contentdigest.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]func(map[string]string){
		"file byte": func(m map[string]string) { m["out/main.js"] = strings.Replace(m["out/main.js"], "hi", "hI", 1) },
		"manifest value": func(m map[string]string) {
			m["package.json"] = strings.Replace(m["package.json"], "./out/main.js", "./out/evil.js", 1)
		},
		"added file":          func(m map[string]string) { m["out/evil.js"] = "x" },
		"removed file":        func(m map[string]string) { delete(m, "README.md") },
		"renamed file":        func(m map[string]string) { m["README.MD"] = m["README.md"]; delete(m, "README.md") },
		"nested package.json": func(m map[string]string) { m["out/package.json"] = `{"__metadata":1}` },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			m := extensionFiles()
			mutate(m)
			got, err := contentdigest.ComputeVSIX(buildVSIX(t, m), contentdigest.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if got == base {
				t.Fatal("digest did not change")
			}
			folder, err := contentdigest.Compute(os.DirFS(installFolder(t, files)), contentdigest.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if folder == got {
				t.Fatal("tampered package matches the installed folder")
			}
		})
	}
}

func TestManifestNormalisation(t *testing.T) {
	t.Parallel()
	cases := []struct{ in, want string }{
		{`{"b":1,"a":[1.0,-0,1e2,"\u003c"],"__metadata":{}}`, `{"a":[1,0,100,"<"],"b":1}`},
		{"\xef\xbb\xbf{\"a\":1}", `{"a":1}`},
		{`{"nested":{"__metadata":1}}`, `{"nested":{"__metadata":1}}`},
		{`{"a":1} trailing`, `{"a":1} trailing`},
		{`{"a":`, `{"a":`},
		{`not json`, `not json`},
		{`{"big":1e400}`, `{"big":null}`},
	}
	for _, c := range cases {
		if got := string(contentdigest.NormalizeManifest([]byte(c.in))); got != c.want {
			t.Errorf("NormalizeManifest(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestVSIXPathEscapeRefused(t *testing.T) {
	t.Parallel()
	for _, name := range []string{
		"extension/../../evil", "/etc/passwd", "extension/..\\..\\evil", `C:/evil`, "extension/./a",
		"extension//a", "extension/a\nb",
	} {
		zr := buildZip(t, []zipEntry{{"extension/package.json", "{}"}, {name, "x"}})
		if _, err := contentdigest.ComputeVSIX(zr, contentdigest.Limits{}); !errors.Is(err, contentdigest.ErrUnsafePath) {
			t.Errorf("entry %q: err = %v, want ErrUnsafePath", name, err)
		}
	}
	dup := buildZip(t, []zipEntry{{"extension/a.js", "good"}, {"extension/a.js", "evil"}})
	if _, err := contentdigest.ComputeVSIX(dup, contentdigest.Limits{}); !errors.Is(err, contentdigest.ErrUnsafePath) {
		t.Errorf("duplicate entry: err = %v", err)
	}
}

func TestComputeRefusesInvalidPaths(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{"a\nb": {Data: []byte("x")}}
	if _, err := contentdigest.Compute(fsys, contentdigest.Limits{}); !errors.Is(err, contentdigest.ErrUnsafePath) {
		t.Fatalf("err = %v, want ErrUnsafePath", err)
	}
}

func TestVSIXWithoutExtensionFolder(t *testing.T) {
	t.Parallel()
	zr := buildZip(t, []zipEntry{{"extension.vsixmanifest", "<x/>"}})
	if _, err := contentdigest.ComputeVSIX(zr, contentdigest.Limits{}); err == nil {
		t.Fatal("want an error for a VSIX without extension/")
	}
}

func TestTooManyFiles(t *testing.T) {
	t.Parallel()
	var entries []zipEntry
	for i := range 11 {
		entries = append(entries, zipEntry{fmt.Sprintf("extension/f%02d.js", i), "x"})
	}
	lim := contentdigest.Limits{MaxFiles: 10}
	if _, err := contentdigest.ComputeVSIX(buildZip(t, entries), lim); !errors.Is(err, contentdigest.ErrTooManyFiles) {
		t.Fatalf("VSIX: err = %v, want ErrTooManyFiles", err)
	}
	dir := t.TempDir()
	m := map[string]string{}
	for _, e := range entries {
		m[strings.TrimPrefix(e.name, "extension/")] = e.body
	}
	writeTree(t, dir, m)
	if _, err := contentdigest.Compute(os.DirFS(dir), lim); !errors.Is(err, contentdigest.ErrTooManyFiles) {
		t.Fatalf("folder: err = %v, want ErrTooManyFiles", err)
	}
	if _, err := contentdigest.Compute(os.DirFS(dir), contentdigest.Limits{MaxFiles: 11}); err != nil {
		t.Fatalf("at the limit: %v", err)
	}
}

func TestZipBombRefused(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create("extension/bomb.bin")
	if err != nil {
		t.Fatal(err)
	}
	zeros := make([]byte, 1<<20)
	for range 50 {
		w.Write(zeros)
	}
	zw.Close()
	if buf.Len() > 1<<20 {
		t.Fatalf("test zip is not compressed: %d bytes", buf.Len())
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	lim := contentdigest.Limits{MaxTotalBytes: 10 << 20}
	if _, err := contentdigest.ComputeVSIX(zr, lim); !errors.Is(err, contentdigest.ErrTooLarge) {
		t.Fatalf("declared size: err = %v, want ErrTooLarge", err)
	}

	// A lying central directory (declared size 1 byte) is caught by counting inflated bytes.
	for _, f := range zr.File {
		f.UncompressedSize64 = 1
	}
	if _, err := contentdigest.ComputeVSIX(zr, lim); err == nil {
		t.Fatal("lying declared size: want an error")
	}
	// And Compute on its own (no pre-check) stops at the limit while streaming.
	zr2, _ := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if _, err := contentdigest.Compute(zipSub(t, zr2), lim); !errors.Is(err, contentdigest.ErrTooLarge) {
		t.Fatalf("streaming: err = %v, want ErrTooLarge", err)
	}
	if _, err := contentdigest.Compute(zipSub(t, zr2), contentdigest.Limits{MaxFileBytes: 1 << 20}); !errors.Is(err, contentdigest.ErrTooLarge) {
		t.Fatalf("per file: err = %v, want ErrTooLarge", err)
	}
}

func TestManifestOverCapRefused(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{"package.json": {Data: bytes.Repeat([]byte(" "), 16<<20+1)}}
	if _, err := contentdigest.Compute(fsys, contentdigest.Limits{}); !errors.Is(err, contentdigest.ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
}
