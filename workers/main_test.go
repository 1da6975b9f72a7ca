package workers

import (
	"os"
	"testing"

	"github.com/extguard/extguard/adapters/postgres/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
