package postgres_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/extguard/extguard/adapters/postgres"
	"github.com/extguard/extguard/adapters/postgres/pgtest"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/agent"
)

// The agent cache loads agents one Get at a time, a million of them: each
// must reuse one prepared statement. A text with the id in it was a new
// statement in pgx's per-connection cache for every agent (40 MB of the
// server's heap at a million agents).
func TestAgentGetPreparesOneStatementPerConnection(t *testing.T) {
	ctx := context.Background()
	pool := postgres.DefaultPool()
	pool.MaxOpenConns, pool.MaxIdleConns = 1, 1 // every Get on the same connection
	db, err := postgres.Open(ctx, pgtest.DSN(t), pool)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	g := newGroup(t, ctx)
	repo := postgres.NewAgentRepository(db)
	var ids []domain.ID
	for _, m := range []string{"m-prep-1", "m-prep-2", "m-prep-3", "m-prep-4", "m-prep-5"} {
		ids = append(ids, enrolled(t, ctx, g, m).ID())
	}
	prepared := func() int { return countPrepared(t, ctx, db) }
	if _, err := repo.Get(ctx, ids[0]); err != nil {
		t.Fatal(err)
	}
	before := prepared()
	for _, id := range ids {
		got, err := repo.Get(ctx, id)
		if err != nil || got.ID() != id || got.GroupID() != g {
			t.Fatalf("get %s: %v %v", id, got.ID(), err)
		}
	}
	if _, err := repo.Get(ctx, domain.NewID()); domain.CodeOf(err) != domain.CodeNotFound {
		t.Fatalf("get of an unknown agent: %v, want not found", err)
	}
	if after := prepared(); after != before {
		t.Errorf("%d gets of different agents prepared %d statements, want none after the first", len(ids)+1, after-before)
	}
}

func countPrepared(t *testing.T, ctx context.Context, db *bun.DB) int {
	t.Helper()
	var n int
	if err := db.NewRaw(`SELECT count(*) FROM pg_prepared_statements`).Scan(ctx, &n); err != nil {
		t.Fatal(err)
	}
	return n
}

// BenchmarkAgentGet is one agent cache load.
func BenchmarkAgentGet(b *testing.B) {
	ctx := context.Background()
	db := pgtest.DB(b)
	_, ids := seedAgents(b, ctx, db, 1000)
	repo := postgres.NewAgentRepository(db)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := repo.Get(ctx, domain.ID(ids[i%len(ids)])); err != nil {
			b.Fatal(err)
		}
	}
}

// Get reads what the bun model read before its fixed text (every column,
// NULL times as zero), answers a decommissioned agent as such (the gate
// refuses it), and a deleted or unknown one as not found.
func TestAgentGetReadsEveryColumnAndHidesDeletedAgents(t *testing.T) {
	ctx := context.Background()
	db := pgtest.DB(t)
	g := newGroup(t, ctx)
	repo := postgres.NewAgentRepository(db)
	a := enrolled(t, ctx, g, "m-get-columns")
	check := func(what string) {
		t.Helper()
		got, err := repo.Get(ctx, a.ID())
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		var want agent.Agent
		err = postgres.NewTxRunner(db).InTx(ctx, func(ctx context.Context) error {
			want, err = repo.FindByMachineForUpdate(ctx, g, "m-get-columns") // the bun model's reading
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if got.ID() != want.ID() || got.GroupID() != want.GroupID() || got.MachineID() != want.MachineID() ||
			got.UserHash() != want.UserHash() || got.DisplayName() != want.DisplayName() || got.Platform() != want.Platform() ||
			got.AgentVersion() != want.AgentVersion() || !got.LastHeartbeat().Equal(want.LastHeartbeat()) ||
			!got.LastSync().Equal(want.LastSync()) || got.Status() != want.Status() ||
			!got.CreatedAt().Equal(want.CreatedAt()) || !got.UpdatedAt().Equal(want.UpdatedAt()) {
			t.Errorf("%s: Get read %+v, the model %+v", what, got, want)
		}
	}
	check("never synced") // last_sync NULL
	if _, err := db.DB.ExecContext(ctx, `UPDATE agents SET display_name = 'alice', last_sync = now() - interval '1 minute',
		last_heartbeat = now(), status = 'decommissioned' WHERE id = $1`, uuid.UUID(a.ID())); err != nil {
		t.Fatal(err)
	}
	check("decommissioned")
	if got, _ := repo.Get(ctx, a.ID()); !got.IsDecommissioned() || got.DisplayName() != "alice" || got.LastSync().IsZero() {
		t.Errorf("decommissioned agent read as %+v", got)
	}
	if _, err := db.DB.ExecContext(ctx, `UPDATE agents SET deleted_at = now() WHERE id = $1`, uuid.UUID(a.ID())); err != nil {
		t.Fatal(err)
	}
	for _, id := range []domain.ID{a.ID(), domain.NewID()} {
		_, err := repo.Get(ctx, id)
		var de *domain.Error
		if !errors.As(err, &de) || de.Code != domain.CodeNotFound || de.Message != "agent not found" {
			t.Errorf("get of a deleted or unknown agent: %v, want not_found \"agent not found\"", err)
		}
	}
}
