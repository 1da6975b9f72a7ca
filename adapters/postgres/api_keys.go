package postgres

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/apikey"
)

type apiKeyRow struct {
	bun.BaseModel `bun:"table:api_keys"`

	ID         uuid.UUID `bun:"id,pk,type:uuid"`
	GroupID    uuid.UUID `bun:"group_id,type:uuid,nullzero"`
	CreatedBy  uuid.UUID `bun:"created_by,type:uuid,nullzero"`
	KeyHash    string    `bun:"key_hash"`
	KeyPrefix  string    `bun:"key_prefix"`
	Name       string    `bun:"name"`
	Scopes     string    `bun:"scopes"`
	ExpiresAt  time.Time `bun:"expires_at,nullzero"`
	LastUsedAt time.Time `bun:"last_used_at,nullzero"`
	RevokedAt  time.Time `bun:"revoked_at,nullzero"`
	CreatedAt  time.Time `bun:"created_at"`
}

func (r *apiKeyRow) toDomain() apikey.Key {
	return apikey.Rehydrate(apikey.Record{ID: did(r.ID), GroupID: did(r.GroupID), CreatedBy: did(r.CreatedBy),
		KeyHash: r.KeyHash, KeyPrefix: r.KeyPrefix, Name: r.Name, Scopes: r.Scopes, ExpiresAt: r.ExpiresAt,
		LastUsedAt: r.LastUsedAt, RevokedAt: r.RevokedAt, CreatedAt: r.CreatedAt})
}

// APIKeyRepository stores API keys and finds them by hash.
type APIKeyRepository struct{ db *bun.DB }

var (
	_ application.APIKeyRepository = (*APIKeyRepository)(nil)
	_ application.APIKeyLookup     = (*APIKeyRepository)(nil)
)

// NewAPIKeyRepository returns the repository on db.
func NewAPIKeyRepository(db *bun.DB) *APIKeyRepository { return &APIKeyRepository{db: db} }

// Create inserts k only when its group exists and is not deleted (checked in
// the same statement, so a group deleted concurrently cannot gain a key).
func (r *APIKeyRepository) Create(ctx context.Context, k apikey.Key) error {
	res, err := conn(ctx, r.db).NewRaw(`
INSERT INTO api_keys (id, group_id, created_by, key_hash, key_prefix, name, scopes, expires_at, created_at)
SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?
WHERE ?::uuid IS NULL OR EXISTS (SELECT 1 FROM groups WHERE id = ? AND deleted_at IS NULL)`,
		uid(k.ID()), nullUUID(uid(k.GroupID())), nullUUID(uid(k.CreatedBy())), k.KeyHash(), k.KeyPrefix(), k.Name(),
		k.ScopesString(), nullTime(k.ExpiresAt()), k.CreatedAt(),
		nullUUID(uid(k.GroupID())), uid(k.GroupID())).Exec(ctx)
	if err != nil {
		return translate(err, "API key")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return domain.NotFound("group not found")
	}
	return nil
}

// Get reads one key.
func (r *APIKeyRepository) Get(ctx context.Context, id domain.ID) (apikey.Key, error) {
	return getByID(ctx, r.db, id, "API key", infallible((*apiKeyRow).toDomain))
}

// FindByDigest reads the key whose secret has the digest (unique index on
// key_hash). A key of a deleted group is not found: deleting a group ends
// its keys.
func (r *APIKeyRepository) FindByDigest(ctx context.Context, digest apikey.Digest) (apikey.Key, error) {
	var row apiKeyRow
	err := conn(ctx, r.db).NewSelect().Model(&row).Where("key_hash = ?", digest.String()).
		Where("?TableAlias.group_id IS NULL OR EXISTS (SELECT 1 FROM groups g WHERE g.id = ?TableAlias.group_id AND g.deleted_at IS NULL)").
		Scan(ctx)
	if err != nil {
		return apikey.Key{}, translate(err, "API key")
	}
	return row.toDomain(), nil
}

// ListByGroup lists a group's keys, newest first.
func (r *APIKeyRepository) ListByGroup(ctx context.Context, groupID domain.ID) ([]apikey.Key, error) {
	var rows []apiKeyRow
	err := conn(ctx, r.db).NewSelect().Model(&rows).Where("group_id = ?", uid(groupID)).
		Order("created_at DESC", "id DESC").Scan(ctx)
	if err != nil {
		return nil, translate(err, "API keys")
	}
	out := make([]apikey.Key, len(rows))
	for i := range rows {
		out[i] = rows[i].toDomain()
	}
	return out, nil
}

// List pages a group's keys newest first, keyed by (created_at, id).
func (r *APIKeyRepository) List(ctx context.Context, groupID domain.ID, page application.PageRequest) (application.Page[apikey.Key], error) {
	q := conn(ctx, r.db).NewSelect().Model((*apiKeyRow)(nil)).Where("group_id = ?", uid(groupID))
	return listNewestFirst(ctx, q, "created_at", "id", page, func(r *apiKeyRow) (time.Time, uuid.UUID) { return r.CreatedAt, r.ID },
		infallible((*apiKeyRow).toDomain))
}

// Update changes the locked key with change (see updateByID).
func (r *APIKeyRepository) Update(ctx context.Context, id domain.ID, change func(apikey.Key) (apikey.Key, error)) (apikey.Key, error) {
	return updateByID(ctx, r.db, id, "API key", infallible((*apiKeyRow).toDomain), change, r.storeRevocation)
}

// storeRevocation writes revoked_at; the first revocation time is kept.
func (r *APIKeyRepository) storeRevocation(ctx context.Context, k apikey.Key) error {
	_, err := conn(ctx, r.db).NewRaw(`UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?`,
		k.RevokedAt(), uid(k.ID())).Exec(ctx)
	return translate(err, "API key")
}

// APIKeyUsageRecorder keeps last_used_at without a write per request: uses
// are coalesced in memory (latest time per key) and written with one
// UPDATE ... FROM unnest per flush. A crash loses at most one flush interval
// of last_used_at precision, never a key's validity.
type APIKeyUsageRecorder struct {
	db       *bun.DB
	log      *slog.Logger
	interval time.Duration

	mu      sync.Mutex
	pending map[domain.ID]time.Time
	// noted is each key's last noted use, in Unix seconds: a fleet's key
	// is used thousands of times a second, and only the first use of each
	// second takes the lock (last_used_at is kept to the second).
	noted sync.Map // domain.ID -> *atomic.Int64
}

var _ application.APIKeyUsage = (*APIKeyUsageRecorder)(nil)

// NewAPIKeyUsageRecorder returns a recorder flushing every interval.
func NewAPIKeyUsageRecorder(db *bun.DB, log *slog.Logger, interval time.Duration) *APIKeyUsageRecorder {
	return &APIKeyUsageRecorder{db: db, log: log, interval: interval, pending: map[domain.ID]time.Time{}}
}

// KeyUsed notes a use; it never blocks on I/O.
func (u *APIKeyUsageRecorder) KeyUsed(keyID domain.ID, at time.Time) {
	sec := at.Unix()
	v, ok := u.noted.Load(keyID)
	if !ok {
		v, _ = u.noted.LoadOrStore(keyID, new(atomic.Int64))
	}
	last := v.(*atomic.Int64)
	if prev := last.Load(); prev >= sec || !last.CompareAndSwap(prev, sec) {
		return // this second's use is noted already
	}
	u.mu.Lock()
	if at.After(u.pending[keyID]) {
		u.pending[keyID] = at
	}
	u.mu.Unlock()
}

// Flush writes every pending use in one statement. On failure the uses are
// put back (unless newer ones arrived) for the next flush.
func (u *APIKeyUsageRecorder) Flush(ctx context.Context) error {
	u.mu.Lock()
	batch := u.pending
	u.pending = make(map[domain.ID]time.Time, len(batch))
	u.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	ids := make([]uuid.UUID, 0, len(batch))
	ats := make([]time.Time, 0, len(batch))
	for id, at := range batch {
		ids, ats = append(ids, uid(id)), append(ats, at)
	}
	_, err := u.db.NewRaw(`
UPDATE api_keys AS k SET last_used_at = u.at
FROM unnest(?::uuid[], ?::timestamptz[]) AS u(id, at)
WHERE k.id = u.id AND (k.last_used_at IS NULL OR k.last_used_at < u.at)`,
		uuidArray(ids), timeArray(ats)).Exec(ctx)
	if err != nil {
		u.mu.Lock()
		for id, at := range batch {
			if at.After(u.pending[id]) {
				u.pending[id] = at
			}
		}
		u.mu.Unlock()
	}
	return err
}

// Run flushes every interval until ctx ends. The final flush happens in
// Close, after the HTTP server has drained.
func (u *APIKeyUsageRecorder) Run(ctx context.Context) error {
	return application.Every(ctx, u.interval, func(ctx context.Context) {
		if err := u.Flush(ctx); err != nil {
			u.log.WarnContext(ctx, "flushing API key last_used_at failed; retrying next interval", "error", err.Error())
		}
	})
}

// Close writes what is pending (bounded by a timeout).
func (u *APIKeyUsageRecorder) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := u.Flush(ctx); err != nil {
		u.log.Warn("final flush of API key last_used_at failed", "error", err.Error())
	}
}
