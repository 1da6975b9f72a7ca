package discovery

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
)

// Fingerprint summarises, from file metadata alone, what the editors change when they install,
// update or remove an extension: each extensions folder and the top level of each extension folder
// in it, its extensions.json and .obsolete, and each profile's extensions.json. It costs one stat per
// extension, so the agent can poll it every few seconds and run the full Discover (which reads and
// hashes every extension) only when it changes. The extension folders are included because a folder
// copied in by hand, without extensions.json, may be seen before its package.json is written.
// Edits deeper inside an extension's files do not change it; the agent's periodic full report
// catches those through the content digest.
func Fingerprint(home, goos string) string {
	return FingerprintScope(Scope{Homes: []string{home}, GOOS: goos})
}

// FingerprintScope is Fingerprint over DiscoverScope's folders.
func FingerprintScope(s Scope) string {
	if s.GOOS == "" {
		s.GOOS = runtime.GOOS
	}
	h := sha256.New()
	stat := func(p string) {
		if st, err := os.Stat(p); err == nil {
			fmt.Fprintf(h, "%s\x00%d\x00%d\x00", p, st.Size(), st.ModTime().UnixNano())
		} else {
			fmt.Fprintf(h, "%s\x00-\x00", p)
		}
	}
	for _, r := range s.roots() {
		extDir := r.extDir
		stat(extDir)
		entries, _ := os.ReadDir(extDir)
		for _, e := range entries {
			stat(filepath.Join(extDir, e.Name()))
		}
		stat(filepath.Join(extDir, extensionsJSONName))
		stat(filepath.Join(extDir, obsoleteName))
		if r.userDataDir == "" {
			continue
		}
		profilesDir := filepath.Join(r.userDataDir, filepath.FromSlash(profilesSubdir))
		stat(profilesDir)
		profiles, _ := os.ReadDir(profilesDir)
		for _, e := range profiles {
			if e.IsDir() {
				stat(filepath.Join(profilesDir, e.Name(), extensionsJSONName))
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}
