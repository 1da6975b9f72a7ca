package enforce_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/extguard/extguard/cmd/extguard-agent/internal/discovery"
	"github.com/extguard/extguard/cmd/extguard-agent/internal/enforce"
	"github.com/extguard/extguard/cmd/extguard-agent/internal/enforce/enforcetest"
	"github.com/extguard/extguard/cmd/extguard-agent/internal/tempdir"
	"github.com/extguard/extguard/protocol/agentv1"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func installation(editor, profile string, exts ...discovery.Extension) discovery.Installation {
	return discovery.Installation{Editor: editor, Profile: profile, Extensions: exts}
}

func ext(id, version string) discovery.Extension {
	return discovery.Extension{ID: id, Version: version}
}

func vsixServer(t *testing.T, body []byte) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(body) }))
	t.Cleanup(srv.Close)
	return srv.URL + "/ms-python.python-2024.2.1.vsix"
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestUninstallRunsTheEditorsOwnCommandLine(t *testing.T) {
	extDir := tempdir.New(t)
	if err := os.MkdirAll(filepath.Join(extDir, "evil.pack-0.0.3"), 0o755); err != nil {
		t.Fatal(err)
	}
	cli := enforcetest.StandIn(t, map[string]string{"code": extDir, "cursor": tempdir.New(t)})
	insts := []discovery.Installation{
		installation("cursor", "default", ext("evil.pack", "0.0.3")),
		installation("vscode", "default", ext("evil.pack", "0.0.3"), ext("ms-python.python", "2024.2.1")),
		installation("vscode", "Work", ext("evil.pack", "0.0.3")),
	}
	out := enforce.New(quiet).Apply(context.Background(), []agentv1.Action{{Action: "uninstall", ExtensionID: "evil.pack"}}, insts)

	want := []string{
		"cursor --uninstall-extension evil.pack",
		"code --uninstall-extension evil.pack",
		"code --uninstall-extension evil.pack --profile Work",
	}
	if got := cli.Calls(t); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("calls:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if _, err := os.Stat(filepath.Join(extDir, "evil.pack-0.0.3")); !os.IsNotExist(err) {
		t.Fatal("the stand-in did not remove the folder; the test would prove nothing about discovery")
	}
	for _, o := range out {
		row, ok := o.ReportRow()
		if o.Err != nil || !ok || row.Installed || row.Version != "0.0.3" || row.Editor != o.Editor {
			t.Errorf("outcome %+v gives row %+v %v; want a removal row", o, row, ok)
		}
	}
}

func TestInstallUsesOnlyAVSIXWithTheApprovedChecksum(t *testing.T) {
	cli := enforcetest.StandIn(t, map[string]string{"code": tempdir.New(t)})
	vsix := []byte("PK\x03\x04 pretend this is ms-python.python 2024.2.1")
	action := agentv1.Action{Action: "install", ExtensionID: "ms-python.python", Version: "2024.2.1",
		DownloadURL: vsixServer(t, vsix), SHA256: strings.ToUpper(sha(vsix))}
	insts := []discovery.Installation{installation("vscode", "default", ext("ms-python.python", "2023.1.0"))}

	out := enforce.New(quiet).Apply(context.Background(), []agentv1.Action{action}, insts)

	calls := cli.Calls(t)
	if len(calls) != 1 || !strings.HasPrefix(calls[0], "code --install-extension ") || !strings.HasSuffix(calls[0], ".vsix --force") {
		t.Fatalf("calls = %q", calls)
	}
	installed, err := os.ReadFile(cli.Installed("code"))
	if err != nil || string(installed) != string(vsix) {
		t.Fatalf("the editor got %q (%v), want the downloaded VSIX", installed, err)
	}
	if len(out) != 1 || out[0].Err != nil {
		t.Fatalf("outcomes %+v", out)
	}
	if _, ok := out[0].ReportRow(); ok {
		t.Error("a successful install needs no extra report row")
	}
	if _, err := os.Stat(strings.Fields(calls[0])[2]); !os.IsNotExist(err) {
		t.Errorf("downloaded VSIX left behind (stat: %v)", err)
	}
}

func TestVSIXWithAWrongChecksumIsRefusedAndReported(t *testing.T) {
	cli := enforcetest.StandIn(t, map[string]string{"code": tempdir.New(t), "cursor": tempdir.New(t)})
	tmp := tempdir.New(t)
	e := enforce.New(quiet)
	e.TempDir = tmp
	action := agentv1.Action{Action: "install", ExtensionID: "ms-python.python", Version: "2024.2.1",
		DownloadURL: vsixServer(t, []byte("tampered package")), SHA256: sha([]byte("the approved package"))}
	insts := []discovery.Installation{installation("vscode", "default"), installation("cursor", "default")}

	out := e.Apply(context.Background(), []agentv1.Action{action}, insts)

	if calls := cli.Calls(t); len(calls) != 0 {
		t.Fatalf("the editor was called with an unverified package: %q", calls)
	}
	if len(out) != 2 {
		t.Fatalf("outcomes %+v, want one failure per editor", out)
	}
	for _, o := range out {
		row, ok := o.ReportRow()
		if !errors.Is(o.Err, enforce.ErrChecksumMismatch) || !ok || row.Installed || row.Version != "2024.2.1" {
			t.Errorf("outcome %+v row %+v: want a checksum refusal reported as not installed", o, row)
		}
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("refused VSIX left on disk: %v", left)
	}
}

func TestEditorsWithoutACommandLineAreSkipped(t *testing.T) {
	var ran []string
	e := enforce.New(quiet)
	e.RunCommand = func(_ context.Context, program string, args []string) ([]byte, error) {
		ran = append(ran, program+" "+strings.Join(args, " "))
		return nil, nil
	}
	e.LookPath = func(file string) (string, error) {
		if file == "windsurf" {
			return "", errors.New("not found")
		}
		return "/usr/bin/" + file, nil
	}
	insts := []discovery.Installation{
		installation("vscode-server", "default", ext("evil.pack", "1.0.0")),
		installation("windsurf", "default", ext("evil.pack", "1.0.0")),
		installation("vscodium", "default", ext("evil.pack", "1.0.0")),
	}
	out := e.Apply(context.Background(), []agentv1.Action{{Action: "uninstall", ExtensionID: "Evil.Pack"}, {Action: "reboot"}}, insts)

	if want := "/usr/bin/codium --uninstall-extension evil.pack"; len(ran) != 1 || ran[0] != want {
		t.Fatalf("ran %q, want only %q", ran, want)
	}
	if len(out) != 3 || !errors.Is(out[0].Err, enforce.ErrNoCLI) || out[1].Err == nil || out[2].Err != nil {
		t.Fatalf("outcomes %+v", out)
	}
	if _, ok := out[0].ReportRow(); ok {
		t.Error("a removal that did not happen must not be reported as one")
	}
}

func TestCLIMapping(t *testing.T) {
	for editor, want := range map[string]string{"vscode": "code", "vscode-insiders": "code-insiders", "vscodium": "codium",
		"cursor": "cursor", "windsurf": "windsurf", "code-server": "code-server"} {
		if got, ok := enforce.CLIFor(editor); !ok || got != want {
			t.Errorf("CLIFor(%s) = %q %v, want %q", editor, got, ok, want)
		}
	}
	if _, ok := enforce.CLIFor("vscode-server"); ok {
		t.Error("vscode-server has no CLI")
	}
}
