//go:build wireinject

package main

import (
	"context"
	"log/slog"

	"github.com/google/wire"

	"github.com/extguard/extguard/adapters/config"
	"github.com/extguard/extguard/adapters/postgres"
	"github.com/extguard/extguard/adapters/telemetry"
)

// Wire builds each process's graph all the way down: every adapter has a
// provider in a set, application.New assembles the use cases from
// application.Deps (filled field by field from the binds in appSet), and no
// provider builds a repository or a use case inline. Being all wire, a new
// port is one Deps field and one bind; wire refuses to build a graph that
// leaves one unserved, which hand-written wiring would only find at run time.

func initMigrator(ctx context.Context, cfg config.Config) (*postgres.Migrator, func(), error) {
	wire.Build(openMigrator)
	return nil, nil, nil
}

func initServer(ctx context.Context, cfg config.Config, log *slog.Logger, tel *telemetry.Telemetry) (*Server, func(), error) {
	wire.Build(serverSet, wire.Struct(new(Server), "*"))
	return nil, nil, nil
}

func initWorker(ctx context.Context, cfg config.Config, log *slog.Logger, tel *telemetry.Telemetry) (*Worker, func(), error) {
	wire.Build(workerSet, wire.Struct(new(Worker), "*"))
	return nil, nil, nil
}

func initFeedImporter(ctx context.Context, cfg config.Config, log *slog.Logger) (*FeedImporter, func(), error) {
	wire.Build(feedImportSet, wire.Struct(new(FeedImporter), "*"))
	return nil, nil, nil
}
