package workers

import (
	"context"
	"log/slog"
	"time"

	"github.com/extguard/extguard/adapters/telemetry"
)

// Periodic is one periodic task: its type and period.
type Periodic struct {
	Type   string
	Period time.Duration
}

// Scheduler enqueues each periodic task once per period. Every instance runs
// one; they agree without talking to each other because the task id is the
// type and the start of the period (a time-bucketed id), so the second
// instance to enqueue a period gets a conflict, which counts as done.
type Scheduler struct {
	queue *Queue
	tasks []Periodic
	log   *slog.Logger
	now   func() time.Time
}

// NewScheduler returns a scheduler of tasks enqueuing through queue.
func NewScheduler(queue *Queue, tasks []Periodic, log *slog.Logger) *Scheduler {
	return &Scheduler{queue: queue, tasks: tasks, log: log, now: time.Now}
}

// Run enqueues until ctx ends. It checks a few times per period; a period it
// could not enqueue (Redis down) is retried at each check until it is done or
// over.
func (s *Scheduler) Run(ctx context.Context) error {
	ctx = telemetry.Untraced(ctx) // ticks are not worth a trace each; the tasks they queue are traced
	done := make([]time.Time, len(s.tasks))
	failing := make([]bool, len(s.tasks))
	tick := time.NewTicker(s.checkEvery())
	defer tick.Stop()
	for {
		for i, p := range s.tasks {
			start := s.now().Truncate(p.Period)
			if start.Equal(done[i]) {
				continue
			}
			err := s.queue.enqueuePeriodic(ctx, p.Type, start, p.Period+time.Minute)
			if err != nil {
				if !failing[i] && ctx.Err() == nil {
					s.log.WarnContext(ctx, "cannot enqueue periodic task; retrying", "type", p.Type, "error", err)
				}
				failing[i] = true
				continue
			}
			if failing[i] {
				s.log.InfoContext(ctx, "periodic task enqueued again", "type", p.Type)
			}
			done[i], failing[i] = start, false
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// checkEvery is a tenth of the shortest period, between 10 ms and 1 s.
func (s *Scheduler) checkEvery() time.Duration {
	d := time.Second
	for _, p := range s.tasks {
		d = min(d, p.Period/10)
	}
	return max(d, 10*time.Millisecond)
}
