package application

import (
	"context"
	"time"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
	"github.com/extguard/extguard/domain/extension"
)

// RevalidationCatalog is the catalog as revalidation sees it.
type RevalidationCatalog interface {
	// Get returns a live catalog entry. Errors: not_found for an unknown or
	// deleted entry.
	Get(ctx context.Context, id domain.ID) (extension.Entry, error)
	// Update changes the locked entry (the Update contract atop ports.go) and
	// stores what revalidation may change: content_sha256, revalidated_at,
	// is_blocked, block_reason and updated_at. Never the pinned checksum.
	// Errors: not_found when the entry vanished, whatever change returns.
	Update(ctx context.Context, id domain.ID, change func(current extension.Entry) (extension.Entry, error)) (extension.Entry, error)
	// ListRevalidatable lists the live entries that can be revalidated: a
	// pinned version, a SHA-256 and a marketplace URL.
	ListRevalidatable(ctx context.Context) ([]domain.ID, error)
}

// PackageFetcher downloads the VSIX package behind a catalog's marketplace URL.
type PackageFetcher interface {
	// Fetch downloads rawURL. Errors: unavailable for what may pass
	// (timeouts, 5xx, 429, network errors); invalid for what will not
	// (host or scheme not allowed, blocked address, other 4xx, too large,
	// too many redirects, corrupt encoding).
	Fetch(ctx context.Context, rawURL string) (FetchedPackage, error)
}

// FetchedPackage is a downloaded package; Close releases it.
type FetchedPackage interface {
	// SHA256 is the hex digest of the package bytes.
	SHA256() string
	// ContentDigest is the digest of the package's extension/ entries, the
	// one agents report. Errors: invalid for a package that is not a zip,
	// escapes its folder, or exceeds the entry or size caps.
	ContentDigest() (string, error)
	// Capabilities is what the package can do, from its manifest and files
	// (extension.Capabilities). Errors: invalid for a package that is not a
	// zip, escapes its folder, exceeds the caps or whose manifest is not JSON.
	Capabilities() (extension.Capabilities, error)
	Close() error
}

// CapabilityStore keeps the capabilities revalidation last recorded for
// each catalog entry, with what its version added to the one before.
type CapabilityStore interface {
	// Get answers the entry's record; ok false when there is none.
	Get(ctx context.Context, entryID domain.ID) (_ RecordedCapabilities, ok bool, _ error)
	// Put stores the entry's record.
	Put(ctx context.Context, entryID domain.ID, r RecordedCapabilities) error
}

// RecordedCapabilities is one catalog entry's package capabilities: of
// Version, and what it added to PreviousVersion's.
type RecordedCapabilities struct {
	Version         string
	Capabilities    extension.Capabilities
	PreviousVersion string   // "" until the pinned version changes
	Added           []string // what Version can do that PreviousVersion could not
	RecordedAt      time.Time
}

// RevalidationRequest asks for one catalog entry to be revalidated.
// RequestedBy is who asked (the system for periodic runs); only its type and
// id travel through the queue.
type RevalidationRequest struct {
	EntryID     domain.ID // the catalog entry, not its extension id
	RequestedBy audit.Actor
}

// RevalidationQueue hands revalidation to the workers.
type RevalidationQueue interface {
	// EnqueueRevalidation queues one revalidation; a duplicate of one still
	// queued may be dropped. Errors: unavailable when the queue is down.
	EnqueueRevalidation(ctx context.Context, r RevalidationRequest) error
}
