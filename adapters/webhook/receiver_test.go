package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// specReceiver is a webhook receiver written from the Standard Webhooks
// specification alone, without this package's Sign or Verify, so that a
// shared mistake cannot make both sides agree.
type specReceiver struct {
	t      *testing.T
	secret string // whsec_...
	status int

	mu       sync.Mutex
	requests []receivedRequest
}

type receivedRequest struct {
	header   http.Header
	body     []byte
	verified bool
	reason   string
}

func (rcv *specReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	ok, reason := rcv.verify(r.Header, body, time.Now())
	rcv.mu.Lock()
	rcv.requests = append(rcv.requests, receivedRequest{r.Header.Clone(), body, ok, reason})
	rcv.mu.Unlock()
	if !ok {
		http.Error(w, reason, http.StatusUnauthorized)
		return
	}
	w.WriteHeader(rcv.status)
}

func (rcv *specReceiver) verify(h http.Header, body []byte, now time.Time) (bool, string) {
	id, ts, sigs := h.Get("webhook-id"), h.Get("webhook-timestamp"), h.Get("webhook-signature")
	if id == "" || ts == "" || sigs == "" {
		return false, "missing headers"
	}
	secs, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || now.Sub(time.Unix(secs, 0)).Abs() > 5*time.Minute {
		return false, "bad timestamp"
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(rcv.secret, "whsec_"))
	if err != nil {
		rcv.t.Fatalf("test secret is not base64: %v", err)
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id + "." + ts + "." + string(body)))
	expected := "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
	for _, s := range strings.Split(sigs, " ") {
		if hmac.Equal([]byte(s), []byte(expected)) {
			return true, ""
		}
	}
	return false, "no matching signature"
}

func (rcv *specReceiver) received() []receivedRequest {
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	return append([]receivedRequest(nil), rcv.requests...)
}

func newReceiver(t *testing.T, secret string, status int) (*specReceiver, *httptest.Server) {
	t.Helper()
	rcv := &specReceiver{t: t, secret: secret, status: status}
	srv := httptest.NewServer(rcv)
	t.Cleanup(srv.Close)
	return rcv, srv
}
