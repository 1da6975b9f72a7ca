package postgres

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/extguard/extguard/application"
)

// reportsSuperseded counts the reports the store accepted but did not
// apply: older than the agent's newest stored report, they change no
// verdict, no inventory and write no history (docs/history-and-retention.md,
// "Ordering"). A steady rise means agents whose clocks jump back or
// whose reports are retried long after newer ones.
var reportsSuperseded = func() prometheus.Counter {
	c := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "extguard_agent_reports_superseded_total",
		Help: "Agent reports older than the agent's newest stored report: accepted, but they change no verdict, inventory or history",
	})
	prometheus.MustRegister(c)
	return c
}()

// supersededLogEvery bounds the log line about superseded reports to one
// per interval, however many arrive: a fleet with a skewed clock would
// otherwise log one line per report.
const supersededLogEvery = time.Minute

// supersededLog logs, at most once per supersededLogEvery, how many
// reports were superseded since its last line, with the latest one's agent
// and times (no user data).
type supersededLog struct {
	log    *slog.Logger
	mu     sync.Mutex
	last   time.Time
	unsaid int
}

// LogSuperseded makes the store log superseded reports on log (rate-limited);
// without it, they are only counted.
func (s *ReportStore) LogSuperseded(log *slog.Logger) { s.superseded = &supersededLog{log: log} }

// recordSuperseded counts the batch's superseded reports (once it has
// committed) and maybe logs them.
func (s *ReportStore) recordSuperseded(ctx context.Context, batch []application.StoredReport, superseded []int) {
	if len(superseded) == 0 {
		return
	}
	reportsSuperseded.Add(float64(len(superseded)))
	if s.superseded != nil {
		s.superseded.note(ctx, time.Now(), len(superseded), batch[superseded[len(superseded)-1]])
	}
}

func (l *supersededLog) note(ctx context.Context, now time.Time, n int, latest application.StoredReport) {
	l.mu.Lock()
	l.unsaid += n
	if now.Sub(l.last) < supersededLogEvery {
		l.mu.Unlock()
		return
	}
	count := l.unsaid
	l.last, l.unsaid = now, 0
	l.mu.Unlock()
	l.log.InfoContext(ctx, "reports superseded by a newer stored report of their agent: accepted, nothing changed",
		"count", count, "since", supersededLogEvery.String(), "agent_id", latest.AgentID.String(),
		"reported_at", latest.Report.ReportedAt().UTC(), "received_at", latest.ReceivedAt.UTC())
}
