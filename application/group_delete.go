package application

import (
	"context"
	"strconv"
	"time"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/apikey"
	"github.com/extguard/extguard/domain/audit"
)

// DeleteGroup soft-deletes a group. A group with enrolled agents is refused:
// deleting it would leave machines enforcing a policy nobody can see;
// decommission them (or move them by re-enrolling) first. The group's API
// keys are revoked with it, and every instance drops them from its cache,
// so no key of a deleted group authenticates again.
type DeleteGroup struct {
	Tx             Transactor
	Groups         GroupRepository
	Keys           APIKeyRepository
	KeyInvalidator APIKeyInvalidator
	Audit          AuditLog
	Clock          Clock
	Invalidator    PolicyInvalidator
}

// Execute deletes the group. Errors: not_found, conflict (agents enrolled).
func (uc DeleteGroup) Execute(ctx context.Context, actor audit.Actor, id domain.ID) (err error) {
	ctx, obs := observe(ctx, "DeleteGroup")
	defer obs.end(&err)
	var revoked []domain.ID
	err = uc.Tx.InTx(ctx, func(ctx context.Context) error {
		g, err := uc.Groups.Get(ctx, id)
		if err != nil {
			return err
		}
		n, err := uc.Groups.CountEnrolledAgents(ctx, id)
		if err != nil {
			return err
		}
		if n > 0 {
			return domain.Conflict("the group has " + strconv.Itoa(n) + " enrolled agents; decommission them first")
		}
		now := uc.Clock.Now()
		if err := uc.Groups.Delete(ctx, id, now); err != nil {
			return err
		}
		if revoked, err = revokeGroupKeys(ctx, uc.Keys, id, now); err != nil {
			return err
		}
		return appendEvent(ctx, uc.Audit, uc.Clock, audit.EventParams{Type: audit.GroupDeleted, Actor: actor, GroupID: id,
			TargetType: audit.TargetGroup, TargetID: id,
			Details: map[string]any{"before": groupDetails(g), "api_keys_revoked": len(revoked)}})
	})
	if err == nil {
		notifyGroups(ctx, uc.Invalidator, id)
		for _, k := range revoked {
			uc.KeyInvalidator.KeyChanged(ctx, k)
		}
	}
	return err
}

// revokeGroupKeys revokes the group's keys that are still live (a group is
// deleted with its keys, by DELETE /groups/{id} and a policy prune alike).
func revokeGroupKeys(ctx context.Context, store APIKeyRepository, groupID domain.ID, now time.Time) ([]domain.ID, error) {
	keys, err := store.ListByGroup(ctx, groupID)
	if err != nil {
		return nil, err
	}
	var revoked []domain.ID
	for _, k := range keys {
		if k.IsRevoked() {
			continue
		}
		revoke := func(current apikey.Key) (apikey.Key, error) { return current.Revoke(now), nil }
		if _, err := store.Update(ctx, k.ID(), revoke); err != nil {
			return nil, err
		}
		revoked = append(revoked, k.ID())
	}
	return revoked, nil
}
