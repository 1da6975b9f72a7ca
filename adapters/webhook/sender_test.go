package webhook

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/extguard/extguard/adapters/outbound"
)

func labSender() *Sender {
	return NewSender(outbound.NewClient(outbound.Policy{AllowPrivate: true}, outbound.Timeouts{}), "")
}

func deliver(t *testing.T, s *Sender, d Delivery) Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return s.Deliver(ctx, d)
}

func TestDeliverSignedMessageVerifiedBySpecReceiver(t *testing.T) {
	secret := mustSecret(t)
	rcv, srv := newReceiver(t, secret, http.StatusNoContent)
	body := []byte(`{"type":"blocklist.created","data":{"pattern":"evil.pack"}}`)

	res := deliver(t, labSender(), Delivery{URL: srv.URL + "/hook", MessageID: "evt_42", Secrets: []string{secret}, Body: body})

	if res.Outcome != Delivered || res.StatusCode != http.StatusNoContent || res.Err != nil {
		t.Fatalf("result = %+v, want Delivered 204", res)
	}
	got := rcv.received()
	if len(got) != 1 || !got[0].verified {
		t.Fatalf("receiver saw %+v, want one verified request", got)
	}
	h := got[0].header
	if h.Get("Content-Type") != "application/json" || h.Get("User-Agent") != "extguard-webhooks/1" || h.Get("webhook-id") != "evt_42" {
		t.Fatalf("headers = %v", h)
	}
	if string(got[0].body) != string(body) {
		t.Fatalf("body = %q", got[0].body)
	}
	// The package's own Verify agrees with the independent receiver.
	if err := Verify(secret, h, got[0].body, 5*time.Minute, time.Now()); err != nil {
		t.Fatalf("Verify = %v", err)
	}
}

func TestDeliverDuringRotationSatisfiesOldAndNewReceivers(t *testing.T) {
	oldSecret, newSecret := mustSecret(t), mustSecret(t)
	for name, secret := range map[string]string{"old": oldSecret, "new": newSecret} {
		t.Run(name, func(t *testing.T) {
			rcv, srv := newReceiver(t, secret, http.StatusOK)
			res := deliver(t, labSender(), Delivery{URL: srv.URL, MessageID: "evt_1", Secrets: []string{oldSecret, newSecret}, Body: []byte(`{}`)})
			if res.Outcome != Delivered {
				t.Fatalf("result = %+v", res)
			}
			got := rcv.received()
			if len(got) != 1 || !got[0].verified || len(strings.Fields(got[0].header.Get("webhook-signature"))) != 2 {
				t.Fatalf("receiver saw %+v", got)
			}
		})
	}
}

func TestSpecReceiverRefusesTamperedAndStaleMessages(t *testing.T) {
	secret := mustSecret(t)
	rcv := &specReceiver{t: t, secret: secret}
	now := time.Now()
	h := signedHeaders(t, []string{secret}, "evt_1", now, []byte(`{"a":1}`))
	if ok, _ := rcv.verify(h, []byte(`{"a":1}`), now); !ok {
		t.Fatal("genuine message refused")
	}
	if ok, _ := rcv.verify(h, []byte(`{"a":2}`), now); ok {
		t.Fatal("tampered body accepted")
	}
	if ok, _ := rcv.verify(h, []byte(`{"a":1}`), now.Add(10*time.Minute)); ok {
		t.Fatal("stale timestamp accepted")
	}
}

func TestDeliverWithStaleTimestampIsRefusedByReceiver(t *testing.T) {
	secret := mustSecret(t)
	_, srv := newReceiver(t, secret, http.StatusOK)
	res := deliver(t, labSender(), Delivery{URL: srv.URL, MessageID: "evt_1", Secrets: []string{secret}, Body: []byte(`{}`), Timestamp: time.Now().Add(-time.Hour)})
	if res.Outcome != Retry || res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("result = %+v, want Retry after 401", res)
	}
	if !strings.Contains(res.ResponseSnippet, "bad timestamp") {
		t.Fatalf("snippet = %q", res.ResponseSnippet)
	}
}

func TestDeliverOutcomes(t *testing.T) {
	var redirectTargetHit atomic.Bool
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { redirectTargetHit.Store(true) }))
	t.Cleanup(target.Close)

	tests := []struct {
		name    string
		handler http.HandlerFunc
		want    Outcome
		code    int
	}{
		{"204 delivered", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(204) }, Delivered, 204},
		{"200 delivered", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(200) }, Delivered, 200},
		{"500 retried", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(500) }, Retry, 500},
		{"429 retried", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(429) }, Retry, 429},
		{"400 retried", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(400) }, Retry, 400},
		{"410 gone", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(410) }, Gone, 410},
		{"redirect not followed", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, target.URL, http.StatusTemporaryRedirect)
		}, Retry, 307},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.handler)
			t.Cleanup(srv.Close)
			res := deliver(t, labSender(), Delivery{URL: srv.URL, MessageID: "m", Secrets: []string{mustSecret(t)}, Body: []byte(`{}`)})
			if res.Outcome != tc.want || res.StatusCode != tc.code {
				t.Fatalf("result = %+v, want %s %d", res, tc.want, tc.code)
			}
			if (res.Err == nil) != (tc.want == Delivered) {
				t.Fatalf("Err = %v for outcome %s", res.Err, res.Outcome)
			}
		})
	}
	if redirectTargetHit.Load() {
		t.Fatal("the redirect was followed")
	}
}

func TestDeliverNetworkErrorIsRetryWithoutURLInError(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL + "/hooks/T0001/s3cr3t-token"
	srv.Close() // nothing listens any more
	res := deliver(t, labSender(), Delivery{URL: url, MessageID: "m", Secrets: []string{mustSecret(t)}, Body: []byte(`{}`)})
	if res.Outcome != Retry || res.Err == nil || res.StatusCode != 0 {
		t.Fatalf("result = %+v, want Retry with an error", res)
	}
	if strings.Contains(res.Err.Error(), "s3cr3t-token") {
		t.Fatalf("error leaks the URL: %v", res.Err)
	}
}

func TestDefaultClientRefusesLoopbackReceiver(t *testing.T) {
	secret := mustSecret(t)
	rcv, srv := newReceiver(t, secret, http.StatusOK)
	s := NewSender(outbound.NewClient(outbound.Policy{}, outbound.Timeouts{}), "")
	res := deliver(t, s, Delivery{URL: srv.URL, MessageID: "m", Secrets: []string{secret}, Body: []byte(`{}`)})
	var be *outbound.BlockedAddressError
	if res.Outcome != Retry || !errors.As(res.Err, &be) {
		t.Fatalf("result = %+v, want Retry with BlockedAddressError", res)
	}
	if n := len(rcv.received()); n != 0 {
		t.Fatalf("receiver got %d requests", n)
	}
}

func TestDeliverSnippetIsBoundedAndSanitized(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(500)
		w.Write([]byte("oops\x1b[31m\r\x00"))
		w.Write([]byte(strings.Repeat("x", 5000)))
	}))
	t.Cleanup(srv.Close)
	res := deliver(t, labSender(), Delivery{URL: srv.URL, MessageID: "m", Secrets: []string{mustSecret(t)}, Body: []byte(`{}`)})
	if len(res.ResponseSnippet) != 1024 {
		t.Fatalf("snippet length = %d, want 1024", len(res.ResponseSnippet))
	}
	if !strings.HasPrefix(res.ResponseSnippet, "oops [31m  x") {
		t.Fatalf("snippet = %q", res.ResponseSnippet[:20])
	}
}

func TestDeliverRefusesInvalidURLAndSecret(t *testing.T) {
	s := labSender()
	res := deliver(t, s, Delivery{URL: "https://user:pw@example.com/", MessageID: "m", Secrets: []string{mustSecret(t)}})
	if res.Outcome != Retry || !errors.Is(res.Err, outbound.ErrInvalidURL) {
		t.Fatalf("userinfo URL: %+v", res)
	}
	res = deliver(t, s, Delivery{URL: "https://example.com/", MessageID: "m", Secrets: []string{"whsec_bad"}})
	if res.Outcome != Retry || !errors.Is(res.Err, ErrInvalidSecret) {
		t.Fatalf("bad secret: %+v", res)
	}
}

func TestNewSenderDoesNotChangeCallersClient(t *testing.T) {
	c := outbound.NewClient(outbound.Policy{AllowPrivate: true}, outbound.Timeouts{})
	NewSender(c, "")
	if c.CheckRedirect != nil {
		t.Fatal("NewSender modified the caller's client")
	}
}
