// Package discovery finds every installation of a VS Code-family editor under home directories and
// in configured extensions folders (the editors and servers of docs/agent-editors.md) with each
// profile's installed extensions, as the editor itself would resolve them, and their content digests.
//
// It reads only the editors' own files, never writes, and never consults the environment, so the
// result depends on its Scope alone. Problems with one editor's files become warnings on that installation; an
// unreadable state file never hides what is on disk (discovery then lists the folder's extensions).
package discovery

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/extguard/extguard/adapters/contentdigest"
)

// Installation is one (editor, extensions folder, profile) and the extensions installed in it.
type Installation struct {
	Editor        string      `json:"editor"`
	Profile       string      `json:"profile"`
	ExtensionsDir string      `json:"extensions_dir"`
	Home          string      `json:"home,omitempty"`       // the home it was found in; "" for a configured folder
	Configured    bool        `json:"configured,omitempty"` // a configured folder: its command line needs --extensions-dir
	Extensions    []Extension `json:"extensions"`
	Warnings      []string    `json:"warnings,omitempty"`
}

// Extension is one installed extension.
type Extension struct {
	ID             string `json:"id"` // lower-cased publisher.name
	Version        string `json:"version"`
	Dir            string `json:"dir"`
	TargetPlatform string `json:"target_platform,omitempty"`
	PreRelease     bool   `json:"pre_release,omitempty"`
	ContentSHA256  string `json:"content_sha256,omitempty"` // empty unless Options.ComputeDigests and the digest succeeded
}

// Options tune Discover.
type Options struct {
	ComputeDigests bool
	DigestLimits   contentdigest.Limits
}

// Item is one row of an agent report: an extension installed for an editor.
type Item struct {
	ExtensionID string `json:"extension_id"`
	Version     string `json:"version"`
	SHA256      string `json:"sha256,omitempty"`
	Editor      string `json:"editor"`
}

// Discover returns the installations found under home, using goos's path conventions ("linux",
// "darwin", "windows"; other unixes are treated like linux; "" means this machine's). The order is
// deterministic: by editor, extensions folder, then profile ("default" first). The error is non-nil
// only when home itself cannot be used.
func Discover(home, goos string, opts Options) ([]Installation, error) {
	if err := CheckHome(home); err != nil {
		return nil, err
	}
	return DiscoverScope(Scope{Homes: []string{home}, GOOS: goos}, opts), nil
}

// CheckHome says why home cannot be searched, or nil.
func CheckHome(home string) error {
	if home == "" {
		return errors.New("discovery: no home directory")
	}
	if st, err := os.Stat(home); err != nil {
		return fmt.Errorf("discovery: home directory: %w", err)
	} else if !st.IsDir() {
		return fmt.Errorf("discovery: home directory %s is not a directory", home)
	}
	return nil
}

// DiscoverScope is Discover over several homes and configured extensions folders; a home or folder
// that does not exist simply holds no installation.
func DiscoverScope(s Scope, opts Options) []Installation {
	if s.GOOS == "" {
		s.GOOS = runtime.GOOS
	}
	var insts []Installation
	for _, r := range s.roots() {
		insts = append(insts, discoverLocation(r)...)
	}
	for i := range insts {
		dropUnreportable(&insts[i])
	}
	for i := range insts {
		slices.SortFunc(insts[i].Extensions, func(a, b Extension) int {
			return cmp.Or(cmp.Compare(a.ID, b.ID), cmp.Compare(a.Version, b.Version), cmp.Compare(a.Dir, b.Dir))
		})
	}
	slices.SortStableFunc(insts, func(a, b Installation) int {
		return cmp.Or(
			cmp.Compare(a.Editor, b.Editor),
			cmp.Compare(a.ExtensionsDir, b.ExtensionsDir),
			compareProfiles(a.Profile, b.Profile),
		)
	})
	if opts.ComputeDigests {
		attachDigests(insts, opts.DigestLimits)
	}
	return insts
}

func compareProfiles(a, b string) int {
	if (a == defaultProfileName) != (b == defaultProfileName) {
		if a == defaultProfileName {
			return -1
		}
		return 1
	}
	return cmp.Compare(a, b)
}

func hostPath(home, slashRel string) string {
	return filepath.Join(home, filepath.FromSlash(slashRel))
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// discoverLocation returns the default profile's installation and one per non-default profile
// that has its own extensions.json. Profiles that share the default profile's extensions have none.
func discoverLocation(r root) []Installation {
	extDir := r.extDir
	if !isDir(extDir) {
		return nil
	}
	var shared []string
	obsolete := map[string]bool{}
	switch b, err := readCapped(filepath.Join(extDir, obsoleteName), maxStateFileBytes); {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		shared = append(shared, fmt.Sprintf("%s: %v; uninstalled folders may be reported as installed", filepath.Join(extDir, obsoleteName), err))
	default:
		if m, err := parseObsolete(b); err != nil {
			shared = append(shared, fmt.Sprintf("%s: corrupt (%v); uninstalled folders may be reported as installed", filepath.Join(extDir, obsoleteName), err))
		} else {
			obsolete = m
		}
	}

	newInst := func(profile, listing string) Installation {
		in := resolveInstallation(r.editor, profile, extDir, listing, obsolete, shared)
		in.Home, in.Configured = r.home, r.configured
		return in
	}
	insts := []Installation{newInst(defaultProfileName, filepath.Join(extDir, extensionsJSONName))}
	if r.userDataDir == "" {
		return insts
	}
	userData := r.userDataDir
	profilesDir := filepath.Join(userData, filepath.FromSlash(profilesSubdir))
	entries, err := os.ReadDir(profilesDir)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			insts[0].Warnings = append(insts[0].Warnings, fmt.Sprintf("%s: %v; profiles not examined", profilesDir, err))
		}
		return insts
	}
	var names map[string]string
	storage := filepath.Join(userData, filepath.FromSlash(globalStorageSubpath))
	if b, err := readCapped(storage, maxStateFileBytes); err == nil {
		if names, err = parseProfileNames(b); err != nil {
			insts[0].Warnings = append(insts[0].Warnings, fmt.Sprintf("%s: %v; profiles named by folder", storage, err))
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		insts[0].Warnings = append(insts[0].Warnings, fmt.Sprintf("%s: %v; profiles named by folder", storage, err))
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		listing := filepath.Join(profilesDir, e.Name(), extensionsJSONName)
		if _, err := os.Stat(listing); err != nil {
			continue // a profile that uses the default profile's extensions, or has none yet
		}
		name := names[e.Name()]
		if name == "" {
			name = e.Name()
		}
		insts = append(insts, newInst(name, listing))
	}
	return insts
}

// resolveInstallation lists one profile's extensions from its extensions.json, falling back to a
// scan of the extensions folder when the listing is missing or corrupt.
func resolveInstallation(editor, profile, extDir, listing string, obsolete map[string]bool, warnings []string) Installation {
	inst := Installation{Editor: editor, Profile: profile, ExtensionsDir: extDir, Warnings: slices.Clone(warnings)}
	warn := func(format string, args ...any) { inst.Warnings = append(inst.Warnings, fmt.Sprintf(format, args...)) }

	b, err := readCapped(listing, maxStateFileBytes)
	var listed []listedExtension
	switch {
	case errors.Is(err, fs.ErrNotExist):
		inst.Extensions = scanExtensionsDir(extDir, obsolete, warn)
		return inst
	case err != nil:
		warn("%s: %v; listing every extension folder instead", listing, err)
		inst.Extensions = scanExtensionsDir(extDir, obsolete, warn)
		return inst
	}
	if listed, err = parseExtensionsJSON(b); err != nil {
		warn("%s: corrupt (%v); listing every extension folder instead", listing, err)
		inst.Extensions = scanExtensionsDir(extDir, obsolete, warn)
		return inst
	}
	for _, l := range listed {
		if obsolete[strings.ToLower(l.folder)] {
			continue // uninstalled, awaiting deletion
		}
		dir := filepath.Join(extDir, l.folder)
		if !isDir(dir) {
			warn("%s %s: listed in %s but folder %s is missing", l.id, l.version, listing, dir)
			continue
		}
		ext := Extension{ID: l.id, Version: l.version, Dir: dir, TargetPlatform: l.targetPlatform, PreRelease: l.preRelease}
		// The editor runs what the folder's package.json says; disagreement means the folder was
		// changed behind the editor's back, which the security team wants to hear about.
		if m, err := readPackageManifest(filepath.Join(dir, packageJSONName)); err != nil {
			warn("%s: %v", dir, err)
		} else if m.id() != l.id || m.Version != l.version {
			warn("%s: package.json says %s %s, %s says %s %s", dir, m.id(), m.Version, listing, l.id, l.version)
		}
		inst.Extensions = append(inst.Extensions, ext)
	}
	return inst
}

// scanExtensionsDir lists every extension folder (what the editor would load without a listing):
// subfolders with a package.json naming publisher and name, except hidden and obsolete ones.
func scanExtensionsDir(extDir string, obsolete map[string]bool, warn func(string, ...any)) []Extension {
	entries, err := os.ReadDir(extDir)
	if err != nil {
		warn("%s: %v", extDir, err)
		return nil
	}
	var out []Extension
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") || obsolete[strings.ToLower(name)] {
			continue
		}
		dir := filepath.Join(extDir, name)
		if !isDir(dir) { // follows symlinked extension folders, as the editor does
			continue
		}
		m, err := readPackageManifest(filepath.Join(dir, packageJSONName))
		if err != nil {
			warn("%s: not an extension folder: %v", dir, err)
			continue
		}
		id := m.id()
		if id == "" {
			warn("%s: package.json has no publisher or name", dir)
			continue
		}
		out = append(out, Extension{
			ID:             id,
			Version:        m.Version,
			Dir:            dir,
			TargetPlatform: normalisePlatform(m.Metadata.TargetPlatform),
			PreRelease:     m.Metadata.IsPreReleaseVersion,
		})
	}
	return out
}

// attachDigests computes each distinct extension folder's digest once (profiles share folders),
// on a small worker pool: hashing is I/O- and CPU-bound in about equal parts.
func attachDigests(insts []Installation, lim contentdigest.Limits) {
	var dirs []string
	seen := map[string]bool{}
	for _, in := range insts {
		for _, e := range in.Extensions {
			if !seen[e.Dir] {
				seen[e.Dir] = true
				dirs = append(dirs, e.Dir)
			}
		}
	}
	type result struct {
		sum string
		err error
	}
	results := make([]result, len(dirs))
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.NumCPU(), len(dirs)) {
		wg.Go(func() {
			for i := range work {
				sum, err := stableDigest(dirs[i], lim)
				results[i] = result{sum, err}
			}
		})
	}
	for i := range dirs {
		work <- i
	}
	close(work)
	wg.Wait()

	byDir := make(map[string]result, len(dirs))
	for i, d := range dirs {
		byDir[d] = results[i]
	}
	for i := range insts {
		for j := range insts[i].Extensions {
			e := &insts[i].Extensions[j]
			r := byDir[e.Dir]
			if r.err != nil {
				insts[i].Warnings = append(insts[i].Warnings, fmt.Sprintf("%s: content digest: %v", e.Dir, r.err))
				continue
			}
			e.ContentSHA256 = r.sum
		}
	}
}
