// Package enforce carries out the server's actions on this machine through each editor's own
// command line, the only way to change extensions that the running editor notices and that cannot
// leave its folders half-written. It never runs a shell, bounds every command in time, and installs
// only a VSIX whose SHA-256 is the one the policy approved.
package enforce

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/extguard/extguard/cmd/extguard-agent/internal/discovery"
	"github.com/extguard/extguard/protocol/agentv1"
)

var (
	// ErrNoCLI: the editor has no command line to manage extensions with (the remote VS Code Server).
	ErrNoCLI = errors.New("editor has no extension command line")
	// ErrChecksumMismatch: the downloaded VSIX is not the package the policy approved.
	ErrChecksumMismatch = errors.New("VSIX SHA-256 does not match the policy")
	// ErrOtherUser: the installation is in another user's home; the editor's command line would run
	// as this agent's user and leave files that user owns in theirs.
	ErrOtherUser = errors.New("installation belongs to another user; run the agent as that user to enforce")
)

// editorCLI is each editor's command line, as the editors install it on PATH (docs/agent-editors.md
// has the sources). Editors without one (remote servers, Devin until its command line is known)
// are reported and never changed.
var editorCLI = map[string]string{
	"vscode":          "code",
	"vscode-insiders": "code-insiders",
	"vscodium":        "codium",
	"cursor":          "cursor",
	"windsurf":        "windsurf",
	"code-server":     "code-server",
	"trae":            "trae",
	"positron":        "positron",
	"kiro":            "kiro",
	"antigravity":     "antigravity",
}

// CLIFor names editor's command line; ok is false for editors without one.
func CLIFor(editor string) (program string, ok bool) {
	program, ok = editorCLI[editor]
	return program, ok
}

// CommandRunner runs program with args (no shell) and returns its combined output.
type CommandRunner func(ctx context.Context, program string, args []string) ([]byte, error)

// Enforcer applies actions. The zero value is not usable; call New, then replace fields in tests.
type Enforcer struct {
	RunCommand   CommandRunner
	LookPath     func(file string) (string, error)
	HTTPClient   *http.Client
	TempDir      string        // where VSIX files are downloaded; "" is the OS temp dir
	CLITimeout   time.Duration // per editor command
	MaxVSIXBytes int64
	Log          *slog.Logger
	OwnHome      string // the agent's user's home; installations found in other homes are left alone
}

// New returns an Enforcer that runs real commands found on PATH.
func New(log *slog.Logger) *Enforcer {
	return &Enforcer{
		RunCommand:   runCommand,
		LookPath:     exec.LookPath,
		HTTPClient:   &http.Client{Timeout: 5 * time.Minute},
		CLITimeout:   2 * time.Minute,
		MaxVSIXBytes: 512 << 20,
		Log:          log,
	}
}

// Outcome is what became of one action in one editor profile.
type Outcome struct {
	Action      string
	ExtensionID string
	Version     string // the version removed, or the one the action installs
	Editor      string
	Profile     string
	Err         error
}

// ReportRow is the report row that records the outcome, if it needs one. A removal is recorded as
// installed: false; so is an install that failed, since the extension the policy wants is not there.
// A successful install and a failed removal need none: the next inventory shows them as installed.
func (o Outcome) ReportRow() (agentv1.ReportedExtension, bool) {
	removed := o.Action == agentv1.ActionUninstall && o.Err == nil
	failedInstall := o.Action == agentv1.ActionInstall && o.Err != nil
	if !removed && !failedInstall {
		return agentv1.ReportedExtension{}, false
	}
	return agentv1.ReportedExtension{ExtensionID: o.ExtensionID, Installed: false, Version: o.Version, Editor: o.Editor}, true
}

// Apply carries out actions against the installations discovery found, removals first so an
// install never lands next to something the policy blocks. Unknown action kinds are skipped: a newer
// server may know more than this agent.
func (e *Enforcer) Apply(ctx context.Context, actions []agentv1.Action, insts []discovery.Installation) []Outcome {
	ordered := slices.Clone(actions)
	slices.SortStableFunc(ordered, func(a, b agentv1.Action) int {
		return cmp.Compare(actionRank(a.Action), actionRank(b.Action))
	})
	var out []Outcome
	for _, a := range ordered {
		switch a.Action {
		case agentv1.ActionUninstall:
			out = append(out, e.uninstall(ctx, a.ExtensionID, insts)...)
		case agentv1.ActionInstall:
			out = append(out, e.install(ctx, a, insts)...)
		default:
			e.Log.Warn("unknown action skipped", "action", a.Action, "extension", a.ExtensionID)
		}
	}
	for _, o := range out {
		if o.Err != nil {
			e.Log.Warn("enforcement failed", "action", o.Action, "extension", o.ExtensionID, "editor", o.Editor, "profile", o.Profile, "error", o.Err)
		}
	}
	return out
}

func actionRank(kind string) int {
	if kind == agentv1.ActionUninstall {
		return 0
	}
	return 1
}

// uninstall removes id from every editor profile that has it.
func (e *Enforcer) uninstall(ctx context.Context, id string, insts []discovery.Installation) []Outcome {
	var out []Outcome
	done := map[[2]string]bool{}
	for _, in := range insts {
		for _, x := range in.Extensions {
			if !strings.EqualFold(x.ID, id) || done[[2]string{in.Editor, in.Profile}] {
				continue
			}
			done[[2]string{in.Editor, in.Profile}] = true
			args := []string{"--uninstall-extension", x.ID}
			if in.Profile != discovery.DefaultProfile {
				args = append(args, "--profile", in.Profile)
			}
			out = append(out, Outcome{Action: agentv1.ActionUninstall, ExtensionID: x.ID, Version: x.Version,
				Editor: in.Editor, Profile: in.Profile, Err: e.runCLIFor(ctx, in, args)})
		}
	}
	return out
}

// install puts the approved VSIX into every editor found on this machine that lacks it at the
// action's version (--force replaces another version). The package is downloaded and verified once.
// Each editor gets it in one extensions folder: the agent's own default one, else a configured one;
// other users' homes are left to their own agents.
func (e *Enforcer) install(ctx context.Context, a agentv1.Action, insts []discovery.Installation) []Outcome {
	targets := e.installTargets(a, insts)
	if len(targets) == 0 {
		return nil
	}
	outcome := func(editor string, err error) Outcome {
		return Outcome{Action: agentv1.ActionInstall, ExtensionID: a.ExtensionID, Version: a.Version,
			Editor: editor, Profile: discovery.DefaultProfile, Err: err}
	}
	vsix, cleanup, err := e.downloadVerified(ctx, a)
	var out []Outcome
	if err != nil {
		for _, in := range targets {
			out = append(out, outcome(in.Editor, err))
		}
		return out
	}
	defer cleanup()
	for _, in := range targets {
		out = append(out, outcome(in.Editor, e.runCLIFor(ctx, in, []string{"--install-extension", vsix, "--force"})))
	}
	return out
}

// installTargets picks, for each editor whose default profiles all lack the action's extension, the
// default-profile installation to install into.
func (e *Enforcer) installTargets(a agentv1.Action, insts []discovery.Installation) []discovery.Installation {
	has := map[string]bool{}
	var targets []discovery.Installation
	for _, in := range insts {
		// Another user's copy is no copy for this user: it must not stop the install here.
		if in.Profile != discovery.DefaultProfile || e.otherUsers(in) {
			continue
		}
		for _, x := range in.Extensions {
			if strings.EqualFold(x.ID, a.ExtensionID) && (a.Version == "" || x.Version == a.Version) {
				has[in.Editor] = true
			}
		}
		i := slices.IndexFunc(targets, func(t discovery.Installation) bool { return t.Editor == in.Editor })
		switch {
		case i < 0:
			targets = append(targets, in)
		case targets[i].Configured && !in.Configured:
			targets[i] = in
		}
	}
	return slices.DeleteFunc(targets, func(in discovery.Installation) bool { return has[in.Editor] })
}

// otherUsers: the installation is in a home other than the agent's own.
func (e *Enforcer) otherUsers(in discovery.Installation) bool {
	return in.Home != "" && e.OwnHome != "" && filepath.Clean(in.Home) != filepath.Clean(e.OwnHome)
}

// runCLIFor runs the installation's editor command line on its extensions folder: a configured
// folder is named with --extensions-dir, as the editor itself was told.
func (e *Enforcer) runCLIFor(ctx context.Context, in discovery.Installation, args []string) error {
	if e.otherUsers(in) {
		return fmt.Errorf("%s in %s: %w", in.Editor, in.Home, ErrOtherUser)
	}
	if in.Configured {
		args = append([]string{"--extensions-dir", in.ExtensionsDir}, args...)
	}
	return e.runCLI(ctx, in.Editor, args)
}

// runCLI runs editor's command line with args, bounded by CLITimeout.
func (e *Enforcer) runCLI(ctx context.Context, editor string, args []string) error {
	program, ok := CLIFor(editor)
	if !ok {
		return fmt.Errorf("%s: %w; change it from the editor that connects to it", editor, ErrNoCLI)
	}
	path, err := e.LookPath(program)
	if err != nil {
		return fmt.Errorf("%s: %s not found on PATH: %w", editor, program, err)
	}
	ctx, cancel := context.WithTimeout(ctx, e.CLITimeout)
	defer cancel()
	out, err := e.RunCommand(ctx, path, args)
	if err != nil {
		return fmt.Errorf("%s %s: %w%s", program, strings.Join(args, " "), err, lastLine(out))
	}
	return nil
}

func lastLine(out []byte) string {
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if l := strings.TrimSpace(lines[len(lines)-1]); l != "" {
		return ": " + l
	}
	return ""
}
