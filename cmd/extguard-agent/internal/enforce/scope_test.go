package enforce_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/extguard/extguard/cmd/extguard-agent/internal/discovery"
	"github.com/extguard/extguard/cmd/extguard-agent/internal/enforce"
	"github.com/extguard/extguard/protocol/agentv1"
)

// recorder is an Enforcer whose commands are only recorded (it runs on every OS, Wine included).
func recorder(ownHome string) (*enforce.Enforcer, *[]string) {
	var calls []string
	e := enforce.New(quiet)
	e.OwnHome = ownHome
	e.LookPath = func(file string) (string, error) { return file, nil }
	e.RunCommand = func(_ context.Context, program string, args []string) ([]byte, error) {
		calls = append(calls, program+" "+strings.Join(args, " "))
		return nil, nil
	}
	return e, &calls
}

func TestEveryForkWithACommandLineIsEnforcedThroughIt(t *testing.T) {
	want := map[string]string{"vscode": "code", "vscode-insiders": "code-insiders", "vscodium": "codium", "cursor": "cursor",
		"windsurf": "windsurf", "code-server": "code-server", "trae": "trae", "positron": "positron", "kiro": "kiro", "antigravity": "antigravity"}
	for _, editor := range discovery.Editors() {
		program, ok := enforce.CLIFor(editor)
		if program != want[editor] || ok != (want[editor] != "") {
			t.Errorf("CLIFor(%s) = %q %v, want %q", editor, program, ok, want[editor])
		}
	}
	e, calls := recorder("")
	out := e.Apply(context.Background(), []agentv1.Action{{Action: "uninstall", ExtensionID: "evil.pack"}}, []discovery.Installation{
		installation("kiro", "default", ext("evil.pack", "1.0.0")),
		installation("kiro-server", "default", ext("evil.pack", "1.0.0")),
	})
	if !slices.Equal(*calls, []string{"kiro --uninstall-extension evil.pack"}) || len(out) != 2 || !errors.Is(out[1].Err, enforce.ErrNoCLI) {
		t.Fatalf("calls %q outcomes %+v", *calls, out)
	}
}

func TestConfiguredFoldersAndOtherUsersHomes(t *testing.T) {
	own, other := filepath.FromSlash("/home/alice"), filepath.FromSlash("/home/bob")
	portable := filepath.FromSlash("/opt/VSCode/data/extensions")
	at := func(in discovery.Installation, home, dir string, configured bool) discovery.Installation {
		in.Home, in.ExtensionsDir, in.Configured = home, dir, configured
		return in
	}
	insts := []discovery.Installation{
		at(installation("vscode", "default", ext("evil.pack", "1.0.0")), "", portable, true),
		at(installation("vscode", "default"), own, filepath.Join(own, ".vscode", "extensions"), false),
		at(installation("cursor", "default", ext("evil.pack", "1.0.0")), other, filepath.Join(other, ".cursor", "extensions"), false),
		at(installation("codium", "default"), "", filepath.FromSlash("/srv/codium-exts"), true),
	}
	e, calls := recorder(own)
	out := e.Apply(context.Background(), []agentv1.Action{{Action: "uninstall", ExtensionID: "evil.pack"}}, insts)
	if want := []string{"code --extensions-dir " + portable + " --uninstall-extension evil.pack"}; !slices.Equal(*calls, want) {
		t.Fatalf("calls %q, want %q", *calls, want)
	}
	if len(out) != 2 || out[1].Editor != "cursor" || !errors.Is(out[1].Err, enforce.ErrOtherUser) {
		t.Fatalf("outcomes %+v", out)
	}
	if _, ok := out[1].ReportRow(); ok {
		t.Error("a removal that did not happen must not be reported as one")
	}

	// An install goes into the agent's own default folder rather than the configured one, and never
	// into another user's home; another user's copy (here bob's Code) does not count as this user's.
	*calls = nil
	insts[0].Extensions, insts[2].Extensions = nil, nil
	insts = append(insts, at(installation("vscode", "default", ext("good.ext", "1.0.0")), other, filepath.Join(other, ".vscode", "extensions"), false))
	insts[3].Editor = "vscodium"
	vsix := []byte("PK\x03\x04 good.ext")
	out = e.Apply(context.Background(), []agentv1.Action{{Action: "install", ExtensionID: "good.ext", Version: "1.0.0",
		DownloadURL: vsixServer(t, vsix), SHA256: sha(vsix)}}, insts)
	var got []string
	for _, o := range out {
		if o.Err != nil {
			t.Errorf("%+v", o)
		}
		got = append(got, o.Editor)
	}
	if !slices.Equal(got, []string{"vscode", "vscodium"}) || len(*calls) != 2 ||
		!strings.HasPrefix((*calls)[0], "code --install-extension ") ||
		!strings.HasPrefix((*calls)[1], "codium --extensions-dir "+filepath.FromSlash("/srv/codium-exts")+" --install-extension ") {
		t.Fatalf("install outcomes for %q, calls %q", got, *calls)
	}
}
