package application

import (
	"context"
	"time"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
	"github.com/extguard/extguard/domain/extension"
	"github.com/extguard/extguard/domain/policy"
	"github.com/extguard/extguard/domain/request"
)

// ApproveRequest answers a pending request with an approval: for the agent
// (an exception on top of its group's policy) or for its group (an
// assignment, the catalog entry created when the catalog has none), either
// possibly until an expiry. Blocks win: an extension the compiled policy
// blocks (blocklist, catalog block, or any other rule the compiler adds)
// cannot be approved.
type ApproveRequest struct {
	Tx           Transactor
	Requests     RequestRepository
	Exceptions   ExceptionRepository
	Catalog      CatalogRepository
	Inputs       PolicyInputs
	Audit        AuditLog
	Clock        Clock
	Invalidator  PolicyInvalidator
	ExceptionBus ExceptionInvalidator
}

// ApproveInput is the approval; ExpiresAt nil is no end.
type ApproveInput struct {
	Scope     string
	Version   string
	ExpiresAt *time.Time
	Note      string
}

// Execute answers the approved request. Errors: not_found, invalid (scope,
// version, expires_at, note), conflict (already answered; the extension is
// blocked, naming the rule).
func (uc ApproveRequest) Execute(ctx context.Context, actor audit.Actor, id domain.ID, in ApproveInput) (_ request.Request, err error) {
	ctx, obs := observe(ctx, "ApproveRequest")
	defer obs.end(&err)
	now := uc.Clock.Now()
	answer := request.Answer{By: userID(actor), Scope: request.Scope(in.Scope), Version: in.Version, Note: in.Note}
	if in.ExpiresAt != nil {
		answer.ExpiresAt = in.ExpiresAt.UTC()
	}
	var r request.Request
	details := map[string]any{}
	err = uc.Tx.InTx(ctx, func(ctx context.Context) error {
		if r, err = uc.Requests.Update(ctx, id, func(cur request.Request) (request.Request, error) {
			return cur.Approve(answer, now)
		}); err != nil {
			return err
		}
		if err := uc.refuseBlocked(ctx, r); err != nil {
			return err
		}
		if err := uc.grant(ctx, r, now, details); err != nil {
			return err
		}
		details["extension_id"], details["scope"], details["version"] = r.ExtensionID().String(), string(r.Scope()), r.Version()
		details["note"], details["agent_id"] = r.Note(), r.AgentID().String()
		details["expires_at"] = nil
		if !r.ExpiresAt().IsZero() {
			details["expires_at"] = r.ExpiresAt().UTC().Format(time.RFC3339Nano)
		}
		return appendEvent(ctx, uc.Audit, uc.Clock, audit.EventParams{Type: audit.ExtensionRequestApproved, Actor: actor,
			GroupID: r.GroupID(), TargetType: audit.TargetRequest, TargetID: r.ID(), CreatedAt: now, Details: details})
	})
	if err != nil {
		return request.Request{}, err
	}
	if r.Scope() == request.ScopeGroup {
		notifyGroups(ctx, uc.Invalidator, r.GroupID())
	} else if uc.ExceptionBus != nil {
		uc.ExceptionBus.ExceptionsChanged(ctx)
	}
	return r, nil
}

// refuseBlocked compiles the group's policy as it is now (in the
// transaction) and refuses an extension any of its rules blocks.
func (uc ApproveRequest) refuseBlocked(ctx context.Context, r request.Request) error {
	in, err := uc.Inputs.Load(ctx, r.GroupID())
	if err != nil {
		return err
	}
	if rule, blocked := policy.Compile(in).Blocks(r.ExtensionID()); blocked {
		return domain.Conflict("the extension is blocked (" + rule.Describe() + "): blocks win over approvals")
	}
	return nil
}

func (uc ApproveRequest) grant(ctx context.Context, r request.Request, now time.Time, details map[string]any) error {
	if r.Scope() == request.ScopeAgent {
		e := AgentException{ID: domain.NewID(), AgentID: r.AgentID(), RequestID: r.ID(), ExtensionID: r.ExtensionID(),
			Version: r.Version(), ExpiresAt: r.ExpiresAt(), CreatedBy: r.AnsweredBy(), CreatedAt: now}
		return uc.Exceptions.GrantAgent(ctx, e)
	}
	entry, err := uc.catalogEntry(ctx, r.ExtensionID(), now)
	if err != nil {
		return err
	}
	assignment, err := uc.Exceptions.GrantGroup(ctx, GroupGrant{GroupID: r.GroupID(), Entry: entry, RequestID: r.ID(),
		AddedBy: r.AnsweredBy(), ExpiresAt: r.ExpiresAt(), At: now})
	details["catalog_entry_id"], details["assignment_id"] = entry.ID().String(), assignment.String()
	return err
}

// catalogEntry is the live catalog entry of id, created (unpinned) when the
// catalog has none: an assignment needs one.
func (uc ApproveRequest) catalogEntry(ctx context.Context, id extension.ExtensionID, now time.Time) (extension.Entry, error) {
	page, err := uc.Catalog.List(ctx, CatalogFilter{ExtensionID: id}, PageRequest{Limit: 1})
	if err != nil {
		return extension.Entry{}, err
	}
	if len(page.Items) > 0 {
		return page.Items[0], nil
	}
	e, err := extension.NewEntry(extension.EntryParams{ExtensionID: id.String(), CreatedAt: now})
	if err != nil {
		return extension.Entry{}, err
	}
	return e, uc.Catalog.Create(ctx, e)
}
