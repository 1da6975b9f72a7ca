package postgres_test

import (
	"context"
	"testing"

	"github.com/uptrace/bun"

	"github.com/extguard/extguard/adapters/postgres"
	"github.com/extguard/extguard/adapters/postgres/pgtest"
	"github.com/extguard/extguard/domain"
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
