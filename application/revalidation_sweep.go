package application

import (
	"context"

	"github.com/extguard/extguard/domain/audit"
)

// SweepRevalidation is the periodic revalidation run: it queues one
// revalidation per revalidatable catalog entry, so entries are checked in
// parallel, each with its own timeout and retries.
type SweepRevalidation struct {
	Catalog RevalidationCatalog
	Queue   RevalidationQueue
}

// Execute queues every entry and returns how many were queued. Errors:
// unavailable when the queue fails part-way (a rerun queues the rest; a
// duplicate revalidation is harmless).
func (uc SweepRevalidation) Execute(ctx context.Context) (_ int, err error) {
	ctx, obs := observe(ctx, "SweepRevalidation")
	defer obs.end(&err)
	ids, err := uc.Catalog.ListRevalidatable(ctx)
	if err != nil {
		return 0, err
	}
	for i, id := range ids {
		if err := uc.Queue.EnqueueRevalidation(ctx, RevalidationRequest{EntryID: id, RequestedBy: audit.SystemActor()}); err != nil {
			return i, err
		}
	}
	return len(ids), nil
}
