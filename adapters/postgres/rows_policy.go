package postgres

import (
	"encoding/json"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/blocklist"
	"github.com/extguard/extguard/domain/extension"
	"github.com/extguard/extguard/domain/group"
)

// Row models of the tables a group's policy is compiled from. They are
// private to this package; use cases see the domain values they map to.

type groupRow struct {
	bun.BaseModel `bun:"table:groups"`

	ID          uuid.UUID       `bun:"id,pk,type:uuid"`
	Name        string          `bun:"name"`
	Description string          `bun:"description"`
	Settings    json.RawMessage `bun:"settings,type:jsonb"`
	CreatedAt   time.Time       `bun:"created_at"`
	UpdatedAt   time.Time       `bun:"updated_at"`
	DeletedAt   time.Time       `bun:"deleted_at,soft_delete,nullzero"`
}

// groupRowFrom stores only the settings an admin set explicitly, so defaults
// (such as stale_after_s following the heartbeat) keep following their rule.
func groupRowFrom(g group.Group) *groupRow {
	return &groupRow{ID: uid(g.ID()), Name: g.Name(), Description: g.Description(),
		Settings: g.Settings().ExplicitJSON(), CreatedAt: g.CreatedAt(), UpdatedAt: g.UpdatedAt()}
}

func (r *groupRow) toDomain() (group.Group, error) {
	s, err := group.ParseSettings(r.Settings)
	if err != nil {
		return group.Group{}, domain.Internal("stored settings of group " + r.ID.String() + " no longer validate")
	}
	return group.RehydrateGroup(group.GroupParams{ID: did(r.ID), Name: r.Name, Description: r.Description,
		Settings: s, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}), nil
}

type catalogEntryRow struct {
	bun.BaseModel `bun:"table:extensions"`

	ID             uuid.UUID `bun:"id,pk,type:uuid"`
	ExtensionID    string    `bun:"extension_id"`
	Name           string    `bun:"name"`
	Publisher      string    `bun:"publisher"`
	PinnedVersion  string    `bun:"pinned_version,nullzero"`
	SHA256Checksum string    `bun:"sha256_checksum,nullzero"`
	MarketplaceURL string    `bun:"marketplace_url,nullzero"`
	IsBlocked      bool      `bun:"is_blocked"`
	BlockReason    string    `bun:"block_reason"`
	ContentSHA256  string    `bun:"content_sha256,nullzero"`
	RevalidatedAt  time.Time `bun:"revalidated_at,nullzero"`
	CreatedAt      time.Time `bun:"created_at"`
	UpdatedAt      time.Time `bun:"updated_at"`
	DeletedAt      time.Time `bun:"deleted_at,soft_delete,nullzero"`
}

func catalogEntryRowFrom(e extension.Entry) *catalogEntryRow {
	p := e.Params()
	return &catalogEntryRow{ID: uid(p.ID), ExtensionID: p.ExtensionID, Name: p.Name, Publisher: p.Publisher,
		PinnedVersion: p.PinnedVersion, SHA256Checksum: p.SHA256, MarketplaceURL: p.MarketplaceURL,
		IsBlocked: p.IsBlocked, BlockReason: p.BlockReason, ContentSHA256: p.ContentSHA256,
		RevalidatedAt: p.RevalidatedAt, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
}

func (r *catalogEntryRow) toDomain() extension.Entry {
	return extension.RehydrateEntry(extension.EntryParams{ID: did(r.ID), ExtensionID: r.ExtensionID, Name: r.Name,
		Publisher: r.Publisher, PinnedVersion: r.PinnedVersion, SHA256: r.SHA256Checksum, ContentSHA256: r.ContentSHA256,
		MarketplaceURL: r.MarketplaceURL, IsBlocked: r.IsBlocked, BlockReason: r.BlockReason,
		RevalidatedAt: r.RevalidatedAt, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt})
}

type assignmentRow struct {
	bun.BaseModel `bun:"table:group_extensions"`

	ID          uuid.UUID `bun:"id,pk,type:uuid"`
	GroupID     uuid.UUID `bun:"group_id,type:uuid"`
	ExtensionID uuid.UUID `bun:"extension_id,type:uuid"`
	IsRequired  bool      `bun:"is_required"`
	AddedBy     uuid.UUID `bun:"added_by,type:uuid,nullzero"`
	CreatedAt   time.Time `bun:"created_at"`
}

type blocklistRow struct {
	bun.BaseModel `bun:"table:blocklist"`

	ID          uuid.UUID `bun:"id,pk,type:uuid"`
	PatternType string    `bun:"pattern_type"`
	Pattern     string    `bun:"pattern"`
	Reason      string    `bun:"reason"`
	CreatedBy   uuid.UUID `bun:"created_by,type:uuid,nullzero"`
	IsActive    bool      `bun:"is_active"`
	CreatedAt   time.Time `bun:"created_at"`
	UpdatedAt   time.Time `bun:"updated_at"`
	DeletedAt   time.Time `bun:"deleted_at,soft_delete,nullzero"`
}

func blocklistRowFrom(e blocklist.Entry) *blocklistRow {
	return &blocklistRow{ID: uid(e.ID()), PatternType: string(e.PatternType()), Pattern: e.Pattern().String(),
		Reason: e.Reason(), CreatedBy: uid(e.CreatedBy()), IsActive: e.IsActive(), CreatedAt: e.CreatedAt(), UpdatedAt: e.UpdatedAt()}
}

func (r *blocklistRow) toDomain() (blocklist.Entry, error) {
	active := r.IsActive
	return blocklist.RehydrateEntry(blocklist.EntryParams{ID: did(r.ID), PatternType: r.PatternType, Pattern: r.Pattern,
		Reason: r.Reason, CreatedBy: did(r.CreatedBy), IsActive: &active, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt})
}

type webhookRow struct {
	bun.BaseModel `bun:"table:webhooks"`

	ID                    uuid.UUID `bun:"id,pk,type:uuid"`
	URL                   string    `bun:"url"`
	Description           string    `bun:"description"`
	Secret                string    `bun:"secret"`
	PreviousSecret        string    `bun:"previous_secret,nullzero"`
	PreviousSecretExpires time.Time `bun:"previous_secret_expires,nullzero"`
	EventTypes            []string  `bun:"event_types,array"`
	IsEnabled             bool      `bun:"is_enabled"`
	DisabledReason        string    `bun:"disabled_reason"`
	CreatedBy             uuid.UUID `bun:"created_by,type:uuid,nullzero"`
	CreatedAt             time.Time `bun:"created_at"`
	UpdatedAt             time.Time `bun:"updated_at"`
	DeletedAt             time.Time `bun:"deleted_at,soft_delete,nullzero"`
}
