package postgres_test

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/extguard/extguard/adapters/postgres"
	"github.com/extguard/extguard/adapters/postgres/pgtest"
	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/agent"
	"github.com/extguard/extguard/domain/policy"
	"github.com/extguard/extguard/domain/report"
)

const userHash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

func enrolled(t *testing.T, ctx context.Context, groupID domain.ID, machine string) agent.Agent {
	t.Helper()
	a, err := agent.NewAgent(agent.EnrollParams{GroupID: groupID, MachineID: machine, UserHash: userHash,
		Platform: "linux-x64", AgentVersion: "1.0.0"})
	if err != nil {
		t.Fatal(err)
	}
	if err := postgres.NewAgentRepository(pgtest.DB(t)).Insert(ctx, a); err != nil {
		t.Fatal(err)
	}
	return a
}

func storedReport(t *testing.T, a agent.Agent, at time.Time, items ...report.ItemParams) application.StoredReport {
	t.Helper()
	r, err := report.NewReport(report.ReportParams{ReportedAt: at, Items: items}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return application.StoredReport{AgentID: a.ID(), GroupID: a.GroupID(), UserHash: a.UserHash(), ClientIP: "192.0.2.9",
		Report: r, Verdict: policy.Verdict{Compliant: true}, PolicyETag: `"p-1"`, ReceivedAt: time.Now()}
}

func item(id, version string) report.ItemParams {
	return report.ItemParams{ExtensionID: id, Installed: true, Version: version, Editor: "vscode"}
}

func inventory(t *testing.T, ctx context.Context, agentID domain.ID) map[string]string {
	t.Helper()
	var rows []struct {
		ExtensionID string `bun:"extension_id"`
		Version     string `bun:"installed_version"`
	}
	if err := pgtest.DB(t).NewRaw(`SELECT extension_id, installed_version FROM installations WHERE agent_id = ?`,
		agentID.String()).Scan(ctx, &rows); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, r := range rows {
		out[r.ExtensionID] = r.Version
	}
	return out
}

func TestReportStoreKeepsHistoryAndNewestInventory(t *testing.T) {
	ctx := context.Background()
	db := pgtest.DB(t)
	store := postgres.NewReportStore(db)
	gid := newGroup(t, ctx)
	a := enrolled(t, ctx, gid, "m-reports")
	other := enrolled(t, ctx, gid, "m-reports-2")
	t0 := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)

	// One batch with two reports of one agent (the newer wins) and another agent.
	err := store.StoreReports(ctx, []application.StoredReport{
		storedReport(t, a, t0.Add(time.Minute), item("ms-python.python", "2.0.0")),
		storedReport(t, a, t0, item("ms-python.python", "1.0.0"), item("evil.pack", "0.0.1")),
		storedReport(t, other, t0, item("esbenp.prettier-vscode", "10.1.0")),
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := inventory(t, ctx, a.ID()); len(got) != 1 || got["ms-python.python"] != "2.0.0" {
		t.Fatalf("inventory after the batch: %v", got)
	}
	// An older report later: superseded, it changes nothing.
	if err := store.StoreReports(ctx, []application.StoredReport{storedReport(t, a, t0, item("evil.pack", "0.0.1"))}); err != nil {
		t.Fatal(err)
	}
	if got := inventory(t, ctx, a.ID()); len(got) != 1 || got["ms-python.python"] != "2.0.0" {
		t.Fatalf("an older report replaced the inventory: %v", got)
	}
	// A newer one with a removal and an addition replaces it.
	removed := report.ItemParams{ExtensionID: "ms-python.python", Installed: false, Version: "2.0.0", Editor: "vscode"}
	if err := store.StoreReports(ctx, []application.StoredReport{storedReport(t, a, t0.Add(2*time.Minute), removed,
		item("golang.go", "0.41.0"))}); err != nil {
		t.Fatal(err)
	}
	if got := inventory(t, ctx, a.ID()); len(got) != 1 || got["golang.go"] != "0.41.0" {
		t.Fatalf("inventory after removal: %v", got)
	}
	// A changed version is updated; an unchanged row keeps the time it was
	// first reported in that state.
	if err := store.StoreReports(ctx, []application.StoredReport{storedReport(t, a, t0.Add(3*time.Minute),
		item("golang.go", "0.42.0"), item("esbenp.prettier-vscode", "10.1.0"))}); err != nil {
		t.Fatal(err)
	}
	if err := store.StoreReports(ctx, []application.StoredReport{storedReport(t, a, t0.Add(4*time.Minute),
		item("golang.go", "0.42.0"), item("esbenp.prettier-vscode", "10.1.0"))}); err != nil {
		t.Fatal(err)
	}
	if got := inventory(t, ctx, a.ID()); len(got) != 2 || got["golang.go"] != "0.42.0" {
		t.Fatalf("inventory after a version change: %v", got)
	}
	var since time.Time
	if err := db.NewRaw(`SELECT reported_at FROM installations WHERE agent_id = ? AND extension_id = 'golang.go'`,
		a.ID().String()).Scan(ctx, &since); err != nil || !since.Equal(t0.Add(3*time.Minute)) {
		t.Fatalf("unchanged row's reported_at %v, want %v (%v)", since, t0.Add(3*time.Minute), err)
	}
	// "Who has it" answers the agent's last report time, not when the row last changed.
	found, err := postgres.NewInstallationReader(db).Find(ctx, application.InstallationFilter{ExtensionIDs: []string{"golang.go"}},
		application.PageRequest{Limit: 10})
	if err != nil || len(found.Items) != 1 || !found.Items[0].ReportedAt.Equal(t0.Add(4*time.Minute)) {
		t.Fatalf("installations reported_at: %+v (%v), want the last report at %v", found.Items, err, t0.Add(4*time.Minute))
	}
	var history int
	var ip string
	if err := db.NewRaw(`SELECT count(*), max(host(client_ip)) FROM reports WHERE agent_id = ?`, a.ID().String()).Scan(ctx, &history, &ip); err != nil {
		t.Fatal(err)
	}
	// Changes only: python 1.0.0 and evil.pack appear; python 2.0.0 and evil.pack
	// gone; python gone and golang.go 0.41.0; golang.go 0.42.0 and prettier; the
	// repeat and the older report write nothing.
	if history != 8 || ip != "192.0.2.9" {
		t.Fatalf("history rows %d ip %q, want 8 and 192.0.2.9", history, ip)
	}
	var version int
	if err := db.NewRaw(`SELECT count(*) FROM reports WHERE agent_id = ? AND substr(id::text, 15, 1) = '7'`, a.ID().String()).Scan(ctx, &version); err != nil || version != 8 {
		t.Fatalf("UUIDv7 ids: %d of 8 (%v)", version, err)
	}
	if got := inventory(t, ctx, other.ID()); got["esbenp.prettier-vscode"] != "10.1.0" {
		t.Fatalf("other agent: %v", got)
	}
}

func TestReportStoreConcurrentBatchesOfOneAgentKeepTheNewest(t *testing.T) {
	ctx := context.Background()
	store := postgres.NewReportStore(pgtest.DB(t))
	a := enrolled(t, ctx, newGroup(t, ctx), "m-race")
	t0 := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	var wg sync.WaitGroup
	errs := make([]error, 20)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v := "1.0." + string(rune('a'+i))
			errs[i] = store.StoreReports(ctx, []application.StoredReport{
				storedReport(t, a, t0.Add(time.Duration(i)*time.Second), item("x.y", v))})
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := inventory(t, ctx, a.ID()); got["x.y"] != "1.0.t" {
		t.Fatalf("inventory %v, want the newest (1.0.t)", got)
	}
}

func TestHeartbeatStoreMovesForwardAndRevives(t *testing.T) {
	ctx := context.Background()
	db := pgtest.DB(t)
	gid := newGroup(t, ctx)
	a := enrolled(t, ctx, gid, "m-hb")
	gone := enrolled(t, ctx, gid, "m-hb-decom")
	if _, err := db.NewRaw(`UPDATE agents SET status = 'stale' WHERE id = ?`, a.ID().String()).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := db.NewRaw(`UPDATE agents SET status = 'decommissioned' WHERE id = ?`, gone.ID().String()).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	revived, err := applyHeartbeats(ctx, postgres.NewHeartbeatStore(db), []application.HeartbeatUpdate{
		{AgentID: a.ID(), Heartbeat: now, AgentVersion: "1.0.1"},
		{AgentID: gone.ID(), Heartbeat: now},
		{AgentID: domain.NewID(), Heartbeat: now}, // deleted meanwhile: ignored
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(revived) != 1 || revived[0].AgentID != a.ID() || revived[0].From != agent.StatusStale {
		t.Fatalf("revived %+v", revived)
	}
	repo := postgres.NewAgentRepository(db)
	got, _ := repo.Get(ctx, a.ID())
	if got.Status() != agent.StatusActive || !got.LastHeartbeat().Equal(now) || got.AgentVersion() != "1.0.1" || !got.LastSync().IsZero() {
		t.Fatalf("after heartbeat: %s %v %s %v", got.Status(), got.LastHeartbeat(), got.AgentVersion(), got.LastSync())
	}
	if g, _ := repo.Get(ctx, gone.ID()); g.Status() != agent.StatusDecommissioned {
		t.Fatal("a heartbeat revived a decommissioned agent")
	}
	// An older heartbeat and a sync: last_heartbeat stays, last_sync moves.
	if _, err := applyHeartbeats(ctx, postgres.NewHeartbeatStore(db), []application.HeartbeatUpdate{
		{AgentID: a.ID(), Heartbeat: now.Add(-time.Minute), Sync: now}}); err != nil {
		t.Fatal(err)
	}
	got, _ = repo.Get(ctx, a.ID())
	if !got.LastHeartbeat().Equal(now) || !got.LastSync().Equal(now) || got.AgentVersion() != "1.0.1" {
		t.Fatalf("after sync: %v %v %s", got.LastHeartbeat(), got.LastSync(), got.AgentVersion())
	}
}

// A heartbeat flush must not wait for a report batch in flight: the batch's
// foreign-key checks hold KEY SHARE locks on its agents until it commits,
// and a flush locking the same agents FOR UPDATE waited on them (and, with
// the batch then waiting on rows the flush held, deadlocked under load).
func TestHeartbeatFlushDoesNotWaitForAReportBatch(t *testing.T) {
	ctx := context.Background()
	db := pgtest.DB(t)
	a := enrolled(t, ctx, newGroup(t, ctx), "m-hb-while-report")
	batch, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = batch.Rollback() }()
	if _, err := batch.NewRaw(`INSERT INTO reports (agent_id, group_id, extension_id, installed, reported_at)
VALUES (?, ?, 'x.y', true, now())`, a.ID().String(), a.GroupID().String()).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	flushCtx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if _, err := applyHeartbeats(flushCtx, postgres.NewHeartbeatStore(db), []application.HeartbeatUpdate{
		{AgentID: a.ID(), Heartbeat: time.Now()}}); err != nil {
		t.Fatalf("the flush waited for the report batch's locks: %v", err)
	}
}

// TestReportStoreSkipsTheCurrentStateOfAnUnchangedInventory: a fleet mostly
// repeats its inventories, and a repeat must not touch (or even lock) the
// agent's installation rows; a change after it is written as usual.
func TestReportStoreSkipsTheCurrentStateOfAnUnchangedInventory(t *testing.T) {
	ctx := context.Background()
	db := pgtest.DB(t)
	store := postgres.NewReportStore(db)
	a := enrolled(t, ctx, newGroup(t, ctx), "m-unchanged")
	t0 := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	same := []report.ItemParams{item("golang.go", "0.41.0"), item("esbenp.prettier-vscode", "10.1.0")}
	for i := 0; i < 2; i++ {
		if err := store.StoreReports(ctx, []application.StoredReport{storedReport(t, a, t0.Add(time.Duration(i)*time.Minute), same...)}); err != nil {
			t.Fatal(err)
		}
	}
	var locked int
	if err := db.NewRaw(`SELECT count(*) FROM installations WHERE agent_id = ? AND xmax::text <> '0'`, a.ID().String()).Scan(ctx, &locked); err != nil {
		t.Fatal(err)
	}
	if locked != 0 {
		t.Fatalf("%d installation rows were written or locked by a report that repeated the inventory", locked)
	}
	var lastReport time.Time
	if err := db.NewRaw(`SELECT reported_at FROM agent_verdicts WHERE agent_id = ?`, a.ID().String()).Scan(ctx, &lastReport); err != nil ||
		!lastReport.Equal(t0.Add(time.Minute)) {
		t.Fatalf("the verdict must still move to the newest report: %v (%v)", lastReport, err)
	}
	if err := store.StoreReports(ctx, []application.StoredReport{storedReport(t, a, t0.Add(2*time.Minute), item("golang.go", "0.42.0"))}); err != nil {
		t.Fatal(err)
	}
	if got := inventory(t, ctx, a.ID()); len(got) != 1 || got["golang.go"] != "0.42.0" {
		t.Fatalf("a changed inventory after a repeat: %v", got)
	}
}

// The history is written as binary COPY data built by hand; every column
// must read back as what was sent, for both address families and for the
// optional fields left out.
func TestReportHistoryRowsReadBackColumnByColumn(t *testing.T) {
	ctx := context.Background()
	db := pgtest.DB(t)
	store := postgres.NewReportStore(db)
	gid := newGroup(t, ctx)
	at := time.Date(2026, 11, 26, 9, 30, 15, 123456000, time.UTC)
	received := at.Add(1500 * time.Millisecond)
	digest := "ab" + strings.Repeat("0", 62)
	for i, c := range []struct{ ip, want string }{{"2001:db8::7", "2001:db8::7"}, {"::ffff:198.51.100.4", "198.51.100.4"}, {"", ""}} {
		// An agent per case: ids made in the same millisecond do not sort
		// by batch, so the rows are told apart by agent.
		a := enrolled(t, ctx, gid, "m-binary-copy-"+strconv.Itoa(i))
		// The first report installs two extensions; the second removes one.
		// Its history is the two installs and the removal (with the version
		// and digest that disappeared); the removal's row carries its own report's
		// time and address (both reports share them here).
		first := storedReport(t, a, at, report.ItemParams{ExtensionID: "Pub.Name", Installed: true, Version: "1.2.3", SHA256: digest, Editor: "cursor"},
			report.ItemParams{ExtensionID: "gone.ext", Installed: true, Version: "0.1.0", Editor: "vscode"})
		r := storedReport(t, a, at, report.ItemParams{ExtensionID: "Pub.Name", Installed: true, Version: "1.2.3", SHA256: digest, Editor: "cursor"},
			report.ItemParams{ExtensionID: "gone.ext", Installed: false, Editor: "vscode"})
		r.ClientIP, r.ReceivedAt = c.ip, received
		first.ClientIP, first.ReceivedAt = c.ip, received
		if err := store.StoreReports(ctx, []application.StoredReport{first}); err != nil {
			t.Fatal(err)
		}
		if err := store.StoreReports(ctx, []application.StoredReport{r}); err != nil {
			t.Fatal(err)
		}
		var rows []struct {
			AgentID   string    `bun:"agent_id"`
			GroupID   string    `bun:"group_id"`
			Extension string    `bun:"extension_id"`
			UserHash  string    `bun:"user_hash"`
			Installed bool      `bun:"installed"`
			Version   *string   `bun:"installed_version"`
			SHA256    *string   `bun:"extension_sha256"`
			IP        *string   `bun:"ip"`
			At        time.Time `bun:"reported_at"`
			Editor    string    `bun:"editor"`
			Received  time.Time `bun:"received_at"`
		}
		if err := db.NewRaw(`SELECT agent_id::text, group_id::text, extension_id, user_hash, installed, installed_version,
			extension_sha256, host(client_ip) AS ip, reported_at, editor, received_at FROM reports
			WHERE agent_id = ? AND (extension_id = 'pub.name' OR NOT installed)`, a.ID().String()).Scan(ctx, &rows); err != nil {
			t.Fatal(err)
		}
		if len(rows) != 2 {
			t.Fatalf("%d rows", len(rows))
		}
		gone, kept := rows[0], rows[1]
		if kept.Extension != "gone.ext" {
			kept, gone = gone, kept
		}
		if gone.Extension != "pub.name" || !gone.Installed || gone.Version == nil || *gone.Version != "1.2.3" ||
			gone.SHA256 == nil || *gone.SHA256 != digest || gone.Editor != "cursor" {
			t.Errorf("installed row: %+v", gone)
		}
		if kept.Installed || kept.Version == nil || *kept.Version != "0.1.0" || kept.SHA256 != nil || kept.Editor != "vscode" {
			t.Errorf("removed row: %+v", kept)
		}
		for _, row := range rows {
			if row.AgentID != a.ID().String() || row.GroupID != a.GroupID().String() || row.UserHash != userHash ||
				!row.At.Equal(at) || !row.Received.Equal(received) {
				t.Errorf("row %+v, want agent %s group %s at %s received %s", row, a.ID(), a.GroupID(), at, received)
			}
			got := ""
			if row.IP != nil {
				got = *row.IP
			}
			if got != c.want {
				t.Errorf("client ip %q from %q, want %q", got, c.ip, c.want)
			}
		}
	}
}
