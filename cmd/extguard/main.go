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
	"strconv"
	"syscall"

	"github.com/extguard/extguard/adapters/config"
	"github.com/extguard/extguard/adapters/logging"
	"github.com/extguard/extguard/adapters/redis"
	"github.com/extguard/extguard/adapters/telemetry"
)

// Set by the linker: -ldflags "-X main.version=... -X main.commit=...".
var (
	version = "dev"
	commit  = "unknown"
)

const usage = `usage: extguard <command>

commands:
  migrate up | down [N] | status   apply, roll back (N steps, default 1) or list migrations
  serve                            the HTTP API (agent and admin), no background work
  worker                           background tasks, the periodic scheduler and the outbox relay
  all                              migrate up, then serve and worker in one process
  version                          version, commit and Go version

Configuration comes from EXTGUARD_* and OTEL_* environment variables (see README.md).
`

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

func run(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, usage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	if args[0] == "version" {
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
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	err = dispatch(ctx, args, cfg, log, stdout)
	var ue usageError
	switch {
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "extguard: %s\n\n%s", ue.msg, usage)
		return 2
	case err != nil:
		log.Error("extguard stopped with an error", "command", args[0], "error", err.Error())
		return 1
	}
	return 0
}

type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func dispatch(ctx context.Context, args []string, cfg config.Config, log *slog.Logger, stdout io.Writer) error {
	switch args[0] {
	case "migrate":
		return migrateCommand(ctx, args[1:], cfg, log, stdout)
	case "serve", "worker", "all":
		return runProcess(ctx, args[0], cfg, log)
	default:
		return usageError{fmt.Sprintf("unknown command %q", args[0])}
	}
}

func migrateCommand(ctx context.Context, args []string, cfg config.Config, log *slog.Logger, stdout io.Writer) error {
	if len(args) == 0 {
		return usageError{"migrate needs up, down [N] or status"}
	}
	steps := 1
	if args[0] == "down" && len(args) > 1 {
		n, err := strconv.Atoi(args[1])
		if err != nil || n < 1 {
			return usageError{fmt.Sprintf("migrate down: %q is not a positive number of steps", args[1])}
		}
		steps = n
	}
	if args[0] != "up" && args[0] != "down" && args[0] != "status" {
		return usageError{fmt.Sprintf("unknown migrate command %q", args[0])}
	}
	mg, cleanup, err := initMigrator(ctx, cfg)
	if err != nil {
		return err
	}
	defer cleanup()
	switch args[0] {
	case "up":
		applied, err := mg.Up(ctx)
		log.Info("migrations applied", "count", len(applied), "names", applied)
		return err
	case "down":
		rolled, err := mg.Down(ctx, steps)
		log.Info("migrations rolled back", "count", len(rolled), "names", rolled)
		return err
	default:
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
}

func serviceInfo(cfg config.Config, role string) telemetry.ServiceInfo {
	return telemetry.ServiceInfo{Name: "extguard", Version: version, InstanceID: cfg.ServiceInstanceID}
}
