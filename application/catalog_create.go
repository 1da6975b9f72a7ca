package application

import (
	"context"

	"github.com/extguard/extguard/domain/audit"
	"github.com/extguard/extguard/domain/extension"
)

// CreateCatalogEntry adds an extension to the catalog.
type CreateCatalogEntry struct {
	Tx          Transactor
	Catalog     CatalogRepository
	Guard       TargetGuard
	Audit       AuditLog
	Clock       Clock
	Invalidator PolicyInvalidator
}

// NewCatalogEntryInput is the POST body.
type NewCatalogEntryInput struct {
	ExtensionID    string
	Name           string
	Publisher      string
	PinnedVersion  string
	SHA256         string
	MarketplaceURL string
	IsBlocked      bool
	BlockReason    string
}

// Execute creates the entry. Errors: invalid (every bad field, a private
// marketplace_url), conflict (extension id already in the catalog).
func (uc CreateCatalogEntry) Execute(ctx context.Context, actor audit.Actor, in NewCatalogEntryInput) (_ extension.Entry, err error) {
	ctx, obs := observe(ctx, "CreateCatalogEntry")
	defer obs.end(&err)
	e, err := extension.NewEntry(extension.EntryParams{ExtensionID: in.ExtensionID, Name: in.Name, Publisher: in.Publisher,
		PinnedVersion: in.PinnedVersion, SHA256: in.SHA256, MarketplaceURL: in.MarketplaceURL, IsBlocked: in.IsBlocked,
		BlockReason: in.BlockReason, CreatedAt: uc.Clock.Now()})
	if err == nil {
		err = checkMarketplaceURL(uc.Guard, e)
	}
	if err != nil {
		return extension.Entry{}, err
	}
	err = uc.Tx.InTx(ctx, func(ctx context.Context) error {
		if err := uc.Catalog.Create(ctx, e); err != nil {
			return err
		}
		return appendEvent(ctx, uc.Audit, uc.Clock, audit.EventParams{Type: audit.ExtensionCreated, Actor: actor,
			TargetType: audit.TargetExtension, TargetID: e.ID(), Details: map[string]any{"after": catalogEntryDetails(e)}})
	})
	if err == nil && e.IsBlocked() {
		notifyAllGroups(ctx, uc.Invalidator) // a catalog block applies to every group
	}
	return e, err
}

// checkMarketplaceURL refuses a download target in the private network: the
// revalidation worker fetches it.
func checkMarketplaceURL(g TargetGuard, e extension.Entry) error {
	if e.MarketplaceURL() == "" {
		return nil
	}
	return g.Check("marketplace_url", e.MarketplaceURL())
}
