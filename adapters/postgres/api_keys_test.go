package postgres_test

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	"github.com/extguard/extguard/adapters/postgres"
	"github.com/extguard/extguard/adapters/postgres/pgtest"
	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/apikey"
)

func newGroup(t *testing.T, ctx context.Context) domain.ID {
	t.Helper()
	id := domain.NewID()
	if _, err := pgtest.DB(t).NewRaw(`INSERT INTO groups (id, name) VALUES (?, ?)`, id.String(), "g-"+id.String()).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	return id
}

func TestAPIKeyRepositoryRoundTripRevocationAndBatchedUse(t *testing.T) {
	ctx := context.Background()
	db := pgtest.DB(t)
	repo := postgres.NewAPIKeyRepository(db)
	gid := newGroup(t, ctx)
	secret, _ := apikey.GenerateSecret(rand.Reader)
	k, err := apikey.NewKey(apikey.KeyParams{GroupID: gid, Secret: secret, Name: "laptops", Scopes: []string{"agent"},
		ExpiresAt: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if err := repo.Create(ctx, k); err != nil {
		t.Fatal(err)
	}
	got, err := repo.FindByDigest(ctx, secret.Digest())
	if err != nil || got.ID() != k.ID() || got.GroupID() != gid || !got.HasScope(apikey.ScopeAgent) {
		t.Fatalf("find by hash: %v %+v", err, got)
	}
	if _, err := repo.FindByDigest(ctx, apikey.Digest{}); domain.CodeOf(err) != domain.CodeNotFound {
		t.Fatalf("unknown hash: %v", err)
	}
	other, _ := apikey.GenerateSecret(rand.Reader)
	orphan, _ := apikey.NewKey(apikey.KeyParams{GroupID: domain.NewID(), Secret: other, Name: "x", Scopes: []string{"agent"}})
	if err := repo.Create(ctx, orphan); domain.CodeOf(err) != domain.CodeNotFound {
		t.Fatalf("key of an unknown group: %v", err)
	}
	list, err := repo.ListByGroup(ctx, gid)
	if err != nil || len(list) != 1 {
		t.Fatalf("list: %v %d", err, len(list))
	}
	at := time.Now().UTC().Truncate(time.Microsecond)
	if _, err := repo.Update(ctx, k.ID(), func(k apikey.Key) (apikey.Key, error) { return k.Revoke(at), nil }); err != nil {
		t.Fatal(err)
	}
	if got, _ := repo.Get(ctx, k.ID()); !got.RevokedAt().Equal(at) {
		t.Fatalf("revoked_at %v, want %v", got.RevokedAt(), at)
	}

	usage := postgres.NewAPIKeyUsageRecorder(db, nil, time.Hour)
	usage.KeyUsed(k.ID(), at.Add(time.Second))
	usage.KeyUsed(k.ID(), at) // older: ignored
	if err := usage.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := repo.Get(ctx, k.ID()); !got.LastUsedAt().Equal(at.Add(time.Second)) {
		t.Fatalf("last_used_at %v", got.LastUsedAt())
	}
}

func TestAPIKeysOfADeletedGroupAreNotFound(t *testing.T) {
	ctx := context.Background()
	db := pgtest.DB(t)
	repo := postgres.NewAPIKeyRepository(db)
	gid := newGroup(t, ctx)
	secret, _ := apikey.GenerateSecret(rand.Reader)
	k, err := apikey.NewKey(apikey.KeyParams{GroupID: gid, Secret: secret, Name: "fleet", Scopes: []string{"agent"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := repo.Create(ctx, k); err != nil {
		t.Fatal(err)
	}
	if _, err := repo.FindByDigest(ctx, secret.Digest()); err != nil {
		t.Fatalf("live group's key: %v", err)
	}
	if _, err := db.NewRaw(`UPDATE groups SET deleted_at = now() WHERE id = ?`, gid.String()).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := repo.FindByDigest(ctx, secret.Digest()); domain.CodeOf(err) != domain.CodeNotFound {
		t.Fatalf("a deleted group's key must not authenticate: %v", err)
	}
}

// TestAPIKeysPageNewestFirstOnTheDatabase: keys with equal creation times
// are still paged without a repeat or a gap, and a cursor is checked.
func TestAPIKeysPageNewestFirstOnTheDatabase(t *testing.T) {
	ctx := context.Background()
	repo := postgres.NewAPIKeyRepository(pgtest.DB(t))
	gid := newGroup(t, ctx)
	base := time.Now().UTC().Truncate(time.Microsecond)
	for i := range 5 {
		secret, _ := apikey.GenerateSecret(rand.Reader)
		k, err := apikey.NewKey(apikey.KeyParams{GroupID: gid, Secret: secret, Name: "k", Scopes: []string{"agent"},
			CreatedAt: base.Add(time.Duration(i/2) * time.Second)}) // two pairs share a time
		if err != nil {
			t.Fatal(err)
		}
		if err := repo.Create(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	var seen []apikey.Key
	page := application.PageRequest{Limit: 2}
	for range 4 {
		got, err := repo.List(ctx, gid, page)
		if err != nil {
			t.Fatal(err)
		}
		seen = append(seen, got.Items...)
		if page.Cursor = got.NextCursor; page.Cursor == "" {
			break
		}
	}
	if len(seen) != 5 {
		t.Fatalf("%d keys over all pages, want 5", len(seen))
	}
	ids := map[domain.ID]bool{}
	for i, k := range seen {
		ids[k.ID()] = true
		if i > 0 && k.CreatedAt().After(seen[i-1].CreatedAt()) {
			t.Errorf("key %d is newer than the one before it", i)
		}
	}
	if len(ids) != 5 {
		t.Errorf("a key was listed twice: %d distinct", len(ids))
	}
	if _, err := repo.List(ctx, gid, application.PageRequest{Limit: 2, Cursor: seen[0].ID().String()}); domain.CodeOf(err) != domain.CodeInvalid {
		t.Errorf("a raw id as cursor: %v, want invalid", err)
	}
}
