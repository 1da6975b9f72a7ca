package application

import (
	"context"
	"log/slog"
	"time"
)

// PartitionsAheadPeriod is how often the API process makes sure the
// months ahead have their partitions (the worker does it in its hourly
// retention task too).
const PartitionsAheadPeriod = time.Hour

// KeepPartitionsAhead creates the history tables' partitions of the
// current month and the partitionsAhead after it. A report or an audited
// change whose month has no partition fails, and until now only the
// worker's retention task created them: a deployment running `serve`
// without a worker wrote fine for the months the migration had created and
// then failed every write at a month boundary. The API process runs this
// at start-up and every PartitionsAheadPeriod, so serve alone never gets
// there (docs/history-and-retention.md, "Partitions").
type KeepPartitionsAhead struct {
	Partitions PartitionCreator
	Clock      Clock
}

// Execute creates what is missing and answers the partitions it created.
// Several processes running it at once is harmless. Errors: unavailable,
// internal.
func (uc KeepPartitionsAhead) Execute(ctx context.Context) (_ []string, err error) {
	ctx, obs := observe(ctx, "KeepPartitionsAhead")
	defer obs.end(&err)
	return uc.Partitions.CreateAhead(ctx, uc.Clock.Now(), partitionsAhead)
}

// Run executes at once and then every PartitionsAheadPeriod until ctx
// ends. A failed pass (the database is down, or the API's role may not
// create tables, where the worker must run) is logged and retried on the
// next tick; it never stops the API, which keeps serving the months that
// exist.
func (uc KeepPartitionsAhead) Run(ctx context.Context, log *slog.Logger) error {
	pass := func(ctx context.Context) {
		created, err := uc.Execute(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			log.ErrorContext(ctx, "creating the history partitions ahead failed; writes fail once the current ones run out",
				"err", err, "retry_in", PartitionsAheadPeriod.String())
		case len(created) > 0:
			log.InfoContext(ctx, "history partitions created ahead", "created", created)
		}
	}
	pass(ctx)
	return Every(ctx, PartitionsAheadPeriod, pass)
}
