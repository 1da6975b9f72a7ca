package application

import (
	"context"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
)

// RequestRevalidation queues an on-demand checksum revalidation of one
// catalog entry (POST /api/v1/extensions/{id}/revalidate, answered 202). The
// result is audited by the worker, with the requester as actor.
type RequestRevalidation struct {
	Catalog RevalidationCatalog
	Queue   RevalidationQueue
}

// Execute checks that the entry exists and can be revalidated, then queues it.
// Errors: not_found for an unknown or deleted entry; invalid when it has no
// pinned version, checksum or marketplace URL to check against; unavailable
// when the queue cannot be reached.
func (uc RequestRevalidation) Execute(ctx context.Context, actor audit.Actor, entryID domain.ID) (err error) {
	ctx, obs := observe(ctx, "RequestRevalidation")
	defer obs.end(&err)
	e, err := uc.Catalog.Get(ctx, entryID)
	if err != nil {
		return err
	}
	var fe domain.FieldErrors
	if !e.IsPinned() {
		fe.Add("pinned_version", "is required to revalidate")
	}
	if e.SHA256() == "" {
		fe.Add("sha256_checksum", "is required to revalidate")
	}
	if e.MarketplaceURL() == "" {
		fe.Add("marketplace_url", "is required to revalidate")
	}
	if err := fe.Err("catalog entry cannot be revalidated"); err != nil {
		return err
	}
	return uc.Queue.EnqueueRevalidation(ctx, RevalidationRequest{EntryID: e.ID(), RequestedBy: actor})
}
