// Command extguard is the server: the HTTP API, the background workers and
// the migrations, chosen by subcommand (see the README).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"strconv"
	"syscall"

	"github.com/extguard/extguard/adapters/config"
	"github.com/extguard/extguard/adapters/logging"
	"github.com/extguard/extguard/adapters/redis"
	"github.com/extguard/extguard/adapters/telemetry"
	"github.com/extguard/extguard/domain"
)

// Set by the linker: -ldflags "-X main.version=... -X main.commit=...".
var (
	version = "dev"
	commit  = "unknown"
)

const usage = `usage: extguard <command> [--help]

commands:
  migrate up | down [N] | status   apply, roll back (N steps, default 1) or list migrations
  serve                            the HTTP API (agent and admin), no background work
  worker                           background tasks, the periodic scheduler and the outbox relay
  all                              migrate up, then serve and worker in one process
  feeds import FEED_ID FILE        apply a threat feed's content from a file (air-gapped sites)
  version                          version, commit and Go version
  policy lint-vscode FILE          lint a deployed AllowedExtensions policy (exit 0 clean, 2 findings, 1 error)
  policy plan|apply -f FILE        plan or apply a policy file against --server (see extguard policy --help)

` + configurationNote

const configurationNote = "Configuration comes from EXTGUARD_* and OTEL_* environment variables (see README.md).\n"

// commandHelp is what `extguard <command> --help` prints; a command missing
// here is unknown.
var commandHelp = map[string]string{
	"migrate": `usage: extguard migrate up | down [N] | status

  up        create the database if it does not exist, then apply every pending migration
  down [N]  roll back the last N migrations (default 1)
  status    list the migrations, applied or pending (never creates the database)

Several processes may migrate at once: they take turns on an advisory lock.
`,
	"serve": `usage: extguard serve

The HTTP API (agent and admin) on EXTGUARD_HTTP_ADDR, with /healthz, /readyz
and /metrics; no background work. The database must be migrated (migrate up).
`,
	"worker": `usage: extguard worker

Background tasks, the periodic scheduler and the outbox relay; set
EXTGUARD_METRICS_ADDR to serve its /metrics.
`,
	"all": `usage: extguard all

migrate up, then serve and worker in one process (what make run starts).
`,
	"feeds": feedsHelp,
	"version": `usage: extguard version

Print the version, commit and Go version.
`,
}

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// run is the whole command line. Help that was asked for goes to stdout and
// exits 0; a command line that cannot be run exits 2 before any
// configuration is read or any connection made.
func run(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	if isHelp(args[0]) || args[0] == "help" {
		fmt.Fprint(stdout, usage)
		return 0
	}
	if args[0] == "policy" { // a client command: no configuration, CI exit codes
		return policyCommand(args[1:], getenv, stdout, stderr)
	}
	help, known := commandHelp[args[0]]
	if !known {
		fmt.Fprintf(stderr, "extguard: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if slices.ContainsFunc(args[1:], isHelp) {
		fmt.Fprint(stdout, help+"\n"+configurationNote)
		return 0
	}
	cl, err := parseCommandLine(args)
	if err != nil {
		fmt.Fprintf(stderr, "extguard: %v\n\n%s", err, help)
		return 2
	}
	if cl.command == "version" {
		fmt.Fprintf(stdout, "extguard %s (commit %s, %s)\n", version, commit, runtime.Version())
		return 0
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		fmt.Fprintf(stderr, "extguard: configuration error:\n%v\n", err)
		return 2
	}
	log := logging.New(cfg.LogLevel, cfg.LogFormat, stderr)
	redis.RouteClientLogs(log)
	setMemoryLimit(getenv, "/", log)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if err := dispatch(ctx, cl, cfg, log, stdout); err != nil {
		log.Error("extguard stopped with an error", "command", cl.command, "error", err.Error())
		return 1
	}
	return 0
}

func isHelp(arg string) bool { return arg == "-h" || arg == "-help" || arg == "--help" }

// commandLine is a command line that parsed: the command, migrate's
// subcommand and the steps of migrate down.
type commandLine struct {
	command, migrate string
	steps            int
	feedID           domain.ID // feeds import
	file             string    // feeds import
}

func parseCommandLine(args []string) (commandLine, error) {
	cl := commandLine{command: args[0], steps: 1}
	rest := args[1:]
	if cl.command == "feeds" {
		return parseFeedsArgs(cl, rest)
	}
	if cl.command != "migrate" {
		if len(rest) > 0 {
			return cl, fmt.Errorf("%s takes no arguments, got %q", cl.command, rest)
		}
		return cl, nil
	}
	if len(rest) == 0 {
		return cl, errors.New("migrate needs up, down [N] or status")
	}
	cl.migrate, rest = rest[0], rest[1:]
	switch {
	case cl.migrate != "up" && cl.migrate != "down" && cl.migrate != "status":
		return cl, fmt.Errorf("unknown migrate command %q", cl.migrate)
	case cl.migrate == "down" && len(rest) == 1:
		n, err := strconv.Atoi(rest[0])
		if err != nil || n < 1 {
			return cl, fmt.Errorf("migrate down: %q is not a positive number of steps", rest[0])
		}
		cl.steps = n
	case len(rest) > 0:
		return cl, fmt.Errorf("migrate %s: unexpected arguments %q", cl.migrate, rest)
	}
	return cl, nil
}

func dispatch(ctx context.Context, cl commandLine, cfg config.Config, log *slog.Logger, stdout io.Writer) error {
	switch cl.command {
	case "migrate":
		return migrateCommand(ctx, cl, cfg, log, stdout)
	case "feeds":
		return feedsImport(ctx, cl, cfg, log, stdout)
	}
	return runProcess(ctx, cl.command, cfg, log)
}

// migrateCommand runs migrate up, down or status. Only up creates the
// database: status and down on a database that does not exist say so
// rather than leave an empty one behind.
func migrateCommand(ctx context.Context, cl commandLine, cfg config.Config, log *slog.Logger, stdout io.Writer) error {
	if cl.migrate == "up" {
		return migrateUp(ctx, cfg, log)
	}
	mg, cleanup, err := initMigrator(ctx, cfg)
	if err != nil {
		return err
	}
	defer cleanup()
	if cl.migrate == "down" {
		rolled, err := mg.Down(ctx, cl.steps)
		log.Info("migrations rolled back", "count", len(rolled), "names", rolled)
		return err
	}
	list, err := mg.Status(ctx)
	for _, m := range list {
		state := "pending"
		if m.Applied {
			state = "applied"
		}
		fmt.Fprintf(stdout, "%-8s %s\n", state, m.Name)
	}
	return err
}

func serviceInfo(cfg config.Config, role string) telemetry.ServiceInfo {
	return telemetry.ServiceInfo{Name: "extguard", Version: version, InstanceID: cfg.ServiceInstanceID}
}
