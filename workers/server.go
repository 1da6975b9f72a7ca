package workers

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
)

// ServerConfig tunes the queue server; zero fields take defaults.
type ServerConfig struct {
	Concurrency int
	// ShutdownTimeout is how long running tasks get to finish on stop;
	// those still running are then handed back to the queue.
	ShutdownTimeout time.Duration
	// PollInterval is how often empty queues are checked (asynq's
	// TaskCheckInterval and DelayedTaskCheckInterval); tests shorten it.
	PollInterval time.Duration
}

// Server runs the asynq task server until its context ends.
type Server struct {
	srv   *asynq.Server
	mux   *asynq.ServeMux
	log   *slog.Logger
	grace time.Duration
	// base is the handlers' context. asynq abandons a handler that outlives
	// the shutdown timeout without cancelling it; cancelling base a little
	// earlier lets handlers stop their I/O and record what they did.
	base       context.Context
	cancelBase context.CancelFunc
}

// NewServer builds the server on rdb (shared; the caller closes it).
func NewServer(rdb redis.UniversalClient, cfg ServerConfig, h *Handlers, log *slog.Logger) *Server {
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = 15 * time.Second
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 10
	}
	base, cancelBase := context.WithCancel(context.Background())
	srv := asynq.NewServerFromRedisClient(rdb, asynq.Config{
		BaseContext:              func() context.Context { return base },
		Concurrency:              cfg.Concurrency,
		Queues:                   QueueWeights,
		ShutdownTimeout:          cfg.ShutdownTimeout,
		TaskCheckInterval:        cfg.PollInterval,
		DelayedTaskCheckInterval: cfg.PollInterval,
		// "library", not a second "component": the caller has set that.
		Logger:   asynqLogger{log: log.With("library", "asynq")},
		LogLevel: asynq.WarnLevel,
		// Retries only cover crashes and database errors; the work itself is
		// guarded by PostgreSQL (a delivery's claim, a revalidation's re-read),
		// so retrying soon is safe and keeps deliveries moving.
		RetryDelayFunc: func(n int, _ error, _ *asynq.Task) time.Duration {
			return time.Duration(1<<min(n, 6)) * time.Second
		},
		ErrorHandler: asynq.ErrorHandlerFunc(func(ctx context.Context, t *asynq.Task, err error) {
			id, _ := asynq.GetTaskID(ctx)
			retried, _ := asynq.GetRetryCount(ctx)
			log.WarnContext(ctx, "task failed", "type", t.Type(), "task_id", id, "retried", retried, "error", err)
		}),
	})
	return &Server{srv: srv, mux: h.Mux(), log: log, grace: cfg.ShutdownTimeout, base: base, cancelBase: cancelBase}
}

// Run processes tasks until ctx ends, then shuts down gracefully: no new
// tasks are taken, running ones get ShutdownTimeout to finish, and the rest
// go back to the queue for another instance (or this one after a restart).
func (s *Server) Run(ctx context.Context) error {
	if err := s.srv.Start(s.mux); err != nil {
		return fmt.Errorf("task server: %w", err)
	}
	<-ctx.Done()
	stopHandlers := time.AfterFunc(s.grace-min(s.grace/5, time.Second), s.cancelBase)
	defer stopHandlers.Stop()
	s.srv.Shutdown()
	s.cancelBase()
	return nil
}

// asynqLogger sends asynq's own logs to slog.
type asynqLogger struct{ log *slog.Logger }

// newAsynqLogger tags asynq's lines with "library", not with a second
// "component": the caller's logger has one already, and a JSON line with a
// key twice is read differently by different collectors.
func newAsynqLogger(log *slog.Logger) asynqLogger {
	return asynqLogger{log: log.With("library", "asynq")}
}

func (l asynqLogger) Debug(args ...any) { l.log.Debug(fmt.Sprint(args...)) }
func (l asynqLogger) Info(args ...any)  { l.log.Info(fmt.Sprint(args...)) }
func (l asynqLogger) Warn(args ...any)  { l.log.Warn(fmt.Sprint(args...)) }
func (l asynqLogger) Error(args ...any) { l.log.Error(fmt.Sprint(args...)) }

// Fatal: asynq calls it on unrecoverable startup errors; it must not exit the
// whole process (the API may share it), so it is logged as an error.
func (l asynqLogger) Fatal(args ...any) { l.log.Error(fmt.Sprint(args...)) }
