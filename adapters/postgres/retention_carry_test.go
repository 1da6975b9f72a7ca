package postgres_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/extguard/extguard/adapters/postgres"
	"github.com/extguard/extguard/adapters/postgres/pgtest"
	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
)

// seededChange is one seeded change: at is its reported_at, and its id is a
// UUIDv7 of the same instant, as the report store would have written it.
type seededChange struct {
	agent       domain.ID
	editor, ext string
	version     string // "" for a removal
	at          string
}

func seedHistoryRows(t *testing.T, ctx context.Context, group domain.ID, rows []seededChange) {
	t.Helper()
	var values []string
	var args []any
	for _, r := range rows {
		values = append(values, `(encode(overlay(uuid_send(extguard_uuidv7()) PLACING substring(uuid_send(extguard_uuidv7_floor(?::timestamptz))
			FROM 1 FOR 6) FROM 1 FOR 6), 'hex')::uuid, ?, ?, ?, ?, ?, nullif(?, ''), ?::timestamptz)`)
		args = append(args, r.at, r.agent.String(), group.String(), r.editor, r.ext, r.version != "", r.version, r.at)
	}
	if _, err := pgtest.DB(t).ExecContext(ctx, `INSERT INTO reports (id, agent_id, group_id, editor, extension_id, installed,
		installed_version, reported_at) VALUES `+strings.Join(values, ", "), args...); err != nil {
		t.Fatal(err)
	}
}

// timeTravel is every answer the history gives about the agents at the
// instants and windows asked, as text to compare.
func timeTravel(t *testing.T, ctx context.Context, agents []domain.ID, exts []string, instants []time.Time) string {
	t.Helper()
	h := postgres.NewHistoryReader(pgtest.DB(t))
	var b strings.Builder
	for _, at := range instants {
		for _, a := range agents {
			p, err := h.InventoryAt(ctx, a, at, application.PageRequest{Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "inventory %s at %s: %+v\n", a, at.Format(time.RFC3339), p.Items)
		}
	}
	for i := 0; i+1 < len(instants); i++ {
		for _, ext := range exts {
			f := application.ExposureFilter{ExtensionID: ext, Since: instants[i], Until: instants[len(instants)-1]}
			p, err := h.Exposure(ctx, f, application.PageRequest{Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "exposure %s from %s: %+v\n", ext, instants[i].Format(time.RFC3339), p.Items)
		}
	}
	return b.String()
}

// Retention drops whole months of a history that records changes only, so
// it first carries each state still valid at the cutoff into a kept month:
// time travel at every instant inside the retention answers exactly as
// before the drop, an installation that never changed included, also after
// a second drop that carries the carried rows again. Each drop is audited
// with what it removed and what it carried.
func TestRetentionCarriesValidStatesForward(t *testing.T) {
	ctx := context.Background()
	db := pgtest.DB(t)
	gid := newGroup(t, ctx)
	a, b := enrolled(t, ctx, gid, "m-carry-a").ID(), enrolled(t, ctx, gid, "m-carry-b").ID()
	tag := domain.NewID().String()[:8]
	ext := func(name string) string { return "carry-" + tag + "." + name }
	if _, err := db.ExecContext(ctx, `SELECT extguard_create_month_partition('reports', m)
		FROM generate_series(timestamptz '2024-01-01Z', '2024-09-01Z', interval '1 month') m`); err != nil {
		t.Fatal(err)
	}
	seedHistoryRows(t, ctx, gid, []seededChange{
		{a, "vscode", ext("long"), "1.0.0", "2024-01-10T08:00:00Z"}, // never changes: carried
		{a, "cursor", ext("long"), "1.0.0", "2024-01-12T08:00:00Z"}, // the same in another editor: carried
		{b, "vscode", ext("long"), "1.0.0", "2024-01-15T08:00:00Z"}, // removed after the cutoff: carried
		{b, "vscode", ext("long"), "", "2024-07-01T08:00:00Z"},
		{a, "vscode", ext("late"), "1.0.0", "2024-01-10T09:00:00Z"}, // replaced in March, itself dropped: v2 carried
		{a, "vscode", ext("late"), "2.0.0", "2024-03-05T09:00:00Z"},
		{a, "vscode", ext("gone"), "1.0.0", "2024-01-10T10:00:00Z"}, // removed in a dropped month: nothing
		{a, "vscode", ext("gone"), "", "2024-02-20T10:00:00Z"},
		{a, "vscode", ext("kept"), "1.0.0", "2024-02-01T10:00:00Z"}, // replaced before the cutoff in a kept month
		{a, "vscode", ext("kept"), "2.0.0", "2024-05-10T10:00:00Z"},
		{a, "vscode", ext("after"), "1.0.0", "2024-02-01T11:00:00Z"}, // replaced after the cutoff: v1 carried
		{a, "vscode", ext("after"), "2.0.0", "2024-06-01T11:00:00Z"},
		{a, "vscode", ext("removed"), "1.0.0", "2024-04-01T11:00:00Z"}, // removed after the cutoff: carried
		{a, "vscode", ext("removed"), "", "2024-06-10T11:00:00Z"},
		{a, "vscode", ext("again"), "1.0.0", "2024-01-05T12:00:00Z"}, // reinstalled in April: carried
		{a, "vscode", ext("again"), "", "2024-02-02T12:00:00Z"},
		{a, "vscode", ext("again"), "1.1.0", "2024-04-20T12:00:00Z"},
	})
	agents := []domain.ID{a, b}
	exts := []string{ext("long"), ext("late"), ext("gone"), ext("kept"), ext("after"), ext("removed"), ext("again")}
	const day = 24 * time.Hour
	now := time.Date(2024, 7, 15, 12, 0, 0, 0, time.UTC)
	uc := application.ApplyRetention{Tx: postgres.NewTxRunner(db), Partitions: postgres.NewPartitions(db),
		Audit: postgres.NewAuditLog(db), Clock: fixedClock{now}, Policy: application.RetentionPolicy{Reports: 60 * day}}
	cutoff := now.Add(-60 * day) // 2024-05-16T12:00Z: January to April go
	instants := []time.Time{cutoff, cutoff.Add(time.Hour), cutoff.Add(4 * day), cutoff.Add(16 * day),
		cutoff.Add(26 * day), cutoff.Add(46 * day), now}
	before := timeTravel(t, ctx, agents, exts, instants)
	if !strings.Contains(before, ext("long")) {
		t.Fatalf("the seeded history answers nothing:\n%s", before)
	}

	res, err := uc.Execute(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if after := timeTravel(t, ctx, agents, exts, instants); after != before {
		t.Errorf("time travel inside the retention changed with the drop:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	if len(res.Dropped) != 4 || res.Carried != 7 {
		t.Fatalf("dropped %v, carried %d: want January to April gone and 7 states carried", res.Dropped, res.Carried)
	}
	var audited string
	if err := db.NewRaw(`SELECT string_agg((details->>'partition') || ':' || (details->>'rows') || '/' || (details->>'carried'), ' '
		ORDER BY details->>'partition') FROM audit_log
		WHERE event_type = 'history.retained' AND details->>'partition' LIKE 'reports_p2024%'`).Scan(ctx, &audited); err != nil {
		t.Fatal(err)
	}
	// rows/carried per month; other tests' rows in these months would show.
	if want := "reports_p202401:6/3 reports_p202402:4/1 reports_p202403:1/1 reports_p202404:2/2"; audited != want {
		t.Errorf("audited drops %q, want %q", audited, want)
	}
	if n := countRows(t, db, `SELECT count(*) FROM reports WHERE agent_id IN (?, ?) AND carried_at IS NOT NULL
		AND tableoid = 'reports_p202405'::regclass`, a.String(), b.String()); n != 7 {
		t.Errorf("%d carried rows in May (the cutoff's month), want 7", n)
	}

	// A month later May goes too, carried rows with it: they are carried
	// again, the ones a June change replaced before the new cutoff are not.
	uc.Clock = fixedClock{now.Add(31 * day)}
	later := []time.Time{cutoff.Add(31 * day), cutoff.Add(40 * day), cutoff.Add(46 * day), now.Add(31 * day)}
	before = timeTravel(t, ctx, agents, exts, later)
	if res, err = uc.Execute(ctx); err != nil || len(res.Dropped) != 1 || res.Carried != 6 {
		t.Fatalf("second run: %+v (%v), want May dropped and 6 states carried", res, err)
	}
	if after := timeTravel(t, ctx, agents, exts, later); after != before {
		t.Errorf("time travel changed with the second drop:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	if res, err = uc.Execute(ctx); err != nil || len(res.Dropped) != 0 || res.Carried != 0 {
		t.Errorf("a rerun: %+v (%v), want nothing dropped or carried", res, err)
	}
}
