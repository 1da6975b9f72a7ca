package application

import (
	"context"
	"fmt"
	"time"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
	"github.com/extguard/extguard/domain/extension"
)

// RevalidationOutcome says what one revalidation concluded.
type RevalidationOutcome string

const (
	// RevalidationVerified: the package matches the pinned checksum; its
	// content digest is stored with the entry.
	RevalidationVerified RevalidationOutcome = "verified"
	// RevalidationMismatch: the package differs from the pinned checksum;
	// the entry is blocked everywhere.
	RevalidationMismatch RevalidationOutcome = "mismatch"
	// RevalidationSkipped: nothing to check (entry deleted, no longer pinned,
	// or changed by an admin while the package was downloading: the result
	// described the old pin).
	RevalidationSkipped RevalidationOutcome = "skipped"
)

// RevalidateCatalogEntry downloads a pinned catalog entry's VSIX, verifies it
// against sha256_checksum and stores the content digest agents are compared
// with. A mismatch blocks the entry and is audited (and so reaches the
// webhooks); the pinned checksum itself is never rewritten.
type RevalidateCatalogEntry struct {
	Tx       Transactor
	Catalog  RevalidationCatalog
	Packages PackageFetcher
	Audit    AuditLog
	Policies PolicyInvalidator
	Clock    Clock
	// Capabilities (optional) records what each verified package can do
	// and audits what a new version adds (revalidation_capabilities.go).
	Capabilities CapabilityStore
}

// Execute revalidates one entry. It is idempotent: a second run finding the
// same package changes nothing and audits nothing new. Errors: unavailable
// for download failures worth retrying; invalid for packages that will not
// get better (refused host, too large, unsafe zip); internal.
func (uc RevalidateCatalogEntry) Execute(ctx context.Context, req RevalidationRequest) (_ RevalidationOutcome, err error) {
	ctx, obs := observe(ctx, "RevalidateCatalogEntry")
	defer obs.end(&err)
	entry, err := uc.Catalog.Get(ctx, req.EntryID)
	if domain.CodeOf(err) == domain.CodeNotFound {
		return RevalidationSkipped, nil
	}
	if err != nil {
		return "", err
	}
	if !revalidatable(entry) {
		return RevalidationSkipped, nil
	}
	pkg, err := uc.Packages.Fetch(ctx, entry.MarketplaceURL())
	if err != nil {
		return "", err
	}
	defer pkg.Close()
	if pkg.SHA256() != entry.SHA256() {
		return uc.block(ctx, req, entry, pkg.SHA256())
	}
	digest, err := pkg.ContentDigest()
	if err != nil {
		return "", err
	}
	outcome, err := uc.record(ctx, req, entry, digest)
	if err != nil || outcome != RevalidationVerified || uc.Capabilities == nil {
		return outcome, err
	}
	return outcome, uc.recordCapabilities(ctx, req, entry, pkg)
}

func revalidatable(e extension.Entry) bool {
	return e.IsPinned() && e.SHA256() != "" && e.MarketplaceURL() != ""
}

// samePin: the admin did not change what the download was checked against.
func samePin(a, b extension.Entry) bool {
	return a.ExtensionID() == b.ExtensionID() && a.PinnedVersion() == b.PinnedVersion() &&
		a.SHA256() == b.SHA256() && a.MarketplaceURL() == b.MarketplaceURL()
}

// revision is what one revalidation makes of the current entry: the entry to
// store and, when there is news, the audit event saying so (news is also what
// changes policies: they carry is_blocked and content_sha256).
type revision struct {
	entry   extension.Entry
	event   audit.EventType
	details map[string]any
}

// block blocks the entry after a checksum mismatch, unless it is blocked already
// (by an earlier run or an admin: nothing new to say).
func (uc RevalidateCatalogEntry) block(ctx context.Context, req RevalidationRequest, checked extension.Entry, actual string) (RevalidationOutcome, error) {
	return uc.update(ctx, req, checked, RevalidationMismatch, func(current extension.Entry, now time.Time) (revision, error) {
		if current.IsBlocked() {
			return revision{entry: current}, nil
		}
		blocked := true
		reason := fmt.Sprintf("checksum mismatch: the package at marketplace_url has SHA-256 %s, the catalog pins %s (revalidation %s)",
			actual, current.SHA256(), now.Format(time.RFC3339))
		updated, err := current.WithChanges(extension.EntryPatch{IsBlocked: &blocked, BlockReason: &reason, At: now})
		return revision{entry: updated, event: audit.ExtensionChecksumMismatch, details: map[string]any{
			"extension_id": string(current.ExtensionID()), "pinned_version": current.PinnedVersion(),
			"expected_sha256": current.SHA256(), "actual_sha256": actual, "blocked": true,
		}}, err
	})
}

// record stores the verified package's content digest. Only a new digest is
// audited: a daily audit row per entry saying "still the same" would bury
// real events.
func (uc RevalidateCatalogEntry) record(ctx context.Context, req RevalidationRequest, checked extension.Entry, digest string) (RevalidationOutcome, error) {
	return uc.update(ctx, req, checked, RevalidationVerified, func(current extension.Entry, now time.Time) (revision, error) {
		updated, err := current.RecordRevalidation(digest, now)
		if err != nil || updated.ContentSHA256() == current.ContentSHA256() {
			return revision{entry: updated}, err
		}
		return revision{entry: updated, event: audit.ExtensionRevalidated, details: map[string]any{
			"extension_id": string(current.ExtensionID()), "pinned_version": current.PinnedVersion(),
			"sha256": current.SHA256(), "content_sha256": updated.ContentSHA256(),
			"previous_content_sha256": current.ContentSHA256(),
		}}, nil
	})
}

// update revises the locked, current entry if its pin is still the one the
// package was checked against, audits the news in the same transaction, and
// tells every API instance when policies changed.
func (uc RevalidateCatalogEntry) update(ctx context.Context, req RevalidationRequest, checked extension.Entry, outcome RevalidationOutcome,
	revise func(current extension.Entry, now time.Time) (revision, error)) (RevalidationOutcome, error) {
	var rev revision
	err := uc.Tx.InTx(ctx, func(ctx context.Context) error {
		_, err := uc.Catalog.Update(ctx, checked.ID(), func(current extension.Entry) (extension.Entry, error) {
			if !samePin(current, checked) {
				outcome, rev = RevalidationSkipped, revision{entry: current}
				return current, nil
			}
			var err error
			rev, err = revise(current, uc.Clock.Now())
			return rev.entry, err
		})
		if err != nil || rev.event == "" {
			return err
		}
		return uc.appendEvent(ctx, req, rev.entry, rev.event, rev.details)
	})
	if domain.CodeOf(err) == domain.CodeNotFound {
		return RevalidationSkipped, nil // deleted while its package downloaded
	}
	if err != nil {
		return "", err
	}
	if rev.event != "" {
		uc.Policies.AllGroupsChanged(ctx)
	}
	return outcome, nil
}

func (uc RevalidateCatalogEntry) appendEvent(ctx context.Context, req RevalidationRequest, e extension.Entry,
	t audit.EventType, details map[string]any) error {
	actor := req.RequestedBy
	if actor.Type == "" {
		actor = audit.SystemActor()
	}
	ev, err := audit.NewEvent(audit.EventParams{Type: t, Actor: actor, TargetType: audit.TargetExtension,
		TargetID: e.ID(), Details: details, CreatedAt: e.UpdatedAt()})
	if err != nil {
		return err
	}
	return uc.Audit.Append(ctx, ev)
}
