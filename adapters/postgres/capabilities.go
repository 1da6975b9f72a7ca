package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/extension"
)

// CapabilityStore keeps revalidated packages' capabilities, one row per
// catalog entry.
type CapabilityStore struct{ db *bun.DB }

var _ application.CapabilityStore = (*CapabilityStore)(nil)

// NewCapabilityStore returns the store on db.
func NewCapabilityStore(db *bun.DB) *CapabilityStore { return &CapabilityStore{db: db} }

type capabilitiesRow struct {
	bun.BaseModel `bun:"table:extension_capabilities"`

	ExtensionID     uuid.UUID       `bun:"extension_id,pk,type:uuid"`
	Version         string          `bun:"version"`
	Capabilities    json.RawMessage `bun:"capabilities,type:jsonb"`
	PreviousVersion string          `bun:"previous_version"`
	Added           json.RawMessage `bun:"added,type:jsonb"`
	RecordedAt      time.Time       `bun:"recorded_at"`
}

// Get reads the entry's record.
func (s *CapabilityStore) Get(ctx context.Context, entryID domain.ID) (application.RecordedCapabilities, bool, error) {
	var row capabilitiesRow
	err := conn(ctx, s.db).NewSelect().Model(&row).Where("extension_id = ?", uid(entryID)).Limit(1).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return application.RecordedCapabilities{}, false, nil
	}
	if err != nil {
		return application.RecordedCapabilities{}, false, err
	}
	rec := application.RecordedCapabilities{Version: row.Version, PreviousVersion: row.PreviousVersion, RecordedAt: row.RecordedAt}
	var caps extension.Capabilities
	if err := json.Unmarshal(row.Capabilities, &caps); err != nil {
		return application.RecordedCapabilities{}, false, domain.Internal("stored capabilities do not decode")
	}
	rec.Capabilities = caps
	if err := json.Unmarshal(row.Added, &rec.Added); err != nil {
		return application.RecordedCapabilities{}, false, domain.Internal("stored capability diff does not decode")
	}
	return rec, true, nil
}

// Put upserts the entry's record.
func (s *CapabilityStore) Put(ctx context.Context, entryID domain.ID, r application.RecordedCapabilities) error {
	caps, err := json.Marshal(r.Capabilities)
	if err != nil {
		return err
	}
	added := r.Added
	if added == nil {
		added = []string{}
	}
	addedJSON, _ := json.Marshal(added)
	row := &capabilitiesRow{ExtensionID: uid(entryID), Version: r.Version, Capabilities: caps, PreviousVersion: r.PreviousVersion,
		Added: addedJSON, RecordedAt: r.RecordedAt}
	_, err = conn(ctx, s.db).NewInsert().Model(row).On("CONFLICT (extension_id) DO UPDATE").
		Set("version = EXCLUDED.version, capabilities = EXCLUDED.capabilities, previous_version = EXCLUDED.previous_version").
		Set("added = EXCLUDED.added, recorded_at = EXCLUDED.recorded_at").Exec(ctx)
	return translate(err, "capabilities")
}
