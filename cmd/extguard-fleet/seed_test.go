package main

import (
	"context"
	"os"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/extguard/extguard/adapters/postgres/pgtest"
	"github.com/extguard/extguard/domain"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// Seeded agents hold in PostgreSQL exactly the inventory the simulator
// gives them (newFleet's formula, the incident extension on its share),
// with a verdict, a first history row per extension and their ids loaded.
func TestSeedWritesWhatTheSimulatedAgentsHold(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.DSN(t)
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	group := domain.NewID().String()
	if _, err := conn.Exec(ctx, `INSERT INTO groups (id, name) VALUES ($1, $2)`, group, "g-"+group); err != nil {
		t.Fatal(err)
	}
	o := options{databaseURL: dsn, fleet: 1005, extensions: 4, distinct: 50, incidentShare: 0.3, heartbeat: 60, timeScale: 1, changesPerDay: 2}
	f := newFleet(o, nil, admin{groupID: group})
	f.agents[0].id, f.agents[0].etag = domain.NewID().String(), `"p-1"` // enrolled through the API
	if err := f.seed(ctx, 1); err != nil {
		t.Fatal(err)
	}
	var agents, verdicts, history, incident int
	if err := conn.QueryRow(ctx, `SELECT (SELECT count(*) FROM agents WHERE group_id = $1),
		(SELECT count(*) FROM agent_verdicts WHERE group_id = $1 AND policy_etag = '"p-1"' AND compliant),
		(SELECT count(*) FROM reports WHERE group_id = $1 AND installed),
		(SELECT count(*) FROM installations WHERE group_id = $1 AND extension_id = $2)`,
		group, f.incidentID).Scan(&agents, &verdicts, &history, &incident); err != nil {
		t.Fatal(err)
	}
	// Agents 1..1004: indexes 1-299 and 1000-1004 have the incident extension.
	if agents != 1004 || verdicts != 1004 || history != 1004*4 || incident != 299+5 {
		t.Fatalf("agents %d verdicts %d history %d incident %d", agents, verdicts, history, incident)
	}
	// Each seeded agent joined the schedule: a heartbeat, a full report and a change.
	if n := len(f.events); n != 1004*3 {
		t.Fatalf("%d events scheduled, want %d", n, 1004*3)
	}
	for _, i := range []int{1, 299, 300, 1004} {
		s := f.agents[i]
		if s.id == "" || s.etag != `"p-1"` {
			t.Fatalf("agent %d: id %q etag %q", i, s.id, s.etag)
		}
		rows, _ := conn.Query(ctx, `SELECT extension_id || '@' || installed_version FROM installations WHERE agent_id = $1`, s.id)
		stored, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		var held []string
		for _, e := range s.exts {
			held = append(held, e.id+"@"+e.version)
		}
		slices.Sort(stored)
		slices.Sort(held)
		if !slices.Equal(stored, held) {
			t.Fatalf("agent %d: stored %v, simulator holds %v", i, stored, held)
		}
	}
}
