package redis

import (
	"bytes"
	"context"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/extguard/extguard/adapters/redis/redistest"
)

// Stopping the process is not losing the invalidation channel: the caches
// stop being trusted, but nothing is logged as a warning.
func TestBusStopsQuietly(t *testing.T) {
	var logs bytes.Buffer // written by Run's goroutine only, read after it ends
	bus := NewBus(redistest.Client(t), slog.New(slog.NewTextHandler(&logs, nil)))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = bus.Run(ctx); close(done) }()
	for deadline := time.Now().Add(5 * time.Second); !bus.Connected(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("bus never connected")
		}
	}
	cancel()
	<-done
	if bus.Connected() {
		t.Fatal("caches still trusted after the bus stopped")
	}
	if strings.Contains(logs.String(), "level=WARN") {
		t.Fatalf("a normal stop logged a warning:\n%s", logs.String())
	}
}

// Invalidations travel on a channel named after the Redis database index:
// pub/sub ignores the index, and two deployments (or two test packages)
// on one Redis must not empty each other's caches.
func TestBusPublishesOnItsDatabasesChannel(t *testing.T) {
	rdb := redistest.Client(t)
	ctx := context.Background()
	ps := rdb.Subscribe(ctx, "extguard:invalidate:"+strconv.Itoa(rdb.Options().DB), "extguard:invalidate")
	defer ps.Close()
	for range 2 {
		if _, err := ps.ReceiveTimeout(ctx, 5*time.Second); err != nil { // the two subscribe confirmations
			t.Fatal(err)
		}
	}
	NewBus(rdb, slog.New(slog.DiscardHandler)).Publish(ctx, "policy", "g1")
	want := "extguard:invalidate:" + strconv.Itoa(rdb.Options().DB)
	for { // other tests of this package may publish on it too
		m, err := ps.ReceiveTimeout(ctx, 5*time.Second)
		if err != nil {
			t.Fatalf("policy:g1 never arrived on %s: %v", want, err)
		}
		msg, ok := m.(*goredis.Message)
		if !ok {
			continue
		}
		if msg.Channel != want {
			t.Fatalf("published %q on %q, want it on %q", msg.Payload, msg.Channel, want)
		}
		if msg.Payload == "policy:g1" {
			return
		}
	}
}
