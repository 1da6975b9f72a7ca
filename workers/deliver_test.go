package workers

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain/audit"
)

func TestWebhookDeliveredSignedAfterFailuresWithTheSameIDOnEveryAttempt(t *testing.T) {
	h := newHarness(t, harnessConfig{allowPrivate: true})
	secret, previous := newSecret(t), newSecret(t)
	rcv := newReceiver(t, []string{secret}, http.StatusServiceUnavailable, http.StatusInternalServerError, http.StatusNoContent)
	// A receiver still holding the previous secret during a rotation.
	old := newReceiver(t, []string{previous}, http.StatusOK)
	w := h.webhookFor(rcv.URL+"/hook?token=abc", secret, string(audit.UserCreated))
	wOld := h.webhookFor(old.URL, secret, string(audit.UserCreated))
	if _, err := h.db.NewRaw(`UPDATE webhooks SET previous_secret = ?, previous_secret_expires = now() + interval '1 day' WHERE id = ?`,
		previous, wOld.String()).Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	h.start(h.server(), h.relayRunner())

	ev := h.appendEvent(audit.UserCreated, map[string]any{"email": "new@example.com"})
	delivered := func(webhookID string) func() bool {
		return func() bool {
			return h.count(`SELECT count(*) FROM webhook_deliveries WHERE webhook_id = ? AND audit_id = ? AND status = 'delivered'`,
				webhookID, ev.ID().String()) == 1
		}
	}
	eventually(t, 10*time.Second, "delivery after two failures", delivered(w.String()))
	eventually(t, 5*time.Second, "delivery signed with both secrets during rotation", delivered(wOld.String()))

	got := rcv.requests()
	if len(got) != 3 {
		t.Fatalf("%d requests, want 3 (503, 500, 204)", len(got))
	}
	for i, g := range got {
		if !g.verified || g.id != ev.ID().String() {
			t.Errorf("request %d: verified=%v (%s), webhook-id %s, want the audit id %s", i, g.verified, g.reason, g.id, ev.ID())
		}
	}
	body := decodeBody(t, got[2].body)
	actor, _ := body["actor"].(map[string]any)
	target, _ := body["target"].(map[string]any)
	details, _ := body["details"].(map[string]any)
	if body["id"] != ev.ID().String() || body["type"] != "user.created" || body["timestamp"] == nil ||
		actor["type"] != "user" || actor["id"] != ev.Actor().ID.String() || target["type"] != "user" ||
		target["id"] != ev.TargetID().String() || details["email"] != "new@example.com" {
		t.Errorf("body %s", got[2].body)
	}
	if o := old.requests(); len(o) != 1 || !o[0].verified {
		t.Errorf("receiver with the previous secret: %+v", o)
	}

	// Every attempt is listed, as the admin API shows them.
	listed, err := application.ListWebhookDeliveries{Log: deliveriesOf(h)}.Execute(context.Background(), w, application.PageRequest{Limit: 10})
	if err != nil || len(listed.Items) != 1 {
		t.Fatalf("%v %v", listed.Items, err)
	}
	d := listed.Items[0]
	if d.Status != application.DeliveryDelivered || d.Attempts != 3 || len(d.AttemptLog) != 3 ||
		d.AttemptLog[0].StatusCode != 503 || d.AttemptLog[1].StatusCode != 500 || d.AttemptLog[2].StatusCode != 204 {
		t.Errorf("delivery %+v", d)
	}
	if strings.Contains(d.AttemptLog[0].Error, "token=abc") {
		t.Errorf("the webhook URL's token leaked into the attempt log: %q", d.AttemptLog[0].Error)
	}
}

func TestWebhookAnswering410IsDisabledAndThatIsAudited(t *testing.T) {
	h := newHarness(t, harnessConfig{allowPrivate: true})
	secret := newSecret(t)
	rcv := newReceiver(t, []string{secret}, http.StatusGone)
	w := h.webhookFor(rcv.URL, secret, string(audit.GroupCreated))
	h.start(h.server(), h.relayRunner())
	ev := h.appendEvent(audit.GroupCreated, nil)

	eventually(t, 10*time.Second, "webhook disabled after 410", func() bool {
		return h.count(`SELECT count(*) FROM webhooks WHERE id = ? AND NOT is_enabled AND disabled_reason LIKE '%410%'`, w.String()) == 1
	})
	if n := h.count(`SELECT count(*) FROM webhook_deliveries WHERE audit_id = ? AND status = 'failed' AND attempts = 1`, ev.ID().String()); n != 1 {
		t.Errorf("delivery not failed after one attempt (%d)", n)
	}
	if n := h.count(`SELECT count(*) FROM audit_log WHERE event_type = 'webhook.disabled' AND target_id = ?`, w.String()); n != 1 {
		t.Errorf("%d webhook.disabled events, want 1", n)
	}
	// A disabled endpoint receives nothing more.
	h.appendEvent(audit.GroupCreated, nil)
	time.Sleep(300 * time.Millisecond)
	if n := len(rcv.requests()); n != 1 {
		t.Errorf("disabled endpoint got %d requests", n)
	}
}

func TestWebhookFailingThroughoutIsDisabledAfterTheLastAttempt(t *testing.T) {
	h := newHarness(t, harnessConfig{allowPrivate: true, maxAttempts: 3})
	secret := newSecret(t)
	rcv := newReceiver(t, []string{secret}, http.StatusBadGateway)
	w := h.webhookFor(rcv.URL, secret, string(audit.BlocklistCreated))
	// Another endpoint subscribed to webhook.disabled hears about it.
	siem := newReceiver(t, []string{secret}, http.StatusOK)
	h.webhookFor(siem.URL, secret, string(audit.WebhookDisabled))
	h.start(h.server(), h.relayRunner())
	ev := h.appendEvent(audit.BlocklistCreated, nil)

	eventually(t, 10*time.Second, "delivery failed for good", func() bool {
		return h.count(`SELECT count(*) FROM webhook_deliveries WHERE audit_id = ? AND webhook_id = ? AND status = 'failed'`,
			ev.ID().String(), w.String()) == 1
	})
	if n := h.count(`SELECT count(*) FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id
		WHERE d.audit_id = ? AND d.webhook_id = ?`, ev.ID().String(), w.String()); n != 3 {
		t.Errorf("%d attempts recorded, want 3", n)
	}
	if n := h.count(`SELECT count(*) FROM webhooks WHERE id = ? AND NOT is_enabled`, w.String()); n != 1 {
		t.Error("an endpoint that failed throughout is still enabled")
	}
	eventually(t, 5*time.Second, "webhook.disabled delivered to the subscribed endpoint", func() bool {
		for _, g := range siem.requests() {
			if b := decodeBody(t, g.body); b["type"] == "webhook.disabled" && g.verified {
				return true
			}
		}
		return false
	})
}

func TestSSRFGuardRefusesEachAddressClassThroughTheDeliveryPath(t *testing.T) {
	h := newHarness(t, harnessConfig{allowPrivate: false, maxAttempts: 2})
	secret := newSecret(t)
	addr4, conns4 := listenerCount(t, "tcp4", "127.0.0.1:0")
	addr6, conns6 := listenerCount(t, "tcp6", "[::1]:0")
	_, port4, _ := strings.Cut(addr4, ":")
	targets := map[string]string{
		"loopback":             "http://" + addr4 + "/",
		"loopback, other form": "http://127.1.2.3:" + port4 + "/",
		"IPv4-mapped loopback": "http://[::ffff:127.0.0.1]:" + port4 + "/",
		"IPv6 loopback":        "http://" + addr6 + "/",
		"unspecified":          "http://0.0.0.0:" + port4 + "/",
		"private 10/8":         "http://10.1.2.3/",
		"private 172.16/12":    "http://172.16.0.1/",
		"private 192.168/16":   "http://192.168.1.1/",
		"link-local":           "http://169.254.1.1/",
		"cloud metadata":       "http://169.254.169.254/latest/meta-data/",
		"metadata host name":   "http://metadata.google.internal/",
		"CGNAT 100.64/10":      "http://100.64.0.1/",
		"IPv6 unique local":    "http://[fd00::1]/",
		"IPv6 link-local":      "http://[fe80::1]/",
		"localhost by name":    "http://localhost:" + port4 + "/",
	}
	ctx := context.Background()
	for name, url := range targets {
		w := h.webhookFor(url, secret, string(audit.WebhookTest))
		err := application.SendTestWebhook{Tx: txOf(h), Outbox: outboxOf(h), Clock: application.SystemClock{}}.
			Execute(ctx, audit.SystemActor(), w)
		if err != nil {
			t.Fatal(err)
		}
		var id string
		h.scalar(&id, `SELECT id::text FROM webhook_deliveries WHERE webhook_id = ?`, w.String())
		status, err := h.uc.DeliverWebhook.Execute(ctx, mustID(t, id))
		if err != nil || status != application.DeliveryPending {
			t.Errorf("%s: %s %v", name, status, err)
			continue
		}
		var lastError string
		h.scalar(&lastError, `SELECT error FROM webhook_attempts WHERE delivery_id = ?`, id)
		t.Logf("%s: %s", name, lastError)
		if !strings.Contains(lastError, "outbound") || !strings.Contains(lastError, "refused") && !strings.Contains(lastError, "blocked") {
			t.Errorf("%s (%s): attempt error %q, want the SSRF guard's refusal", name, url, lastError)
		}
	}
	if conns4() != 0 || conns6() != 0 {
		t.Errorf("the guard let %d+%d connections reach local listeners", conns4(), conns6())
	}
}
