package workers

import (
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/extguard/extguard/adapters/redis/redistest"
	"github.com/extguard/extguard/domain/audit"
)

// redisProxy forwards TCP to the test Redis and can be taken down (every
// connection cut, new ones refused) and brought back on the same port: a
// Redis outage for the clients behind it, and for nobody else on the machine.
type redisProxy struct {
	t      *testing.T
	target string
	addr   string

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]struct{}
}

func newRedisProxy(t *testing.T) *redisProxy {
	opts := redistest.Options(t)
	p := &redisProxy{t: t, target: opts.Addr, conns: map[net.Conn]struct{}{}}
	p.up("127.0.0.1:0")
	p.addr = p.ln.Addr().String()
	t.Cleanup(p.down)
	return p
}

// options are the test Redis options, through the proxy.
func (p *redisProxy) options() *goredis.Options {
	o := *redistest.Options(p.t)
	o.Addr = p.addr
	o.DialTimeout, o.ReadTimeout, o.WriteTimeout = 300*time.Millisecond, 500*time.Millisecond, 500*time.Millisecond
	o.MaxRetries = -1
	return &o
}

func (p *redisProxy) up(addr string) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		p.t.Fatal(err)
	}
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.pipe(c)
		}
	}()
}

func (p *redisProxy) pipe(c net.Conn) {
	r, err := net.Dial("tcp", p.target)
	if err != nil {
		_ = c.Close()
		return
	}
	p.mu.Lock()
	p.conns[c], p.conns[r] = struct{}{}, struct{}{}
	p.mu.Unlock()
	go func() { _, _ = io.Copy(r, c); _ = r.Close() }()
	_, _ = io.Copy(c, r)
	_ = c.Close()
}

func (p *redisProxy) down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		_ = p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		_ = c.Close()
	}
	p.conns = map[net.Conn]struct{}{}
}

func (p *redisProxy) restart() { p.up(p.addr) }

func TestRedisOutageDelaysDeliveriesAndLosesNone(t *testing.T) {
	flush(t)
	proxy := newRedisProxy(t)
	h := newHarness(t, harnessConfig{redis: proxy.options(), allowPrivate: true})
	secret := newSecret(t)
	rcv := newReceiver(t, []string{secret}, http.StatusOK)
	h.webhookFor(rcv.URL, secret, string(audit.AssignmentSet))
	h.start(h.server(), h.relayRunner())

	var events []audit.Event
	events = append(events, h.appendEvent(audit.AssignmentSet, map[string]any{"phase": "before"}))
	eventually(t, 5*time.Second, "delivery before the outage", func() bool { return rcv.ids()[events[0].ID().String()] > 0 })

	proxy.down()
	for i := range 20 {
		events = append(events, h.appendEvent(audit.AssignmentSet, map[string]any{"phase": "during", "i": i}))
	}
	time.Sleep(time.Second) // the relay keeps failing; the changes are committed all the same
	if n := h.count(`SELECT count(*) FROM webhook_deliveries d JOIN audit_log a ON a.id = d.audit_id
		WHERE a.details->>'phase' = 'during' AND d.status = 'pending'`); n != 20 {
		t.Fatalf("%d deliveries wait in PostgreSQL during the outage, want 20", n)
	}
	proxy.restart()
	for i := range 5 {
		events = append(events, h.appendEvent(audit.AssignmentSet, map[string]any{"phase": "after", "i": i}))
	}
	eventually(t, 20*time.Second, "every audit event delivered after Redis came back", func() bool {
		ids := rcv.ids()
		for _, ev := range events {
			if ids[ev.ID().String()] == 0 {
				return false
			}
		}
		return true
	})
}

func TestRedisFlushedWithDeliveriesQueuedLosesNone(t *testing.T) {
	h := newHarness(t, harnessConfig{allowPrivate: true})
	secret := newSecret(t)
	rcv := newReceiver(t, []string{secret}, http.StatusOK)
	h.webhookFor(rcv.URL, secret, string(audit.BlocklistUpdated))
	// The relay queues them, but no worker runs yet.
	stopRelay := h.start(h.relayRunner())
	var events []audit.Event
	for i := range 10 {
		events = append(events, h.appendEvent(audit.BlocklistUpdated, map[string]any{"i": i}))
	}
	eventually(t, 5*time.Second, "deliveries queued", func() bool {
		return h.count(`SELECT count(*) FROM webhook_deliveries d JOIN audit_log a ON a.id = d.audit_id
			WHERE a.event_type = 'blocklist.updated' AND d.enqueued_at IS NOT NULL AND d.status = 'pending'`) >= 10
	})
	stopRelay()
	flush(t) // the queue loses every task
	h.start(h.server(), h.relayRunner())
	eventually(t, 20*time.Second, "every delivery re-queued by the reconciler and delivered", func() bool {
		ids := rcv.ids()
		for _, ev := range events {
			if ids[ev.ID().String()] == 0 {
				return false
			}
		}
		return true
	})
}
