// Package agent is the extguard agent's run loop: enroll, heartbeat, keep the group's policy, report
// the machine's inventory and enforce the server's verdict. Run is the whole of `extguard-agent run`,
// importable so that end-to-end tests can drive it against a real server.
package agent

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/extguard/extguard/cmd/extguard-agent/internal/discovery"
	"github.com/extguard/extguard/cmd/extguard-agent/internal/enforce"
	"github.com/extguard/extguard/cmd/extguard-agent/internal/identity"
	"github.com/extguard/extguard/cmd/extguard-agent/internal/nativepolicy"
)

// Exit codes of `extguard-agent run`, the same with --once and in the loop (which retries what
// --once reports as ExitError, and runs until stopped instead of judging one pass).
const (
	ExitCompliant    = 0 // --once: the server found this machine compliant; loop: stopped on request
	ExitError        = 1 // --once: the pass failed (server unreachable, ...); both: cannot start
	ExitUsage        = 2 // bad command line (main's, before Run)
	ExitNonCompliant = 3 // --once: the server found violations
	ExitRejected     = 4 // the server refuses this agent (401/403); restarting will not help
)

// Enforcement switches.
const (
	EnforceAuto = "auto" // act on the server's actions when the group's policy says enforce
	EnforceOff  = "off"  // audit only, whatever the policy says
)

// Options configure Run. Server and Key are required; zero values of the rest are the defaults.
type Options struct {
	Server   string
	Key      string
	Once     bool
	Enforce  string // EnforceAuto (default) or EnforceOff
	StateDir string // default: the OS's per-user state directory
	Home     string // whose editors to look at; default: the user's home
	// OtherHomes are more users' homes to inventory (a service on a shared machine); their
	// extensions are reported but never changed, since the editor commands would run as this
	// agent's user, not as theirs.
	OtherHomes     []string
	ExtensionsDirs []discovery.ExtensionsDir // portable installs, --extensions-dir, VSCODE_EXTENSIONS
	NativePolicy   nativepolicy.Sources      // where the installed editor policy is read; default: this machine
	Version        string                    // the agent's version, sent to the server
	Out            io.Writer                 // --once: the verdict is printed here (nil: nowhere)

	Logger     *slog.Logger
	HTTPClient *http.Client      // for the agent API
	Enforcer   *enforce.Enforcer // default: the editors' real command lines on PATH
	Identity   identity.Sources  // default: identity.Host
	GOOS       string            // path conventions and identity source; default: this machine's

	PollInterval       time.Duration // how often editors' folders are checked for changes; 30 s
	FullReportInterval time.Duration // longest time between two reports; 6 h
	MinBackoff         time.Duration // first wait after a failed exchange; 5 s
	MaxBackoff         time.Duration // longest wait; 5 min
	QueueFiles         int           // report queue bounds; 50 files
	QueueBytes         int64         // and 10 MiB
}

func (o *Options) applyDefaults() error {
	if o.Server == "" {
		return errors.New("no server: use --server or EXTGUARD_SERVER")
	}
	if o.Key == "" {
		return errors.New("no API key: use --key or EXTGUARD_KEY")
	}
	switch o.Enforce {
	case "":
		o.Enforce = EnforceAuto
	case EnforceAuto, EnforceOff:
	default:
		return errors.New("--enforce must be auto or off")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Identity.ReadFile == nil || o.Identity.Output == nil {
		o.Identity = identity.Host
	}
	if o.Version == "" {
		o.Version = "dev"
	}
	o.PollInterval = orDefault(o.PollInterval, 30*time.Second)
	o.FullReportInterval = orDefault(o.FullReportInterval, 6*time.Hour)
	o.MinBackoff = orDefault(o.MinBackoff, 5*time.Second)
	o.MaxBackoff = orDefault(o.MaxBackoff, 5*time.Minute)
	return nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}
