package redis

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/extguard/extguard/adapters/logging"
)

// During an outage go-redis logs every failed dial; those lines must reach
// the JSON stream as JSON, and few of them.
func TestClientLogsAreJSONAndRateLimited(t *testing.T) {
	var buf bytes.Buffer
	RouteClientLogs(logging.New("info", "json", &buf))
	// A pool that cannot dial logs from go-redis itself.
	c := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:1", MaxRetries: 3, MinRetryBackoff: time.Millisecond,
		MaxRetryBackoff: time.Millisecond, DialTimeout: 50 * time.Millisecond, PoolSize: 1})
	defer c.Close()
	end := time.Now().Add(500 * time.Millisecond)
	for time.Now().Before(end) {
		_ = c.Ping(context.Background()).Err()
	}
	lines := 0
	sc := bufio.NewScanner(&buf)
	for sc.Scan() {
		lines++
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("not JSON: %q", sc.Text())
		}
		if m["library"] != "go-redis" || m["level"] != "WARN" {
			t.Fatalf("line not tagged as go-redis's: %s", sc.Text())
		}
	}
	if lines != 1 {
		t.Fatalf("%d lines in 0.5 s of failed dials, want 1:\n%s", lines, buf.String())
	}
}

func TestClientLogSaysHowManyLinesItLeftOut(t *testing.T) {
	var buf bytes.Buffer
	l := newClientLog(logging.New("info", "json", &buf), 30*time.Millisecond)
	for range 5 {
		l.Printf(context.Background(), "dial %s: refused", "x")
	}
	time.Sleep(40 * time.Millisecond)
	l.Printf(context.Background(), "dial %s: refused", "x")
	got := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(got) != 2 || !strings.Contains(got[0], `"msg":"dial x: refused"`) || !strings.Contains(got[1], `"left_out":4`) {
		t.Fatalf("want the first line, then one saying 4 were left out; got:\n%s", buf.String())
	}
}
