package postgres_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/extguard/extguard/adapters/postgres"
	"github.com/extguard/extguard/adapters/postgres/pgtest"
	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/report"
)

// historyRow is one reports row as the history tests read it.
type historyRow struct {
	Extension string    `bun:"extension_id"`
	Editor    string    `bun:"editor"`
	Installed bool      `bun:"installed"`
	Version   *string   `bun:"installed_version"`
	SHA256    *string   `bun:"extension_sha256"`
	At        time.Time `bun:"reported_at"`
}

func (r historyRow) state() string {
	if !r.Installed {
		return "-"
	}
	v, d := "", ""
	if r.Version != nil {
		v = *r.Version
	}
	if r.SHA256 != nil {
		d = *r.SHA256
	}
	return v + "/" + d
}

func history(t *testing.T, ctx context.Context, agentID domain.ID) []historyRow {
	t.Helper()
	var rows []historyRow
	if err := pgtest.DB(t).NewRaw(`SELECT extension_id, editor, installed, installed_version, extension_sha256, reported_at
		FROM reports WHERE agent_id = ? ORDER BY reported_at, editor, extension_id`, agentID.String()).Scan(ctx, &rows); err != nil {
		t.Fatal(err)
	}
	return rows
}

func store(t *testing.T, ctx context.Context, s *postgres.ReportStore, batch ...application.StoredReport) {
	t.Helper()
	if err := s.StoreReports(ctx, batch); err != nil {
		t.Fatal(err)
	}
}

// History records changes: the first report its whole inventory, a repeat
// nothing (but the verdict's time moves), then exactly the extension that
// changed version or digest, appeared or disappeared, per editor.
func TestReportHistoryRecordsOnlyChanges(t *testing.T) {
	ctx := context.Background()
	db := pgtest.DB(t)
	s := postgres.NewReportStore(db)
	a := enrolled(t, ctx, newGroup(t, ctx), "m-history-changes")
	t0 := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	digest := func(c string) string { return c + strings.Repeat("0", 62) }
	py := item("ms-python.python", "1.0.0")
	goExt := item("go-tt.go", "0.41.0")
	cursorGo := report.ItemParams{ExtensionID: "go-tt.go", Installed: true, Version: "0.41.0", Editor: "cursor"}

	store(t, ctx, s, storedReport(t, a, at(0), py, goExt, cursorGo))
	if got := history(t, ctx, a.ID()); len(got) != 3 {
		t.Fatalf("first report: %d history rows, want its whole inventory (3): %+v", len(got), got)
	}
	store(t, ctx, s, storedReport(t, a, at(1), cursorGo, goExt, py))
	var last time.Time
	if err := db.NewRaw(`SELECT reported_at FROM agent_verdicts WHERE agent_id = ?`, a.ID().String()).Scan(ctx, &last); err != nil || !last.Equal(at(1)) {
		t.Fatalf("a repeat must still record the report's time: %v (%v)", last, err)
	}
	if got := history(t, ctx, a.ID()); len(got) != 3 {
		t.Fatalf("a repeat wrote history: %+v", got)
	}
	// A new digest of the same version in one editor only.
	goDigest := goExt
	goDigest.SHA256 = digest("ab")
	store(t, ctx, s, storedReport(t, a, at(2), py, goDigest, cursorGo))
	// A version change, an extension removed by omission and one reported
	// as uninstalled, and one added.
	pyNew := item("ms-python.python", "1.1.0")
	removed := cursorGo
	removed.Installed, removed.Version = false, ""
	store(t, ctx, s, storedReport(t, a, at(3), pyNew, removed, item("esbenp.prettier-vscode", "10.1.0")))

	got := history(t, ctx, a.ID())
	want := []struct {
		at        time.Time
		editor    string
		extension string
		state     string
	}{
		{at(0), "cursor", "go-tt.go", "0.41.0/"},
		{at(0), "vscode", "go-tt.go", "0.41.0/"},
		{at(0), "vscode", "ms-python.python", "1.0.0/"},
		{at(2), "vscode", "go-tt.go", "0.41.0/" + digest("ab")},
		{at(3), "cursor", "go-tt.go", "-"},
		{at(3), "vscode", "esbenp.prettier-vscode", "10.1.0/"},
		{at(3), "vscode", "go-tt.go", "-"},
		{at(3), "vscode", "ms-python.python", "1.1.0/"},
	}
	if len(got) != len(want) {
		t.Fatalf("history %+v, want %d rows", got, len(want))
	}
	for i, w := range want {
		g := got[i]
		if !g.At.Equal(w.at) || g.Editor != w.editor || g.Extension != w.extension || g.state() != w.state {
			t.Errorf("row %d: %s %s %s %s, want %s %s %s %s", i, g.At, g.Editor, g.Extension, g.state(), w.at, w.editor, w.extension, w.state)
		}
	}
	// The removal keeps the version that disappeared.
	if g := got[6]; g.Version == nil || *g.Version != "0.41.0" {
		t.Errorf("removal row %+v: want the version that disappeared", g)
	}
}

// Two reports of one agent in one batch are applied in their order, so the
// older one's changes reach the history too.
func TestReportHistoryKeepsBothReportsOfOneAgentInABatch(t *testing.T) {
	ctx := context.Background()
	s := postgres.NewReportStore(pgtest.DB(t))
	a := enrolled(t, ctx, newGroup(t, ctx), "m-history-batch")
	t0 := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	store(t, ctx, s,
		storedReport(t, a, t0.Add(time.Minute), item("x.y", "2.0.0")),
		storedReport(t, a, t0, item("x.y", "1.0.0"), item("evil.pack", "0.0.1")))
	got := history(t, ctx, a.ID())
	states := []string{}
	for _, r := range got {
		states = append(states, r.Extension+"="+r.state())
	}
	want := "[evil.pack=0.0.1/ x.y=1.0.0/ evil.pack=- x.y=2.0.0/]"
	if s := fmt.Sprint(states); s != want {
		t.Fatalf("history %s, want %s", s, want)
	}
}

// Concurrent batches of one agent, sent in random order: every history row
// states what the report of its time said about that extension, no row
// repeats its extension's previous state, rows of each extension alternate
// in time, and replaying the history gives the stored current inventory.
// A report older than the agent's newest adds nothing.
func TestReportHistoryIsCorrectUnderConcurrentAndOutOfOrderReports(t *testing.T) {
	ctx := context.Background()
	s := postgres.NewReportStore(pgtest.DB(t))
	a := enrolled(t, ctx, newGroup(t, ctx), "m-history-race")
	t0 := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	const n = 40
	said := map[int64]map[string]string{} // report time (Unix) -> extension -> state
	reports := make([]application.StoredReport, n)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range n {
		at := t0.Add(time.Duration(i) * time.Second)
		items := []report.ItemParams{item("always.there", "1.0.0")}
		said[at.Unix()] = map[string]string{"always.there": "1.0.0/", "x.y": "-", "flip.flop": "-"}
		if v := rng.IntN(3); v > 0 {
			items = append(items, item("x.y", "1.0."+strconv.Itoa(v)))
			said[at.Unix()]["x.y"] = "1.0." + strconv.Itoa(v) + "/"
		}
		if i%2 == 0 {
			items = append(items, item("flip.flop", "3.0.0"))
			said[at.Unix()]["flip.flop"] = "3.0.0/"
		}
		reports[i] = storedReport(t, a, at, items...)
	}
	order := rng.Perm(n)
	var wg sync.WaitGroup
	errs := make([]error, n)
	for _, i := range order {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.StoreReports(ctx, []application.StoredReport{reports[i]})
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	replayed := map[string]string{}
	for _, r := range history(t, ctx, a.ID()) {
		if said[r.At.Unix()][r.Extension] != r.state() {
			t.Errorf("row %s %s %s: the report of that time said %q", r.At, r.Extension, r.state(), said[r.At.Unix()][r.Extension])
		}
		if prev, ok := replayed[r.Extension]; ok && prev == r.state() {
			t.Errorf("row %s %s repeats its previous state %s", r.At, r.Extension, prev)
		}
		replayed[r.Extension] = r.state()
	}
	current := inventory(t, ctx, a.ID())
	for ext, st := range replayed {
		if st == "-" {
			if _, ok := current[ext]; ok {
				t.Errorf("%s: history says removed, installations has %s", ext, current[ext])
			}
			continue
		}
		if current[ext]+"/" != st {
			t.Errorf("%s: history ends at %s, installations has %q", ext, st, current[ext])
		}
	}
	// "Who has X now" is what the newest report said, whatever the order.
	for ext, st := range said[t0.Add((n-1)*time.Second).Unix()] {
		if got, ok := current[ext]; (st == "-") == ok || (ok && got+"/" != st) {
			t.Errorf("%s: installations has %q (present %v), the newest report said %s", ext, got, ok, st)
		}
	}
	before := len(history(t, ctx, a.ID()))
	// A late report, older than the newest, with a state never seen.
	store(t, ctx, s, storedReport(t, a, t0.Add(-time.Minute), item("late.one", "9.9.9")))
	if after := len(history(t, ctx, a.ID())); after != before {
		t.Fatalf("a superseded report wrote %d history rows", after-before)
	}
}
