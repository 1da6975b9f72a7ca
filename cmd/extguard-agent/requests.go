package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/extguard/extguard/cmd/extguard-agent/internal/agent"
	"github.com/extguard/extguard/cmd/extguard-agent/internal/client"
	"github.com/extguard/extguard/protocol/agentv1"
)

const (
	requestUsage  = "usage: extguard-agent request <publisher.name> [--version V] --reason \"...\" [--server URL --key KEY]\n\nAsk for an extension this machine's policy does not allow; an editor or admin answers.\nAsking again while the request is pending shows it.\n\n"
	requestsUsage = "usage: extguard-agent requests [--server URL --key KEY]\n\nList this machine's extension requests and their answers.\n\n"
)

// serverFlags are the flags every command talking to the server takes.
func serverFlags(fs *flag.FlagSet, o *agent.Options) {
	fs.StringVar(&o.Server, "server", "", "extguard server URL (default $EXTGUARD_SERVER)")
	fs.StringVar(&o.Key, "key", "", "API key of the agent's group (default $EXTGUARD_KEY)")
	fs.StringVar(&o.StateDir, "state-dir", "", "where the enrollment is kept (default: per OS)")
	fs.StringVar(&o.Home, "home", "", "home directory (default: the user's)")
}

// serverOptions completes o from the environment; ok false when the server
// or key is missing (the message is written).
func serverOptions(o *agent.Options, cmd string, stderr io.Writer) bool {
	if o.Server == "" {
		o.Server = os.Getenv("EXTGUARD_SERVER")
	}
	if o.Key == "" {
		o.Key = os.Getenv("EXTGUARD_KEY")
	}
	if o.Server == "" || o.Key == "" {
		fmt.Fprintf(stderr, "extguard-agent %s: --server and --key (or EXTGUARD_SERVER and EXTGUARD_KEY) are required\n", cmd)
		return false
	}
	o.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	o.Version = version
	return true
}

// requestExtension is `extguard-agent request`. The extension id comes
// first, so its flags are parsed after it.
func requestExtension(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("request", flag.ContinueOnError)
	var o agent.Options
	serverFlags(fs, &o)
	ver := fs.String("version", "", "the version wanted (default: any)")
	reason := fs.String("reason", "", "why this machine needs it (shown to whoever answers)")
	var id string
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		id, args = args[0], args[1:]
	}
	if code, ok := parseFlags(fs, args, requestUsage, stdout, stderr); !ok {
		return code
	}
	if id == "" || *reason == "" {
		fmt.Fprint(stderr, "extguard-agent request: an extension id (publisher.name) and --reason are required\n\n"+requestUsage)
		return agent.ExitUsage
	}
	if !serverOptions(&o, "request", stderr) {
		return agent.ExitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ans, created, err := agent.RequestExtension(ctx, o, agentv1.ExtensionRequest{ExtensionID: id, Version: *ver, Reason: *reason})
	if err != nil {
		return commandError(stderr, err)
	}
	if created {
		fmt.Fprintf(stdout, "requested %s: request %s is pending\n", ans.ExtensionID, ans.ID)
	} else {
		fmt.Fprintf(stdout, "%s was already requested: request %s is %s\n", ans.ExtensionID, ans.ID, ans.Status)
	}
	return 0
}

// listRequests is `extguard-agent requests`.
func listRequests(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("requests", flag.ContinueOnError)
	var o agent.Options
	serverFlags(fs, &o)
	if code, ok := parseFlags(fs, args, requestsUsage, stdout, stderr); !ok {
		return code
	}
	if !serverOptions(&o, "requests", stderr) {
		return agent.ExitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	list, err := agent.Requests(ctx, o)
	if err != nil {
		return commandError(stderr, err)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tEXTENSION\tVERSION\tSTATUS\tSCOPE\tEXPIRES\tNOTE")
	for _, r := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.ExtensionID, orDash(r.Version), r.Status, orDash(r.Scope),
			timeOrDash(r.ExpiresAt), r.Note)
	}
	_ = tw.Flush()
	return 0
}

// commandError prints err; a refused key or agent exits ExitRejected as run does.
func commandError(stderr io.Writer, err error) int {
	fmt.Fprintf(stderr, "extguard-agent: %v\n", err)
	if client.IsRejected(err) {
		return agent.ExitRejected
	}
	return agent.ExitError
}

func orDash(s *string) string {
	if s == nil || *s == "" {
		return "-"
	}
	return *s
}

func timeOrDash(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}
