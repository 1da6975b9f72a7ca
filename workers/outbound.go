package workers

import (
	"context"
	"errors"
	"net/http"

	"github.com/extguard/extguard/adapters/contentdigest"
	"github.com/extguard/extguard/adapters/marketplace"
	"github.com/extguard/extguard/adapters/outbound"
	"github.com/extguard/extguard/adapters/webhook"
	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/extension"
)

// WebhookSender adapts webhook.Sender (signing, SSRF-guarded client, no
// redirects) to the application's port.
type WebhookSender struct{ Sender *webhook.Sender }

var _ application.WebhookSender = WebhookSender{}

// Send: see application.WebhookSender.
func (s WebhookSender) Send(ctx context.Context, m application.WebhookMessage) application.WebhookResult {
	r := s.Sender.Deliver(ctx, webhook.Delivery{URL: m.URL, MessageID: m.MessageID, Secrets: m.Secrets, Body: m.Body})
	out := application.WebhookResult{StatusCode: r.StatusCode, Duration: r.Duration, Err: r.Err,
		ResponseSnippet: r.ResponseSnippet, Outcome: application.WebhookRetry}
	switch r.Outcome {
	case webhook.Delivered:
		out.Outcome = application.WebhookDelivered
	case webhook.Gone:
		out.Outcome = application.WebhookGone
	}
	countAttempt(ctx, out.Outcome)
	return out
}

// PackageFetcher adapts marketplace.Fetcher to the application's port and
// sorts its errors into worth-retrying (unavailable) and final (invalid).
type PackageFetcher struct {
	Fetcher *marketplace.Fetcher
	Limits  contentdigest.Limits // zero: contentdigest's defaults
}

var _ application.PackageFetcher = PackageFetcher{}

// Fetch: see application.PackageFetcher.
func (f PackageFetcher) Fetch(ctx context.Context, rawURL string) (application.FetchedPackage, error) {
	p, err := f.Fetcher.Fetch(ctx, rawURL)
	if err != nil {
		return nil, classifyDownload(err)
	}
	return fetchedPackage{p: p, lim: f.Limits}, nil
}

func classifyDownload(err error) error {
	var status *marketplace.StatusError
	switch {
	case errors.Is(err, marketplace.ErrTimeout):
		return errors.Join(domain.Unavailable("package download timed out"), err)
	case errors.As(err, &status):
		if status.StatusCode >= 500 || status.StatusCode == http.StatusTooManyRequests || status.StatusCode == http.StatusRequestTimeout {
			return errors.Join(domain.Unavailable("package server failed"), err)
		}
		return errors.Join(domain.Invalid("package server refused the download"), err)
	case errors.Is(err, marketplace.ErrHostNotAllowed), errors.Is(err, marketplace.ErrSchemeNotAllowed),
		errors.Is(err, marketplace.ErrTooLarge), errors.Is(err, marketplace.ErrTooManyRedirects),
		errors.Is(err, marketplace.ErrBadEncoding), errors.Is(err, outbound.ErrInvalidURL),
		errors.Is(err, outbound.ErrHTTPSRequired), outbound.IsBlocked(err):
		return errors.Join(domain.Invalid("package download refused"), err)
	}
	return errors.Join(domain.Unavailable("package download failed"), err)
}

type fetchedPackage struct {
	p   marketplace.Package
	lim contentdigest.Limits
}

func (f fetchedPackage) SHA256() string { return f.p.SHA256 }
func (f fetchedPackage) Close() error   { return f.p.Close() }

// ContentDigest: every failure is final: the same bytes give the same error.
func (f fetchedPackage) ContentDigest() (string, error) {
	d, err := f.p.ContentDigest(f.lim)
	if err != nil {
		return "", errors.Join(domain.Invalid("package content cannot be digested"), err)
	}
	return d, nil
}

// Capabilities: every failure is final, as for ContentDigest.
func (f fetchedPackage) Capabilities() (extension.Capabilities, error) {
	in, err := f.p.Inspect(f.lim)
	if err != nil {
		return extension.Capabilities{}, errors.Join(domain.Invalid("package cannot be inspected"), err)
	}
	c, err := extension.ParseCapabilities(in.Manifest, in.Executables, in.MoreExecutables)
	if err != nil {
		return extension.Capabilities{}, errors.Join(domain.Invalid("package manifest is not JSON"), err)
	}
	return c, nil
}
