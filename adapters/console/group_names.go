package console

import (
	"context"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/group"
)

// groupIndex names the groups of the fleet pages. It holds the first page
// of groups (the filters' choices, at most MaxPageLimit) and reads any
// other group a row names by itself, once: a fleet with more groups than
// one page still shows every row's group, and the filters say they are
// cut (More) instead of hiding it.
type groupIndex struct {
	uc     *application.Application
	names  map[domain.ID]string
	Listed []group.Group
	More   bool
}

// groupIndex lists the first page of groups.
func (k *Console) groupIndex(ctx context.Context) (*groupIndex, error) {
	p, err := k.uc.ListGroups.Execute(ctx, application.GroupFilter{}, application.PageRequest{Limit: application.MaxPageLimit})
	if err != nil {
		return nil, err
	}
	ix := &groupIndex{uc: k.uc, names: make(map[domain.ID]string, len(p.Items)), Listed: p.Items, More: p.NextCursor != ""}
	for _, g := range p.Items {
		ix.names[g.ID()] = g.Name()
	}
	return ix, nil
}

// name is id's group name, read on a miss; a group deleted since its row
// was read has none.
func (ix *groupIndex) name(ctx context.Context, id domain.ID) (string, error) {
	if n, ok := ix.names[id]; ok || id.IsZero() {
		return n, nil
	}
	g, err := ix.uc.GetGroup.Execute(ctx, id)
	if domain.CodeOf(err) == domain.CodeNotFound {
		ix.names[id] = ""
		return "", nil
	}
	if err != nil {
		return "", err
	}
	ix.names[id] = g.Name()
	return g.Name(), nil
}

// namesOf answers the names of ids (one page's rows), every one resolved.
func (ix *groupIndex) namesOf(ctx context.Context, ids []domain.ID) (map[domain.ID]string, error) {
	for _, id := range ids {
		if _, err := ix.name(ctx, id); err != nil {
			return nil, err
		}
	}
	return ix.names, nil
}

// idsOf is one id of each row (its group for namesOf, its own for a row refusal).
func idsOf[T any](rows []T, of func(T) domain.ID) []domain.ID {
	ids := make([]domain.ID, len(rows))
	for i, r := range rows {
		ids[i] = of(r)
	}
	return ids
}
