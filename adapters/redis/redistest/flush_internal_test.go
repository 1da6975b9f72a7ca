package redistest

import (
	"context"
	"strings"
	"testing"
)

// Flush may only ever empty the server this test binary started: a server
// with another run_id keeps its keys, and the developer's default port is
// refused before anything is sent to it.
func TestFlushRefusesEveryServerButOurs(t *testing.T) {
	c := Client(t)
	ctx := context.Background()
	if err := c.Set(ctx, "redistest:kept", "1", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := flushIfOurs(Addr(t), "another-servers-run-id"); err == nil || !strings.Contains(err.Error(), "refusing") {
		t.Fatalf("a foreign run_id: %v, want a refusal", err)
	}
	if n, err := c.Exists(ctx, "redistest:kept").Result(); err != nil || n != 1 {
		t.Fatalf("after a refused flush the key is gone: %d %v", n, err)
	}
	for _, addr := range []string{"127.0.0.1:6379", "localhost:6379", "[::1]:6379", "no-port"} {
		if err := flushIfOurs(addr, runID); err == nil {
			t.Errorf("%s: flushed, want a refusal without connecting", addr)
		}
	}
	Flush(t)
	if n, err := c.Exists(ctx, "redistest:kept").Result(); err != nil || n != 0 {
		t.Fatalf("our own server was not flushed: %d %v", n, err)
	}
}
