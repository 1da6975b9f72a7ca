package workers

import (
	"context"
	"log/slog"
	"time"

	"github.com/extguard/extguard/adapters/telemetry"
	"github.com/extguard/extguard/application"
)

// RelayConfig paces the outbox relay; zero fields take defaults.
type RelayConfig struct {
	// Interval between relay passes (default 1 s): the usual delay between
	// a commit and its webhook deliveries being queued.
	Interval time.Duration
	// ReconcileInterval between reconciler passes (default 30 s).
	ReconcileInterval time.Duration
	// OverdueAfter is how long a queued delivery may stay pending before its
	// task is presumed lost and queued again (default 2 min).
	OverdueAfter time.Duration
}

func (c RelayConfig) withDefaults() RelayConfig {
	if c.Interval <= 0 {
		c.Interval = time.Second
	}
	if c.ReconcileInterval <= 0 {
		c.ReconcileInterval = 30 * time.Second
	}
	if c.OverdueAfter <= 0 {
		c.OverdueAfter = 2 * time.Minute
	}
	return c
}

// Relay runs the outbox relay and reconciler until its context ends. Every
// instance may run one (rows are locked with SKIP LOCKED).
type Relay struct {
	uc  application.RelayOutbox
	cfg RelayConfig
	log *slog.Logger
}

// NewRelay returns the relay runner.
func NewRelay(uc application.RelayOutbox, cfg RelayConfig, log *slog.Logger) *Relay {
	return &Relay{uc: uc, cfg: cfg.withDefaults(), log: log}
}

// Run relays until ctx ends. The passes run untraced (a query every second
// would be a trace every second); the deliveries they queue start traces of
// their own, linked to the changes that caused them.
func (r *Relay) Run(ctx context.Context) error {
	ctx = telemetry.Untraced(ctx)
	relay := time.NewTicker(r.cfg.Interval)
	defer relay.Stop()
	reconcile := time.NewTicker(r.cfg.ReconcileInterval)
	defer reconcile.Stop()
	var relayState, reconcileState failureLog
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-relay.C:
			r.drain(ctx, &relayState, "outbox relay", r.uc.Relay)
		case <-reconcile.C:
			r.drain(ctx, &reconcileState, "outbox reconciler", func(ctx context.Context) (int, error) {
				return r.uc.Reconcile(ctx, r.cfg.OverdueAfter)
			})
		}
	}
}

// drain repeats full batches so a backlog empties without waiting a tick per batch.
func (r *Relay) drain(ctx context.Context, st *failureLog, what string, pass func(context.Context) (int, error)) {
	for ctx.Err() == nil {
		n, err := pass(ctx)
		st.note(ctx, r.log, what, err)
		if n > 0 && what == "outbox reconciler" {
			r.log.InfoContext(ctx, "overdue webhook deliveries re-queued (or found still queued)", "count", n)
		}
		if err != nil || n < r.batch() {
			return
		}
	}
}

func (r *Relay) batch() int {
	if r.uc.Batch > 0 {
		return r.uc.Batch
	}
	return application.DefaultRelayBatch
}

// failureLog logs when a loop starts and stops failing, not every pass.
type failureLog struct{ failing bool }

func (f *failureLog) note(ctx context.Context, log *slog.Logger, what string, err error) {
	switch {
	case err != nil && !f.failing && ctx.Err() == nil:
		log.WarnContext(ctx, what+" failing; deliveries wait in PostgreSQL", "error", err)
		f.failing = true
	case err == nil && f.failing:
		log.InfoContext(ctx, what+" recovered")
		f.failing = false
	}
}
