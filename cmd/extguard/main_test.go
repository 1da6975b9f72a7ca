package main

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/extguard/extguard/adapters/postgres/pgtest"
	"github.com/extguard/extguard/adapters/redis/redistest"
)

// buildBinary compiles extguard once for the end-to-end tests.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "extguard")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestAllServesReadyOnADatabaseThatDidNotExist is the newcomer's path:
// `extguard all` creates the database, migrates it, creates the first admin
// and answers /readyz with 200; SIGTERM stops it cleanly.
func TestAllServesReadyOnADatabaseThatDidNotExist(t *testing.T) {
	bin := buildBinary(t)
	addr := freeAddr(t)
	dbURL := pgtest.UnusedDatabaseURL(t)
	cmd := exec.Command(bin, "all")
	cmd.Env = append(os.Environ(),
		"EXTGUARD_DATABASE_URL="+dbURL,
		"EXTGUARD_REDIS_URL="+redistest.URL(t),
		"EXTGUARD_HTTP_ADDR="+addr,
		"EXTGUARD_ADMIN_EMAIL=first@example.com",
		"EXTGUARD_ADMIN_PASSWORD=a-long-enough-passphrase",
	)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill() //nolint:errcheck

	status, body := waitReady(t, "http://"+addr+"/readyz", &logs)
	if status != http.StatusOK || !strings.Contains(body, `"ready":true`) {
		t.Fatalf("readyz %d %s\nlogs:\n%s", status, body, logs.String())
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGINT: %v\nlogs:\n%s", err, logs.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("did not stop within 30 s of SIGINT\nlogs:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "first admin created") {
		t.Fatalf("the first admin was not created:\n%s", logs.String())
	}
}

func waitReady(t *testing.T, url string, logs *bytes.Buffer) (int, string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return resp.StatusCode, string(b)
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("never ready\nlogs:\n%s", logs.String())
	return 0, ""
}

func TestBadConfigurationNamesTheVariable(t *testing.T) {
	var stderr bytes.Buffer
	code := run([]string{"serve"}, func(k string) string {
		if k == "EXTGUARD_STALE_SCAN_INTERVAL" {
			return "sometimes"
		}
		return ""
	}, io.Discard, &stderr)
	if code != 2 || !strings.Contains(stderr.String(), "EXTGUARD_STALE_SCAN_INTERVAL") {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
}

func TestUnknownCommandsAndVersion(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"frobnicate"}, func(string) string { return "" }, &out, &errb); code != 2 ||
		!strings.Contains(errb.String(), "unknown command") {
		t.Fatalf("unknown command: %d %q", code, errb.String())
	}
	if code := run([]string{"version"}, func(string) string { return "" }, &out, &errb); code != 0 ||
		!strings.Contains(out.String(), "extguard dev") {
		t.Fatalf("version: %d %q", code, out.String())
	}
	if code := run([]string{"migrate", "down", "zero"}, func(string) string { return "" }, &out, &errb); code != 2 {
		t.Fatalf("migrate down zero: %d", code)
	}
}
