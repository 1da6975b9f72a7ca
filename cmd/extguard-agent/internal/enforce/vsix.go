package enforce

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/extguard/extguard/protocol/agentv1"
)

// downloadVerified fetches the action's VSIX into a temporary .vsix file (the editors' command
// lines recognise packages by that suffix) and returns its path only when its SHA-256 is the
// action's. Otherwise nothing is left on disk and no editor ever sees the file.
func (e *Enforcer) downloadVerified(ctx context.Context, a agentv1.Action) (path string, cleanup func(), err error) {
	want := strings.ToLower(strings.TrimSpace(a.SHA256))
	if b, err := hex.DecodeString(want); err != nil || len(b) != sha256.Size {
		return "", nil, fmt.Errorf("%s: refusing to install without a valid SHA-256 in the action", a.ExtensionID)
	}
	u, err := url.Parse(a.DownloadURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return "", nil, fmt.Errorf("%s: download_url %q is not an http(s) URL", a.ExtensionID, a.DownloadURL)
	}
	f, err := os.CreateTemp(e.TempDir, "extguard-*.vsix")
	if err != nil {
		return "", nil, err
	}
	remove := func() { _ = os.Remove(f.Name()) }
	got, err := e.fetchInto(ctx, u.String(), f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && got != want {
		err = fmt.Errorf("%s %s: %w: downloaded %s, policy approved %s", a.ExtensionID, a.Version, ErrChecksumMismatch, got, want)
	}
	if err != nil {
		remove()
		return "", nil, err
	}
	return f.Name(), remove, nil
}

// fetchInto streams the body of url into w and returns its hex SHA-256.
func (e *Enforcer) fetchInto(ctx context.Context, url string, w io.Writer) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := e.HTTPClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("downloading VSIX: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("downloading VSIX: %s", resp.Status)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(w, h), io.LimitReader(resp.Body, e.MaxVSIXBytes+1))
	if err != nil {
		return "", fmt.Errorf("downloading VSIX: %w", err)
	}
	if n > e.MaxVSIXBytes {
		return "", errors.New("downloading VSIX: larger than the agent accepts")
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
