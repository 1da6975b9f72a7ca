package postgres_test

import (
	"context"
	"testing"

	"github.com/extguard/extguard/adapters/postgres"
	"github.com/extguard/extguard/adapters/postgres/pgtest"
	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
)

// BenchmarkStaleScan100kAgents10kTransitions is one stale scan over 100,000
// agents of which 10,000 went silent: the transitions, 10,000 audit rows and
// their outbox rows (one subscribed webhook), in one transaction.
func BenchmarkStaleScan100kAgents10kTransitions(b *testing.B) {
	benchStaleScan(b, true)
}

// BenchmarkStaleScan100kAgentsSteadyState is the usual scan: 100,000 agents,
// the silent ones already stale, nothing to change.
func BenchmarkStaleScan100kAgentsSteadyState(b *testing.B) {
	benchStaleScan(b, false)
}

var benchGroup domain.ID

func benchStaleScan(b *testing.B, transitions bool) {
	db := pgtest.DB(b)
	ctx := context.Background()
	if benchGroup.IsZero() {
		benchGroup = domain.NewID()
		if _, err := db.NewRaw(`INSERT INTO groups (id, name) VALUES (?, ?)`, benchGroup.String(), "bench-"+benchGroup.String()).Exec(ctx); err != nil {
			b.Fatal(err)
		}
		if _, err := db.NewRaw(`INSERT INTO agents (group_id, machine_id, status, last_heartbeat)
			SELECT ?, 'bench-' || i, 'active', now() - CASE WHEN i % 10 = 0 THEN interval '1 hour' ELSE interval '10 seconds' END
			FROM generate_series(1, 100000) i`, benchGroup.String()).Exec(ctx); err != nil {
			b.Fatal(err)
		}
	}
	g := benchGroup
	w := domain.NewID()
	if _, err := db.NewRaw(`INSERT INTO webhooks (id, url, secret, event_types) VALUES (?, 'https://siem.example/h', 'whsec_x', '{agent.status_changed}')`,
		w.String()).Exec(ctx); err != nil {
		b.Fatal(err)
	}
	defer db.NewRaw(`UPDATE webhooks SET is_enabled = false, deleted_at = now() WHERE id = ?`, w.String()).Exec(ctx) //nolint:errcheck
	if _, err := db.NewRaw(`ANALYZE agents`).Exec(ctx); err != nil {
		b.Fatal(err)
	}
	scan := application.DetectStaleAgents{Tx: postgres.NewTxRunner(db), Liveness: postgres.NewAgentLiveness(db), Clock: application.SystemClock{}}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if transitions {
			b.StopTimer()
			if _, err := db.NewRaw(`UPDATE agents SET status = 'active' WHERE group_id = ?`, g.String()).Exec(ctx); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
		res, err := scan.Execute(ctx)
		if err != nil || transitions && res.Stale < 10000 {
			b.Fatalf("%+v %v", res, err)
		}
	}
	b.StopTimer()
}
