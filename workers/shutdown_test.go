package workers

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/extguard/extguard/domain/audit"
)

// slowReceiver answers 200 after delay, counting requests started.
func slowReceiver(t *testing.T, delay *atomic.Int64, started chan<- struct{}) *httptest.Server {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // net/http notices a client leaving only once the body is read
		select {
		case started <- struct{}{}:
		default:
		}
		select {
		case <-time.After(time.Duration(delay.Load())):
			w.WriteHeader(http.StatusOK)
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(s.Close)
	return s
}

func TestShutdownLetsARunningDeliveryFinish(t *testing.T) {
	h := newHarness(t, harnessConfig{allowPrivate: true})
	var delay atomic.Int64
	delay.Store(int64(500 * time.Millisecond))
	started := make(chan struct{}, 1)
	rcv := slowReceiver(t, &delay, started)
	h.webhookFor(rcv.URL, newSecret(t), string(audit.UserUpdated))
	stop := h.start(h.serverWithGrace(3*time.Second), h.relayRunner())
	ev := h.appendEvent(audit.UserUpdated, nil)
	select {
	case <-started:
	case <-time.After(5 * time.Second):
		t.Fatal("delivery never started")
	}
	stop() // while the receiver is still answering
	if n := h.count(`SELECT count(*) FROM webhook_deliveries WHERE audit_id = ? AND status = 'delivered'`, ev.ID().String()); n != 1 {
		t.Error("the running delivery did not finish within the shutdown grace")
	}
}

func TestShutdownCutsALongDeliveryShortAndItIsDeliveredAfterRestart(t *testing.T) {
	h := newHarness(t, harnessConfig{allowPrivate: true})
	var delay atomic.Int64
	delay.Store(int64(time.Minute))
	started := make(chan struct{}, 1)
	rcv := slowReceiver(t, &delay, started)
	h.webhookFor(rcv.URL, newSecret(t), string(audit.UserDeleted))
	stop := h.start(h.serverWithGrace(200*time.Millisecond), h.relayRunner())
	ev := h.appendEvent(audit.UserDeleted, nil)
	select {
	case <-started:
	case <-time.After(5 * time.Second):
		t.Fatal("delivery never started")
	}
	stop()
	if n := h.count(`SELECT count(*) FROM webhook_deliveries WHERE audit_id = ? AND status = 'pending'`, ev.ID().String()); n != 1 {
		t.Fatal("a cut-short delivery is no longer pending")
	}
	eventually(t, 2*time.Second, "the cut-short attempt is recorded", func() bool {
		return h.count(`SELECT count(*) FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id
			WHERE d.audit_id = ? AND a.error LIKE '%context canceled%'`, ev.ID().String()) == 1
	})
	delay.Store(0)
	h.start(h.server(), h.relayRunner())
	eventually(t, 15*time.Second, "delivered after the restart", func() bool {
		return h.count(`SELECT count(*) FROM webhook_deliveries WHERE audit_id = ? AND status = 'delivered'`, ev.ID().String()) == 1
	})
}
