package application

import (
	"context"
	"time"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
	"github.com/extguard/extguard/domain/request"
)

// ExpireGrants is the worker's periodic pass: it ends, in one set-based
// transaction, every exception and time-limited assignment whose expiry has
// passed, audits each as extension_request.expired naming its request, and
// then invalidates the policies concerned, so their agents learn it at their
// next heartbeat. What has expired is read from PostgreSQL each time, so a
// restart loses nothing.
type ExpireGrants struct {
	Tx           Transactor
	Exceptions   ExceptionRepository
	Audit        AuditLog
	Clock        Clock
	Invalidator  PolicyInvalidator
	ExceptionBus ExceptionInvalidator
}

// Execute answers what ended. Errors: unavailable.
func (uc ExpireGrants) Execute(ctx context.Context) (_ []EndedGrant, err error) {
	ctx, obs := observe(ctx, "ExpireGrants")
	defer obs.end(&err)
	now := uc.Clock.Now()
	var ended []EndedGrant
	err = uc.Tx.InTx(ctx, func(ctx context.Context) error {
		if ended, err = uc.Exceptions.Expire(ctx, now); err != nil {
			return err
		}
		for _, g := range ended {
			details := map[string]any{"request_id": g.RequestID.String(), "extension_id": g.ExtensionID,
				"scope": string(g.Scope), "expires_at": g.ExpiresAt.UTC().Format(time.RFC3339Nano)}
			if !g.AgentID.IsZero() {
				details["agent_id"] = g.AgentID.String()
			}
			if err := appendEvent(ctx, uc.Audit, uc.Clock, audit.EventParams{Type: audit.ExtensionRequestExpired,
				Actor: audit.SystemActor(), GroupID: g.GroupID, TargetType: audit.TargetRequest, TargetID: g.RequestID,
				CreatedAt: now, Details: details}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var groups []domain.ID
	exceptions := false
	for _, g := range ended {
		if g.Scope == request.ScopeGroup {
			groups = append(groups, g.GroupID)
		} else {
			exceptions = true
		}
	}
	notifyGroups(ctx, uc.Invalidator, groups...)
	if exceptions && uc.ExceptionBus != nil {
		uc.ExceptionBus.ExceptionsChanged(ctx)
	}
	return ended, nil
}
