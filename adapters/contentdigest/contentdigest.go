// Package contentdigest computes the content digest of an editor extension: one SHA-256 over a
// canonical listing of the extension's files. The agent computes it over an installed extension
// folder and the checksum-revalidation worker over the `extension/` subtree of the VSIX the catalog
// approved; both call Compute, so the two sides cannot drift apart.
//
// The canonical listing holds one line per regular file, sorted bytewise by path:
//
//	<lowercase hex SHA-256 of the file>  <slash-separated path relative to the root>\n
//
// and the digest is the lowercase hex SHA-256 of that listing. Two files the editor writes at install
// are normalised away so that an installed folder and its package give the same digest:
//   - `.vsixmanifest` at the root (the editor copies the package manifest there) is left out;
//   - `package.json` at the root is hashed in a canonical JSON form without its top-level `__metadata`
//     key (older editors added that key and re-serialised the file); when it is not valid JSON its
//     raw bytes are hashed.
//
// Directories, symbolic links and other non-regular files are not part of the listing, on either side.
package contentdigest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Errors are wrapped with the offending path; test them with errors.Is.
var (
	// ErrTooManyFiles: the tree (or archive) has more entries than Limits.MaxFiles allows.
	ErrTooManyFiles = errors.New("contentdigest: too many files")
	// ErrTooLarge: a file exceeds Limits.MaxFileBytes or the tree exceeds Limits.MaxTotalBytes.
	ErrTooLarge = errors.New("contentdigest: content too large")
	// ErrUnsafePath: a path that could escape the tree or forge a line of the listing.
	ErrUnsafePath = errors.New("contentdigest: unsafe path")
)

// Limits bound the work one digest may cost, so that a hostile package or folder cannot exhaust the
// agent's or the worker's memory, disk reads or time. Zero (or negative) fields take the defaults.
type Limits struct {
	MaxFiles      int   // regular files in the tree; directories are bounded by the same number
	MaxTotalBytes int64 // bytes actually read, summed over all files
	MaxFileBytes  int64 // bytes actually read from one file
}

const (
	defaultMaxFiles      = 20_000
	defaultMaxTotalBytes = 1 << 30
	defaultMaxFileBytes  = 256 << 20

	// maxManifestBytes caps the one file read into memory (package.json, to normalise it).
	maxManifestBytes = 16 << 20

	manifestName    = "package.json"
	vsixManifestDot = ".vsixmanifest"
	metadataKey     = "__metadata"
)

// DefaultLimits are generous for real extensions (the largest marketplace extensions hold a few
// thousand files and a few hundred MiB) and still bound a hostile one.
func DefaultLimits() Limits {
	return Limits{MaxFiles: defaultMaxFiles, MaxTotalBytes: defaultMaxTotalBytes, MaxFileBytes: defaultMaxFileBytes}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxFiles <= 0 {
		l.MaxFiles = d.MaxFiles
	}
	if l.MaxTotalBytes <= 0 {
		l.MaxTotalBytes = d.MaxTotalBytes
	}
	if l.MaxFileBytes <= 0 {
		l.MaxFileBytes = d.MaxFileBytes
	}
	return l
}

type listedFile struct {
	path string
	sum  [sha256.Size]byte
}

// Compute returns the lowercase hex content digest of the tree rooted at fsys (an installed
// extension folder through os.DirFS, or a VSIX's `extension/` subtree through fs.Sub).
func Compute(fsys fs.FS, lim Limits) (string, error) {
	lim = lim.withDefaults()
	var (
		files      []listedFile
		dirs       int
		totalBytes int64
		h          = sha256.New()
		buf        = make([]byte, 64<<10)
	)
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := checkListedPath(p); err != nil {
			return err
		}
		if d.IsDir() {
			if dirs++; dirs > lim.MaxFiles {
				return fmt.Errorf("%w: more than %d directories", ErrTooManyFiles, lim.MaxFiles)
			}
			return nil
		}
		if !d.Type().IsRegular() {
			// Symlinks, devices, sockets: never followed, on either side, so both agree.
			return nil
		}
		if p == vsixManifestDot {
			return nil
		}
		if len(files) >= lim.MaxFiles {
			return fmt.Errorf("%w: more than %d files", ErrTooManyFiles, lim.MaxFiles)
		}
		var sum [sha256.Size]byte
		var n int64
		var err2 error
		if p == manifestName {
			sum, n, err2 = hashManifest(fsys, p, lim, totalBytes)
		} else {
			sum, n, err2 = hashFile(fsys, p, lim, totalBytes, h, buf)
		}
		totalBytes += n
		if err2 != nil {
			return err2
		}
		files = append(files, listedFile{path: p, sum: sum})
		return nil
	})
	if err != nil {
		return "", err
	}
	// WalkDir's per-directory order is not a bytewise order of whole paths ("a/b" vs "a.txt").
	slices.SortFunc(files, func(a, b listedFile) int { return strings.Compare(a.path, b.path) })
	h.Reset()
	line := make([]byte, 0, 256)
	for _, f := range files {
		line = hex.AppendEncode(line[:0], f.sum[:])
		line = append(line, ' ', ' ')
		line = append(line, f.path...)
		line = append(line, '\n')
		h.Write(line)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// checkListedPath refuses paths that could escape the root or that would let one file's name forge
// extra lines of the listing (a newline in a name).
func checkListedPath(p string) error {
	if !fs.ValidPath(p) {
		return fmt.Errorf("%w: %q", ErrUnsafePath, p)
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == ".." {
			return fmt.Errorf("%w: %q", ErrUnsafePath, p)
		}
	}
	for i := 0; i < len(p); i++ {
		if c := p[i]; c < 0x20 || c == 0x7f {
			return fmt.Errorf("%w: control character in %q", ErrUnsafePath, p)
		}
	}
	return nil
}

// readLimit is how many bytes of the next file may be read: the per-file cap or what is left of the
// total, whichever is smaller. One byte more is read to notice an overrun without trusting sizes.
func readLimit(lim Limits, used int64) int64 {
	return min(lim.MaxFileBytes, lim.MaxTotalBytes-used)
}

func overrun(p string, n int64, lim Limits) error {
	if n > lim.MaxFileBytes {
		return fmt.Errorf("%w: %s is over %d bytes", ErrTooLarge, p, lim.MaxFileBytes)
	}
	return fmt.Errorf("%w: tree is over %d bytes at %s", ErrTooLarge, lim.MaxTotalBytes, p)
}

func hashFile(fsys fs.FS, p string, lim Limits, used int64, h hash.Hash, buf []byte) (sum [sha256.Size]byte, n int64, err error) {
	f, err := fsys.Open(p)
	if err != nil {
		return sum, 0, err
	}
	defer f.Close()
	allowed := readLimit(lim, used)
	h.Reset()
	n, err = io.CopyBuffer(h, io.LimitReader(f, allowed+1), buf)
	if err != nil {
		return sum, n, fmt.Errorf("contentdigest: read %s: %w", p, err)
	}
	if n > allowed {
		return sum, n, overrun(p, n, lim)
	}
	h.Sum(sum[:0])
	return sum, n, nil
}

func hashManifest(fsys fs.FS, p string, lim Limits, used int64) (sum [sha256.Size]byte, n int64, err error) {
	f, err := fsys.Open(p)
	if err != nil {
		return sum, 0, err
	}
	defer f.Close()
	allowed := min(readLimit(lim, used), maxManifestBytes)
	raw, err := io.ReadAll(io.LimitReader(f, allowed+1))
	n = int64(len(raw))
	if err != nil {
		return sum, n, fmt.Errorf("contentdigest: read %s: %w", p, err)
	}
	if n > allowed {
		if n > maxManifestBytes {
			return sum, n, fmt.Errorf("%w: %s is over %d bytes", ErrTooLarge, p, maxManifestBytes)
		}
		return sum, n, overrun(p, n, lim)
	}
	return sha256.Sum256(NormalizeManifest(raw)), n, nil
}

// NormalizeManifest returns the bytes of a root package.json that enter the digest: the JSON value
// re-encoded canonically (object keys sorted, no insignificant whitespace, no HTML escaping) with the
// top-level `__metadata` key removed. Input that is not exactly one JSON value is returned unchanged.
//
// Numbers are normalised the way the editor's JSON.parse / JSON.stringify round trip does (IEEE
// double, shortest form, -0 as 0, out-of-range as null) because that round trip is how an installed
// package.json came to differ from the packaged one; a UTF-8 byte order mark is ignored likewise.
func NormalizeManifest(raw []byte) []byte {
	body := bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf"))
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return raw
	}
	if _, err := dec.Token(); err != io.EOF {
		return raw // trailing data: not one JSON value, so the editor never rewrote it either
	}
	if obj, ok := v.(map[string]any); ok {
		delete(obj, metadataKey)
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(jsNumbers(v)); err != nil {
		return raw
	}
	return bytes.TrimSuffix(out.Bytes(), []byte("\n"))
}

// jsNumbers replaces json.Number values by what JavaScript would read them as.
func jsNumbers(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			t[k] = jsNumbers(e)
		}
		return t
	case []any:
		for i, e := range t {
			t[i] = jsNumbers(e)
		}
		return t
	case json.Number:
		f, err := strconv.ParseFloat(string(t), 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return nil // JSON.stringify(Infinity) === "null"
		}
		if f == 0 {
			return float64(0) // JSON.stringify(-0) === "0"
		}
		return f // encoding/json formats float64 as ES6 Number.prototype.toString does
	default:
		return v
	}
}
