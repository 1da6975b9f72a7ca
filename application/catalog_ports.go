package application

import (
	"context"
	"time"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/extension"
)

// The catalog is the list of extensions admins allow, pin or block; an item
// of it is a catalog entry (extension.Entry, with its own id) of one
// extension id ("publisher.name"). The HTTP path /extensions and the table
// extensions keep their names: they are the public API and the schema.

// CatalogRepository stores the catalog.
type CatalogRepository interface {
	// Create inserts e. Errors: conflict (extension_id taken).
	Create(ctx context.Context, e extension.Entry) error
	// Get returns an entry that is not deleted. Errors: not_found.
	Get(ctx context.Context, id domain.ID) (extension.Entry, error)
	// Update changes the locked entry. Errors: not_found, conflict (extension_id taken).
	Update(ctx context.Context, id domain.ID, change func(current extension.Entry) (extension.Entry, error)) (extension.Entry, error)
	// Delete soft-deletes the entry and removes its assignments, answering
	// the groups that had it assigned. Errors: not_found.
	Delete(ctx context.Context, id domain.ID, at time.Time) ([]domain.ID, error)
	// List pages entries ordered by id. Errors: invalid (cursor).
	List(ctx context.Context, f CatalogFilter, page PageRequest) (Page[extension.Entry], error)
}

// CatalogFilter narrows a catalog list; zero fields do not filter.
type CatalogFilter struct {
	ExtensionID extension.ExtensionID
	Publisher   string
	IsBlocked   *bool
}
