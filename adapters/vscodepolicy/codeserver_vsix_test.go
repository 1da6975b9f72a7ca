package vscodepolicy_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A real editor, code-server, installing real VSIX files under the exported
// value: the helpers of TestCodeServerHonoursTheExport (codeserver_test.go).

// codeServerBinary is the code-server to run: $EXTGUARD_CODE_SERVER, else
// code-server on PATH. Without one the test is skipped, saying how to get it.
func codeServerBinary(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("EXTGUARD_CODE_SERVER")
	if bin == "" {
		bin, _ = exec.LookPath("code-server")
	}
	if bin == "" {
		t.Skip("code-server is not installed: set EXTGUARD_CODE_SERVER to a code-server 4.139.1 " +
			"(docs/policy-as-code.md, \"Checked in a real editor\", says how to install it)")
	}
	return bin
}

// vsix is one VSIX file to build: an extension at a version.
type vsix struct {
	id, version string
	preRelease  bool // marked pre-release in its manifest, as vsce --pre-release does
}

func (v vsix) publisherAndName() (string, string) {
	publisher, name, _ := strings.Cut(v.id, ".")
	return publisher, name
}

// writeVSIX writes the smallest VSIX the editor installs: the package
// manifest, the OPC content types and extension/package.json.
func writeVSIX(t *testing.T, dir string, v vsix) string {
	t.Helper()
	publisher, name := v.publisherAndName()
	pkg, err := json.Marshal(map[string]any{"name": name, "publisher": publisher, "version": v.version,
		"engines": map[string]string{"vscode": "^1.80.0"}})
	if err != nil {
		t.Fatal(err)
	}
	esc := func(s string) string { var b strings.Builder; _ = xml.EscapeText(&b, []byte(s)); return b.String() }
	preRelease := ""
	if v.preRelease {
		preRelease = `<Properties><Property Id="Microsoft.VisualStudio.Code.PreRelease" Value="true" /></Properties>`
	}
	manifest := `<?xml version="1.0" encoding="utf-8"?>
<PackageManifest Version="2.0.0" xmlns="http://schemas.microsoft.com/developer/vsx-schema/2011">
  <Metadata>
    <Identity Language="en-US" Id="` + esc(name) + `" Version="` + esc(v.version) + `" Publisher="` + esc(publisher) + `" />
    <DisplayName>` + esc(name) + `</DisplayName>
    <Description xml:space="preserve">extguard test extension</Description>
    ` + preRelease + `
  </Metadata>
  <Installation><InstallationTarget Id="Microsoft.VisualStudio.Code" /></Installation>
  <Dependencies />
  <Assets><Asset Type="Microsoft.VisualStudio.Code.Manifest" Path="extension/package.json" Addressable="true" /></Assets>
</PackageManifest>
`
	contentTypes := `<?xml version="1.0" encoding="utf-8"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension=".json" ContentType="application/json" /><Default Extension=".vsixmanifest" ContentType="text/xml" /></Types>
`
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range []struct{ name, body string }{
		{"extension.vsixmanifest", manifest}, {"[Content_Types].xml", contentTypes}, {"extension/package.json", string(pkg)},
	} {
		w, err := zw.Create(f.name)
		if err == nil {
			_, err = w.Write([]byte(f.body))
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, v.id+"-"+v.version+".vsix")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// installOutcome is what code-server did with one VSIX.
type installOutcome struct {
	installed bool
	reason    string // the editor's refusal, when refused
}

// installVSIX runs `code-server --install-extension` on a fresh extensions
// and user-data directory whose User/settings.json holds value as
// extensions.allowed: the only place code-server's command line reads it
// (it runs with no policy service, so /etc/vscode/policy.json is ignored).
// Installed means listed afterwards at that version; refused means the
// allowed-list error: any other failure fails the test, so a broken VSIX
// cannot pass for a refusal.
func installVSIX(t *testing.T, bin, value, file string, v vsix) installOutcome {
	t.Helper()
	root := t.TempDir()
	userData, extensions := filepath.Join(root, "user-data"), filepath.Join(root, "extensions")
	settings := `{"extensions.allowed": ` + value + "}\n"
	if err := os.MkdirAll(filepath.Join(userData, "User"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(userData, "User", "settings.json"), []byte(settings), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--install-extension", file, "--extensions-dir", extensions, "--user-data-dir", userData)
	// code-server writes a default config.yaml (with a password) under
	// $XDG_CONFIG_HOME on its first run: keep it in the test's directory.
	cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+filepath.Join(root, "config"))
	out, err := cmd.CombinedOutput()
	listed := installedVersion(t, extensions, v.id)
	switch {
	case err == nil && listed == v.version:
		return installOutcome{installed: true}
	case err != nil && listed == "" && strings.Contains(string(out), "cannot be installed because"):
		_, why, _ := strings.Cut(string(out), "cannot be installed because ")
		why, _, _ = strings.Cut(why, "\n")
		why, _, _ = strings.Cut(why, "(command:") // the link's target: a settings command
		return installOutcome{reason: strings.TrimSpace(why)}
	}
	t.Fatalf("code-server on %s@%s: %v, listed %q, neither installed nor refused by the allowed list:\n%s", v.id, v.version, err, listed, out)
	return installOutcome{}
}

// installedVersion is the version of id that extensions.json lists in the
// extensions directory, "" if none.
func installedVersion(t *testing.T, dir, id string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "extensions.json"))
	if os.IsNotExist(err) {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	var list []struct {
		Identifier struct {
			ID string `json:"id"`
		} `json:"identifier"`
		Version string `json:"version"`
	}
	if err := json.Unmarshal(b, &list); err != nil {
		t.Fatalf("extensions.json: %v: %s", err, b)
	}
	for _, e := range list {
		if strings.EqualFold(e.Identifier.ID, id) {
			return e.Version
		}
	}
	return ""
}
