package application

import (
	"context"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
	"github.com/extguard/extguard/domain/request"
)

// DenyRequest answers a pending request with a refusal and a note.
type DenyRequest struct {
	Tx       Transactor
	Requests RequestRepository
	Audit    AuditLog
	Clock    Clock
}

// Execute answers the denied request. Errors: not_found, invalid (note),
// conflict (already answered).
func (uc DenyRequest) Execute(ctx context.Context, actor audit.Actor, id domain.ID, note string) (_ request.Request, err error) {
	ctx, obs := observe(ctx, "DenyRequest")
	defer obs.end(&err)
	now := uc.Clock.Now()
	var r request.Request
	err = uc.Tx.InTx(ctx, func(ctx context.Context) error {
		if r, err = uc.Requests.Update(ctx, id, func(cur request.Request) (request.Request, error) {
			return cur.Deny(request.Answer{By: userID(actor), Note: note}, now)
		}); err != nil {
			return err
		}
		return appendEvent(ctx, uc.Audit, uc.Clock, audit.EventParams{Type: audit.ExtensionRequestDenied, Actor: actor,
			GroupID: r.GroupID(), TargetType: audit.TargetRequest, TargetID: r.ID(), CreatedAt: now,
			Details: map[string]any{"extension_id": r.ExtensionID().String(), "agent_id": r.AgentID().String(), "note": r.Note()}})
	})
	return r, err
}
