package postgres

import (
	"context"

	"github.com/uptrace/bun"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/blocklist"
	"github.com/extguard/extguard/domain/extension"
	"github.com/extguard/extguard/domain/policy"
)

// PolicyInputs loads what a group's policy is compiled from in four indexed
// queries. It runs once per group per change (compiled policies are cached),
// so it favours clarity over a single clever join.
type PolicyInputs struct{ db *bun.DB }

var _ application.PolicyInputs = (*PolicyInputs)(nil)

// NewPolicyInputs returns the reader on db.
func NewPolicyInputs(db *bun.DB) *PolicyInputs { return &PolicyInputs{db: db} }

// Load reads the group, its assignments, the active blocklist and the
// blocked catalog entries.
func (p *PolicyInputs) Load(ctx context.Context, groupID domain.ID) (policy.CompileInput, error) {
	db := conn(ctx, p.db)
	var g groupRow
	if err := db.NewSelect().Model(&g).Where("id = ?", uid(groupID)).Scan(ctx); err != nil {
		return policy.CompileInput{}, translate(err, "group")
	}
	grp, err := g.toDomain()
	if err != nil {
		return policy.CompileInput{}, err
	}
	in := policy.CompileInput{GroupID: groupID, Settings: grp.Settings()}
	if in.Assignments, err = p.assignments(ctx, db, groupID); err != nil {
		return policy.CompileInput{}, err
	}
	if in.Blocklist, err = p.activeBlocklist(ctx, db); err != nil {
		return policy.CompileInput{}, err
	}
	if in.BlockedCatalog, err = p.blockedCatalog(ctx, db); err != nil {
		return policy.CompileInput{}, err
	}
	in.Advisories, err = p.advisories(ctx, db, groupID)
	return in, err
}

func (p *PolicyInputs) assignments(ctx context.Context, db bun.IDB, groupID domain.ID) ([]policy.Assignment, error) {
	var rows []struct {
		catalogEntryRow
		IsRequired bool `bun:"is_required"`
	}
	err := db.NewSelect().
		ColumnExpr("e.*, ge.is_required").
		TableExpr("group_extensions AS ge").
		Join("JOIN extensions AS e ON e.id = ge.extension_id AND e.deleted_at IS NULL").
		Where("ge.group_id = ?", uid(groupID)).
		// An approval's assignment that has expired counts no more, even
		// before the expiry pass removes it (a worker down or behind):
		// the policy then ends it at its next compile at the latest.
		Where("(ge.expires_at IS NULL OR ge.expires_at > now())").
		Scan(ctx, &rows)
	if err != nil {
		return nil, err
	}
	out := make([]policy.Assignment, 0, len(rows))
	for i := range rows {
		out = append(out, policy.Assignment{Entry: rows[i].catalogEntryRow.toDomain(), Required: rows[i].IsRequired})
	}
	return out, nil
}

func (p *PolicyInputs) activeBlocklist(ctx context.Context, db bun.IDB) ([]blocklist.Entry, error) {
	var rows []blocklistRow
	if err := db.NewSelect().Model(&rows).Where("is_active").Scan(ctx); err != nil {
		return nil, err
	}
	out := make([]blocklist.Entry, 0, len(rows))
	for i := range rows {
		e, err := rows[i].toDomain()
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

func (p *PolicyInputs) blockedCatalog(ctx context.Context, db bun.IDB) ([]extension.Entry, error) {
	var rows []catalogEntryRow
	if err := db.NewSelect().Model(&rows).Where("is_blocked").Scan(ctx); err != nil {
		return nil, err
	}
	out := make([]extension.Entry, 0, len(rows))
	for i := range rows {
		out = append(out, rows[i].toDomain())
	}
	return out, nil
}
