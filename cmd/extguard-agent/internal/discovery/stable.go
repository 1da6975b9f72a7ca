package discovery

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/extguard/extguard/adapters/contentdigest"
)

const (
	// digestAttempts bounds how often a folder that keeps changing is read again.
	digestAttempts = 3
	// hotWindow: a folder with a file modified this recently may still be being written, faster
	// than file modification times (kept at the kernel's clock tick, a few milliseconds) can show.
	hotWindow = 2 * time.Second
)

// errChangedDuringScan: the folder changed each time it was read (an install or update running).
var errChangedDuringScan = errors.New("the folder changed while it was read; digest left out until the next scan")

// stableDigest is dir's content digest, taken only when no file changed while it was read. The
// files' metadata (names, sizes, modification times, modes) must be the same before and after; a
// folder modified in the last hotWindow is moreover hashed twice and both digests must agree. A
// folder still changing is read again, then given up on with an error: a digest of a half-written
// folder would be a wrong digest, which the server would take for tampering.
func stableDigest(dir string, lim contentdigest.Limits) (string, error) {
	for range digestAttempts {
		before, hot, err := treeStamp(dir)
		if err != nil {
			return "", err
		}
		sum, err := contentdigest.Compute(os.DirFS(dir), lim)
		if hot && err == nil {
			var again string
			if again, err = contentdigest.Compute(os.DirFS(dir), lim); err == nil && again != sum {
				continue
			}
		}
		after, _, stampErr := treeStamp(dir)
		if stampErr == nil && before == after {
			return sum, err // a failure of a folder that did not change is the folder's own
		}
	}
	return "", errChangedDuringScan
}

// treeStamp summarises the metadata of every entry under dir (a symlinked extension folder is
// followed, as the editor and contentdigest follow it; links inside it are not), and says whether
// any was modified in the last hotWindow.
func treeStamp(dir string) (stamp [sha256.Size]byte, hot bool, err error) {
	root, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return stamp, false, err
	}
	since := time.Now().Add(-hotWindow)
	h := sha256.New()
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		hot = hot || info.ModTime().After(since)
		fmt.Fprintf(h, "%s\x00%d\x00%d\x00%d\x00", p, info.Size(), info.ModTime().UnixNano(), info.Mode())
		return nil
	})
	copy(stamp[:], h.Sum(nil))
	return stamp, hot, err
}
