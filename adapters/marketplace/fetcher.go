// Package marketplace downloads VSIX packages for checksum revalidation and
// inspects them. A catalog's marketplace_url is admin input, so downloads are
// confined to allowed hosts, https, a few re-checked redirects, timeouts and a
// size cap, over the SSRF-guarded client of package outbound.
package marketplace

import (
	"compress/flate"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/extguard/extguard/adapters/outbound"
)

// Errors the revalidation worker tells apart; test with errors.Is.
var (
	ErrHostNotAllowed   = errors.New("marketplace: host not allowed")
	ErrSchemeNotAllowed = errors.New("marketplace: only https downloads are allowed")
	ErrTooLarge         = errors.New("marketplace: package too large")
	ErrTooManyRedirects = errors.New("marketplace: too many redirects")
	ErrBadStatus        = errors.New("marketplace: unexpected HTTP status")
	ErrBadEncoding      = errors.New("marketplace: unsupported or corrupt content encoding")
	// ErrTimeout: a connect, header or total timeout fired; worth a later retry.
	ErrTimeout = errors.New("marketplace: download timed out")
)

// StatusError carries the status of a failed download; it matches ErrBadStatus.
type StatusError struct{ StatusCode int }

func (e *StatusError) Error() string {
	return fmt.Sprintf("%s: %d %s", ErrBadStatus, e.StatusCode, http.StatusText(e.StatusCode))
}

func (e *StatusError) Unwrap() error { return ErrBadStatus }

const (
	defaultMaxBytes     = 200 << 20
	defaultMaxRedirects = 3
)

// FetcherConfig configures a Fetcher. Zero fields take defaults.
type FetcherConfig struct {
	// AllowedHosts: exact names or "*.suffix" wildcards, case-insensitive.
	// Empty means DefaultAllowedHosts.
	AllowedHosts []string
	// AllowPrivate lifts the SSRF guard and permits plain http, for tests and
	// labs with a local mirror. Hosts stay limited to AllowedHosts.
	AllowPrivate bool
	// MaxBytes caps the decoded package size (default 200 MiB).
	MaxBytes int64
	Timeouts outbound.Timeouts
	// MaxRedirects: 0 means 3; negative means none are followed.
	MaxRedirects int
}

// Fetcher downloads VSIX packages. It is safe for concurrent use.
type Fetcher struct {
	hosts        hostAllowlist
	allowHTTP    bool
	maxBytes     int64
	maxRedirects int
	client       *http.Client
}

// NewFetcher builds a Fetcher from cfg, filling defaults.
func NewFetcher(cfg FetcherConfig) *Fetcher {
	if len(cfg.AllowedHosts) == 0 {
		cfg.AllowedHosts = DefaultAllowedHosts()
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = defaultMaxBytes
	}
	switch {
	case cfg.MaxRedirects == 0:
		cfg.MaxRedirects = defaultMaxRedirects
	case cfg.MaxRedirects < 0:
		cfg.MaxRedirects = 0
	}
	f := &Fetcher{
		hosts:        newHostAllowlist(cfg.AllowedHosts),
		allowHTTP:    cfg.AllowPrivate,
		maxBytes:     cfg.MaxBytes,
		maxRedirects: cfg.MaxRedirects,
	}
	f.client = outbound.NewClient(outbound.Policy{AllowPrivate: cfg.AllowPrivate}, cfg.Timeouts)
	f.client.CheckRedirect = f.checkRedirect
	return f
}

// checkURL applies the scheme and host rules to the first URL and to every
// redirect target, so a CDN hop cannot lead outside the allowed hosts.
func (f *Fetcher) checkURL(u *url.URL) error {
	if _, err := outbound.ValidateURL(u.String(), false); err != nil {
		return err
	}
	if u.Scheme != "https" && !f.allowHTTP {
		return ErrSchemeNotAllowed
	}
	if !f.hosts.allows(u.Hostname()) {
		return fmt.Errorf("%w: %s", ErrHostNotAllowed, u.Hostname())
	}
	return nil
}

func (f *Fetcher) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > f.maxRedirects {
		return fmt.Errorf("%w: more than %d", ErrTooManyRedirects, f.maxRedirects)
	}
	return f.checkURL(req.URL)
}

// Fetch downloads rawURL into a temporary file, hashing the decoded bytes on
// the way. The caller must Close the Package to remove the file.
func (f *Fetcher) Fetch(ctx context.Context, rawURL string) (Package, error) {
	u, err := outbound.ValidateURL(rawURL, false)
	if err != nil {
		return Package{}, err
	}
	if err := f.checkURL(u); err != nil {
		return Package{}, err
	}
	resp, err := f.get(ctx, u)
	if err != nil {
		return Package{}, err
	}
	defer resp.Body.Close()
	return f.spool(resp)
}

func (f *Fetcher) get(ctx context.Context, u *url.URL) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, stripURL(err)
	}
	// Asked for explicitly so that net/http leaves decoding to us: we must cap
	// the decoded size, and the marketplace serves gzip-encoded VSIX files.
	req.Header.Set("Accept-Encoding", "gzip")
	req.Header.Set("User-Agent", "extguard-revalidation/1")
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, stripURL(err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, &StatusError{StatusCode: resp.StatusCode}
	}
	return resp, nil
}

// stripURL keeps the error chain (timeouts, ErrTooManyRedirects, blocked
// addresses) but drops the URL that net/http repeats in every error.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = fmt.Errorf("marketplace: %s: %w", ue.Op, ue.Err)
	}
	return markTimeout(err)
}

// markTimeout tags timeouts, which net/http reports in several shapes (a
// url.Error, or a bare net.Error while the body is read after Client.Timeout).
func markTimeout(err error) error {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w: %w", ErrTimeout, err)
	}
	return err
}

// spool streams the body, decoded, into SHA-256 and a temporary file.
func (f *Fetcher) spool(resp *http.Response) (Package, error) {
	encoded := encodingOf(resp.Header)
	rawLimit := f.rawLimit(encoded != "")
	if resp.ContentLength > rawLimit {
		return Package{}, fmt.Errorf("%w: Content-Length %d over %d", ErrTooLarge, resp.ContentLength, rawLimit)
	}
	// Both the wire bytes and the decoded bytes are capped: a gzip stream of
	// empty members never produces output, however long it runs.
	raw := &cappedReader{r: resp.Body, left: rawLimit}
	body, err := decoder(encoded, raw)
	if err != nil {
		return Package{}, err
	}
	return f.writeTemp(body)
}

// rawLimit allows gzip framing overhead on top of MaxBytes: a stored-block
// gzip of an already-compressed zip is slightly larger than the zip itself.
func (f *Fetcher) rawLimit(encoded bool) int64 {
	if !encoded {
		return f.maxBytes
	}
	return f.maxBytes + f.maxBytes/100 + 64<<10
}

func encodingOf(h http.Header) string {
	enc := strings.ToLower(strings.TrimSpace(h.Get("Content-Encoding")))
	if enc == "identity" {
		return ""
	}
	return enc
}

func decoder(encoding string, r io.Reader) (io.Reader, error) {
	switch encoding {
	case "":
		return r, nil
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, wrapDecodeErr(err)
		}
		return zr, nil
	default:
		return nil, fmt.Errorf("%w: %q", ErrBadEncoding, encoding)
	}
}

func wrapDecodeErr(err error) error {
	var corrupt flate.CorruptInputError
	if errors.Is(err, gzip.ErrHeader) || errors.Is(err, gzip.ErrChecksum) || errors.As(err, &corrupt) {
		return fmt.Errorf("%w: %v", ErrBadEncoding, err)
	}
	return err
}

func (f *Fetcher) writeTemp(body io.Reader) (pkg Package, err error) {
	file, err := os.CreateTemp("", "extguard-*.vsix")
	if err != nil {
		return Package{}, fmt.Errorf("marketplace: spool: %w", err)
	}
	defer func() {
		if cerr := file.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("marketplace: spool: %w", cerr)
		}
		if err != nil {
			os.Remove(file.Name())
			pkg = Package{}
		}
	}()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(file, h), io.LimitReader(body, f.maxBytes+1))
	if err != nil {
		return Package{}, wrapDecodeErr(stripURL(err))
	}
	if n > f.maxBytes {
		return Package{}, fmt.Errorf("%w: over %d bytes", ErrTooLarge, f.maxBytes)
	}
	return Package{SHA256: hex.EncodeToString(h.Sum(nil)), Size: n, path: file.Name()}, nil
}

// cappedReader fails with ErrTooLarge once more than left bytes were read, so
// a body that lies about (or omits) its Content-Length is cut off.
type cappedReader struct {
	r    io.Reader
	left int64
}

func (c *cappedReader) Read(p []byte) (int, error) {
	if c.left < 0 {
		return 0, ErrTooLarge
	}
	if int64(len(p)) > c.left+1 {
		p = p[:c.left+1]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	if c.left < 0 {
		return n, fmt.Errorf("%w: encoded body too long", ErrTooLarge)
	}
	return n, err
}
