// Package redis holds what extguard keeps in Redis: the invalidation bus that
// keeps every instance's in-process caches honest, those caches (API keys,
// agents, compiled policies) and the shared rate limiter. Redis is never on
// the critical path: while it is unreachable the caches step aside (reads go
// to PostgreSQL) and rate limits fail open.
package redis

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
)

// channelPrefix names the pub/sub channel invalidations travel on:
// channelPrefix:<database index>. Pub/sub ignores Redis's database index,
// so without it deployments (or test packages) sharing one Redis on
// different indexes would empty each other's caches.
const channelPrefix = "extguard:invalidate"

// invalidationChannel is the channel of the buses on rdb's database.
func invalidationChannel(rdb *goredis.Client) string {
	return channelPrefix + ":" + strconv.Itoa(rdb.Options().DB)
}

const instrumentationName = "github.com/extguard/extguard/adapters/redis"

// Bus publishes and receives cache invalidations. Messages are
// "<topic>:<id>". Pub/sub delivers at most once and only to connected
// subscribers, so the bus also tracks whether its subscription is live: the
// caches are used only while it is, and are emptied whenever it comes
// (back) up, since invalidations may have been missed in between.
type Bus struct {
	rdb     *goredis.Client
	channel string
	log     *slog.Logger

	mu       sync.Mutex
	handlers map[string][]func(id string)
	resets   []func()

	connected atomic.Bool
	// publishFailures and downs are counted for /metrics.
	publishFailures metric.Int64Counter
	downs           metric.Int64Counter
}

// NewBus returns a bus on rdb; it receives nothing until Run.
func NewBus(rdb *goredis.Client, log *slog.Logger) *Bus {
	m := otel.Meter(instrumentationName)
	pf, _ := m.Int64Counter("extguard.cache.invalidation.publish_failures",
		metric.WithDescription("invalidations that could not be published to Redis"))
	downs, _ := m.Int64Counter("extguard.cache.invalidation.disconnects",
		metric.WithDescription("times the invalidation subscription was lost (caches bypassed until it returns)"))
	return &Bus{rdb: rdb, channel: invalidationChannel(rdb), log: log, handlers: map[string][]func(string){}, publishFailures: pf, downs: downs}
}

// Connected reports whether the subscription is live, i.e. whether
// invalidations published now will reach this instance.
func (b *Bus) Connected() bool { return b.connected.Load() }

// Handle registers fn for messages of topic.
func (b *Bus) Handle(topic string, fn func(id string)) {
	b.mu.Lock()
	b.handlers[topic] = append(b.handlers[topic], fn)
	b.mu.Unlock()
}

// OnReset registers fn to run whenever the subscription goes down or comes up.
func (b *Bus) OnReset(fn func()) {
	b.mu.Lock()
	b.resets = append(b.resets, fn)
	b.mu.Unlock()
}

// Publish delivers topic:id to this instance at once, then to every other
// instance through Redis. A failed publish is logged and counted: the
// other instances cannot hear it, but the same outage has taken their
// subscriptions down too, so they are not using their caches.
func (b *Bus) Publish(ctx context.Context, topic, id string) {
	b.dispatch(topic + ":" + id)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	defer cancel()
	if err := b.rdb.Publish(ctx, b.channel, topic+":"+id).Err(); err != nil {
		b.publishFailures.Add(ctx, 1)
		b.log.WarnContext(ctx, "publishing a cache invalidation failed", "topic", topic, "id", id, "error", err.Error())
	}
}

func (b *Bus) dispatch(msg string) {
	topic, id, ok := strings.Cut(msg, ":")
	if !ok {
		return
	}
	b.mu.Lock()
	hs := append([]func(string){}, b.handlers[topic]...)
	b.mu.Unlock()
	for _, h := range hs {
		h(id)
	}
}

func (b *Bus) reset() {
	b.mu.Lock()
	rs := append([]func(){}, b.resets...)
	b.mu.Unlock()
	for _, r := range rs {
		r()
	}
}

// setConnected records a change of the subscription's state. Caches are
// emptied before they are trusted again and as soon as they are not.
func (b *Bus) setConnected(ctx context.Context, up bool) {
	if b.connected.Load() == up {
		return
	}
	if up {
		b.reset()
		b.connected.Store(true)
		b.log.InfoContext(ctx, "cache invalidation channel connected; local caches in use")
		return
	}
	b.connected.Store(false)
	b.reset()
	b.downs.Add(ctx, 1)
	b.log.WarnContext(ctx, "cache invalidation channel lost; local caches bypassed until Redis returns")
}

// stopped stops trusting the caches when Run ends: a normal stop, not a
// lost channel, so it neither warns nor counts as an outage.
func (b *Bus) stopped() {
	if b.connected.Swap(false) {
		b.reset()
	}
}

// pingEvery is how often a quiet subscription is checked; a connection
// whose pong has not come back within pongWithin is taken for dead. Only a
// dead connection loses invalidations (a slow one delivers them late), so
// the limit is generous: a busy machine must not make the caches flap.
const (
	pingEvery  = time.Second
	pongWithin = 5 * time.Second
)

// Run keeps the subscription alive until ctx ends.
func (b *Bus) Run(ctx context.Context) error {
	defer b.stopped()
	for ctx.Err() == nil {
		b.subscribe(ctx)
		select {
		case <-ctx.Done():
		case <-time.After(250 * time.Millisecond):
		}
	}
	return nil
}

// subscribe holds one subscription until it fails.
func (b *Bus) subscribe(ctx context.Context) {
	ps := b.rdb.Subscribe(ctx, b.channel)
	defer ps.Close()
	// Closing the subscription is what unblocks a pending receive when ctx ends.
	stop := context.AfterFunc(ctx, func() { _ = ps.Close() })
	defer stop()
	var pingedAt time.Time // zero: no ping outstanding
	for ctx.Err() == nil {
		msg, err := ps.ReceiveTimeout(ctx, pingEvery)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				switch {
				case pingedAt.IsZero():
					// Quiet: prove the connection alive with a ping.
					if perr := ps.Ping(ctx); perr == nil {
						pingedAt = time.Now()
						continue
					}
				case time.Since(pingedAt) < pongWithin:
					continue
				}
			}
			if ctx.Err() == nil {
				b.setConnected(ctx, false)
			}
			return
		}
		pingedAt = time.Time{}
		switch m := msg.(type) {
		case *goredis.Subscription:
			if m.Kind == "subscribe" {
				b.setConnected(ctx, true)
			}
		case *goredis.Message:
			b.dispatch(m.Payload)
		case *goredis.Pong:
		}
	}
}
