package redis

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// clientLogEvery is how often go-redis may write a line: during an outage it
// logs each failed dial and pool retry, about four lines a second.
const clientLogEvery = 10 * time.Second

// RouteClientLogs sends go-redis's own log lines (it has one logger per
// process) to log, as warnings tagged "library":"go-redis", at most one per
// clientLogEvery; a line says how many were left out before it. Without it
// go-redis writes plain text to stderr, into the JSON stream.
func RouteClientLogs(log *slog.Logger) {
	goredis.SetLogger(newClientLog(log, clientLogEvery))
}

// clientLog is go-redis's Logging interface on slog, rate-limited.
type clientLog struct {
	log     *slog.Logger
	every   time.Duration
	mu      sync.Mutex
	last    time.Time
	dropped int
}

func newClientLog(log *slog.Logger, every time.Duration) *clientLog {
	return &clientLog{log: log.With("library", "go-redis"), every: every}
}

func (l *clientLog) Printf(ctx context.Context, format string, v ...any) {
	l.mu.Lock()
	now := time.Now()
	if !l.last.IsZero() && now.Sub(l.last) < l.every {
		l.dropped++
		l.mu.Unlock()
		return
	}
	dropped := l.dropped
	l.last, l.dropped = now, 0
	l.mu.Unlock()
	if dropped > 0 {
		l.log.WarnContext(ctx, fmt.Sprintf(format, v...), "left_out", dropped)
		return
	}
	l.log.WarnContext(ctx, fmt.Sprintf(format, v...))
}
