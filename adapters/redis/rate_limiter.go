package redis

import (
	"context"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
)

// RateLimiter enforces fixed-window limits shared by every instance without
// a Redis round trip per request: each instance counts locally and, every
// SyncInterval, adds its new counts to the window's counter in Redis (one
// pipelined INCRBY per subject) and learns the global total back. A request
// is allowed while the last known global total plus this instance's unsynced
// count is under the limit.
//
// The counts of a subject named by an id (an agent, a key) go to Redis only
// once this instance has counted a tenth of its limit in the window
// (idSyncDivisor). An agent well within its limit (a heartbeat a minute
// against 60) then costs Redis nothing, where pushing every active agent
// every interval was an INCRBY and an EXPIREAT per agent request. The price
// is looseness: across N instances such a subject can exceed its limit by N
// tenths of it plus what N instances admit in one sync interval. Subjects
// named by a name (login accounts and addresses: security limits) go to
// Redis from their first count. One instance enforces every limit (up to
// requests racing at the limit). While Redis is unreachable Allow fails
// open: requests are allowed, and that is logged and counted; Reached and
// Count (the login limits) go on counting in this instance instead.
//
// A sync visits only the windows that have counts due: Allow queues a
// window when it becomes due. Visiting every subject each interval cost a
// 2,000-agent load run about 1 ms per sync, and 26 ms per sync (a quarter
// of a core) at the 100,000 agents this is built for (BenchmarkRateLimiterSync).
// Idle subjects are swept apart, every forgetEvery.
//
// Allow takes no lock but a shard's read lock, since every agent request
// checks two limits, one of them the fleet-wide key's: each subject's counter stays from window to
// window (a busy subject costs no map write per window) and is counted with
// atomics. Subjects named by an id (agents, keys: as many as exist) are in
// a shardedMap per kind keyed by the id alone, the fastest to read and the
// smallest (BenchmarkHeapPerAgent: 256 bytes of heap per agent with the
// whole subject as key, a window's Redis key built per window and times as
// time.Time; 88 now); subjects named by a name (login
// accounts and addresses, which anyone can invent) are in a sync.Map, whose
// inserts stay cheap however many there are. Two requests racing at the
// limit may both pass; the overshoot is bounded by the requests in flight.
type RateLimiter struct {
	rdb      *goredis.Client
	log      *slog.Logger
	interval time.Duration

	ids   idSubjects
	names sync.Map // application.RateSubject -> *subjectCounter

	dueMu sync.Mutex
	due   []dueWindow   // windows with counts due, each once (windowCounter.queued)
	wake  chan struct{} // a window became due while none was: Run syncs again soon

	syncMu     sync.Mutex // one sync at a time (Run's, or a caller's)
	lastForget time.Time  // of the idle sweep, under syncMu
	lastSend   time.Time  // of the last exchange with Redis, under syncMu

	healthy   atomic.Bool
	failOpen  metric.Int64Counter
	denied    metric.Int64Counter
	lastWarn  atomic.Int64
	failOpens atomic.Int64
}

// subjectCounter holds a subject's counter for its current window.
type subjectCounter struct{ window atomic.Pointer[windowCounter] }

// windowCounter is one subject's counts in one window. Every agent has
// one, so it holds no more than the counting needs: its subject and Redis
// key are known where a sync needs them (dueWindow).
type windowCounter struct {
	start, end int64        // Unix nanoseconds
	syncFrom   int64        // local count from which this window goes to Redis
	global     atomic.Int64 // total in Redis after our last sync
	pending    atomic.Int64 // counted here, not yet added to Redis
	synced     atomic.Bool  // this instance has added to the window in Redis
	queued     atomic.Bool  // in RateLimiter.due, waiting for a sync
}

// dueWindow is a window with counts due, and whose it is.
type dueWindow struct {
	subject application.RateSubject
	w       *windowCounter
}

// redisKey names the window's counter in Redis.
func (d dueWindow) redisKey() string {
	return "extguard:rl:" + d.subject.String() + ":" + strconv.FormatInt(time.Unix(0, d.w.start).Unix(), 10)
}

// SyncInterval is how often the counts that are due (see due) go to Redis.
const SyncInterval = 100 * time.Millisecond

// forgetEvery is how often a sync sweeps every subject for idle ones.
const forgetEvery = 10 * time.Second

// idSyncDivisor: the window of a subject named by an id goes to Redis once
// this instance has counted 1/idSyncDivisor of its limit.
const idSyncDivisor = 10

// syncFrom is the local count from which subject's window goes to Redis.
func syncFrom(subject application.RateSubject, limit int) int64 {
	if isNamed(subject) {
		return 1
	}
	return max(1, int64(limit)/idSyncDivisor)
}

// isNamed: the subject is named by a name (which clients invent), not an id.
func isNamed(s application.RateSubject) bool { return s.Name != "" || s.ID.IsZero() }

// due says whether pending counts go to Redis at the next sync.
func (w *windowCounter) due(pending int64) bool {
	return pending > 0 && (pending >= w.syncFrom || w.synced.Load())
}

var _ application.RateLimiter = (*RateLimiter)(nil)

// NewRateLimiter returns a limiter on rdb; counts sync only while Run runs.
func NewRateLimiter(rdb *goredis.Client, log *slog.Logger) *RateLimiter {
	m := otel.Meter(instrumentationName)
	fo, _ := m.Int64Counter("extguard.ratelimit.fail_open",
		metric.WithDescription("requests allowed without a limit check because Redis was unreachable"))
	dn, _ := m.Int64Counter("extguard.ratelimit.denied", metric.WithDescription("requests refused with 429"))
	r := &RateLimiter{rdb: rdb, log: log, interval: SyncInterval, failOpen: fo, denied: dn, wake: make(chan struct{}, 1)}
	r.healthy.Store(true)
	return r
}

// FailOpens is how many requests were allowed unchecked (for tests and the
// load report).
func (r *RateLimiter) FailOpens() int64 { return r.failOpens.Load() }

// Allow counts one request of subject in the current window.
func (r *RateLimiter) Allow(ctx context.Context, subject application.RateSubject, limit int, window time.Duration) (bool, time.Duration) {
	if !r.healthy.Load() {
		r.failOpens.Add(1)
		r.failOpen.Add(ctx, 1)
		r.warnFailOpen(ctx)
		return true, 0
	}
	now := clock.Now()
	c := r.subject(subject).current(subject, now, window, limit)
	if c.reached(limit) {
		r.denied.Add(ctx, 1)
		return false, c.left(now)
	}
	r.count(subject, c)
	return true, 0
}

var _ application.LoginLimiter = (*RateLimiter)(nil)

// Reached reports whether subject has reached limit in the current window,
// without counting it; Count counts. Login limits count failures only, so
// they ask before and count after. Unlike Allow they never fail open: while
// Redis is unreachable the counts stay in this instance (pushed when Redis
// is back) and limit it on their own, with what Redis said last.
func (r *RateLimiter) Reached(_ context.Context, subject application.RateSubject, limit int, window time.Duration) (bool, time.Duration) {
	now := clock.Now()
	c := r.subject(subject).current(subject, now, window, limit)
	if c.reached(limit) {
		return true, c.left(now)
	}
	return false, 0
}

// Count counts one event of subject in the current window, whatever its
// limit, also while Redis is unreachable (see Reached).
func (r *RateLimiter) Count(_ context.Context, subject application.RateSubject, limit int, window time.Duration) {
	r.count(subject, r.subject(subject).current(subject, clock.Now(), window, limit))
}

// left is how long the window lasts after now.
func (w *windowCounter) left(now time.Time) time.Duration {
	return time.Duration(w.end - now.UnixNano())
}

// reached: the last known global total plus this instance's unsynced count
// is at limit.
func (w *windowCounter) reached(limit int) bool {
	return w.global.Load()+w.pending.Load() >= int64(limit)
}

// count adds one to subject's window w and queues it for the next sync
// when it is due.
func (r *RateLimiter) count(subject application.RateSubject, w *windowCounter) {
	if n := w.pending.Add(1); w.due(n) && !w.queued.Load() {
		r.queue(dueWindow{subject: subject, w: w})
	}
}

// queue puts d in the list the next sync pushes, unless it is there.
func (r *RateLimiter) queue(d dueWindow) {
	if !d.w.queued.CompareAndSwap(false, true) {
		return
	}
	r.dueMu.Lock()
	first := len(r.due) == 0
	r.due = append(r.due, d)
	r.dueMu.Unlock()
	if first {
		select {
		case r.wake <- struct{}{}:
		default:
		}
	}
}

// current is the subject's counter for the window holding now, started
// when the previous window has ended. Counts of the previous window that
// were due still go to Redis at the next sync (see Sync).
func (s *subjectCounter) current(subject application.RateSubject, now time.Time, window time.Duration, limit int) *windowCounter {
	at := now.UnixNano()
	for {
		w := s.window.Load()
		if w != nil && at < w.end {
			return w
		}
		start := now.Truncate(window)
		next := &windowCounter{start: start.UnixNano(), end: start.Add(window).UnixNano(), syncFrom: syncFrom(subject, limit)}
		if s.window.CompareAndSwap(w, next) {
			return next
		}
	}
}

// subject finds or creates the subject's counter.
func (r *RateLimiter) subject(s application.RateSubject) *subjectCounter {
	if isNamed(s) {
		if c, ok := r.names.Load(s); ok {
			return c.(*subjectCounter)
		}
		c, _ := r.names.LoadOrStore(s, &subjectCounter{})
		return c.(*subjectCounter)
	}
	return r.ids.of(s.Kind).loadOrStore(s.ID, func() *subjectCounter { return &subjectCounter{} })
}

// idle: a whole window has passed since the subject's last window ended.
func (s *subjectCounter) idle(now time.Time) bool {
	w := s.window.Load()
	return w != nil && now.UnixNano() > w.end+(w.end-w.start)
}

// forgetIdle drops the subjects idle at now.
func (r *RateLimiter) forgetIdle(now time.Time) {
	for _, k := range r.ids.kinds() {
		k.counters.deleteWhere(func(_ domain.ID, c *subjectCounter) bool { return c.idle(now) })
	}
	r.names.Range(func(k, c any) bool {
		if c.(*subjectCounter).idle(now) {
			r.names.Delete(k)
		}
		return true
	})
}

// warnFailOpen logs at most once per ten seconds.
func (r *RateLimiter) warnFailOpen(ctx context.Context) {
	now := time.Now().UnixNano()
	last := r.lastWarn.Load()
	if now-last > int64(10*time.Second) && r.lastWarn.CompareAndSwap(last, now) {
		r.log.WarnContext(ctx, "rate limits failing open: Redis unreachable", "allowed_unchecked_total", r.failOpens.Load())
	}
}

// idleProbeEvery is how often Run's syncs, with nothing to push and Redis
// healthy, still ping Redis to notice it going away: pinging every interval
// (ten times a second) was the largest part of an idle server's CPU.
const idleProbeEvery = time.Second

// Run syncs counts until ctx ends: every interval while windows are due or
// Redis is unreachable, otherwise once per idleProbeEvery until a window
// becomes due, so that an idle server is not woken ten times a second.
func (r *RateLimiter) Run(ctx context.Context) error {
	t := time.NewTimer(r.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-r.wake: // counted since: sync at the next interval
			t.Reset(r.interval)
			continue
		case <-t.C:
		}
		r.sync(ctx, false)
		t.Reset(r.nextSync())
	}
}

// nextSync is how long Run waits before its next sync.
func (r *RateLimiter) nextSync() time.Duration {
	r.dueMu.Lock()
	idle := len(r.due) == 0
	r.dueMu.Unlock()
	if idle && r.healthy.Load() {
		return idleProbeEvery
	}
	return r.interval
}

// Sync pushes the counts due (see due) to Redis and reads the totals back,
// also those of a window that has just ended (the key outlives it); every
// forgetEvery it also forgets subjects idle for a whole window after their
// last one ended. A failure marks Redis unhealthy (fail open) until a sync
// succeeds again.
func (r *RateLimiter) Sync(ctx context.Context) { r.sync(ctx, true) }

// sync is Sync; unless always, a sync with nothing to push while Redis is
// healthy pings it only once per idleProbeEvery.
func (r *RateLimiter) sync(ctx context.Context, always bool) {
	r.syncMu.Lock()
	defer r.syncMu.Unlock()
	now := clock.Now()
	if now.Sub(r.lastForget) >= forgetEvery {
		r.forgetIdle(now)
		r.lastForget = now
	}
	pushes := r.takeDue(now)
	if !always && len(pushes) == 0 && r.healthy.Load() && now.Sub(r.lastSend) < idleProbeEvery {
		return
	}
	r.lastSend = now

	sctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if err := r.send(sctx, pushes); err != nil {
		if r.healthy.Swap(false) {
			r.log.WarnContext(ctx, "rate limiter lost Redis; failing open", "error", err.Error())
		}
		// Counts made while healthy stay pending and are pushed on recovery.
		for _, p := range pushes {
			r.queue(p.dueWindow)
		}
		return
	}
	if !r.healthy.Swap(true) {
		r.log.InfoContext(ctx, "rate limiter reached Redis again; limits enforced")
	}
}

// takeDue empties the list of due windows into pushes. A window leaves the
// list before its pending count is read, so a request counted after the
// read queues it again for the next sync. A window whose key has expired
// in Redis is dropped.
func (r *RateLimiter) takeDue(now time.Time) []push {
	r.dueMu.Lock()
	due := r.due
	r.due = nil
	r.dueMu.Unlock()
	pushes := make([]push, 0, len(due))
	for _, d := range due {
		d.w.queued.Store(false)
		if n := d.w.pending.Load(); n > 0 && now.Before(d.w.expiresAt()) {
			pushes = append(pushes, push{dueWindow: d, delta: n})
		}
	}
	return pushes
}

// push is one window's counts on their way to Redis.
type push struct {
	dueWindow
	delta int64
	cmd   *goredis.IntCmd
}

// send adds the pushes' counts to Redis in one pipeline, each with its
// window's expiry; with none, it pings, to learn when Redis comes back.
// The total is stored before the pending counts are taken back, so a
// request racing the sync sees its counts twice (stricter), never not at
// all.
func (r *RateLimiter) send(ctx context.Context, pushes []push) error {
	if len(pushes) == 0 {
		return r.rdb.Ping(ctx).Err()
	}
	pipe := r.rdb.Pipeline()
	for i := range pushes {
		p := &pushes[i]
		key := p.redisKey()
		p.cmd = pipe.IncrBy(ctx, key, p.delta)
		pipe.ExpireAt(ctx, key, p.w.expiresAt())
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return err
	}
	for _, p := range pushes {
		p.w.global.Store(p.cmd.Val())
		p.w.pending.Add(-p.delta)
		p.w.synced.Store(true)
	}
	return nil
}

// expiresAt is when Redis may drop the window's key: a minute after it ends.
func (w *windowCounter) expiresAt() time.Time { return time.Unix(0, w.end).Add(time.Minute) }

// idSubjects holds the counters of subjects named by an id, a map per kind
// keyed by the id: the kinds are a handful of constants (agent, key), so
// finding a kind's map is a scan of a short list, and an entry is an id
// and a pointer rather than a whole RateSubject.
type idSubjects struct {
	mu   sync.Mutex // adding a kind
	list atomic.Pointer[[]idKind]
}

type idKind struct {
	kind     string
	counters *shardedMap[domain.ID, *subjectCounter]
}

// kinds is the list of kinds seen so far.
func (s *idSubjects) kinds() []idKind {
	if l := s.list.Load(); l != nil {
		return *l
	}
	return nil
}

// of is kind's map, made on first use.
func (s *idSubjects) of(kind string) *shardedMap[domain.ID, *subjectCounter] {
	for _, k := range s.kinds() {
		if k.kind == kind {
			return k.counters
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range s.kinds() {
		if k.kind == kind {
			return k.counters
		}
	}
	next := append(slices.Clone(s.kinds()), idKind{kind: kind, counters: newShardedMap[domain.ID, *subjectCounter](byID)})
	s.list.Store(&next)
	return next[len(next)-1].counters
}

// len is how many subjects named by an id have a counter.
func (s *idSubjects) len() int {
	n := 0
	for _, k := range s.kinds() {
		n += k.counters.len()
	}
	return n
}
