package state

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"
)

const queueDir = "queue"

// Default bounds of the report queue: a laptop offline for a long weekend keeps its latest reports;
// older ones are dropped first, since every report is a full inventory and the newest says the most.
const (
	DefaultQueueFiles = 50
	DefaultQueueBytes = 10 << 20
)

// ReportQueue holds reports not yet delivered, one file each, oldest first by name.
type ReportQueue struct {
	dir      string
	maxFiles int
	maxBytes int64
	seq      atomic.Uint64
}

// Reports returns the store's report queue, bounded to maxFiles files and maxBytes bytes (defaults
// when zero).
func (s *Store) Reports(maxFiles int, maxBytes int64) (*ReportQueue, error) {
	dir := filepath.Join(s.dir, queueDir)
	if err := os.MkdirAll(dir, dirMode); err != nil {
		return nil, fmt.Errorf("state: %w", err)
	}
	if maxFiles <= 0 {
		maxFiles = DefaultQueueFiles
	}
	if maxBytes <= 0 {
		maxBytes = DefaultQueueBytes
	}
	return &ReportQueue{dir: dir, maxFiles: maxFiles, maxBytes: maxBytes}, nil
}

// Push queues one encoded report, then drops the oldest reports beyond the bounds.
func (q *ReportQueue) Push(report []byte) error {
	// Names sort in push order: nanoseconds, then a per-process sequence for pushes within one tick.
	name := fmt.Sprintf("%020d-%06d.json", time.Now().UnixNano(), q.seq.Add(1)%1_000_000)
	if err := WriteFileAtomic(filepath.Join(q.dir, name), report); err != nil {
		return err
	}
	return q.trim()
}

// Pending lists queued report names, oldest first.
func (q *ReportQueue) Pending() ([]string, error) {
	entries, err := os.ReadDir(q.dir)
	if err != nil {
		return nil, fmt.Errorf("state: %w", err)
	}
	var names []string
	for _, e := range entries {
		if e.Type().IsRegular() && strings.HasSuffix(e.Name(), ".json") && !strings.HasPrefix(e.Name(), ".") {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	return names, nil
}

// Read returns one queued report.
func (q *ReportQueue) Read(name string) ([]byte, error) {
	return os.ReadFile(filepath.Join(q.dir, filepath.Base(name)))
}

// Remove drops one queued report (delivered, or refused for good).
func (q *ReportQueue) Remove(name string) error {
	err := os.Remove(filepath.Join(q.dir, filepath.Base(name)))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

func (q *ReportQueue) trim() error {
	names, err := q.Pending()
	if err != nil {
		return err
	}
	sizes := make([]int64, len(names))
	var total int64
	for i, n := range names {
		if st, err := os.Stat(filepath.Join(q.dir, n)); err == nil {
			sizes[i] = st.Size()
			total += sizes[i]
		}
	}
	// Always keep the newest report, even when it alone is over the byte bound.
	for i := 0; i < len(names)-1 && (len(names)-i > q.maxFiles || total > q.maxBytes); i++ {
		if err := q.Remove(names[i]); err != nil {
			return err
		}
		total -= sizes[i]
	}
	return nil
}
