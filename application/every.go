package application

import (
	"context"
	"time"
)

// Every calls fn every interval until ctx ends, then returns nil: the loop
// of the background runners (flushes, syncs, refreshes).
func Every(ctx context.Context, interval time.Duration, fn func(ctx context.Context)) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			fn(ctx)
		}
	}
}
