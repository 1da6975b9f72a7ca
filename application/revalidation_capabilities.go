package application

import (
	"context"
	"reflect"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
	"github.com/extguard/extguard/domain/extension"
)

// recordCapabilities stores what the verified package of entry can do and,
// when the pinned version changed since the last record and the new one
// adds something, audits extension.capabilities_changed (which reaches the
// webhooks) in the same transaction. The first record of an entry has
// nothing to compare with and audits nothing; a package whose capabilities
// cannot be read is reported as its error, the digest already stored.
func (uc RevalidateCatalogEntry) recordCapabilities(ctx context.Context, req RevalidationRequest, entry extension.Entry, pkg FetchedPackage) error {
	caps, err := pkg.Capabilities()
	if err != nil {
		return err
	}
	return uc.Tx.InTx(ctx, func(ctx context.Context) error {
		prev, ok, err := uc.Capabilities.Get(ctx, entry.ID())
		if err != nil {
			return err
		}
		rec := RecordedCapabilities{Version: entry.PinnedVersion(), Capabilities: caps, RecordedAt: uc.Clock.Now()}
		switch {
		case !ok:
		case prev.Version == rec.Version:
			if reflect.DeepEqual(prev.Capabilities, caps) {
				return nil // nothing new: no write
			}
			rec.PreviousVersion, rec.Added = prev.PreviousVersion, prev.Added
		default:
			rec.PreviousVersion, rec.Added = prev.Version, prev.Capabilities.Added(caps)
		}
		if err := uc.Capabilities.Put(ctx, entry.ID(), rec); err != nil {
			return err
		}
		if !ok || prev.Version == rec.Version || len(rec.Added) == 0 {
			return nil
		}
		actor := req.RequestedBy
		if actor.Type == "" {
			actor = audit.SystemActor()
		}
		return appendEvent(ctx, uc.Audit, uc.Clock, audit.EventParams{Type: audit.ExtensionCapabilitiesChanged, Actor: actor,
			TargetType: audit.TargetExtension, TargetID: entry.ID(), Details: map[string]any{
				"extension_id": string(entry.ExtensionID()), "previous_version": rec.PreviousVersion, "version": rec.Version,
				"added": rec.Added}})
	})
}

// GetCatalogCapabilities answers what a catalog entry's pinned package can
// do and what its version added.
type GetCatalogCapabilities struct {
	Catalog      CatalogRepository
	Capabilities CapabilityStore
}

// Execute answers the record. Errors: not_found (no entry, or none recorded
// yet: the entry was never revalidated with a pinned package).
func (uc GetCatalogCapabilities) Execute(ctx context.Context, entryID domain.ID) (_ RecordedCapabilities, err error) {
	ctx, obs := observe(ctx, "GetCatalogCapabilities")
	defer obs.end(&err)
	if _, err := uc.Catalog.Get(ctx, entryID); err != nil {
		return RecordedCapabilities{}, err
	}
	rec, ok, err := uc.Capabilities.Get(ctx, entryID)
	if err == nil && !ok {
		err = domain.NotFound("no capabilities recorded for this catalog entry yet")
	}
	return rec, err
}
