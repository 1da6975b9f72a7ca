package workers

import (
	"bytes"
	"strings"
	"testing"

	"github.com/extguard/extguard/adapters/logging"
)

func TestAsynqLinesNameTheLibraryWithoutRepeatingComponent(t *testing.T) {
	var buf bytes.Buffer
	newAsynqLogger(logging.New("info", "json", &buf).With("component", "worker")).Error("Dequeue error: refused")
	line := buf.String()
	if strings.Count(line, `"component"`) != 1 || !strings.Contains(line, `"library":"asynq"`) {
		t.Fatalf("asynq line: %s", line)
	}
}
