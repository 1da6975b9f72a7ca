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

// RevalidateExtension downloads a pinned catalog entry's VSIX, verifies it
// against sha256_checksum and stores the content digest agents are compared
// with. A mismatch blocks the entry and is audited (and so reaches the
// webhooks); the pinned checksum itself is never rewritten.
type RevalidateExtension struct {
	Tx       Transactor
	Catalog  RevalidationCatalog
	Packages PackageFetcher
	Audit    AuditLog
	Policies PolicyInvalidator
	Clock    Clock
}

// Execute revalidates one entry. It is idempotent: a second run finding the
// same package changes nothing and audits nothing new. Errors: unavailable
// for download failures worth retrying; invalid for packages that will not
// get better (refused host, too large, unsafe zip); internal.
func (uc RevalidateExtension) Execute(ctx context.Context, req RevalidationRequest) (_ RevalidationOutcome, err error) {
	ctx, obs := observe(ctx, "RevalidateExtension")
	defer obs.end(&err)
	entry, err := uc.Catalog.Get(ctx, req.ExtensionID)
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
	return uc.record(ctx, req, entry, digest)
}

func revalidatable(e extension.Entry) bool {
	return e.IsPinned() && e.SHA256() != "" && e.MarketplaceURL() != ""
}

// samePin: the admin did not change what the download was checked against.
func samePin(a, b extension.Entry) bool {
	return a.ExtensionID() == b.ExtensionID() && a.PinnedVersion() == b.PinnedVersion() &&
		a.SHA256() == b.SHA256() && a.MarketplaceURL() == b.MarketplaceURL()
}

// block blocks the entry after a checksum mismatch, unless it is blocked already
// (by an earlier run or an admin: nothing new to say).
func (uc RevalidateExtension) block(ctx context.Context, req RevalidationRequest, checked extension.Entry, actual string) (RevalidationOutcome, error) {
	return uc.update(ctx, checked, RevalidationMismatch, func(ctx context.Context, current extension.Entry, now time.Time) (bool, error) {
		if current.IsBlocked() {
			return false, nil
		}
		blocked := true
		reason := fmt.Sprintf("checksum mismatch: the package at marketplace_url has SHA-256 %s, the catalog pins %s (revalidation %s)",
			actual, current.SHA256(), now.Format(time.RFC3339))
		updated, err := current.WithChanges(extension.EntryPatch{IsBlocked: &blocked, BlockReason: &reason, At: now})
		if err != nil {
			return false, err
		}
		if err := uc.Catalog.SaveRevalidation(ctx, updated); err != nil {
			return false, err
		}
		return true, uc.appendEvent(ctx, req, updated, audit.ExtensionChecksumMismatch, map[string]any{
			"extension_id": string(current.ExtensionID()), "pinned_version": current.PinnedVersion(),
			"expected_sha256": current.SHA256(), "actual_sha256": actual, "blocked": true,
		})
	})
}

// record stores the verified package's content digest. Only a new digest is
// audited: a daily audit row per entry saying "still the same" would bury
// real events.
func (uc RevalidateExtension) record(ctx context.Context, req RevalidationRequest, checked extension.Entry, digest string) (RevalidationOutcome, error) {
	return uc.update(ctx, checked, RevalidationVerified, func(ctx context.Context, current extension.Entry, now time.Time) (bool, error) {
		updated, err := current.RecordRevalidation(digest, now)
		if err != nil {
			return false, err
		}
		if err := uc.Catalog.SaveRevalidation(ctx, updated); err != nil {
			return false, err
		}
		if updated.ContentSHA256() == current.ContentSHA256() {
			return false, nil
		}
		return true, uc.appendEvent(ctx, req, updated, audit.ExtensionRevalidated, map[string]any{
			"extension_id": string(current.ExtensionID()), "pinned_version": current.PinnedVersion(),
			"sha256": current.SHA256(), "content_sha256": updated.ContentSHA256(),
			"previous_content_sha256": current.ContentSHA256(),
		})
	})
}

// update runs change on the locked, current entry if its pin is still the
// one the package was checked against, and tells every API instance when
// policies changed (policies carry is_blocked and content_sha256).
func (uc RevalidateExtension) update(ctx context.Context, checked extension.Entry, outcome RevalidationOutcome,
	change func(ctx context.Context, current extension.Entry, now time.Time) (policyChanged bool, err error)) (RevalidationOutcome, error) {
	changed := false
	err := uc.Tx.InTx(ctx, func(ctx context.Context) error {
		current, err := uc.Catalog.Get(ctx, checked.ID())
		if err != nil {
			return err
		}
		if !samePin(current, checked) {
			outcome = RevalidationSkipped
			return nil
		}
		changed, err = change(ctx, current, uc.Clock.Now())
		return err
	})
	if domain.CodeOf(err) == domain.CodeNotFound {
		return RevalidationSkipped, nil // deleted while its package downloaded
	}
	if err != nil {
		return "", err
	}
	if changed {
		uc.Policies.AllGroupsChanged(ctx)
	}
	return outcome, nil
}

func (uc RevalidateExtension) appendEvent(ctx context.Context, req RevalidationRequest, e extension.Entry,
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
