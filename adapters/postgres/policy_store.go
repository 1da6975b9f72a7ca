package postgres

import (
	"context"

	"github.com/uptrace/bun"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain/blocklist"
	"github.com/extguard/extguard/domain/extension"
)

// PolicyStore reads the whole policy for policy as code and locks it for an
// apply.
type PolicyStore struct{ db *bun.DB }

var _ application.PolicyStore = (*PolicyStore)(nil)

// NewPolicyStore returns the store on db.
func NewPolicyStore(db *bun.DB) *PolicyStore { return &PolicyStore{db: db} }

// Lock takes the four policy tables in SHARE ROW EXCLUSIVE mode, always in
// this order: reads go on; every insert, update and delete through the REST
// API (ROW EXCLUSIVE), and another apply, waits for the caller's
// transaction. The agent API never writes these tables, so agents are not held up.
func (s *PolicyStore) Lock(ctx context.Context) error {
	_, err := conn(ctx, s.db).ExecContext(ctx, `LOCK TABLE groups, extensions, group_extensions, blocklist IN SHARE ROW EXCLUSIVE MODE`)
	return err
}

// Read answers live groups, the live catalog, the permanent assignments of
// live entries to live groups and the live blocklist: four queries.
func (s *PolicyStore) Read(ctx context.Context) (application.PolicyState, error) {
	db := conn(ctx, s.db)
	var out application.PolicyState
	var groups []groupRow
	if err := db.NewSelect().Model(&groups).Order("name").Scan(ctx); err != nil {
		return out, err
	}
	for i := range groups {
		g, err := groups[i].toDomain()
		if err != nil {
			return out, err
		}
		out.Groups = append(out.Groups, g)
	}
	var entries []catalogEntryRow
	if err := db.NewSelect().Model(&entries).Order("extension_id").Scan(ctx); err != nil {
		return out, err
	}
	out.Catalog = make([]extension.Entry, len(entries))
	for i := range entries {
		out.Catalog[i] = entries[i].toDomain()
	}
	var views []assignmentView
	err := (&AssignmentRepository{db: s.db}).view(ctx).
		Join("JOIN groups AS g ON g.id = ge.group_id AND g.deleted_at IS NULL").
		Where("ge.expires_at IS NULL").Scan(ctx, &views)
	if err != nil {
		return out, err
	}
	for i := range views {
		out.Assignments = append(out.Assignments, views[i].toApp())
	}
	var blocks []blocklistRow
	if err := db.NewSelect().Model(&blocks).Scan(ctx); err != nil {
		return out, err
	}
	out.Blocklist = make([]blocklist.Entry, 0, len(blocks))
	for i := range blocks {
		e, err := blocks[i].toDomain()
		if err != nil {
			return out, err
		}
		out.Blocklist = append(out.Blocklist, e)
	}
	return out, nil
}
