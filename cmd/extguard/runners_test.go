package main

import (
	"log/slog"
	"testing"

	"github.com/extguard/extguard/adapters/postgres"
)

// `serve` (and `all`, which runs the server's runners) keeps the history
// partitions ahead itself: a deployment without a worker must not run out
// of months (TestServeKeepsPartitionsAheadWithoutAWorker checks the pass).
func TestServerRunnersKeepPartitionsAhead(t *testing.T) {
	for _, r := range provideServerRunners(nil, postgres.NewPartitions(nil), slog.Default()) {
		if _, ok := r.(partitionsAheadRunner); ok {
			return
		}
	}
	t.Fatal("the API process's runners do not create the history partitions ahead")
}
