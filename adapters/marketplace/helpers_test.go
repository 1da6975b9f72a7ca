package marketplace

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
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

type entry struct {
	name string
	data []byte
}

var goodEntries = []entry{
	{"extension.vsixmanifest", []byte(`<?xml version="1.0"?><PackageManifest/>`)},
	{"[Content_Types].xml", []byte(`<?xml version="1.0"?><Types/>`)},
	{"extension/package.json", []byte(`{"name":"pack","publisher":"good","version":"1.2.3"}`)},
	{"extension/out/main.js", []byte("exports.activate = () => {};\n")},
	{"extension/README.md", []byte("# pack\n")},
}

func buildVSIX(t *testing.T, entries []entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		w, err := zw.Create(e.name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(e.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
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
