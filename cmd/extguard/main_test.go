package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

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
	// The console is mounted: / leads to its login page.
	resp, err := http.Get("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/console/login" || !strings.Contains(string(page), `name="password"`) {
		t.Fatalf("/ answered %d at %s", resp.StatusCode, resp.Request.URL)
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

// TestEveryCommandAnswersHelpWithoutRunning: --help and -h print the
// command's usage on stdout and exit 0 at once, whatever the command; none
// starts a server, reads the configuration or connects anywhere (the
// configuration here is invalid, so reading it would exit 2).
func TestEveryCommandAnswersHelpWithoutRunning(t *testing.T) {
	bin := buildBinary(t)
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}, {"serve", "--help"}, {"serve", "-h"}, {"worker", "--help"},
		{"all", "-h"}, {"migrate", "--help"}, {"migrate", "up", "--help"}, {"migrate", "status", "-h"},
		{"migrate", "down", "2", "--help"}, {"version", "--help"}, {"feeds", "--help"}, {"feeds", "import", "-h"}, {"policy", "--help"}, {"policy", "plan", "-h"}} {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Env = append(os.Environ(), "EXTGUARD_HTTP_ADDR=no-port", "EXTGUARD_DATABASE_URL=mysql://nowhere/x")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		cancel()
		want := "usage: extguard "
		if args[0] != "--help" && args[0] != "-h" && args[0] != "help" {
			want += args[0]
		}
		if err != nil || !strings.HasPrefix(stdout.String(), want) {
			t.Errorf("extguard %s: %v (a timeout means it started running)\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, stdout.String(), stderr.String())
		}
	}
}

// TestCommandLinesThatCannotRunExit2 before anything is read or opened.
func TestCommandLinesThatCannotRunExit2(t *testing.T) {
	noConfig := func(k string) string {
		t.Errorf("the configuration was read (%s) for a command line that cannot run", k)
		return ""
	}
	for _, args := range [][]string{{"serve", "extra"}, {"version", "now"}, {"migrate"}, {"migrate", "sideways"},
		{"migrate", "status", "all"}, {"migrate", "down", "0"}, {"migrate", "down", "1", "2"}, {"migrate", "up", "3"}} {
		var stderr bytes.Buffer
		if code := run(args, noConfig, io.Discard, &stderr); code != 2 || !strings.Contains(stderr.String(), "usage: extguard "+args[0]) {
			t.Errorf("extguard %s: exit %d, stderr %q; want 2 with the command's usage", strings.Join(args, " "), code, stderr.String())
		}
	}
}

func TestABadListenAddressIsAConfigurationError(t *testing.T) {
	var stderr bytes.Buffer
	code := run([]string{"serve"}, func(k string) string {
		if k == "EXTGUARD_HTTP_ADDR" {
			return "8080"
		}
		return ""
	}, io.Discard, &stderr)
	if code != 2 || !strings.Contains(stderr.String(), "configuration error") || !strings.Contains(stderr.String(), "EXTGUARD_HTTP_ADDR") {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
}

// TestOnlyMigrateUpCreatesTheDatabase: status and down on a database that
// does not exist fail and leave none behind; up creates it.
func TestOnlyMigrateUpCreatesTheDatabase(t *testing.T) {
	dbURL := pgtest.UnusedDatabaseURL(t)
	getenv := func(k string) string {
		if k == "EXTGUARD_DATABASE_URL" {
			return dbURL
		}
		return ""
	}
	for _, args := range [][]string{{"migrate", "status"}, {"migrate", "down"}} {
		var stderr bytes.Buffer
		if code := run(args, getenv, io.Discard, &stderr); code != 1 || !strings.Contains(stderr.String(), "does not exist") {
			t.Errorf("%v on a missing database: exit %d, %s", args, code, stderr.String())
		}
		if databaseExists(t, dbURL) {
			t.Fatalf("%v created the database", args)
		}
	}
	if code := run([]string{"migrate", "up"}, getenv, io.Discard, io.Discard); code != 0 || !databaseExists(t, dbURL) {
		t.Fatalf("migrate up: exit %d, database created: %v", code, databaseExists(t, dbURL))
	}
	var out bytes.Buffer
	if code := run([]string{"migrate", "status"}, getenv, &out, io.Discard); code != 0 || !strings.HasPrefix(out.String(), "applied ") ||
		strings.Contains(out.String(), "pending") {
		t.Fatalf("migrate status after up: exit %d\n%s", code, out.String())
	}
}

func databaseExists(t *testing.T, dbURL string) bool {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, pgtest.ServerURL())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", strings.TrimPrefix(u.Path, "/")).Scan(&exists); err != nil {
		t.Fatal(err)
	}
	return exists
}
