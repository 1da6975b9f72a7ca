package contentdigest

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
)

// Inspection is what a VSIX declares and carries beyond its digest: its
// manifest, for the capabilities it asks for, and the files that are native
// code or executables, found by name (.node) and by their first bytes (ELF,
// Mach-O, PE, a #! script), whatever their names say.
type Inspection struct {
	Manifest    []byte   // extension/package.json as packaged; nil when absent
	Executables []string // paths under extension/, sorted; at most MaxListedExecutables
	// MoreExecutables counts executables past the listed ones.
	MoreExecutables int
}

// MaxListedExecutables bounds the paths an Inspection lists.
const MaxListedExecutables = 100

// magicBytes is how many leading bytes decide whether a file is executable.
const magicBytes = 4

// InspectVSIX reads a VSIX's manifest and finds its executables, after the
// same checks ComputeVSIX makes from the central directory (unsafe names,
// duplicates, entry count and declared sizes). It reads the manifest (at
// most 16 MiB, counted as inflated) and the first four bytes of every other
// file, never more.
func InspectVSIX(zr *zip.Reader, lim Limits) (Inspection, error) {
	lim = lim.withDefaults()
	if err := precheckVSIX(zr, lim); err != nil {
		return Inspection{}, err
	}
	var in Inspection
	prefix := vsixExtensionDir + "/"
	for _, f := range zr.File {
		if !strings.HasPrefix(f.Name, prefix) || strings.HasSuffix(f.Name, "/") || f.Mode().IsDir() {
			continue
		}
		rel := strings.TrimPrefix(f.Name, prefix)
		if rel == manifestName {
			b, err := readCapped(f, maxManifestBytes)
			if err != nil {
				return Inspection{}, err
			}
			in.Manifest = b
			continue
		}
		head, err := readCapped(f, magicBytes)
		if err != nil && err != errOverCap {
			return Inspection{}, err
		}
		if isExecutable(rel, head) {
			if len(in.Executables) < MaxListedExecutables {
				in.Executables = append(in.Executables, rel)
			} else {
				in.MoreExecutables++
			}
		}
	}
	sort.Strings(in.Executables)
	return in, nil
}

var errOverCap = fmt.Errorf("contentdigest: over the read cap")

// readCapped reads up to n bytes of f; for the manifest (n = the manifest
// cap) more than n is an error, for magic bytes it is what is wanted.
func readCapped(f *zip.File, n int64) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("contentdigest: open %s: %w", f.Name, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, n+1))
	if err != nil {
		return nil, fmt.Errorf("contentdigest: read %s: %w", f.Name, err)
	}
	if int64(len(b)) > n {
		if n == magicBytes {
			return b[:n], errOverCap
		}
		return nil, fmt.Errorf("%w: %s is over %d bytes", ErrTooLarge, f.Name, n)
	}
	return b, nil
}

// isExecutable: a Node native addon or a shell, PowerShell or batch script
// by name (an interpreter runs those without a #! line: spawn("sh",
// ["x.sh"])), or ELF, Mach-O (thin and fat, either byte order), PE (MZ) or a
// script with a #! line by content. A .exe whose bytes say otherwise is
// data (Windows will not run it); a binary named .txt is not.
func isExecutable(name string, head []byte) bool {
	switch strings.ToLower(path.Ext(name)) {
	case ".node", ".sh", ".bash", ".zsh", ".command", ".ps1", ".bat", ".cmd":
		return true
	}
	for _, m := range [][]byte{
		{0x7f, 'E', 'L', 'F'},
		{0xfe, 0xed, 0xfa, 0xce}, {0xfe, 0xed, 0xfa, 0xcf}, {0xce, 0xfa, 0xed, 0xfe}, {0xcf, 0xfa, 0xed, 0xfe},
		{0xca, 0xfe, 0xba, 0xbe}, // fat Mach-O (also Java classes, which run too)
		{'M', 'Z'}, {'#', '!'},
	} {
		if bytes.HasPrefix(head, m) {
			return true
		}
	}
	return false
}
