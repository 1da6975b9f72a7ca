package redis

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

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
