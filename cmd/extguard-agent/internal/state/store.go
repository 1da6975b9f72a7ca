// Package state keeps what the agent must remember between runs in one directory readable only by
// the user: its enrollment, the last policy, the per-install secrets and the queue of reports not yet
// delivered. Every file is written whole to a temporary file and renamed into place, so a crash or a
// full disk leaves the previous version, never half a file.
package state

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

const (
	dirMode  = 0o700
	fileMode = 0o600
)

// Store is the agent's state directory.
type Store struct{ dir string }

// Open creates dir (0700) when missing and tightens its mode when it exists: it holds the
// enrollment and the salt of the user hash. On Windows the mode bits are not enforced; the default
// directory under %LOCALAPPDATA% is already private to the user.
func Open(dir string) (*Store, error) {
	if dir == "" {
		return nil, errors.New("state: no directory")
	}
	if err := os.MkdirAll(dir, dirMode); err != nil {
		return nil, fmt.Errorf("state: %w", err)
	}
	if err := os.Chmod(dir, dirMode); err != nil {
		return nil, fmt.Errorf("state: %w", err)
	}
	return &Store{dir: dir}, nil
}

// Dir is the state directory.
func (s *Store) Dir() string { return s.dir }

// Load decodes the JSON file name into v; found is false when it does not exist.
func (s *Store) Load(name string, v any) (found bool, err error) {
	b, err := os.ReadFile(filepath.Join(s.dir, name))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("state: %w", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return false, fmt.Errorf("state: %s is corrupt: %w", name, err)
	}
	return true, nil
}

// Save writes v as JSON to the file name, atomically, mode 0600.
func (s *Store) Save(name string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("state: %w", err)
	}
	return WriteFileAtomic(filepath.Join(s.dir, name), b)
}

// Secret returns the random hex value kept in the file name, creating it on first use. It never
// changes afterwards, which is what makes values derived from it stable across runs.
func (s *Store) Secret(name string) (string, error) {
	p := filepath.Join(s.dir, name)
	b, err := os.ReadFile(p)
	if err == nil && len(strings.TrimSpace(string(b))) >= 32 {
		return strings.TrimSpace(string(b)), nil
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("state: %w", err)
	}
	v := randomHex(32)
	if err := WriteFileAtomic(p, []byte(v+"\n")); err != nil {
		return "", err
	}
	return v, nil
}

// WriteFileAtomic replaces path with data: a temporary file in the same directory (so the rename
// stays on one file system), synced, mode 0600, then renamed over path.
func WriteFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("state: %w", err)
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	if err := f.Chmod(fileMode); err != nil && !errors.Is(err, errors.ErrUnsupported) {
		return fmt.Errorf("state: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("state: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("state: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("state: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("state: %w", err)
	}
	ok = true
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b)
}
