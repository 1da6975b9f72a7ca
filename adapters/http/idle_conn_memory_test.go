package httpapi_test

import (
	"bufio"
	"io"
	"log/slog"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	httpapi "github.com/extguard/extguard/adapters/http"
)

// A fleet's agents keep their connection between heartbeats (Go's client
// keeps an idle connection 90 s, a heartbeat comes every 60 s, the server
// closes after IdleTimeout, 120 s), so a server holds one idle keep-alive
// connection per agent: what one costs is a fleet-sized share of its RSS.
// The fleet simulator pools its connections and never shows it.
//
//	go test -run '^$' -bench IdleConnectionHeap -benchtime 1x ./adapters/http/
func BenchmarkIdleConnectionHeap(b *testing.B) {
	const conns = 4000
	pingModule := moduleFunc(func(app *fiber.App) {
		app.Get("/ping", func(c *fiber.Ctx) error { return c.SendString(`{"ok":true}`) })
	})
	cfg := httpapi.DefaultServerConfig()
	cfg.SpansRecorded = false
	for _, s := range []struct {
		name string
		app  func() *fiber.App
	}{
		{"AsServed", func() *fiber.App { return httpapi.NewApp(cfg, slog.New(slog.DiscardHandler), pingModule) }},
		{"ReduceMemoryUsage", func() *fiber.App {
			app := fiber.New(fiber.Config{DisableStartupMessage: true, ReadTimeout: cfg.ReadTimeout, WriteTimeout: cfg.WriteTimeout,
				IdleTimeout: cfg.IdleTimeout, ReduceMemoryUsage: true})
			pingModule.Register(app)
			return app
		}},
	} {
		b.Run(s.name, func(b *testing.B) {
			var perConn float64
			for b.Loop() {
				perConn = idleConnectionHeap(b, s.app(), conns)
			}
			b.ReportMetric(perConn, "B/conn")
		})
	}
}

type moduleFunc func(app *fiber.App)

func (f moduleFunc) Register(app *fiber.App) { f(app) }

// idleConnectionHeap serves app, opens n connections that each make one
// request and then stay open, and returns the heap and stacks they add
// per connection (the client's side, a raw socket each, is a few hundred
// bytes of it).
func idleConnectionHeap(b *testing.B, app *fiber.App, n int) float64 {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go func() { _ = app.Listener(ln) }()
	defer func() { _ = app.Shutdown() }()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	open := make([]net.Conn, 0, n)
	defer func() {
		for _, c := range open {
			_ = c.Close()
		}
	}()
	for range n {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			b.Fatal(err)
		}
		open = append(open, c)
		if _, err := io.WriteString(c, "GET /ping HTTP/1.1\r\nHost: extguard\r\n\r\n"); err != nil {
			b.Fatal(err)
		}
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		line, err := bufio.NewReaderSize(c, 16).ReadString('\n')
		if err != nil || line != "HTTP/1.1 200 OK\r\n" {
			b.Fatalf("answer %q, %v", line, err)
		}
	}
	time.Sleep(200 * time.Millisecond) // every handler back to waiting on its idle connection
	runtime.GC()
	runtime.ReadMemStats(&after)
	used := func(m runtime.MemStats) float64 { return float64(m.HeapAlloc + m.StackInuse) }
	return (used(after) - used(before)) / float64(n)
}
