package marketplace

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"github.com/extguard/extguard/adapters/marketplace/vsixtest"
	"net/http"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/extguard/extguard/adapters/contentdigest"
	"github.com/extguard/extguard/adapters/outbound"
)

func fetch(t *testing.T, f *Fetcher, rawURL string) (Package, error) {
	t.Helper()
	pkg, err := f.Fetch(context.Background(), rawURL)
	if err == nil {
		t.Cleanup(func() { pkg.Close() })
	}
	return pkg, err
}

func serveBytes(b []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write(b)
	}
}

func TestFetchGoodVSIX(t *testing.T) {
	tmp := isolateTemp(t)
	vsix := vsixtest.Build(t, goodEntries...)
	srv := newServer(t, serveBytes(vsix))

	pkg, err := fetch(t, labFetcher(nil), srv.URL+"/good.pack-1.2.3.vsix")
	if err != nil {
		t.Fatal(err)
	}
	if pkg.SHA256 != sha(vsix) || pkg.Size != int64(len(vsix)) {
		t.Fatalf("package = %s/%d, want %s/%d", pkg.SHA256, pkg.Size, sha(vsix), len(vsix))
	}

	got, err := pkg.ContentDigest(contentdigest.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	// The folder an editor would install from this package, with the
	// manifest it writes there.
	installed := fstest.MapFS{
		"package.json":  {Data: goodEntries[2].Data},
		"out/main.js":   {Data: goodEntries[3].Data},
		"README.md":     {Data: goodEntries[4].Data},
		".vsixmanifest": {Data: goodEntries[0].Data},
	}
	want, err := contentdigest.Compute(installed, contentdigest.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("content digest %s, installed folder digest %s", got, want)
	}

	if err := pkg.Close(); err != nil {
		t.Fatal(err)
	}
	assertNoSpool(t, tmp)
	if err := pkg.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestFetchGzipContentEncoding(t *testing.T) {
	vsix := vsixtest.Build(t, goodEntries...)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(vsix)
	zw.Close()
	var acceptEncoding atomic.Value
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		acceptEncoding.Store(r.Header.Get("Accept-Encoding"))
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(gz.Bytes())
	})

	pkg, err := fetch(t, labFetcher(nil), srv.URL+"/pkg.vsix")
	if err != nil {
		t.Fatal(err)
	}
	if ae := acceptEncoding.Load(); ae != "gzip" {
		t.Fatalf("Accept-Encoding = %v", ae)
	}
	if pkg.SHA256 != sha(vsix) || pkg.Size != int64(len(vsix)) {
		t.Fatalf("checksum over %d bytes = %s, want the decoded VSIX's %s", pkg.Size, pkg.SHA256, sha(vsix))
	}
	if _, err := pkg.ContentDigest(contentdigest.Limits{}); err != nil {
		t.Fatalf("decoded package is not a readable VSIX: %v", err)
	}
}

func TestFetchCorruptGzipIsRefused(t *testing.T) {
	tmp := isolateTemp(t)
	srv := newServer(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Write([]byte("this is not gzip at all"))
	})
	_, err := fetch(t, labFetcher(nil), srv.URL)
	if !errors.Is(err, ErrBadEncoding) {
		t.Fatalf("err = %v, want ErrBadEncoding", err)
	}
	assertNoSpool(t, tmp)
}

func TestFetchOversizedBody(t *testing.T) {
	big := bytes.Repeat([]byte("A"), 4096)
	small := func(c *FetcherConfig) { c.MaxBytes = 1024 }

	t.Run("declared by Content-Length", func(t *testing.T) {
		tmp := isolateTemp(t)
		srv := newServer(t, serveBytes(big))
		_, err := fetch(t, labFetcher(small), srv.URL)
		if !errors.Is(err, ErrTooLarge) {
			t.Fatalf("err = %v, want ErrTooLarge", err)
		}
		assertNoSpool(t, tmp)
	})
	t.Run("streamed without Content-Length", func(t *testing.T) {
		tmp := isolateTemp(t)
		srv := newServer(t, func(w http.ResponseWriter, _ *http.Request) {
			for i := 0; i < 4; i++ {
				w.Write(big[:1024])
				w.(http.Flusher).Flush() // forces chunked encoding
			}
		})
		_, err := fetch(t, labFetcher(small), srv.URL)
		if !errors.Is(err, ErrTooLarge) {
			t.Fatalf("err = %v, want ErrTooLarge", err)
		}
		assertNoSpool(t, tmp)
	})
	t.Run("gzip that inflates past the cap", func(t *testing.T) {
		var gz bytes.Buffer
		zw := gzip.NewWriter(&gz)
		zw.Write(bytes.Repeat([]byte{0}, 1<<20))
		zw.Close()
		srv := newServer(t, func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Encoding", "gzip")
			w.Write(gz.Bytes())
		})
		_, err := fetch(t, labFetcher(func(c *FetcherConfig) { c.MaxBytes = 64 << 10 }), srv.URL)
		if !errors.Is(err, ErrTooLarge) {
			t.Fatalf("err = %v, want ErrTooLarge", err)
		}
	})
	t.Run("exactly MaxBytes is accepted", func(t *testing.T) {
		srv := newServer(t, serveBytes(big[:1024]))
		pkg, err := fetch(t, labFetcher(small), srv.URL)
		if err != nil || pkg.Size != 1024 {
			t.Fatalf("got %d, %v", pkg.Size, err)
		}
	})
}

func TestFetchSlowBodyHitsTotalTimeout(t *testing.T) {
	tmp := isolateTemp(t)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("PK"))
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	})
	f := labFetcher(func(c *FetcherConfig) {
		c.Timeouts = outbound.Timeouts{Connect: time.Second, ResponseHeader: time.Second, Total: 300 * time.Millisecond}
	})
	start := time.Now()
	_, err := fetch(t, f, srv.URL)
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("err = %v, want ErrTimeout", err)
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Fatalf("took %v; the total timeout did not fire", elapsed)
	}
	assertNoSpool(t, tmp)
}

func TestFetchSlowHeadersHitResponseHeaderTimeout(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	})
	f := labFetcher(func(c *FetcherConfig) {
		c.Timeouts = outbound.Timeouts{ResponseHeader: 200 * time.Millisecond, Total: 5 * time.Second}
	})
	if _, err := fetch(t, f, srv.URL); !errors.Is(err, ErrTimeout) {
		t.Fatalf("err = %v, want ErrTimeout", err)
	}
}

func TestFetchRedirects(t *testing.T) {
	vsix := vsixtest.Build(t, goodEntries...)

	t.Run("loop refused after 3", func(t *testing.T) {
		srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, r.URL.Path, http.StatusFound)
		})
		_, err := fetch(t, labFetcher(nil), srv.URL+"/loop")
		if !errors.Is(err, ErrTooManyRedirects) {
			t.Fatalf("err = %v, want ErrTooManyRedirects", err)
		}
		if n := srv.requests.Load(); n != 4 {
			t.Fatalf("server saw %d requests, want 4 (the original and 3 redirects)", n)
		}
	})
	t.Run("three hops are followed", func(t *testing.T) {
		srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
			hop, _ := strconv.Atoi(r.URL.Query().Get("hop"))
			if hop < 3 {
				http.Redirect(w, r, "/p?hop="+strconv.Itoa(hop+1), http.StatusFound)
				return
			}
			w.Write(vsix)
		})
		pkg, err := fetch(t, labFetcher(nil), srv.URL+"/p?hop=0")
		if err != nil || pkg.SHA256 != sha(vsix) {
			t.Fatalf("got %q, %v", pkg.SHA256, err)
		}
	})
	t.Run("to a host not allowed", func(t *testing.T) {
		other := newServer(t, serveBytes(vsix))
		srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://localhost:"+other.port(t)+"/pkg.vsix", http.StatusFound)
		})
		_, err := fetch(t, labFetcher(nil), srv.URL)
		if !errors.Is(err, ErrHostNotAllowed) {
			t.Fatalf("err = %v, want ErrHostNotAllowed", err)
		}
		if n := other.conns.Load(); n != 0 {
			t.Fatalf("the disallowed host got %d connections", n)
		}
	})
	t.Run("https to http downgrade refused", func(t *testing.T) {
		f := labFetcher(nil)
		f.allowHTTP = false // as in production, while still reaching loopback
		req, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1/pkg.vsix", nil)
		if err := f.checkRedirect(req, make([]*http.Request, 1)); !errors.Is(err, ErrSchemeNotAllowed) {
			t.Fatalf("err = %v, want ErrSchemeNotAllowed", err)
		}
	})
}

func TestFetchRefusedBeforeConnecting(t *testing.T) {
	vsix := vsixtest.Build(t, goodEntries...)
	srv := newServer(t, serveBytes(vsix))

	t.Run("host not allowed", func(t *testing.T) {
		_, err := fetch(t, labFetcher(nil), "http://localhost:"+srv.port(t)+"/pkg.vsix")
		if !errors.Is(err, ErrHostNotAllowed) {
			t.Fatalf("err = %v, want ErrHostNotAllowed", err)
		}
	})
	t.Run("default hosts refuse an arbitrary one", func(t *testing.T) {
		_, err := fetch(t, NewFetcher(FetcherConfig{}), "https://evil.example/pkg.vsix")
		if !errors.Is(err, ErrHostNotAllowed) {
			t.Fatalf("err = %v, want ErrHostNotAllowed", err)
		}
	})
	t.Run("http without AllowPrivate", func(t *testing.T) {
		f := NewFetcher(FetcherConfig{AllowedHosts: []string{"127.0.0.1"}})
		_, err := fetch(t, f, srv.URL+"/pkg.vsix")
		if !errors.Is(err, ErrSchemeNotAllowed) {
			t.Fatalf("err = %v, want ErrSchemeNotAllowed", err)
		}
	})
	t.Run("malformed URL", func(t *testing.T) {
		_, err := fetch(t, labFetcher(nil), "ftp://127.0.0.1/pkg.vsix")
		if !errors.Is(err, outbound.ErrInvalidURL) {
			t.Fatalf("err = %v, want ErrInvalidURL", err)
		}
	})
	if n := srv.conns.Load(); n != 0 {
		t.Fatalf("server got %d connections", n)
	}
}

// An allowed host whose address is private is still refused by the SSRF
// guard when private targets are not allowed.
func TestFetchAllowedHostOnLoopbackIsBlockedWithoutAllowPrivate(t *testing.T) {
	tls := newTLSServer(t, serveBytes([]byte("x")))
	f := NewFetcher(FetcherConfig{AllowedHosts: []string{"127.0.0.1"}})
	_, err := fetch(t, f, tls.URL+"/pkg.vsix")
	if !outbound.IsBlocked(err) {
		t.Fatalf("err = %v, want a blocked address", err)
	}
	if n := tls.conns.Load(); n != 0 {
		t.Fatalf("server got %d connections", n)
	}
}

func TestFetchBadStatus(t *testing.T) {
	srv := newServer(t, http.NotFound)
	_, err := fetch(t, labFetcher(nil), srv.URL)
	var se *StatusError
	if !errors.Is(err, ErrBadStatus) || !errors.As(err, &se) || se.StatusCode != http.StatusNotFound {
		t.Fatalf("err = %v, want ErrBadStatus 404", err)
	}
}

func TestContentDigestRefusesZipBomb(t *testing.T) {
	zeros := bytes.Repeat([]byte{0}, 8<<20) // deflates to a few KiB
	entries := append(append([]entry(nil), goodEntries...), entry{Name: "extension/bomb.bin", Data: zeros})
	vsix := vsixtest.Build(t, entries...)
	if len(vsix) > 64<<10 {
		t.Fatalf("test bomb is %d bytes, not a bomb", len(vsix))
	}
	srv := newServer(t, serveBytes(vsix))
	pkg, err := fetch(t, labFetcher(nil), srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	_, err = pkg.ContentDigest(contentdigest.Limits{MaxFileBytes: 1 << 20, MaxTotalBytes: 2 << 20})
	if !errors.Is(err, contentdigest.ErrTooLarge) {
		t.Fatalf("err = %v, want contentdigest.ErrTooLarge", err)
	}
}

// A bomb whose central directory understates its size must still be stopped
// by the bytes actually inflated.
func TestContentDigestRefusesLyingZipBomb(t *testing.T) {
	var deflated bytes.Buffer
	zw := zip.NewWriter(&deflated)
	w, _ := zw.Create("x")
	w.Write(bytes.Repeat([]byte{0}, 8<<20))
	zw.Close()
	zr, err := zip.NewReader(bytes.NewReader(deflated.Bytes()), int64(deflated.Len()))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := zr.File[0].OpenRaw()
	var compressed bytes.Buffer
	compressed.ReadFrom(raw)

	var buf bytes.Buffer
	out := zip.NewWriter(&buf)
	for _, e := range goodEntries {
		ew, _ := out.Create(e.Name)
		ew.Write(e.Data)
	}
	hdr := &zip.FileHeader{Name: "extension/bomb.bin", Method: zip.Deflate,
		CRC32: zr.File[0].CRC32, CompressedSize64: uint64(compressed.Len()), UncompressedSize64: 100}
	rw, err := out.CreateRaw(hdr)
	if err != nil {
		t.Fatal(err)
	}
	rw.Write(compressed.Bytes())
	out.Close()

	srv := newServer(t, serveBytes(buf.Bytes()))
	pkg, err := fetch(t, labFetcher(nil), srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	_, err = pkg.ContentDigest(contentdigest.Limits{MaxFileBytes: 1 << 20, MaxTotalBytes: 2 << 20})
	if !errors.Is(err, contentdigest.ErrTooLarge) && !errors.Is(err, zip.ErrFormat) {
		t.Fatalf("err = %v, want ErrTooLarge or zip.ErrFormat", err)
	}
	t.Logf("refused with: %v", err)
}

func TestContentDigestRefusesPathEscape(t *testing.T) {
	for _, name := range []string{"extension/../../evil.js", "/etc/evil", `extension\..\evil.js`} {
		t.Run(name, func(t *testing.T) {
			entries := append(append([]entry(nil), goodEntries...), entry{Name: name, Data: []byte("boom")})
			srv := newServer(t, serveBytes(vsixtest.Build(t, entries...)))
			pkg, err := fetch(t, labFetcher(nil), srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := pkg.ContentDigest(contentdigest.Limits{}); !errors.Is(err, contentdigest.ErrUnsafePath) {
				t.Fatalf("err = %v, want contentdigest.ErrUnsafePath", err)
			}
		})
	}
}

func TestContentDigestAfterCloseFails(t *testing.T) {
	srv := newServer(t, serveBytes(vsixtest.Build(t, goodEntries...)))
	pkg, err := fetch(t, labFetcher(nil), srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	pkg.Close()
	if _, err := pkg.ContentDigest(contentdigest.Limits{}); err == nil {
		t.Fatal("digest of a removed package succeeded")
	}
	if _, err := os.Stat(pkg.path); !os.IsNotExist(err) {
		t.Fatalf("spooled file still exists: %v", err)
	}
}
