package extension

import (
	"net/url"
	"strings"
	"time"

	"github.com/extguard/extguard/domain"
)

const (
	MaxNameLength        = 255
	MaxURLLength         = 2048
	MaxBlockReasonLength = 1000
)

// Entry is one catalog row: an extension the organisation knows about, the
// version it approved and the checksums that version must have.
type Entry struct {
	id             domain.ID
	extensionID    ExtensionID
	name           string
	publisher      string
	pinnedVersion  string
	sha256         string
	contentSHA256  string
	marketplaceURL string
	isBlocked      bool
	blockReason    string
	revalidatedAt  time.Time
	createdAt      time.Time
	updatedAt      time.Time
}

// EntryParams carries the columns of a catalog row. For NewEntry a zero ID
// gets a fresh one and CreatedAt is the caller's clock reading.
type EntryParams struct {
	ID             domain.ID
	ExtensionID    string
	Name           string
	Publisher      string
	PinnedVersion  string
	SHA256         string // SHA-256 of the VSIX at PinnedVersion
	ContentSHA256  string // digest of the unpacked extension, set by revalidation
	MarketplaceURL string
	IsBlocked      bool
	BlockReason    string
	RevalidatedAt  time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// NewEntry validates a new catalog entry and reports every bad field.
func NewEntry(p EntryParams) (Entry, error) { return newEntry(p, Entry{}) }

// newEntry validates p as a change of stored (zero for a new entry), whose
// unchanged free text is kept rather than judged again.
func newEntry(p EntryParams, stored Entry) (Entry, error) {
	var fe domain.FieldErrors
	e := Entry{
		id:            p.ID,
		isBlocked:     p.IsBlocked,
		revalidatedAt: p.RevalidatedAt,
		createdAt:     p.CreatedAt,
		updatedAt:     p.UpdatedAt,
	}
	id, err := ParseExtensionID(p.ExtensionID)
	fe.Include("", err)
	e.extensionID = id
	e.publisher = checkPublisher(&fe, id, p.Publisher)
	e.name = checkName(&fe, id, p.Name, stored.name)
	e.pinnedVersion = checkVersion(&fe, p.PinnedVersion)
	e.sha256 = checkDigest(&fe, "sha256_checksum", p.SHA256)
	e.contentSHA256 = checkDigest(&fe, "content_sha256", p.ContentSHA256)
	e.marketplaceURL = checkURL(&fe, p.MarketplaceURL, stored.marketplaceURL)
	e.blockReason = fe.TextKept("block_reason", p.BlockReason, stored.blockReason, 0, MaxBlockReasonLength)
	if err := fe.Err("invalid catalog entry"); err != nil {
		return Entry{}, err
	}
	e.fillDefaults()
	return e, nil
}

// RehydrateEntry rebuilds an entry from a stored row without validating it:
// the row was validated when it was written.
func RehydrateEntry(p EntryParams) Entry {
	return Entry{
		id: p.ID, extensionID: ExtensionID(p.ExtensionID), name: p.Name, publisher: p.Publisher,
		pinnedVersion: p.PinnedVersion, sha256: p.SHA256, contentSHA256: p.ContentSHA256,
		marketplaceURL: p.MarketplaceURL, isBlocked: p.IsBlocked, blockReason: p.BlockReason,
		revalidatedAt: p.RevalidatedAt, createdAt: p.CreatedAt, updatedAt: p.UpdatedAt,
	}
}

func (e *Entry) fillDefaults() {
	if e.id.IsZero() {
		e.id = domain.NewID()
	}
	if e.updatedAt.IsZero() {
		e.updatedAt = e.createdAt
	}
	if !e.isBlocked {
		e.blockReason = "" // a reason without a block would mislead readers
	}
}

// The publisher column duplicates the id's first segment for filtering; it
// must never disagree with it, or publisher blocks would miss entries.
func checkPublisher(fe *domain.FieldErrors, id ExtensionID, raw string) string {
	if strings.TrimSpace(raw) == "" {
		return id.Publisher()
	}
	p, err := ParsePublisher(raw)
	if err != nil {
		fe.AddErr("publisher", err)
		return ""
	}
	if id != "" && p != id.Publisher() {
		fe.Add("publisher", "must match the extension id's publisher "+id.Publisher())
	}
	return p
}

func checkName(fe *domain.FieldErrors, id ExtensionID, raw, stored string) string {
	name := strings.TrimSpace(raw)
	if name == "" {
		return id.Name()
	}
	return fe.TextKept("name", name, stored, 0, MaxNameLength)
}

func checkVersion(fe *domain.FieldErrors, raw string) string {
	v := strings.TrimSpace(raw)
	switch {
	case v == "":
	case !ValidVersion(v):
		fe.Add("pinned_version", "must be a version like 1.2.3 or 1.2.3-beta.1 (at most 64 characters)")
	case !PinnableVersion(v):
		fe.Add("pinned_version", "must not carry build metadata (+...): VS Code's AllowedExtensions compares x.y.z[-pre-release] only, so the native export could never match this pin")
	}
	return v
}

func checkDigest(fe *domain.FieldErrors, field, raw string) string {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return ""
	}
	d, ok := domain.NormalizeSHA256(raw)
	if !ok {
		fe.Add(field, "must be a SHA-256 digest: 64 hex characters")
	}
	return d
}

// Only absolute http(s) URLs: the revalidation worker downloads from here,
// and other schemes (file:, gopher:) would let an admin read local files.
// No user info either: the URL is shown in the console, audit rows and
// policy files (`extguard policy export` goes to git), so a token in it
// would leak; a private gallery's credentials belong in its proxy. A
// stored URL is left alone so that patching another field still works.
func checkURL(fe *domain.FieldErrors, raw, stored string) string {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if len(raw) > MaxURLLength || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		fe.Add("marketplace_url", "must be an absolute http or https URL of at most 2048 characters")
	}
	if raw != stored {
		fe.CheckText("marketplace_url", raw)
		if err == nil && u.User != nil {
			fe.Add("marketplace_url", "must not carry a user name or password (user@host): it is shown in exports and audit rows")
		}
	}
	return raw
}

// EntryPatch is a PATCH: nil fields stay as they are. At is the update time
// (now when zero).
type EntryPatch struct {
	ExtensionID    *string
	Name           *string
	PinnedVersion  *string
	SHA256         *string
	MarketplaceURL *string
	IsBlocked      *bool
	BlockReason    *string
	At             time.Time
}

// WithChanges applies a patch and re-validates the result as a whole.
// Changing the id, version or VSIX checksum drops the content digest and
// revalidation time: they described the old package, and comparing agents
// against them would raise false checksum mismatches.
func (e Entry) WithChanges(p EntryPatch) (Entry, error) {
	next := e.params()
	set(&next.ExtensionID, p.ExtensionID)
	set(&next.Name, p.Name)
	set(&next.PinnedVersion, p.PinnedVersion)
	set(&next.SHA256, p.SHA256)
	set(&next.MarketplaceURL, p.MarketplaceURL)
	set(&next.BlockReason, p.BlockReason)
	if p.IsBlocked != nil {
		next.IsBlocked = *p.IsBlocked
	}
	if p.ExtensionID != nil {
		next.Publisher = "" // re-derived from the new id
		if p.Name == nil && e.name == e.extensionID.Name() {
			next.Name = "" // the name was the default; keep following the id
		}
	}
	updated, err := newEntry(next, e)
	if err != nil {
		return Entry{}, err
	}
	if updated.extensionID != e.extensionID || updated.pinnedVersion != e.pinnedVersion || updated.sha256 != e.sha256 {
		updated.contentSHA256, updated.revalidatedAt = "", time.Time{}
	}
	updated.updatedAt = p.At.UTC()
	return updated, nil
}

// Block marks the entry blocked everywhere, whether assigned or not.
func (e Entry) Block(reason string, at time.Time) (Entry, error) {
	blocked := true
	return e.WithChanges(EntryPatch{IsBlocked: &blocked, BlockReason: &reason, At: at})
}

// Unblock lifts a catalog block.
func (e Entry) Unblock(at time.Time) Entry {
	e.isBlocked, e.blockReason, e.updatedAt = false, "", at.UTC()
	return e
}

// RecordRevalidation stores the content digest the revalidation worker
// computed from the verified VSIX, so agents' reports can be compared with it.
func (e Entry) RecordRevalidation(contentSHA string, when time.Time) (Entry, error) {
	d, ok := domain.NormalizeSHA256(strings.TrimSpace(contentSHA))
	if !ok {
		return Entry{}, domain.Invalid("invalid content digest",
			domain.FieldError{Field: "content_sha256", Message: "must be a SHA-256 digest: 64 hex characters"})
	}
	e.contentSHA256, e.revalidatedAt, e.updatedAt = d, when.UTC(), when.UTC()
	return e, nil
}

func (e Entry) params() EntryParams {
	return EntryParams{
		ID: e.id, ExtensionID: string(e.extensionID), Name: e.name, Publisher: e.publisher,
		PinnedVersion: e.pinnedVersion, SHA256: e.sha256, ContentSHA256: e.contentSHA256,
		MarketplaceURL: e.marketplaceURL, IsBlocked: e.isBlocked, BlockReason: e.blockReason,
		RevalidatedAt: e.revalidatedAt, CreatedAt: e.createdAt, UpdatedAt: e.updatedAt,
	}
}

func set(dst *string, src *string) {
	if src != nil {
		*dst = *src
	}
}

func (e Entry) ID() domain.ID            { return e.id }
func (e Entry) ExtensionID() ExtensionID { return e.extensionID }
func (e Entry) Name() string             { return e.name }
func (e Entry) Publisher() string        { return e.publisher }
func (e Entry) PinnedVersion() string    { return e.pinnedVersion }
func (e Entry) SHA256() string           { return e.sha256 }
func (e Entry) ContentSHA256() string    { return e.contentSHA256 }
func (e Entry) MarketplaceURL() string   { return e.marketplaceURL }
func (e Entry) IsBlocked() bool          { return e.isBlocked }
func (e Entry) BlockReason() string      { return e.blockReason }
func (e Entry) RevalidatedAt() time.Time { return e.revalidatedAt }
func (e Entry) CreatedAt() time.Time     { return e.createdAt }
func (e Entry) UpdatedAt() time.Time     { return e.updatedAt }
func (e Entry) IsPinned() bool           { return e.pinnedVersion != "" }
func (e Entry) Params() EntryParams      { return e.params() }
