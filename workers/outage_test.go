package workers

import (
	"net/http"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/extguard/extguard/adapters/redis/redistest"
	"github.com/extguard/extguard/domain/audit"
)

// proxyOptions are the test Redis options through p, with timeouts short
// enough for an outage to show within the test.
func proxyOptions(t *testing.T, p *redistest.Proxy) *goredis.Options {
	o := *redistest.Options(t)
	o.Addr = p.Addr
	o.DialTimeout, o.ReadTimeout, o.WriteTimeout = 300*time.Millisecond, 500*time.Millisecond, 500*time.Millisecond
	o.MaxRetries = -1
	return &o
}

func TestRedisOutageDelaysDeliveriesAndLosesNone(t *testing.T) {
	flush(t)
	proxy := redistest.NewProxy(t, redistest.Options(t).Addr)
	h := newHarness(t, harnessConfig{redis: proxyOptions(t, proxy), allowPrivate: true})
	secret := newSecret(t)
	rcv := newReceiver(t, []string{secret}, http.StatusOK)
	h.webhookFor(rcv.URL, secret, string(audit.AssignmentSet))
	h.start(h.server(), h.relayRunner())

	var events []audit.Event
	events = append(events, h.appendEvent(audit.AssignmentSet, map[string]any{"phase": "before"}))
	eventually(t, 5*time.Second, "delivery before the outage", func() bool { return rcv.ids()[events[0].ID().String()] > 0 })

	proxy.Cut()
	for i := range 20 {
		events = append(events, h.appendEvent(audit.AssignmentSet, map[string]any{"phase": "during", "i": i}))
	}
	time.Sleep(time.Second) // the relay keeps failing; the changes are committed all the same
	if n := h.count(`SELECT count(*) FROM webhook_deliveries d JOIN audit_log a ON a.id = d.audit_id
		WHERE a.details->>'phase' = 'during' AND d.status = 'pending'`); n != 20 {
		t.Fatalf("%d deliveries wait in PostgreSQL during the outage, want 20", n)
	}
	proxy.Restore(t)
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
