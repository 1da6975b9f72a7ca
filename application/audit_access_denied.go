package application

import (
	"context"

	"github.com/extguard/extguard/domain/audit"
)

// RecordAccessDenied audits a request refused for lack of role, in its own
// transaction: the refusal changes nothing else.
type RecordAccessDenied struct {
	Tx    Transactor
	Audit AuditLog
	Clock Clock
}

// Execute records that actor (with role) was refused permission on route.
func (uc RecordAccessDenied) Execute(ctx context.Context, actor audit.Actor, role, method, route, permission string) (err error) {
	ctx, obs := observe(ctx, "RecordAccessDenied")
	defer obs.end(&err)
	return uc.Tx.InTx(ctx, func(ctx context.Context) error {
		return appendEvent(ctx, uc.Audit, uc.Clock, audit.EventParams{Type: audit.AccessDenied, Actor: actor,
			Details: map[string]any{"role": role, "method": method, "route": route, "required_permission": permission}})
	})
}
