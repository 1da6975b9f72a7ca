package marketplace

import (
	"crypto/sha256"
	"encoding/hex"
	"github.com/extguard/extguard/adapters/marketplace/vsixtest"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/extguard/extguard/adapters/outbound"
)

type entry = vsixtest.File

var goodEntries = []entry{
	vsixtest.Manifest,
	vsixtest.ContentTypes,
	{Name: "extension/package.json", Data: []byte(`{"name":"pack","publisher":"good","version":"1.2.3"}`)},
	{Name: "extension/out/main.js", Data: []byte("exports.activate = () => {};\n")},
	{Name: "extension/README.md", Data: []byte("# pack\n")},
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// server is a local marketplace that counts connections, so tests can prove
// a refused URL never reached the network.
type server struct {
	*httptest.Server
	conns    atomic.Int64
	requests atomic.Int64
}

func newServer(t *testing.T, h http.HandlerFunc) *server {
	t.Helper()
	return startServer(t, h, false)
}

func newTLSServer(t *testing.T, h http.HandlerFunc) *server {
	t.Helper()
	return startServer(t, h, true)
}

func startServer(t *testing.T, h http.HandlerFunc, useTLS bool) *server {
	t.Helper()
	s := &server{}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		h(w, r)
	}))
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	if useTLS {
		s.StartTLS()
	} else {
		s.Start()
	}
	t.Cleanup(s.Close)
	return s
}

func (s *server) port(t *testing.T) string {
	t.Helper()
	u, err := url.Parse(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Port()
}

func labFetcher(mod func(*FetcherConfig)) *Fetcher {
	cfg := FetcherConfig{
		AllowedHosts: []string{"127.0.0.1"},
		AllowPrivate: true,
		Timeouts:     outbound.Timeouts{Total: 5 * time.Second},
	}
	if mod != nil {
		mod(&cfg)
	}
	return NewFetcher(cfg)
}

// isolateTemp points os.TempDir at a fresh folder so tests can check that no
// spooled file is left behind.
func isolateTemp(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("TMPDIR", dir)
	return dir
}

func assertNoSpool(t *testing.T, dir string) {
	t.Helper()
	left, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 0 {
		t.Fatalf("temporary files left behind: %v", left)
	}
}
