// Command extguard-agent runs on developer machines: it finds every VS
// Code-family editor's extensions, reports them to the extguard server and,
// where the group's policy says so, enforces it.
package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"unicode"

	"github.com/extguard/extguard/cmd/extguard-agent/internal/agent"
	"github.com/extguard/extguard/cmd/extguard-agent/internal/discovery"
	"github.com/extguard/extguard/cmd/extguard-agent/internal/identity"
	"github.com/extguard/extguard/cmd/extguard-agent/internal/nativepolicy"
)

var version = "dev"

const usage = `usage: extguard-agent <command> [flags]   (extguard-agent <command> --help for its flags)

commands:
  inventory [--home DIR] [--json] [--extensions-dir [EDITOR=]DIR ...] [--all-users] [--config FILE]
                                    print the extensions found on this machine (no server needed)
  run --server URL --key KEY [--once] [--enforce=auto|off] [--state-dir DIR] [--home DIR]
      [--extensions-dir [EDITOR=]DIR ...] [--all-users] [--config FILE]
                                    enroll, then heartbeat, sync the policy, report and enforce;
                                    --server and --key default to EXTGUARD_SERVER and EXTGUARD_KEY
  request <publisher.name> [--version V] --reason "..."
                                    ask for an extension the policy does not allow
  requests                          list this machine's requests and their answers
  version                           print the version
` + exitCodes

// exitCodes are agent.Exit*, for people and for the scripts and service managers that run the agent.
const exitCodes = `
exit codes (the same for run --once and the run loop):
  0  compliant (--once), or stopped by SIGINT/SIGTERM; help printed
  1  error: the pass failed, e.g. the server is unreachable (--once; the loop retries), or the
     agent cannot start (state directory, home directory)
  2  bad command line
  3  not compliant (--once): the violations are printed
  4  the server refuses this agent (401/403: the key is wrong, expired or revoked, or the agent
     was decommissioned); restarting will not help until a person acts
`

const (
	inventoryUsage = "usage: extguard-agent inventory [--home DIR] [--json] [--extensions-dir [EDITOR=]DIR ...] [--all-users] [--config FILE]\n\nPrint the extensions found on this machine, with content digests (no server needed).\n\n"
	runUsage       = "usage: extguard-agent run --server URL --key KEY [flags]\n\nEnroll, then heartbeat, sync the policy, report and enforce; with --once a single pass that\nprints the verdict.\n\n"
	versionUsage   = "usage: extguard-agent version\n\nPrint the version.\n"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return agent.ExitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	case "version":
		fs := flag.NewFlagSet("version", flag.ContinueOnError)
		if code, ok := parseFlags(fs, args[1:], versionUsage, stdout, stderr); !ok {
			return code
		}
		fmt.Fprintf(stdout, "extguard-agent %s (%s/%s)\n", version, runtime.GOOS, runtime.GOARCH)
		return 0
	case "inventory":
		return inventory(args[1:], stdout, stderr)
	case "run":
		return runAgent(args[1:], stdout, stderr)
	case "request":
		return requestExtension(args[1:], stdout, stderr)
	case "requests":
		return listRequests(args[1:], stdout, stderr)
	default:
		fmt.Fprintf(stderr, "extguard-agent: unknown command %q\n\n%s", args[0], usage)
		return agent.ExitUsage
	}
}

// parseFlags parses a command's flags and refuses arguments it does not take. Help that was asked
// for goes to stdout with exit code 0; a bad command line goes to stderr with the usage and
// exit code 2. ok is false when the command must not run, with the code to exit with.
func parseFlags(fs *flag.FlagSet, args []string, help string, stdout, stderr io.Writer) (code int, ok bool) {
	fs.SetOutput(stderr) // where the flag package writes what was wrong
	fs.Usage = func() {}
	printUsage := func(w io.Writer) {
		fs.SetOutput(w)
		fmt.Fprint(w, help)
		fs.PrintDefaults()
	}
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		printUsage(stdout)
		return 0, false
	case err == nil && fs.NArg() > 0:
		fmt.Fprintf(stderr, "unexpected arguments %q\n", fs.Args())
		err = flag.ErrHelp
	}
	if err != nil {
		printUsage(stderr)
		return agent.ExitUsage, false
	}
	return 0, true
}

func inventory(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("inventory", flag.ContinueOnError)
	var sf scopeFlags
	sf.register(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	if code, ok := parseFlags(fs, args, inventoryUsage, stdout, stderr); !ok {
		return code
	}
	m, err := sf.resolve(os.Getenv)
	if err == nil {
		err = discovery.CheckHome(m.home)
	}
	if err != nil {
		fmt.Fprintf(stderr, "extguard-agent: %v\n", err)
		return 1
	}
	insts := discovery.DiscoverScope(discovery.Scope{Homes: append([]string{m.home}, m.otherHomes...), ExtensionsDirs: m.dirs},
		discovery.Options{ComputeDigests: true})
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(insts)
		return 0
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "EDITOR\tPROFILE\tEXTENSION\tVERSION\tCONTENT SHA-256")
	for _, in := range insts {
		for _, e := range in.Extensions {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", in.Editor, shown(in.Profile), e.ID, e.Version, e.ContentSHA256)
		}
		for _, w := range in.Warnings {
			fmt.Fprintf(stderr, "warning: %s: %s\n", in.Editor, shown(w))
		}
	}
	_ = tw.Flush()
	// What the editor itself will enforce, on stderr so that stdout stays the table scripts read.
	user, _ := identity.UserName()
	np := nativepolicy.Read(runtime.GOOS, nativepolicy.Sources{User: user})
	switch {
	case np.Error != "":
		fmt.Fprintf(stderr, "installed editor policy: %s: %s\n", np.Source, np.Error)
	case np.Present:
		fmt.Fprintf(stderr, "installed editor policy: %s (AllowedExtensions sha256 %s)\n", np.Source, cmp.Or(np.AllowedExtensionsSHA256, "none"))
	default:
		fmt.Fprintf(stderr, "installed editor policy: none (%s)\n", np.Source)
	}
	return 0
}

// runAgent is `extguard-agent run`; its exit codes are exitCodes (agent.Exit*).
func runAgent(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	var o agent.Options
	fs.StringVar(&o.Server, "server", "", "extguard server URL (default $EXTGUARD_SERVER)")
	fs.StringVar(&o.Key, "key", "", "API key of the agent's group (default $EXTGUARD_KEY)")
	fs.BoolVar(&o.Once, "once", false, "one pass: print the verdict, then exit 0 when compliant, 3 when not")
	fs.StringVar(&o.Enforce, "enforce", agent.EnforceAuto, "auto: enforce when the policy says so; off: audit only")
	fs.StringVar(&o.StateDir, "state-dir", "", "where enrollment and queued reports are kept (default: per OS)")
	var sf scopeFlags
	sf.register(fs)
	if code, ok := parseFlags(fs, args, runUsage, stdout, stderr); !ok {
		if code == 0 {
			fmt.Fprint(stdout, exitCodes)
		}
		return code
	}
	m, err := sf.resolve(os.Getenv)
	if err != nil {
		fmt.Fprintf(stderr, "extguard-agent run: %v\n", err)
		return agent.ExitError
	}
	o.Home, o.OtherHomes, o.ExtensionsDirs = m.home, m.otherHomes, m.dirs
	// The key is read from the environment after parsing so that it never appears in usage output.
	if o.Server == "" {
		o.Server = os.Getenv("EXTGUARD_SERVER")
	}
	if o.Key == "" {
		o.Key = os.Getenv("EXTGUARD_KEY")
	}
	if o.Server == "" || o.Key == "" {
		fmt.Fprintln(stderr, "extguard-agent run: --server and --key (or EXTGUARD_SERVER and EXTGUARD_KEY) are required")
		return agent.ExitUsage
	}
	level := slog.LevelInfo
	if os.Getenv("EXTGUARD_LOG_LEVEL") == "debug" {
		level = slog.LevelDebug
	}
	o.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	o.Version = version
	o.Out = stdout

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	code, err := agent.Run(ctx, o)
	if err != nil {
		o.Logger.Error("extguard-agent stopped", "error", err)
	}
	return code
}

// shown keeps what comes from files in users' homes (profile names, folder names in warnings) from
// driving the terminal of whoever runs inventory (root, with --all-users): anything unprintable,
// a tab included (it would shift the table), is written as a Go escape.
func shown(s string) string {
	if strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) < 0 {
		return s
	}
	q := strconv.Quote(s)
	return q[1 : len(q)-1]
}
