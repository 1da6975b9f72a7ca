package outbound

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

func newLoopbackServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "hello")
	}))
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, c *http.Client, rawURL string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

func TestClientRefusesLoopbackByDefault(t *testing.T) {
	t.Parallel()
	srv := newLoopbackServer(t)
	_, err := get(t, NewClient(Policy{}, Timeouts{}), srv.URL)
	var be *BlockedAddressError
	if !errors.As(err, &be) {
		t.Fatalf("err = %v, want *BlockedAddressError", err)
	}
	if be.Reason != "loopback" {
		t.Fatalf("reason = %q, want loopback", be.Reason)
	}
}

func TestClientReachesLoopbackWhenPrivateAllowed(t *testing.T) {
	t.Parallel()
	srv := newLoopbackServer(t)
	body, err := get(t, NewClient(Policy{AllowPrivate: true}, Timeouts{}), srv.URL)
	if err != nil || body != "hello" {
		t.Fatalf("got %q, %v; want hello", body, err)
	}
}

// localhost is checked after resolution, proving the guard sees the IP the
// connection goes to, not the name in the URL.
func TestClientRefusesNameResolvingToLoopback(t *testing.T) {
	t.Parallel()
	srv := newLoopbackServer(t)
	u, _ := url.Parse(srv.URL)
	_, port, _ := net.SplitHostPort(u.Host)
	_, err := get(t, NewClient(Policy{}, Timeouts{}), "http://localhost:"+port+"/")
	if !IsBlocked(err) {
		t.Fatalf("err = %v, want blocked", err)
	}
}

func TestClientRefusesMetadataNames(t *testing.T) {
	t.Parallel()
	_, err := get(t, NewClient(Policy{}, Timeouts{}), "http://metadata.google.internal/computeMetadata/v1/")
	var be *BlockedAddressError
	if !errors.As(err, &be) || be.Host != "metadata.google.internal" {
		t.Fatalf("err = %v, want metadata host refused", err)
	}
}

func TestClientIgnoresProxyEnvironment(t *testing.T) {
	t.Setenv("HTTP_PROXY", "http://198.51.100.1:3128")
	t.Setenv("HTTPS_PROXY", "http://198.51.100.1:3128")
	tr := NewTransport(Policy{}, Timeouts{})
	if tr.Proxy != nil {
		t.Fatal("transport uses a proxy")
	}
	srv := newLoopbackServer(t)
	body, err := get(t, NewClient(Policy{AllowPrivate: true}, Timeouts{}), srv.URL)
	if err != nil || !strings.Contains(body, "hello") {
		t.Fatalf("got %q, %v; want direct connection", body, err)
	}
}

func TestTimeoutsDefaults(t *testing.T) {
	t.Parallel()
	got := Timeouts{Connect: time.Second}.WithDefaults()
	want := Timeouts{Connect: time.Second, TLSHandshake: 5 * time.Second, ResponseHeader: 10 * time.Second, Total: 30 * time.Second}
	if got != want {
		t.Fatalf("WithDefaults = %+v, want %+v", got, want)
	}
	if c := NewClient(Policy{}, Timeouts{}); c.Timeout != 30*time.Second {
		t.Fatalf("client timeout = %v", c.Timeout)
	}
}
