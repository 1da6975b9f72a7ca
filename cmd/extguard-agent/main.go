// Command extguard-agent runs on developer machines: it finds every VS
// Code-family editor's extensions, reports them to the extguard server and,
// where the group's policy says so, enforces it.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"text/tabwriter"

	"github.com/extguard/extguard/cmd/extguard-agent/internal/agent"
	"github.com/extguard/extguard/cmd/extguard-agent/internal/discovery"
)

var version = "dev"

const usage = `usage: extguard-agent <command> [flags]

commands:
  inventory [--home DIR] [--json]   print the extensions found on this machine (no server needed)
  run --server URL --key KEY [--once] [--enforce=auto|off] [--state-dir DIR] [--home DIR]
                                    enroll, then heartbeat, sync the policy, report and enforce;
                                    --server and --key default to EXTGUARD_SERVER and EXTGUARD_KEY
  version                           print the version
`

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "version":
		fmt.Fprintf(stdout, "extguard-agent %s (%s/%s)\n", version, runtime.GOOS, runtime.GOARCH)
		return 0
	case "inventory":
		return inventory(args[1:], stdout, stderr)
	case "run":
		return runAgent(args[1:], stderr)
	default:
		fmt.Fprintf(stderr, "extguard-agent: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
}

func inventory(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("inventory", flag.ContinueOnError)
	fs.SetOutput(stderr)
	home := fs.String("home", "", "home directory to search (default: the user's)")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *home == "" {
		h, err := os.UserHomeDir()
		if err != nil {
			fmt.Fprintf(stderr, "extguard-agent: no home directory: %v\n", err)
			return 1
		}
		*home = h
	}
	insts, err := discovery.Discover(*home, runtime.GOOS, discovery.Options{ComputeDigests: true})
	if err != nil {
		fmt.Fprintf(stderr, "extguard-agent: %v\n", err)
		return 1
	}
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
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", in.Editor, in.Profile, e.ID, e.Version, e.ContentSHA256)
		}
		for _, w := range in.Warnings {
			fmt.Fprintf(stderr, "warning: %s: %s\n", in.Editor, w)
		}
	}
	_ = tw.Flush()
	return 0
}

// runAgent is `extguard-agent run`. Exit codes: 0 compliant (or stopped by a signal), 1 error,
// 2 bad usage, 3 not compliant (--once), 4 the server refuses this agent (see agent.Exit*).
func runAgent(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o agent.Options
	fs.StringVar(&o.Server, "server", "", "extguard server URL (default $EXTGUARD_SERVER)")
	fs.StringVar(&o.Key, "key", "", "API key of the agent's group (default $EXTGUARD_KEY)")
	fs.BoolVar(&o.Once, "once", false, "one pass, then exit 0 when compliant, 3 when not, 1 on error")
	fs.StringVar(&o.Enforce, "enforce", agent.EnforceAuto, "auto: enforce when the policy says so; off: audit only")
	fs.StringVar(&o.StateDir, "state-dir", "", "where enrollment and queued reports are kept (default: per OS)")
	fs.StringVar(&o.Home, "home", "", "home directory to search for editors (default: the user's)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	// The key is read from the environment after parsing so that it never appears in usage output.
	if o.Server == "" {
		o.Server = os.Getenv("EXTGUARD_SERVER")
	}
	if o.Key == "" {
		o.Key = os.Getenv("EXTGUARD_KEY")
	}
	if o.Server == "" || o.Key == "" {
		fmt.Fprintln(stderr, "extguard-agent run: --server and --key (or EXTGUARD_SERVER and EXTGUARD_KEY) are required")
		return 2
	}
	level := slog.LevelInfo
	if os.Getenv("EXTGUARD_LOG_LEVEL") == "debug" {
		level = slog.LevelDebug
	}
	o.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	o.Version = version

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	code, err := agent.Run(ctx, o)
	if err != nil {
		o.Logger.Error("extguard-agent stopped", "error", err)
	}
	return code
}
