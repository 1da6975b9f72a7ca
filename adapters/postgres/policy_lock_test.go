package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/extguard/extguard/adapters/postgres"
	"github.com/extguard/extguard/adapters/postgres/pgtest"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/group"
)

// A REST update of a group that starts while a policy apply holds the
// policy tables must wait for the apply, not deadlock with it: the apply
// updating the same row next would otherwise wait on the row lock the
// REST update took before it queued for the table (PostgreSQL then aborts
// one of them with 40P01).
func TestARESTUpdateWaitsForAnApplyWithoutADeadlock(t *testing.T) {
	db := pgtest.DB(t)
	ctx := context.Background()
	tx, store, groups := postgres.NewTxRunner(db), postgres.NewPolicyStore(db), postgres.NewGroupRepository(db)
	g := must(group.NewGroup(group.GroupParams{Name: "apply-lock-" + domain.NewID().String()[:8], CreatedAt: time.Now().UTC()}))(t)
	if err := groups.Create(ctx, g); err != nil {
		t.Fatal(err)
	}
	same := func(current group.Group) (group.Group, error) { return current, nil }
	locked, applied := make(chan struct{}), make(chan error, 1)
	go func() {
		applied <- tx.InTx(ctx, func(ctx context.Context) error {
			if err := store.Lock(ctx); err != nil {
				return err
			}
			close(locked)
			time.Sleep(300 * time.Millisecond) // the REST update is under way by now
			_, err := groups.Update(ctx, g.ID(), same)
			return err
		})
	}()
	<-locked
	_, restErr := groups.Update(ctx, g.ID(), same)
	if applyErr := <-applied; applyErr != nil || restErr != nil {
		t.Fatalf("apply: %v; REST update: %v", applyErr, restErr)
	}
}
