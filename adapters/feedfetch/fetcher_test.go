package feedfetch

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/extguard/extguard/domain"
)

func tlsServer(t *testing.T, h http.HandlerFunc) (*httptest.Server, *Fetcher) {
	srv := httptest.NewTLSServer(h)
	t.Cleanup(srv.Close)
	pool := srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	return srv, New(Config{AllowPrivate: true, RootCAs: pool, MaxBytes: 1 << 10})
}

func TestFetchConditionalAndCapped(t *testing.T) {
	srv, f := tlsServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/big":
			w.Write([]byte(strings.Repeat("x", 2<<10)))
		case "/gone":
			w.WriteHeader(http.StatusNotFound)
		case "/down":
			w.WriteHeader(http.StatusBadGateway)
		default:
			if r.Header.Get("If-None-Match") == `"v1"` {
				w.WriteHeader(http.StatusNotModified)
				return
			}
			w.Header().Set("ETag", `"v1"`)
			w.Header().Set("Last-Modified", "Wed, 02 Dec 2026 10:00:00 GMT")
			w.Write([]byte(`{"malicious":[]}`))
		}
	})
	ctx := context.Background()
	c, err := f.Fetch(ctx, srv.URL+"/feed", "", "")
	if err != nil || string(c.Body) != `{"malicious":[]}` || c.ETag != `"v1"` || c.LastModified == "" || c.NotModified {
		t.Fatal(c, err)
	}
	c, err = f.Fetch(ctx, srv.URL+"/feed", `"v1"`, c.LastModified)
	if err != nil || !c.NotModified || c.ETag != `"v1"` {
		t.Fatal(c, err)
	}
	for path, code := range map[string]domain.Code{"/big": domain.CodeInvalid, "/gone": domain.CodeInvalid, "/down": domain.CodeUnavailable} {
		if _, err := f.Fetch(ctx, srv.URL+path, "", ""); domain.CodeOf(err) != code {
			t.Errorf("%s: %v, want %s", path, err, code)
		}
	}
	if _, err := f.Fetch(ctx, strings.Replace(srv.URL, "https", "http", 1)+"/feed", "", ""); domain.CodeOf(err) != domain.CodeInvalid {
		t.Errorf("http: %v", err)
	}
}

// Without the test hook the guard refuses loopback, and without the test
// CA the server is not trusted.
func TestFetchGuardedByDefault(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("{}")) }))
	defer srv.Close()
	if _, err := New(Config{}).Fetch(context.Background(), srv.URL, "", ""); domain.CodeOf(err) != domain.CodeInvalid {
		t.Errorf("loopback: %v", err)
	}
	if _, err := New(Config{AllowPrivate: true}).Fetch(context.Background(), srv.URL, "", ""); err == nil {
		t.Error("an untrusted certificate was accepted")
	}
}

// Every redirect hop is checked: a hop to http is refused (the guarded
// dialler checks the address of every hop already), and so is a sixth hop.
func TestFetchChecksRedirects(t *testing.T) {
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{"malicious":[]}`)) }))
	defer plain.Close()
	srv, f := tlsServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/to-http":
			http.Redirect(w, r, plain.URL+"/feed", http.StatusFound)
		case "/loop":
			http.Redirect(w, r, "/loop", http.StatusFound)
		case "/to-feed":
			http.Redirect(w, r, "/feed", http.StatusMovedPermanently)
		default:
			w.Write([]byte(`{"malicious":[]}`))
		}
	})
	ctx := context.Background()
	if c, err := f.Fetch(ctx, srv.URL+"/to-feed", "", ""); err != nil || string(c.Body) != `{"malicious":[]}` {
		t.Fatalf("an https redirect: %v", err)
	}
	for _, path := range []string{"/to-http", "/loop"} {
		if c, err := f.Fetch(ctx, srv.URL+path, "", ""); err == nil {
			t.Errorf("%s: followed, got %q", path, c.Body)
		}
	}
	if _, err := f.Fetch(ctx, srv.URL+"/to-http", "", ""); domain.CodeOf(err) != domain.CodeInvalid {
		t.Errorf("a redirect to http is not invalid: %v", err)
	}
}
