package enforce

import (
	"bytes"
	"context"
	"os/exec"
	"sync"
	"time"
)

// maxCommandOutput bounds what is kept of an editor command's output: only its last line is logged.
const maxCommandOutput = 64 << 10

// runCommand runs program directly (args as a slice, no shell, so no quoting or injection) with no
// stdin. WaitDelay stops the wait when the editor's launcher leaves a helper process holding the
// output pipes after the context ended.
func runCommand(ctx context.Context, program string, args []string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, program, args...)
	var out tailBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	return out.Bytes(), err
}

// tailBuffer keeps the last maxCommandOutput bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf.Write(p)
	if over := t.buf.Len() - maxCommandOutput; over > 0 {
		t.buf.Next(over)
	}
	return len(p), nil
}

func (t *tailBuffer) Bytes() []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	return bytes.Clone(t.buf.Bytes())
}
