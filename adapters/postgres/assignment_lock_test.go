package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/extguard/extguard/adapters/postgres"
	"github.com/extguard/extguard/adapters/postgres/pgtest"
	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/extension"
	"github.com/extguard/extguard/domain/group"
)

// A PUT of an assignment decides from the row it read (nothing to do when
// is_required is already what was asked; the audit row's before). Get locks
// the row in the caller's transaction, so a second PUT reads the first one's
// committed value instead of deciding from a stale one.
func TestAssignmentGetLocksTheRowForThePut(t *testing.T) {
	db := pgtest.DB(t)
	ctx := context.Background()
	tx := postgres.NewTxRunner(db)
	now := time.Now().UTC()
	g := must(group.NewGroup(group.GroupParams{Name: "lock-" + domain.NewID().String()[:8], CreatedAt: now}))(t)
	if err := postgres.NewGroupRepository(db).Create(ctx, g); err != nil {
		t.Fatal(err)
	}
	e := must(extension.NewEntry(extension.EntryParams{ExtensionID: "lock.e" + domain.NewID().String()[:8], Name: "e", CreatedAt: now}))(t)
	if err := postgres.NewCatalogRepository(db).Create(ctx, e); err != nil {
		t.Fatal(err)
	}
	repo := postgres.NewAssignmentRepository(db)
	a := application.Assignment{ID: domain.NewID(), GroupID: g.ID(), Entry: e, CreatedAt: now}
	if _, err := repo.Put(ctx, a); err != nil {
		t.Fatal(err)
	}

	locked, release := make(chan struct{}), make(chan struct{})
	first := make(chan error, 1)
	go func() {
		first <- tx.InTx(ctx, func(ctx context.Context) error {
			cur, err := repo.Get(ctx, g.ID(), e.ID())
			if err != nil {
				return err
			}
			close(locked)
			<-release
			cur.IsRequired = true
			_, err = repo.Put(ctx, cur)
			return err
		})
	}()
	<-locked
	second := make(chan bool, 1)
	go func() {
		_ = tx.InTx(ctx, func(ctx context.Context) error {
			cur, err := repo.Get(ctx, g.ID(), e.ID())
			second <- err == nil && cur.IsRequired
			return err
		})
	}()
	time.Sleep(100 * time.Millisecond) // the second read must be waiting on the lock by now
	close(release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if !<-second {
		t.Fatal("the second transaction read is_required false while the first held the row: it decided from a stale row")
	}
}
