// Package redistest gives each test binary a Redis server of its own: a
// private redis-server on a free loopback port, started on first use and
// killed when the test binary exits. Tests therefore never read, write or
// flush a Redis that somebody else uses (the developer's local server keeps
// whatever it holds). A missing redis-server fails the tests; it never skips
// them.
package redistest

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Binary is the redis-server to start: EXTGUARD_TEST_REDIS_SERVER, or
// redis-server from PATH.
func Binary() string {
	if v := os.Getenv("EXTGUARD_TEST_REDIS_SERVER"); v != "" {
		return v
	}
	return "redis-server"
}

var (
	once     sync.Once
	addr     string
	runID    string // the started server's INFO run_id, so Flush can prove it is ours
	startErr error
)

// URL returns the URL of database 0 on this test binary's private server.
func URL(t testing.TB) string {
	t.Helper()
	return "redis://" + Addr(t) + "/0"
}

// Addr returns host:port of this test binary's private server.
func Addr(t testing.TB) string {
	t.Helper()
	once.Do(func() {
		if addr, startErr = start(); startErr == nil {
			runID, startErr = serverRunID(addr)
		}
	})
	if startErr != nil {
		t.Fatalf("redistest: a redis-server binary is required for these tests (%s): %v", Binary(), startErr)
	}
	return addr
}

// Client returns a client on this test binary's server, closed when the test
// ends.
func Client(t testing.TB) *redis.Client {
	t.Helper()
	c := redis.NewClient(Options(t))
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// Options returns the go-redis options for this test binary's server.
func Options(t testing.TB) *redis.Options {
	t.Helper()
	return &redis.Options{Addr: Addr(t)}
}

// Flush empties this test binary's own server, for tests that need a clean
// queue. It refuses any other server: the run_id it reads first must be the
// one the server answered when this binary started it, so a developer's
// Redis can never be flushed by a test, whatever address reaches it.
func Flush(t testing.TB) {
	t.Helper()
	if err := flushIfOurs(Addr(t), runID); err != nil {
		t.Fatal(err)
	}
}

// developersPort is Redis's default port: whatever answers there is someone
// else's server, never one this package started (it picks free ports).
const developersPort = "6379"

// flushIfOurs flushes the server at addr only if it is the one whose run_id
// is want. The check and the FLUSHDB go over one connection, so the server
// checked is the server flushed.
func flushIfOurs(addr, want string) error {
	if _, port, err := net.SplitHostPort(addr); err != nil || port == developersPort || want == "" {
		return fmt.Errorf("redistest: refusing to flush %s: not a server this test binary started", addr)
	}
	ctx := context.Background()
	c := redis.NewClient(&redis.Options{Addr: addr, PoolSize: 1})
	defer c.Close()
	conn := c.Conn()
	defer conn.Close()
	id, err := runIDOf(ctx, conn)
	if err != nil || id != want {
		return fmt.Errorf("redistest: refusing to flush %s: run_id %q is not the server this test binary started (%q): %v", addr, id, want, err)
	}
	return conn.FlushDB(ctx).Err()
}

func serverRunID(a string) (string, error) {
	c := redis.NewClient(&redis.Options{Addr: a})
	defer c.Close()
	return runIDOf(context.Background(), c)
}

func runIDOf(ctx context.Context, c interface {
	Info(context.Context, ...string) *redis.StringCmd
}) (string, error) {
	info, err := c.Info(ctx, "server").Result()
	if err != nil {
		return "", err
	}
	for line := range strings.SplitSeq(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "run_id:"); ok {
			return v, nil
		}
	}
	return "", fmt.Errorf("no run_id in INFO server")
}

// start launches redis-server on a free port. A port picked by the kernel can
// be taken by someone else before redis binds it, so a failed start is tried
// again on another port.
func start() (string, error) {
	var lastErr error
	for range 5 {
		port, err := freePort()
		if err != nil {
			return "", err
		}
		a, err := launch(port)
		if err == nil {
			return a, nil
		}
		lastErr = err
	}
	return "", lastErr
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func launch(port int) (string, error) {
	// Nothing is persisted: no RDB snapshots, no AOF, the working directory is
	// the temporary directory and nothing is written to it.
	cmd := exec.Command(Binary(),
		"--bind", "127.0.0.1", "--port", strconv.Itoa(port),
		"--save", "", "--appendonly", "no", "--dir", os.TempDir(),
		"--daemonize", "no", "--loglevel", "warning", "--logfile", "")
	// The server dies with the test binary, however the binary ends.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", err
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		return "", err
	}
	logs := collect(out)
	a := "127.0.0.1:" + strconv.Itoa(port)
	if err := waitReady(a, 10*time.Second); err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return "", fmt.Errorf("%w; server said: %s", err, logs())
	}
	go func() { _ = cmd.Wait() }()
	return a, nil
}

// collect keeps the server's first lines of output for an error message.
func collect(r interface{ Read([]byte) (int, error) }) func() string {
	var mu sync.Mutex
	var lines []string
	go func() {
		s := bufio.NewScanner(r)
		for s.Scan() {
			mu.Lock()
			if len(lines) < 20 {
				lines = append(lines, s.Text())
			}
			mu.Unlock()
		}
	}()
	return func() string {
		mu.Lock()
		defer mu.Unlock()
		return strings.Join(lines, " | ")
	}
}

func waitReady(a string, limit time.Duration) error {
	c := redis.NewClient(&redis.Options{Addr: a, MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	defer c.Close()
	deadline := time.Now().Add(limit)
	for {
		err := c.Ping(context.Background()).Err()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("redis-server on %s not ready after %s: %w", a, limit, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
