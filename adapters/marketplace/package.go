package marketplace

import (
	"archive/zip"
	"errors"
	"fmt"
	"os"

	"github.com/extguard/extguard/adapters/contentdigest"
)

// Package is a downloaded VSIX spooled to a temporary file.
type Package struct {
	SHA256 string // hex SHA-256 of the decoded VSIX bytes
	Size   int64  // decoded bytes
	path   string
}

// ContentDigest computes the digest of the package's extension/ entries with
// the same function agents use on installed folders, so the two compare.
func (p Package) ContentDigest(lim contentdigest.Limits) (string, error) {
	zr, err := p.open()
	if err != nil {
		return "", err
	}
	defer zr.Close()
	return contentdigest.ComputeVSIX(&zr.Reader, lim)
}

// open opens the spooled zip; an entry name Go's zip reader calls insecure
// is reported like contentdigest does.
func (p Package) open() (*zip.ReadCloser, error) {
	if p.path == "" {
		return nil, errors.New("marketplace: package is closed or empty")
	}
	zr, err := zip.OpenReader(p.path)
	if errors.Is(err, zip.ErrInsecurePath) {
		// Only with GODEBUG=zipinsecurepath=0.
		zr.Close()
		return nil, fmt.Errorf("%w: %v", contentdigest.ErrUnsafePath, err)
	}
	if err != nil {
		return nil, fmt.Errorf("marketplace: open VSIX: %w", err)
	}
	return zr, nil
}

// Inspect reads the package's manifest and finds its executables, behind
// the same caps as ContentDigest.
func (p Package) Inspect(lim contentdigest.Limits) (contentdigest.Inspection, error) {
	zr, err := p.open()
	if err != nil {
		return contentdigest.Inspection{}, err
	}
	defer zr.Close()
	return contentdigest.InspectVSIX(&zr.Reader, lim)
}

// Close removes the temporary file. It is safe to call more than once.
func (p Package) Close() error {
	if p.path == "" {
		return nil
	}
	err := os.Remove(p.path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}
