package application

import (
	"context"
	"sync"
	"time"

	"github.com/extguard/extguard/domain/audit"
)

// Throttle lets one event per subject through per interval. It keeps the
// audit log readable under attack: a revoked key tried every second writes
// one row per interval per instance, not one per request. Subjects are
// bounded by what exists (keys, agents), and entries older than the
// interval are swept, so memory stays small.
type Throttle struct {
	interval time.Duration
	mu       sync.Mutex
	last     map[string]time.Time
	sweptAt  time.Time
}

// NewThrottle returns a throttle letting one event per subject through per interval.
func NewThrottle(interval time.Duration) *Throttle {
	return &Throttle{interval: interval, last: map[string]time.Time{}}
}

// Allow reports whether an event about subject at now should be recorded.
func (t *Throttle) Allow(subject string, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if now.Sub(t.sweptAt) > t.interval {
		for s, at := range t.last {
			if now.Sub(at) >= t.interval {
				delete(t.last, s)
			}
		}
		t.sweptAt = now
	}
	if at, ok := t.last[subject]; ok && now.Sub(at) < t.interval {
		return false
	}
	t.last[subject] = now
	return true
}

// Forget lets subject's next event through: the one Allow let through was
// not recorded after all.
func (t *Throttle) Forget(subject string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.last, subject)
}

// anomalyAuditTimeout bounds the audit write of a refused request.
const anomalyAuditTimeout = 2 * time.Second

// appendAnomaly writes the audit row of a refused request (a revoked or
// expired key, a decommissioned agent) that t let through for subject.
// The write is detached from the request's cancellation, so a client that
// hangs up does not lose the row, but bounded, so a hung database does not
// hold the refusal. If it fails, the subject's next anomaly is let through
// rather than suppressed for the whole interval.
func appendAnomaly(ctx context.Context, t *Throttle, subject string, tx Transactor, log AuditLog, ev audit.Event) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), anomalyAuditTimeout)
	defer cancel()
	err := tx.InTx(ctx, func(ctx context.Context) error { return log.Append(ctx, ev) })
	if err != nil {
		t.Forget(subject)
	}
	return err
}
