// Package cappedfile reads small editor-owned files whole, safely: the agent runs as a service and
// reads every user's home, so what it opens there is not trusted to be an ordinary, small file.
package cappedfile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
)

// ErrTooLarge: the file is over the caller's cap and is treated as corrupt rather than read into memory.
var ErrTooLarge = errors.New("file too large")

// ErrNotRegular: the name is a pipe, device, socket or folder.
var ErrNotRegular = errors.New("not a regular file")

// Read reads the whole file if it is a regular file of at most limit bytes; os.ErrNotExist passes
// through for callers to tell "missing" from "broken". A named pipe planted in a home (opened without
// O_NONBLOCK, it waits for a writer forever) or a link to a device would stall or flood the agent.
// O_NONBLOCK is ignored on Windows, which has no such files here.
func Read(name string, limit int64) ([]byte, error) {
	f, err := os.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil {
		return nil, err
	} else if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: %w", name, ErrNotRegular)
	}
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s: %w (over %d bytes)", name, ErrTooLarge, limit)
	}
	return b, nil
}
