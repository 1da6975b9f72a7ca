package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/extguard/extguard/adapters/postgres"
	"github.com/extguard/extguard/adapters/postgres/pgtest"
	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
)

// Time travel over a history written by the report store: one agent runs
// the malicious 1.4.2 from t+10m to t+20m (then 1.4.3 until t+30m, then
// removes it); another never has it; a third has it only in another editor
// from t+40m on.
func TestHistoryAnswersInventoryAtAndExposure(t *testing.T) {
	ctx := context.Background()
	db := pgtest.DB(t)
	s := postgres.NewReportStore(db)
	gid := newGroup(t, ctx)
	victim, clean, late := enrolled(t, ctx, gid, "m-tt-victim"), enrolled(t, ctx, gid, "m-tt-clean"), enrolled(t, ctx, gid, "m-tt-late")
	t0 := time.Now().Add(-2 * time.Hour).UTC().Truncate(time.Second)
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	ext := "evil-" + domain.NewID().String()[:8] + ".pack"
	base := item("go-tt.go", "0.41.0")
	store(t, ctx, s, storedReport(t, victim, at(0), base), storedReport(t, clean, at(0), base))
	store(t, ctx, s, storedReport(t, victim, at(10), base, item(ext, "1.4.2")))
	store(t, ctx, s, storedReport(t, victim, at(20), base, item(ext, "1.4.3")))
	store(t, ctx, s, storedReport(t, victim, at(25), base, item(ext, "1.4.3"))) // a repeat
	store(t, ctx, s, storedReport(t, victim, at(30), base))
	cursorItem := item(ext, "1.4.2")
	cursorItem.Editor = "cursor"
	store(t, ctx, s, storedReport(t, late, at(40), cursorItem))

	h := postgres.NewHistoryReader(db)
	inv := func(m int) map[string]string {
		t.Helper()
		p, err := h.InventoryAt(ctx, victim.ID(), at(m), application.PageRequest{Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, it := range p.Items {
			out[it.ExtensionID] = it.Version
		}
		return out
	}
	for m, want := range map[int]map[string]string{
		-1: {}, 0: {"go-tt.go": "0.41.0"}, 15: {"go-tt.go": "0.41.0", ext: "1.4.2"},
		26: {"go-tt.go": "0.41.0", ext: "1.4.3"}, 31: {"go-tt.go": "0.41.0"},
	} {
		if got := inv(m); len(got) != len(want) || got[ext] != want[ext] || got["go-tt.go"] != want["go-tt.go"] {
			t.Errorf("inventory at t+%dm: %v, want %v", m, got, want)
		}
	}
	if _, err := h.InventoryAt(ctx, domain.NewID(), at(0), application.PageRequest{Limit: 50}); domain.CodeOf(err) != domain.CodeNotFound {
		t.Errorf("unknown agent: %v", err)
	}
	// Paging: one item per page, both items once.
	p1, err := h.InventoryAt(ctx, victim.ID(), at(15), application.PageRequest{Limit: 1})
	if err != nil || len(p1.Items) != 1 || p1.NextCursor == "" {
		t.Fatalf("first page %+v (%v)", p1, err)
	}
	p2, err := h.InventoryAt(ctx, victim.ID(), at(15), application.PageRequest{Limit: 1, Cursor: p1.NextCursor})
	if err != nil || len(p2.Items) != 1 || p2.NextCursor != "" || p2.Items[0].ExtensionID == p1.Items[0].ExtensionID {
		t.Fatalf("second page %+v (%v)", p2, err)
	}

	exposed := func(f application.ExposureFilter) map[domain.ID]application.Exposure {
		t.Helper()
		out := map[domain.ID]application.Exposure{}
		page := application.PageRequest{Limit: 1}
		for {
			p, err := h.Exposure(ctx, f, page)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range p.Items {
				out[e.AgentID] = e
			}
			if p.NextCursor == "" {
				return out
			}
			page.Cursor = p.NextCursor
		}
	}
	all := exposed(application.ExposureFilter{ExtensionID: ext, Until: at(60)})
	v := all[victim.ID()]
	if len(all) != 2 || !v.FirstSeen.Equal(at(10)) || !v.LastSeen.Equal(at(30)) || v.StillInstalled ||
		len(v.Versions) != 2 || len(v.Editors) != 1 || v.MachineID != "m-tt-victim" {
		t.Errorf("whole history: %+v", all)
	}
	if l := all[late.ID()]; !l.StillInstalled || !l.LastSeen.Equal(at(60)) || l.Editors[0] != "cursor" {
		t.Errorf("still installed: %+v", l)
	}
	// "Was anyone running 1.4.2 while it was live (t+12m to t+18m)?": the victim.
	if got := exposed(application.ExposureFilter{ExtensionID: ext, Version: "1.4.2", Since: at(12), Until: at(18)}); len(got) != 1 ||
		got[victim.ID()].AgentID != victim.ID() {
		t.Errorf("1.4.2 while live: %+v", got)
	}
	// After the victim removed it and before the late one installed it: nobody.
	if got := exposed(application.ExposureFilter{ExtensionID: ext, Since: at(31), Until: at(39)}); len(got) != 0 {
		t.Errorf("gap: %+v", got)
	}
	// A window ending exactly when it was installed includes it; one
	// starting when it was removed does not.
	if got := exposed(application.ExposureFilter{ExtensionID: ext, Since: at(0), Until: at(10)}); len(got) != 1 {
		t.Errorf("window ending at the install: %+v", got)
	}
	if got := exposed(application.ExposureFilter{ExtensionID: ext, Version: "1.4.3", Since: at(30), Until: at(35)}); len(got) != 0 {
		t.Errorf("window starting at the removal: %+v", got)
	}
	// Installed before the window and still there, no history row inside it:
	// both machines that have go-tt.go since t+0, first seen then.
	still := exposed(application.ExposureFilter{ExtensionID: "go-tt.go", Since: at(45), Until: at(50)})
	for _, id := range []domain.ID{victim.ID(), clean.ID()} {
		if e, ok := still[id]; !ok || !e.StillInstalled || !e.FirstSeen.Equal(at(0)) || !e.LastSeen.Equal(at(50)) {
			t.Errorf("installed before the window and still there: %+v", still)
		}
	}
	publisher := ext[:len(ext)-len(".pack")]
	if got := exposed(application.ExposureFilter{Publisher: publisher, Until: at(60)}); len(got) != 2 {
		t.Errorf("by publisher: %+v", got)
	}
}

// The time-travel queries skip the months written after anything
// reported by their instant, but not a report that arrived late (up to
// report.MaxReportAge after the time it says) nor a row written before the
// partitioning with a random id (in reports_legacy_high).
func TestTimeTravelSeesLateReportsAndRowsOfBeforeThePartitioning(t *testing.T) {
	ctx := context.Background()
	db := pgtest.DB(t)
	a := enrolled(t, ctx, newGroup(t, ctx), "m-tt-late-rows")
	reported := time.Now().Add(-40 * 24 * time.Hour).UTC().Truncate(time.Second)
	written := reported.Add(29 * 24 * time.Hour)
	tag := domain.NewID().String()[:8]
	late, legacy := "late-"+tag+".ext", "legacy-"+tag+".ext"
	if _, err := db.ExecContext(ctx, `SELECT extguard_create_month_partition('reports', ?::timestamptz);
INSERT INTO reports (id, agent_id, group_id, extension_id, installed, installed_version, reported_at) VALUES
    (encode(overlay(uuid_send(extguard_uuidv7()) PLACING substring(uuid_send(extguard_uuidv7_floor(?::timestamptz)) FROM 1 FOR 6)
        FROM 1 FOR 6), 'hex')::uuid, ?, ?, ?, true, '1.0.0', ?),
    (('f1e2d3c4-b5a6-4978-8a9b-' || substr(md5(?), 1, 12))::uuid, ?, ?, ?, true, '2.0.0', ?)`,
		written, written, a.ID().String(), a.GroupID().String(), late, reported,
		tag, a.ID().String(), a.GroupID().String(), legacy, reported); err != nil {
		t.Fatal(err)
	}
	h := postgres.NewHistoryReader(db)
	p, err := h.InventoryAt(ctx, a.ID(), reported.Add(time.Hour), application.PageRequest{Limit: 10})
	if err != nil || len(p.Items) != 2 {
		t.Errorf("inventory an hour after: %+v (%v), want the late report's and the legacy row's extensions", p.Items, err)
	}
	for _, ext := range []string{late, legacy} {
		f := application.ExposureFilter{ExtensionID: ext, Since: reported, Until: reported.Add(time.Hour)}
		if e, err := h.Exposure(ctx, f, application.PageRequest{Limit: 10}); err != nil || len(e.Items) != 1 {
			t.Errorf("exposure to %s in the hour after: %+v (%v)", ext, e.Items, err)
		}
	}
}
