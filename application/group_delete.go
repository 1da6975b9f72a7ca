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
		if revoked, err = uc.revokeKeys(ctx, id, now); err != nil {
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

// revokeKeys revokes the group's keys that are still live.
func (uc DeleteGroup) revokeKeys(ctx context.Context, groupID domain.ID, now time.Time) ([]domain.ID, error) {
	keys, err := uc.Keys.ListByGroup(ctx, groupID)
	if err != nil {
		return nil, err
	}
	var revoked []domain.ID
	for _, k := range keys {
		if k.IsRevoked() {
			continue
		}
		revoke := func(current apikey.Key) (apikey.Key, error) { return current.Revoke(now), nil }
		if _, err := uc.Keys.Update(ctx, k.ID(), revoke); err != nil {
			return nil, err
		}
		revoked = append(revoked, k.ID())
	}
	return revoked, nil
}
