package application

import (
	"context"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
	"github.com/extguard/extguard/domain/group"
)

// CreateGroup adds a group; its settings are validated by the domain and
// answered with defaults filled in.
type CreateGroup struct {
	Tx          Transactor
	Groups      GroupRepository
	Audit       AuditLog
	Clock       Clock
	Invalidator PolicyInvalidator
}

// NewGroupInput is the POST body; Settings is the raw settings document.
type NewGroupInput struct {
	Name        string
	Description string
	Settings    []byte
}

// Execute creates the group. Errors: invalid (every bad field), conflict (name taken).
func (uc CreateGroup) Execute(ctx context.Context, actor audit.Actor, in NewGroupInput) (_ group.Group, err error) {
	ctx, obs := observe(ctx, "CreateGroup")
	defer obs.end(&err)
	var fe domain.FieldErrors
	settings, err := group.ParseSettings(in.Settings)
	fe.Include("settings", err)
	g, err := group.NewGroup(group.GroupParams{Name: in.Name, Description: in.Description, Settings: settings, CreatedAt: uc.Clock.Now()})
	fe.Include("", err)
	if err := fe.Err("invalid group"); err != nil {
		return group.Group{}, err
	}
	err = uc.Tx.InTx(ctx, func(ctx context.Context) error {
		if err := uc.Groups.Create(ctx, g); err != nil {
			return err
		}
		return appendEvent(ctx, uc.Audit, uc.Clock, audit.EventParams{Type: audit.GroupCreated, Actor: actor, GroupID: g.ID(),
			TargetType: audit.TargetGroup, TargetID: g.ID(), Details: map[string]any{"after": groupDetails(g)}})
	})
	if err == nil {
		notifyGroups(ctx, uc.Invalidator, g.ID())
	}
	return g, err
}
