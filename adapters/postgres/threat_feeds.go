package postgres

import (
	"context"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/blocklist"
	"github.com/extguard/extguard/domain/threatfeed"
)

// ThreatFeedRepository stores threat feeds, their advisories and the
// groups' suppressions.
type ThreatFeedRepository struct{ db *bun.DB }

var _ application.ThreatFeedRepository = (*ThreatFeedRepository)(nil)

// NewThreatFeedRepository returns the repository on db.
func NewThreatFeedRepository(db *bun.DB) *ThreatFeedRepository { return &ThreatFeedRepository{db: db} }

type threatFeedRow struct {
	bun.BaseModel `bun:"table:threat_feeds"`

	ID            uuid.UUID `bun:"id,pk,type:uuid"`
	Name          string    `bun:"name"`
	Kind          string    `bun:"kind"`
	URL           string    `bun:"url"`
	Mode          string    `bun:"mode"`
	IntervalS     int       `bun:"interval_s"`
	ETag          string    `bun:"etag"`
	LastModified  string    `bun:"last_modified"`
	LastSuccessAt time.Time `bun:"last_success_at,nullzero"`
	LastErrorAt   time.Time `bun:"last_error_at,nullzero"`
	LastError     string    `bun:"last_error"`
	EntryCount    int       `bun:"entry_count"`
	CreatedBy     uuid.UUID `bun:"created_by,type:uuid,nullzero"`
	CreatedAt     time.Time `bun:"created_at"`
	UpdatedAt     time.Time `bun:"updated_at"`
	DeletedAt     time.Time `bun:"deleted_at,soft_delete,nullzero"`
}

func (r *threatFeedRow) toDomain() (threatfeed.Feed, error) {
	return threatfeed.Rehydrate(threatfeed.Params{ID: did(r.ID), Name: r.Name, Kind: r.Kind, URL: r.URL, Mode: r.Mode,
		Interval: time.Duration(r.IntervalS) * time.Second, CreatedAt: r.CreatedAt,
		Status: threatfeed.Status{LastSuccessAt: r.LastSuccessAt, LastErrorAt: r.LastErrorAt, LastError: r.LastError,
			EntryCount: r.EntryCount, ETag: r.ETag, LastModified: r.LastModified}}), nil
}

// Create inserts f; a second live feed of the same name is a conflict.
func (r *ThreatFeedRepository) Create(ctx context.Context, f threatfeed.Feed, createdBy domain.ID) error {
	row := &threatFeedRow{ID: uid(f.ID()), Name: f.Name(), Kind: string(f.Kind()), URL: f.URL(), Mode: string(f.Mode()),
		IntervalS: int(f.Interval() / time.Second), CreatedBy: uid(createdBy), CreatedAt: f.CreatedAt(), UpdatedAt: f.CreatedAt()}
	_, err := conn(ctx, r.db).NewInsert().Model(row).ExcludeColumn("deleted_at").Exec(ctx)
	return translate(err, "threat feed with this name")
}

// Get reads a feed that is not deleted.
func (r *ThreatFeedRepository) Get(ctx context.Context, id domain.ID) (threatfeed.Feed, error) {
	return getByID(ctx, r.db, id, "threat feed", (*threatFeedRow).toDomain)
}

// Lock reads the feed FOR NO KEY UPDATE (see updateByID for why not FOR UPDATE).
func (r *ThreatFeedRepository) Lock(ctx context.Context, id domain.ID) (threatfeed.Feed, error) {
	return loadByID(ctx, conn(ctx, r.db).NewSelect().For("NO KEY UPDATE"), id, "threat feed", (*threatFeedRow).toDomain)
}

// List pages feeds by id.
func (r *ThreatFeedRepository) List(ctx context.Context, page application.PageRequest) (application.Page[threatfeed.Feed], error) {
	q := conn(ctx, r.db).NewSelect().Model((*threatFeedRow)(nil))
	return listByID(ctx, q, "id", page, func(r *threatFeedRow) uuid.UUID { return r.ID }, (*threatFeedRow).toDomain)
}

// Fetched lists the live feeds that have a URL.
func (r *ThreatFeedRepository) Fetched(ctx context.Context) ([]threatfeed.Feed, error) {
	var rows []threatFeedRow
	if err := conn(ctx, r.db).NewSelect().Model(&rows).Where("url <> ''").Order("id").Scan(ctx); err != nil {
		return nil, err
	}
	out := make([]threatfeed.Feed, len(rows))
	for i := range rows {
		out[i], _ = rows[i].toDomain()
	}
	return out, nil
}

// Delete soft-deletes the feed and removes its advisories and suppressions.
func (r *ThreatFeedRepository) Delete(ctx context.Context, id domain.ID, at time.Time) error {
	return NewTxRunner(r.db).InTx(ctx, func(ctx context.Context) error {
		db := conn(ctx, r.db)
		if err := softDelete[threatFeedRow](ctx, db, id, at, "threat feed"); err != nil {
			return err
		}
		if _, err := db.NewRaw(`DELETE FROM feed_advisories WHERE feed_id = ?`, uid(id)).Exec(ctx); err != nil {
			return err
		}
		_, err := db.NewRaw(`DELETE FROM advisory_suppressions WHERE feed_id = ?`, uid(id)).Exec(ctx)
		return err
	})
}

// SetStatus stores the status columns.
func (r *ThreatFeedRepository) SetStatus(ctx context.Context, id domain.ID, s threatfeed.Status, at time.Time) error {
	res, err := conn(ctx, r.db).NewUpdate().Model((*threatFeedRow)(nil)).
		Set("etag = ?", s.ETag).Set("last_modified = ?", s.LastModified).
		Set("last_success_at = ?", nullTime(s.LastSuccessAt)).Set("last_error_at = ?", nullTime(s.LastErrorAt)).
		Set("last_error = ?", s.LastError).Set("entry_count = ?", s.EntryCount).Set("updated_at = ?", at).
		Where("id = ?", uid(id)).Exec(ctx)
	return affectedOne(res, err, "threat feed")
}

type advisoryRow struct {
	bun.BaseModel `bun:"table:feed_advisories"`

	FeedID      uuid.UUID `bun:"feed_id,pk,type:uuid"`
	PatternType string    `bun:"pattern_type,pk"`
	Pattern     string    `bun:"pattern,pk"`
	Versions    []string  `bun:"versions,array"`
	Severity    string    `bun:"severity"`
	Reason      string    `bun:"reason"`
	Reference   string    `bun:"reference"`
	FirstSeenAt time.Time `bun:"first_seen_at"`
}

func (r *advisoryRow) entry() threatfeed.Entry {
	p, _ := blocklist.RestorePattern(blocklist.PatternType(r.PatternType), r.Pattern)
	return threatfeed.Entry{Pattern: p, Versions: r.Versions, Severity: threatfeed.Severity(r.Severity), Reason: r.Reason,
		Reference: r.Reference}
}

// ReplaceAdvisories diffs entries against the stored advisories in one
// statement per direction: a temporary table receives the new content by
// COPY-sized batches, then rows missing from it are deleted and the rest
// upserted (first_seen_at kept). Rows whose content did not change are not
// rewritten.
func (r *ThreatFeedRepository) ReplaceAdvisories(ctx context.Context, feedID domain.ID, entries []threatfeed.Entry, at time.Time) (application.AdvisoryChange, error) {
	var change application.AdvisoryChange
	err := NewTxRunner(r.db).InTx(ctx, func(ctx context.Context) error {
		db := conn(ctx, r.db)
		var stored []advisoryRow
		if err := db.NewSelect().Model(&stored).Where("feed_id = ?", uid(feedID)).Scan(ctx); err != nil {
			return err
		}
		old := make(map[string]*advisoryRow, len(stored))
		for i := range stored {
			old[stored[i].PatternType+":"+stored[i].Pattern] = &stored[i]
		}
		var upserts []advisoryRow
		keep := make(map[string]bool, len(entries))
		for _, e := range entries {
			k := e.Key()
			keep[k] = true
			row := advisoryRow{FeedID: uid(feedID), PatternType: string(e.Pattern.Type()), Pattern: e.Pattern.String(),
				Versions: nonNil(e.Versions), Severity: string(e.Severity), Reason: e.Reason, Reference: e.Reference, FirstSeenAt: at}
			prev, ok := old[k]
			switch {
			case !ok:
				change.Added = append(change.Added, e)
				upserts = append(upserts, row)
			case sameAdvisory(prev, &row):
				change.Kept++
			default:
				change.Kept++
				change.Changed++
				row.FirstSeenAt = prev.FirstSeenAt
				upserts = append(upserts, row)
			}
		}
		var gone []string
		for k, row := range old {
			if !keep[k] {
				change.Removed = append(change.Removed, row.entry())
				gone = append(gone, k)
			}
		}
		if len(gone) > 0 {
			if _, err := db.NewRaw(`DELETE FROM feed_advisories WHERE feed_id = ? AND pattern_type || ':' || pattern = ANY (?)`,
				uid(feedID), stringArray(gone)).Exec(ctx); err != nil {
				return err
			}
			if _, err := db.NewRaw(`DELETE FROM advisory_suppressions WHERE feed_id = ? AND pattern_type || ':' || pattern = ANY (?)`,
				uid(feedID), stringArray(gone)).Exec(ctx); err != nil {
				return err
			}
		}
		for start := 0; start < len(upserts); start += 2000 {
			batch := upserts[start:min(start+2000, len(upserts))]
			if _, err := db.NewInsert().Model(&batch).
				On("CONFLICT (feed_id, pattern_type, pattern) DO UPDATE").
				Set("versions = EXCLUDED.versions, severity = EXCLUDED.severity, reason = EXCLUDED.reason, reference = EXCLUDED.reference").
				Exec(ctx); err != nil {
				return err
			}
		}
		return nil
	})
	return change, err
}

func sameAdvisory(a, b *advisoryRow) bool {
	return slices.Equal(a.Versions, b.Versions) && a.Severity == b.Severity && a.Reason == b.Reason && a.Reference == b.Reference
}

// ListAdvisories pages the feed's advisories by (pattern_type, pattern),
// the primary key's order.
func (r *ThreatFeedRepository) ListAdvisories(ctx context.Context, feedID domain.ID, page application.PageRequest) (application.Page[application.Advisory], error) {
	q := conn(ctx, r.db).NewSelect().Model((*advisoryRow)(nil)).Where("feed_id = ?", uid(feedID))
	if page.Cursor != "" {
		var typ, pattern string
		if err := decodeCursor(page.Cursor, &typ, &pattern); err != nil {
			return application.Page[application.Advisory]{}, err
		}
		q = q.Where("(pattern_type, pattern) > (?, ?)", typ, pattern)
	}
	q = q.OrderExpr("pattern_type, pattern")
	return scanPage(ctx, q, page.Limit, func(r *advisoryRow) string { return encodeCursor(r.PatternType, r.Pattern) },
		infallible(func(r *advisoryRow) application.Advisory {
			return application.Advisory{Entry: r.entry(), FirstSeenAt: r.FirstSeenAt}
		}))
}

// HasAdvisory reports whether the feed holds the advisory.
func (r *ThreatFeedRepository) HasAdvisory(ctx context.Context, feedID domain.ID, patternType, pattern string) (bool, error) {
	return conn(ctx, r.db).NewSelect().Model((*advisoryRow)(nil)).
		Where("feed_id = ? AND pattern_type = ? AND pattern = ?", uid(feedID), patternType, pattern).Exists(ctx)
}

// Suppress inserts the suppression; twice is a conflict.
func (r *ThreatFeedRepository) Suppress(ctx context.Context, s application.AdvisorySuppression) error {
	_, err := conn(ctx, r.db).NewRaw(`INSERT INTO advisory_suppressions
    (group_id, feed_id, pattern_type, pattern, reason, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		uid(s.GroupID), uid(s.FeedID), s.PatternType, s.Pattern, s.Reason, nullUUID(uid(s.CreatedBy)), s.CreatedAt).Exec(ctx)
	return translate(err, "suppression of this advisory for this group")
}
