package httpapi_test

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/extguard/extguard/application"
)

// Benchmarks of each agent endpoint through the real router (middleware,
// gate, use case, JSON) on PostgreSQL and Redis, calling fiber's handler
// directly so the figures are the server's cost per request, without a
// network client. The load run (make bench, cmd/extguard-load) measures
// the same paths over sockets against a yardstick.

type benchFleet struct {
	e      *agentEnv
	key    string
	agents []string
	etag   string
}

func newBenchFleet(b *testing.B, n int, o ...envOptions) *benchFleet {
	opts := envOptions{}
	if len(o) > 0 {
		opts = o[0]
	}
	opts.limits = &application.AgentRateLimits{PerKey: 1 << 30, PerAgent: 1 << 30, Window: time.Minute}
	e := newAgentEnv(b, opts)
	f := &benchFleet{e: e, key: e.key(e.group(`{"mode":"blocklist","enforcement":"enforce"}`))}
	for i := range n {
		f.agents = append(f.agents, e.enroll(f.key, fmt.Sprintf("bench-%s-%d", b.Name(), i)))
	}
	f.etag = e.heartbeat(f.key, f.agents[0]).json(b)["policy_etag"].(string)
	return f
}

// serve runs handler requests built by prepare from parallel goroutines.
func (f *benchFleet) serve(b *testing.B, want int, prepare func(req *fasthttp.Request, i int)) {
	serveHandler(b, f.e.app.Handler(), want, prepare)
}

// serveHandler runs h on requests built by prepare from parallel goroutines.
func serveHandler(b *testing.B, h fasthttp.RequestHandler, want int, prepare func(req *fasthttp.Request, i int)) {
	var seq atomic.Int64
	addr := &net.TCPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 4242}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var ctx fasthttp.RequestCtx
		var req fasthttp.Request
		for pb.Next() {
			req.Reset()
			prepare(&req, int(seq.Add(1)))
			ctx.ResetUserValues() // as fasthttp does per request (fiber keeps its context there)
			ctx.Init(&req, addr, nil)
			h(&ctx)
			if got := ctx.Response.StatusCode(); got != want {
				b.Fatalf("status %d, want %d: %s", got, want, ctx.Response.Body())
			}
		}
	})
}

func (f *benchFleet) agentRequest(req *fasthttp.Request, method, path string, i int) {
	req.Header.SetMethod(method)
	req.SetRequestURI(path)
	req.Header.Set("Authorization", "Bearer "+f.key)
	req.Header.Set("X-Agent-ID", f.agents[i%len(f.agents)])
}

// BenchmarkMinimalEndpoint is the yardstick of the heartbeat and 304
// benchmarks: a bare fiber app answering the heartbeat's request with a
// heartbeat-sized JSON body, through the same harness. The agent endpoints'
// ns/op over this one's is the price of the middleware, the gate and the
// use case.
func BenchmarkMinimalEndpoint(b *testing.B) {
	f := newBenchFleet(b, 100)
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Post("/api/v1/agent/heartbeat", func(c *fiber.Ctx) error {
		return c.JSON(fiber.Map{"policy_etag": f.etag, "heartbeat_interval_s": 60})
	})
	serveHandler(b, app.Handler(), 200, func(req *fasthttp.Request, i int) { f.agentRequest(req, "POST", "/api/v1/agent/heartbeat", i) })
}

func BenchmarkAgentHeartbeat(b *testing.B) {
	f := newBenchFleet(b, 100)
	f.serve(b, 200, func(req *fasthttp.Request, i int) { f.agentRequest(req, "POST", "/api/v1/agent/heartbeat", i) })
}

// BenchmarkAgentHeartbeatAsServed is a heartbeat as extguard serve answers
// it without a trace exporter (coarse clock, no span), among 2,000 agents:
// what issue 18's CPU bound is about.
func BenchmarkAgentHeartbeatAsServed(b *testing.B) {
	f := newBenchFleet(b, 2000, envOptions{asServed: true})
	f.serve(b, 200, func(req *fasthttp.Request, i int) {
		f.agentRequest(req, "POST", "/api/v1/agent/heartbeat", i*7919) // a stride: consecutive agents far apart in memory
		req.SetBody(heartbeatBody)
	})
}

// heartbeatBody is what extguard-agent sends with every heartbeat.
var heartbeatBody = []byte(`{"agent_version":"1.4.2"}`)

func BenchmarkAgentPolicyNotModified(b *testing.B) {
	f := newBenchFleet(b, 100)
	f.serve(b, 304, func(req *fasthttp.Request, i int) {
		f.agentRequest(req, "GET", "/api/v1/agent/policy", i)
		req.Header.Set("If-None-Match", f.etag)
	})
}

func BenchmarkAgentPolicyFull(b *testing.B) {
	f := newBenchFleet(b, 100)
	f.serve(b, 200, func(req *fasthttp.Request, i int) { f.agentRequest(req, "GET", "/api/v1/agent/policy", i) })
}

func BenchmarkAgentEnrollAgain(b *testing.B) {
	f := newBenchFleet(b, 1)
	f.serve(b, 200, func(req *fasthttp.Request, i int) {
		req.Header.SetMethod("POST")
		req.SetRequestURI("/api/v1/agent/enroll")
		req.Header.Set("Authorization", "Bearer "+f.key)
		req.SetBody(enrollBody(fmt.Sprintf("bench-%s-%d", b.Name(), 0)))
	})
}

// BenchmarkAgentReport50 posts 50-row reports from parallel clients, so the
// group commit gathers them into shared batches; rows/s is the figure.
func BenchmarkAgentReport50(b *testing.B) {
	f := newBenchFleet(b, 200)
	items := make([]string, 50)
	for j := range items {
		items[j] = installed("publisher"+strconv.Itoa(j%7)+".extension-"+strconv.Itoa(j), "1."+strconv.Itoa(j)+".0")
	}
	start := time.Now().Add(-time.Hour)
	b.SetParallelism(16)
	f.serve(b, 200, func(req *fasthttp.Request, i int) {
		f.agentRequest(req, "POST", "/api/v1/agent/reports", i)
		req.SetBody(reportBody(start.Add(time.Duration(i)*time.Second), items...))
	})
	b.ReportMetric(float64(b.N)*50/b.Elapsed().Seconds(), "rows/s")
	_ = context.Background()
}
