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

// infraSet is what every process shares: the database and Redis.
var infraSet = wire.NewSet(provideDB, provideRedis)

// postgresSet is the repositories and the transaction runner.
var postgresSet = wire.NewSet(
	postgres.NewTxRunner,
	postgres.NewAuditLog,
	postgres.NewUserRepository,
	postgres.NewMigrator,
	postgres.NewPolicyInputs,
)

func initMigrator(ctx context.Context, cfg config.Config) (*postgres.Migrator, func(), error) {
	wire.Build(openMigrator)
	return nil, nil, nil
}

func initServer(ctx context.Context, cfg config.Config, log *slog.Logger, tel *telemetry.Telemetry) (*Server, func(), error) {
	wire.Build(
		infraSet,
		postgresSet,
		provideServerReadiness,
		provideHealth,
		provideModules,
		provideApp,
		providePasswordHasher,
		provideCreateFirstAdmin,
		provideServerRunners,
		postgres.NewFleetGauges,
		provideServerGauges,
		agentSet,
		adminSet,
		wire.Struct(new(Server), "*"),
	)
	return nil, nil, nil
}

func initWorker(ctx context.Context, cfg config.Config, log *slog.Logger, tel *telemetry.Telemetry) (*Worker, func(), error) {
	wire.Build(
		workerSet,
		wire.Struct(new(Worker), "*"),
	)
	return nil, nil, nil
}
