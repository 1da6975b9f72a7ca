package contentdigest

import (
	"archive/zip"
	"errors"
	"fmt"
	"io/fs"
	"strings"
)

// vsixExtensionDir is the folder of a VSIX the editor unpacks into the extension's folder.
const vsixExtensionDir = "extension"

// packageEntrySlack allows for the package-level entries beside extension/ (extension.vsixmanifest,
// [Content_Types].xml, signatures) and for explicit directory entries.
const packageEntrySlack = 64

// ComputeVSIX returns the content digest of a VSIX package: Compute over its `extension/` subtree, so
// that it equals the digest of the folder an editor installs from it.
//
// Before reading any content it refuses, from the central directory alone, archives whose entry names
// could escape the extraction folder (absolute paths, drive letters, `..`, backslashes, control
// characters), duplicate names (different extractors would keep different copies), and archives whose
// entry count or declared sizes exceed the limits. Declared sizes are not trusted beyond that: Compute
// still counts the bytes it actually inflates.
func ComputeVSIX(zr *zip.Reader, lim Limits) (string, error) {
	lim = lim.withDefaults()
	if err := precheckVSIX(zr, lim); err != nil {
		return "", err
	}
	sub, err := fs.Sub(zr, vsixExtensionDir)
	if err != nil {
		return "", err
	}
	sum, err := Compute(sub, lim)
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("contentdigest: VSIX has no %s/ folder: %w", vsixExtensionDir, err)
	}
	return sum, err
}

func precheckVSIX(zr *zip.Reader, lim Limits) error {
	if len(zr.File) > 2*lim.MaxFiles+packageEntrySlack {
		return fmt.Errorf("%w: archive has %d entries", ErrTooManyFiles, len(zr.File))
	}
	seen := make(map[string]struct{}, len(zr.File))
	var files int
	var total uint64
	for _, f := range zr.File {
		if err := checkEntryName(f.Name); err != nil {
			return err
		}
		name := strings.TrimSuffix(f.Name, "/")
		if _, dup := seen[name]; dup {
			return fmt.Errorf("%w: duplicate entry %q", ErrUnsafePath, f.Name)
		}
		seen[name] = struct{}{}
		if !strings.HasPrefix(name, vsixExtensionDir+"/") || strings.HasSuffix(f.Name, "/") || f.Mode().IsDir() {
			continue
		}
		if files++; files > lim.MaxFiles {
			return fmt.Errorf("%w: more than %d files under %s/", ErrTooManyFiles, lim.MaxFiles, vsixExtensionDir)
		}
		if f.UncompressedSize64 > uint64(lim.MaxFileBytes) {
			return fmt.Errorf("%w: %s declares %d bytes", ErrTooLarge, f.Name, f.UncompressedSize64)
		}
		if total += f.UncompressedSize64; total > uint64(lim.MaxTotalBytes) {
			return fmt.Errorf("%w: entries declare over %d bytes", ErrTooLarge, lim.MaxTotalBytes)
		}
	}
	return nil
}

// checkEntryName accepts only clean, relative, slash-separated names: what packagers write and what
// every extractor resolves to the same place.
func checkEntryName(name string) error {
	bad := func(why string) error { return fmt.Errorf("%w: entry %q: %s", ErrUnsafePath, name, why) }
	switch {
	case name == "":
		return bad("empty name")
	case strings.HasPrefix(name, "/"):
		return bad("absolute path")
	case strings.Contains(name, `\`):
		return bad("backslash")
	case len(name) >= 2 && name[1] == ':':
		return bad("drive letter")
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c < 0x20 || c == 0x7f {
			return bad("control character")
		}
	}
	segs := strings.Split(strings.TrimSuffix(name, "/"), "/")
	for _, s := range segs {
		switch s {
		case "..":
			return bad("parent reference")
		case ".", "":
			return bad("non-canonical path")
		}
	}
	return nil
}
