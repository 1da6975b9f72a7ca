package application

import (
	"context"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/extension"
)

// GetCatalogEntry reads one catalog entry.
type GetCatalogEntry struct{ Catalog CatalogRepository }

// Execute answers the entry. Errors: not_found.
func (uc GetCatalogEntry) Execute(ctx context.Context, id domain.ID) (_ extension.Entry, err error) {
	ctx, obs := observe(ctx, "GetCatalogEntry")
	defer obs.end(&err)
	return uc.Catalog.Get(ctx, id)
}

// ListCatalog pages the catalog.
type ListCatalog struct{ Catalog CatalogRepository }

// Execute answers one page. Errors: invalid (cursor).
func (uc ListCatalog) Execute(ctx context.Context, f CatalogFilter, page PageRequest) (_ Page[extension.Entry], err error) {
	ctx, obs := observe(ctx, "ListCatalog")
	defer obs.end(&err)
	return uc.Catalog.List(ctx, f, page)
}
