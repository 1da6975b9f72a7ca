// Package feedfetch downloads threat feeds through the SSRF-guarded
// outbound client: https only (every redirect hop too), a size cap, the
// outbound timeouts, and conditional requests with the last good ETag and
// Last-Modified, so an unchanged feed costs a 304.
package feedfetch

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"

	"github.com/extguard/extguard/adapters/outbound"
	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/threatfeed"
)

// Config configures a Fetcher. Zero values take defaults.
type Config struct {
	MaxBytes int64 // default threatfeed.MaxContentLength
	Timeouts outbound.Timeouts
	// AllowPrivate lifts the SSRF guard (EXTGUARD_OUTBOUND_ALLOW_PRIVATE);
	// https stays required.
	AllowPrivate bool
	// RootCAs replaces the system roots, for tests whose feed is served by
	// httptest.NewTLSServer; nil in every process.
	RootCAs *x509.CertPool
}

// Fetcher implements application.FeedFetcher.
type Fetcher struct {
	client   *http.Client
	maxBytes int64
	guard    outbound.TargetGuard
}

var _ application.FeedFetcher = (*Fetcher)(nil)

const maxRedirects = 5

// New returns a fetcher.
func New(cfg Config) *Fetcher {
	t := cfg.Timeouts.WithDefaults()
	tr := outbound.NewTransport(outbound.Policy{AllowPrivate: cfg.AllowPrivate}, t)
	if cfg.RootCAs != nil {
		tr.TLSClientConfig = &tls.Config{RootCAs: cfg.RootCAs, MinVersion: tls.VersionTLS12}
	}
	f := &Fetcher{maxBytes: cfg.MaxBytes, guard: outbound.TargetGuard{AllowPrivate: cfg.AllowPrivate}}
	if f.maxBytes <= 0 {
		f.maxBytes = threatfeed.MaxContentLength
	}
	f.client = &http.Client{Transport: otelhttp.NewTransport(tr), Timeout: t.Total,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= maxRedirects {
				return errors.New("feedfetch: too many redirects")
			}
			if req.URL.Scheme != "https" {
				return outbound.ErrHTTPSRequired
			}
			return nil
		}}
	return f
}

// Fetch downloads url. Errors: invalid for what retrying will not fix (a
// refused URL or address, a 4xx, a body over the cap), unavailable for the
// rest (timeouts, 5xx, 429, connection failures).
func (f *Fetcher) Fetch(ctx context.Context, url, etag, lastModified string) (application.FeedContent, error) {
	if err := f.guard.Check("url", url); err != nil {
		return application.FeedContent{}, err
	}
	if !strings.HasPrefix(url, "https://") {
		return application.FeedContent{}, domain.Invalid("feed URL must be https")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return application.FeedContent{}, domain.Invalid("feed URL does not parse")
	}
	req.Header.Set("Accept", "application/json, text/markdown, text/plain, */*")
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	if lastModified != "" {
		req.Header.Set("If-Modified-Since", lastModified)
	}
	resp, err := f.client.Do(req)
	if err != nil {
		if outbound.IsBlocked(err) || errors.Is(err, outbound.ErrHTTPSRequired) {
			return application.FeedContent{}, errors.Join(domain.Invalid("feed download refused by the outbound guard"), err)
		}
		return application.FeedContent{}, errors.Join(domain.Unavailable("feed download failed"), err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotModified:
		return application.FeedContent{NotModified: true, ETag: etag, LastModified: lastModified}, nil
	case resp.StatusCode >= 500, resp.StatusCode == http.StatusTooManyRequests, resp.StatusCode == http.StatusRequestTimeout:
		return application.FeedContent{}, domain.Unavailable(fmt.Sprintf("feed server answered %d", resp.StatusCode))
	case resp.StatusCode != http.StatusOK:
		return application.FeedContent{}, domain.Invalid(fmt.Sprintf("feed server answered %d", resp.StatusCode))
	}
	if resp.ContentLength > f.maxBytes {
		return application.FeedContent{}, domain.Invalid(fmt.Sprintf("feed is larger than %d bytes", f.maxBytes))
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, f.maxBytes+1))
	if err != nil {
		return application.FeedContent{}, errors.Join(domain.Unavailable("feed download broke off"), err)
	}
	if int64(len(body)) > f.maxBytes {
		return application.FeedContent{}, domain.Invalid(fmt.Sprintf("feed is larger than %d bytes", f.maxBytes))
	}
	return application.FeedContent{Body: body, ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified")}, nil
}
