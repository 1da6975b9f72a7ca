package agent_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/extguard/extguard/cmd/extguard-agent/internal/agent"
	"github.com/extguard/extguard/cmd/extguard-agent/internal/discovery"
	"github.com/extguard/extguard/cmd/extguard-agent/internal/enforce/enforcetest"
	"github.com/extguard/extguard/cmd/extguard-agent/internal/identity"
	"github.com/extguard/extguard/cmd/extguard-agent/internal/nativepolicy"
	"github.com/extguard/extguard/cmd/extguard-agent/internal/tempdir"
	"github.com/extguard/extguard/protocol/agentv1"
)

// home is a fixture home directory with VS Code and Cursor extension folders (no extensions.json,
// so discovery lists the folders, as the editors do).
type home struct {
	t   *testing.T
	dir string
}

func newHome(t *testing.T) *home {
	h := &home{t: t, dir: tempdir.New(t)}
	h.install(".vscode/extensions", "ms-python", "python", "2024.2.1")
	h.install(".cursor/extensions", "evil", "pack", "0.0.3")
	h.install(".cursor/extensions", "esbenp", "prettier-vscode", "10.1.0")
	return h
}

func (h *home) install(extDir, publisher, name, version string) {
	h.t.Helper()
	dir := filepath.Join(h.dir, filepath.FromSlash(extDir), publisher+"."+name+"-"+version)
	if err := os.MkdirAll(filepath.Join(dir, "out"), 0o755); err != nil {
		h.t.Fatal(err)
	}
	manifest := fmt.Sprintf(`{"publisher":%q,"name":%q,"version":%q,"engines":{"vscode":"^1.80.0"}}`, publisher, name, version)
	for file, body := range map[string]string{"package.json": manifest, "out/extension.js": "exports.activate = () => " + name + "\n"} {
		if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(file)), []byte(body), 0o644); err != nil {
			h.t.Fatal(err)
		}
	}
}

func (h *home) extDir(editorDir string) string { return filepath.Join(h.dir, editorDir, "extensions") }

func (h *home) inventory() []discovery.Item {
	h.t.Helper()
	insts, err := discovery.Discover(h.dir, "linux", discovery.Options{ComputeDigests: true})
	if err != nil {
		h.t.Fatal(err)
	}
	return discovery.Inventory(insts)
}

// noPlatformID makes the agent use its persisted random machine id, whatever machine runs the test.
var noPlatformID = identity.Sources{
	ReadFile: func(string) ([]byte, error) { return nil, fs.ErrNotExist },
	Output:   func(context.Context, string, ...string) ([]byte, error) { return nil, errors.New("none") },
}

func options(srv *fakeServer, h *home, stateDir string) agent.Options {
	return agent.Options{
		Server: srv.URL(), Key: testKey, Once: true, StateDir: stateDir, Home: h.dir, GOOS: "linux",
		Version: "test", Identity: noPlatformID, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		MinBackoff: 20 * time.Millisecond, MaxBackoff: 80 * time.Millisecond, PollInterval: 50 * time.Millisecond,
		NativePolicy: nativepolicy.Sources{Root: filepath.Join(h.dir, "machine-root")}, // not this machine's /etc
	}
}

func run(t *testing.T, o agent.Options) (int, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return agent.Run(ctx, o)
}

func installedRows(r agentv1.Report) []discovery.Item {
	var out []discovery.Item
	for _, e := range r.Extensions {
		if e.Installed {
			out = append(out, discovery.Item{ExtensionID: e.ExtensionID, Version: e.Version, SHA256: e.SHA256, Editor: e.Editor})
		}
	}
	return out
}

func TestOnceEnrollsReportsTheInventoryAndExitsByVerdict(t *testing.T) {
	srv, h, stateDir := newFakeServer(t), newHome(t), filepath.Join(tempdir.New(t), "state")

	var out strings.Builder
	o := options(srv, h, stateDir)
	o.Out = &out
	code, err := run(t, o)
	if code != agent.ExitNonCompliant || err != nil {
		t.Fatalf("first run: exit %d, %v; want 3 (evil.pack is installed)", code, err)
	}
	// The person who ran --once learns what to remove, one line per violation.
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 || lines[0] != "not compliant: 1 violation" || strings.Join(strings.Fields(lines[2]), " ") != "evil.pack blocked cursor publisher evil: malware" {
		t.Fatalf("--once printed:\n%s", out.String())
	}
	got := srv.snapshot()
	if len(got.enrolls) != 1 || got.enrolls[0].Platform != identity.Platform("linux", runtime.GOARCH) || got.enrolls[0].AgentVersion != "test" {
		t.Fatalf("enrollments %+v", got.enrolls)
	}
	if len(got.reports) != 1 {
		t.Fatalf("%d reports, want 1", len(got.reports))
	}
	want := h.inventory()
	if rows := installedRows(got.reports[0]); !slices.Equal(rows, want) || len(rows) != 3 {
		t.Fatalf("report rows\n%+v\nwant discovery's inventory\n%+v", rows, want)
	}
	if got.reports[0].PolicyETag != `"p-1"` {
		t.Errorf("report policy_etag %q", got.reports[0].PolicyETag)
	}
	assertPrivateState(t, stateDir)

	// The machine is cleaned up and the group's policy changes: the second run keeps its enrollment,
	// asks for the policy conditionally, and is compliant.
	if err := tempdir.RemoveAll(filepath.Join(h.extDir(".cursor"), "evil.pack-0.0.3")); err != nil {
		t.Fatal(err)
	}
	srv.set(func(f *fakeServer) { f.etag = `"p-2"` })
	out.Reset()
	code, err = run(t, o)
	if code != agent.ExitCompliant || err != nil || out.String() != "compliant\n" {
		t.Fatalf("second run: exit %d, %v, printed %q; want 0 and compliant", code, err, out.String())
	}
	got = srv.snapshot()
	if len(got.enrolls) != 1 {
		t.Errorf("enrolled %d times; the stored enrollment must be reused", len(got.enrolls))
	}
	if want := []string{"", `"p-1"`}; !slices.Equal(got.ifNoneMatch, want) {
		t.Errorf("If-None-Match sent %q, want %q", got.ifNoneMatch, want)
	}
	if last := got.reports[len(got.reports)-1]; last.PolicyETag != `"p-2"` || len(installedRows(last)) != 2 {
		t.Errorf("second report %+v", last)
	}
}

// assertPrivateState checks the state directory is the user's alone and never holds the key.
func assertPrivateState(t *testing.T, dir string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "enrollment.json"))
	if err != nil || !strings.Contains(string(b), testAgentID) {
		t.Fatalf("enrollment.json = %s (%v), want the agent id", b, err)
	}
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		info, _ := d.Info()
		switch {
		case d.IsDir() && runtime.GOOS != "windows" && info.Mode().Perm() != 0o700:
			t.Errorf("%s mode %o, want 700", p, info.Mode().Perm())
		case !d.IsDir() && runtime.GOOS != "windows" && info.Mode().Perm() != 0o600:
			t.Errorf("%s mode %o, want 600", p, info.Mode().Perm())
		}
		if !d.IsDir() {
			if body, _ := os.ReadFile(p); strings.Contains(string(body), testKey) {
				t.Errorf("%s contains the API key", p)
			}
		}
		return nil
	})
}

func TestOnceWithTheWrongKeyFailsWithoutRetrying(t *testing.T) {
	srv, h := newFakeServer(t), newHome(t)
	o := options(srv, h, tempdir.New(t))
	o.Key = "not-the-key"
	code, err := run(t, o)
	if code != agent.ExitRejected || err == nil || !strings.Contains(err.Error(), "refused the API key") {
		t.Fatalf("exit %d, %v; want %d, as in the loop, with a clear message", code, err, agent.ExitRejected)
	}
	if strings.Contains(err.Error(), "not-the-key") {
		t.Fatal("the error shows the key")
	}
}

func TestLoopStopsWhenTheAgentIsDecommissioned(t *testing.T) {
	srv, h := newFakeServer(t), newHome(t)
	srv.set(func(f *fakeServer) { f.heartbeatFail = 403 })
	o := options(srv, h, tempdir.New(t))
	o.Once = false
	code, err := run(t, o)
	if code != agent.ExitRejected || err == nil || !strings.Contains(err.Error(), "decommissioned") {
		t.Fatalf("exit %d, %v; want %d naming the decommissioning", code, err, agent.ExitRejected)
	}
	if n := srv.snapshot().heartbeats; n != 1 {
		t.Fatalf("%d heartbeats; a refused agent must stop after the first", n)
	}
}

func TestQueuedReportIsDeliveredWhenTheServerReturns(t *testing.T) {
	srv, h, stateDir := newFakeServer(t), newHome(t), tempdir.New(t)
	srv.set(func(f *fakeServer) { f.down = true })
	if code, err := run(t, options(srv, h, stateDir)); code != agent.ExitError || err == nil {
		t.Fatalf("server down: exit %d, %v; want 1", code, err)
	}
	queued, _ := filepath.Glob(filepath.Join(stateDir, "queue", "*.json"))
	if len(queued) != 1 {
		t.Fatalf("%d reports queued while the server was down, want 1", len(queued))
	}

	srv.set(func(f *fakeServer) { f.down = false })
	if code, err := run(t, options(srv, h, stateDir)); code != agent.ExitNonCompliant || err != nil {
		t.Fatalf("server back: exit %d, %v; want 3", code, err)
	}
	got := srv.snapshot().reports
	if len(got) != 2 || !got[0].ReportedAt.Before(got[1].ReportedAt.Add(time.Second)) || !slices.Equal(installedRows(got[0]), h.inventory()) {
		t.Fatalf("delivered %d reports %+v; want the queued one, then the new one", len(got), got)
	}
	if left, _ := filepath.Glob(filepath.Join(stateDir, "queue", "*.json")); len(left) != 0 {
		t.Fatalf("queue still holds %v", left)
	}
}

func TestLoopBacksOffWhileTheServerIsDownAndReportsChanges(t *testing.T) {
	srv, h := newFakeServer(t), newHome(t)
	srv.set(func(f *fakeServer) { f.down = true })
	o := options(srv, h, tempdir.New(t))
	o.Once = false
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	done := make(chan int)
	go func() { code, _ := agent.Run(ctx, o); done <- code }()

	waitFor(t, "four failed attempts", func() bool { return len(srv.snapshot().failedAt) >= 4 })
	srv.set(func(f *fakeServer) { f.down = false })
	waitFor(t, "the queued report", func() bool { return len(srv.snapshot().reports) >= 1 })

	failed := srv.snapshot().failedAt
	for i := 1; i < len(failed); i++ {
		if gap := failed[i].Sub(failed[i-1]); gap < o.MinBackoff/2 {
			t.Errorf("retry %d came %v after the previous one; back-off is at least %v", i, gap, o.MinBackoff/2)
		}
	}

	h.install(".vscode/extensions", "evil", "twin", "1.0.0")
	waitFor(t, "a report of the new extension", func() bool {
		reports := srv.snapshot().reports
		return slices.ContainsFunc(reports[len(reports)-1].Extensions, func(e agentv1.ReportedExtension) bool {
			return e.ExtensionID == "evil.twin" && e.Installed
		})
	})
	cancel()
	if code := <-done; code != agent.ExitCompliant {
		t.Fatalf("stopped with exit %d, want 0", code)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// enforcingSetup is a server whose policy enforces, a home with evil.pack in Cursor, and stand-in
// command lines for VS Code and Cursor.
func enforcingSetup(t *testing.T, vsix []byte, approvedSHA256 string) (*fakeServer, *home, *enforcetest.CLI, agent.Options) {
	srv, h := newFakeServer(t), newHome(t)
	required := &agentv1.Action{Action: "install", ExtensionID: "acme.required", Version: "1.0.0",
		DownloadURL: srv.URL() + "/vsix/required.vsix", SHA256: approvedSHA256}
	srv.set(func(f *fakeServer) { f.enforcement, f.vsix, f.verdict = "enforce", vsix, blockEvilPack(required) })
	cli := enforcetest.StandIn(t, map[string]string{"code": h.extDir(".vscode"), "cursor": h.extDir(".cursor")})
	return srv, h, cli, options(srv, h, tempdir.New(t))
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func removalRows(r agentv1.Report) []string {
	var out []string
	for _, e := range r.Extensions {
		if !e.Installed {
			out = append(out, e.Editor+" "+e.ExtensionID+" "+e.Version)
		}
	}
	slices.Sort(out)
	return out
}

func TestOnceEnforcesAndReportsWhatItDid(t *testing.T) {
	vsix := []byte("PK\x03\x04 acme.required 1.0.0")
	srv, _, cli, o := enforcingSetup(t, vsix, sha256Hex(vsix))

	code, err := run(t, o)

	calls := cli.Calls(t)
	if len(calls) != 3 || calls[0] != "cursor --uninstall-extension evil.pack" ||
		!strings.HasPrefix(calls[1], "cursor --install-extension ") || !strings.HasPrefix(calls[2], "code --install-extension ") ||
		!strings.HasSuffix(calls[2], ".vsix --force") {
		t.Fatalf("editor calls %q", calls)
	}
	if b, _ := os.ReadFile(cli.Installed("code")); string(b) != string(vsix) {
		t.Fatal("the editor was not given the verified VSIX")
	}
	reports := srv.snapshot().reports
	if len(reports) != 2 {
		t.Fatalf("%d reports, want the inventory and the one after enforcing", len(reports))
	}
	if got := removalRows(reports[1]); !slices.Equal(got, []string{"cursor evil.pack 0.0.3"}) {
		t.Fatalf("removal rows %q", got)
	}
	// The stand-in does not really install, so the server still finds the required one missing.
	if code != agent.ExitNonCompliant || err != nil {
		t.Fatalf("exit %d, %v; want 3", code, err)
	}
}

func TestOnceRefusesAVSIXWithTheWrongChecksum(t *testing.T) {
	srv, _, cli, o := enforcingSetup(t, []byte("tampered"), sha256Hex([]byte("approved")))

	code, err := run(t, o)

	if calls := cli.Calls(t); !slices.Equal(calls, []string{"cursor --uninstall-extension evil.pack"}) {
		t.Fatalf("editor calls %q; the tampered package must never reach an editor", calls)
	}
	reports := srv.snapshot().reports
	want := []string{"cursor acme.required 1.0.0", "cursor evil.pack 0.0.3", "vscode acme.required 1.0.0"}
	if got := removalRows(reports[len(reports)-1]); !slices.Equal(got, want) {
		t.Fatalf("rows not installed %q, want %q", got, want)
	}
	if code != agent.ExitNonCompliant || err != nil {
		t.Fatalf("exit %d, %v; want 3", code, err)
	}
}

func TestEnforceOffMakesNoEditorCalls(t *testing.T) {
	vsix := []byte("PK\x03\x04 acme.required 1.0.0")
	srv, _, cli, o := enforcingSetup(t, vsix, sha256Hex(vsix))
	o.Enforce = agent.EnforceOff

	code, err := run(t, o)

	if calls := cli.Calls(t); len(calls) != 0 {
		t.Fatalf("audit-only agent called editors: %q", calls)
	}
	if n := len(srv.snapshot().reports); n != 1 || code != agent.ExitNonCompliant || err != nil {
		t.Fatalf("%d reports, exit %d, %v; want 1 report and exit 3", n, code, err)
	}
}

// TestReportCarriesTheInstalledNativePolicy: absent, then installed (the report says so with its
// digests), then changed by the administrator (a new report, though no extension changed).
func TestReportCarriesTheInstalledNativePolicy(t *testing.T) {
	srv, h := newFakeServer(t), newHome(t)
	o := options(srv, h, filepath.Join(tempdir.New(t), "state"))
	o.Once = false
	policyFile := filepath.Join(o.NativePolicy.Root, "etc", "vscode", "policy.json")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() { defer close(done); _, _ = agent.Run(ctx, o) }()
	waitFor := func(what string, ok func(agentv1.InstalledNativePolicy) bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			if rs := srv.snapshot().reports; len(rs) > 0 && rs[len(rs)-1].NativePolicy != nil && ok(*rs[len(rs)-1].NativePolicy) {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Fatalf("no report with %s; reports: %+v", what, srv.snapshot().reports)
	}
	waitFor("no policy", func(np agentv1.InstalledNativePolicy) bool { return !np.Present && np.Source == policyFile })
	if err := os.MkdirAll(filepath.Dir(policyFile), 0o755); err != nil {
		t.Fatal(err)
	}
	body := `{"AllowedExtensions": "{\"*\":false}"}`
	if err := os.WriteFile(policyFile, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	value := sha256.Sum256([]byte(`{"*":false}`))
	waitFor("the installed policy", func(np agentv1.InstalledNativePolicy) bool {
		return np.Present && np.AllowedExtensionsSHA256 == hex.EncodeToString(value[:])
	})
	n := len(srv.snapshot().reports)
	if err := os.WriteFile(policyFile, []byte(`{"AllowedExtensions": "{\"*\":true}"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor("the changed policy", func(np agentv1.InstalledNativePolicy) bool {
		return np.Present && np.AllowedExtensionsSHA256 != hex.EncodeToString(value[:])
	})
	if len(srv.snapshot().reports) <= n {
		t.Error("a changed policy must be reported")
	}
	cancel()
	<-done
}

// TestReportCoversOtherHomesAndConfiguredFolders: a service on a shared machine reports every
// user's editors and the configured extensions folders, not only its own home's.
func TestReportCoversOtherHomesAndConfiguredFolders(t *testing.T) {
	srv, h, other := newFakeServer(t), newHome(t), newHome(t)
	other.install(".kiro/extensions", "pub", "only-bob", "1.0.0")
	portable := &home{t: t, dir: tempdir.New(t)}
	portable.install("data/extensions", "pub", "portable", "2.0.0")
	o := options(srv, h, filepath.Join(tempdir.New(t), "state"))
	o.OtherHomes = []string{other.dir}
	o.ExtensionsDirs = []discovery.ExtensionsDir{{Editor: "positron", Dir: filepath.Join(portable.dir, "data", "extensions")}}
	if _, err := run(t, o); err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, r := range installedRows(srv.snapshot().reports[0]) {
		got[r.Editor+" "+r.ExtensionID] = true
	}
	for _, want := range []string{"kiro pub.only-bob", "positron pub.portable", "vscode ms-python.python", "cursor evil.pack"} {
		if !got[want] {
			t.Errorf("report lacks %s: %v", want, got)
		}
	}
}
