package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/extguard/extguard/adapters/config"
	"github.com/extguard/extguard/adapters/logging"
	"github.com/extguard/extguard/adapters/postgres/pgtest"
	"github.com/extguard/extguard/adapters/redis/redistest"
)

// A whole `extguard all` run, start to stop (this file's name sorts it after
// observability_test.go on purpose: tracers that packages obtain at start-up
// follow the first tracer provider set in the binary, which must be that
// test's recorder, not this run's): every line is JSON without a
// repeated key, and stopping writes one line, which says how long it took.
func TestAllLogsParseableLinesAndOneAtShutdown(t *testing.T) {
	env := map[string]string{"EXTGUARD_DATABASE_URL": pgtest.DSN(t), "EXTGUARD_REDIS_URL": redistest.URL(t),
		"EXTGUARD_HTTP_ADDR": "127.0.0.1:0", "EXTGUARD_STALE_SCAN_INTERVAL": "1s"}
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- runProcess(ctx, "all", cfg, logging.New("info", "json", logs)) }()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(logs.String(), `"msg":"extguard started"`) {
		if time.Now().After(deadline) {
			t.Fatalf("not started within 30 s:\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(time.Second) // the workers' first runs
	before := len(lines(logs.String()))
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	all := lines(logs.String())
	for _, l := range all {
		if k := repeatedKey(t, l); k != "" {
			t.Errorf("key %q twice in %s", k, l)
		}
	}
	after := all[before:]
	if len(after) != 1 || !strings.Contains(after[0], `"msg":"extguard stopped"`) {
		t.Fatalf("stopping wrote %d lines, want one \"extguard stopped\":\n%s", len(after), strings.Join(after, "\n"))
	}
	var stopped struct{ Shutdown string }
	if err := json.Unmarshal([]byte(after[0]), &stopped); err != nil {
		t.Fatal(err)
	}
	if _, err := time.ParseDuration(stopped.Shutdown); err != nil {
		t.Fatalf("shutdown duration %q is not a duration a person reads: %v", stopped.Shutdown, err)
	}
}

func lines(s string) []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}

// repeatedKey is a key that appears twice in the line's top-level object
// (encoding/json would keep the last silently; collectors disagree).
func repeatedKey(t *testing.T, line string) string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader([]byte(line)))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not a JSON object: %s", line)
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		key := tok.(string)
		if seen[key] {
			return key
		}
		seen[key] = true
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
	}
	return ""
}
