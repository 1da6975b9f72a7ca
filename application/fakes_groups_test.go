package application_test

import (
	"context"
	"sync"
	"time"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/apikey"
	"github.com/extguard/extguard/domain/group"
)

// invalidations counts what the use case told the caches.
type invalidations struct {
	mu     sync.Mutex
	groups []domain.ID
	all    int
	keys   []domain.ID
}

func (i *invalidations) GroupChanged(_ context.Context, id domain.ID) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.groups = append(i.groups, id)
}

func (i *invalidations) AllGroupsChanged(context.Context) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.all++
}

func (i *invalidations) KeyChanged(_ context.Context, id domain.ID) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.keys = append(i.keys, id)
}

// keysInMemory is the APIKeyRepository.
type keysInMemory struct {
	application.APIKeyRepository
	created []apikey.Key
	*table[apikey.Key]
}

func newKeys(ks ...apikey.Key) *keysInMemory {
	return &keysInMemory{table: newTable(apikey.Key.ID, ks...)}
}

func (k *keysInMemory) Create(_ context.Context, key apikey.Key) error {
	k.created = append(k.created, key)
	return nil
}

func (k *keysInMemory) ListByGroup(_ context.Context, groupID domain.ID) ([]apikey.Key, error) {
	var out []apikey.Key
	for _, key := range k.rows {
		if key.GroupID() == groupID {
			out = append(out, key)
		}
	}
	return out, nil
}

func (k *keysInMemory) Update(_ context.Context, id domain.ID, change func(apikey.Key) (apikey.Key, error)) (apikey.Key, error) {
	return k.update(id, change)
}

// groupsInMemory is the GroupRepository.
type groupsInMemory struct {
	application.GroupRepository
	*table[group.Group]
	enrolled map[domain.ID]int // agents per group
}

func newGroups(gs ...group.Group) *groupsInMemory {
	return &groupsInMemory{table: newTable(group.Group.ID, gs...)}
}

func (g *groupsInMemory) Get(_ context.Context, id domain.ID) (group.Group, error) { return g.get(id) }

func (g *groupsInMemory) Create(_ context.Context, gr group.Group) error { return g.create(gr) }

func (g *groupsInMemory) Delete(_ context.Context, id domain.ID, _ time.Time) error {
	return g.remove(id)
}

func (g *groupsInMemory) CountEnrolledAgents(_ context.Context, id domain.ID) (int, error) {
	return g.enrolled[id], nil
}

func (g *groupsInMemory) Update(_ context.Context, id domain.ID, change func(group.Group) (group.Group, error)) (group.Group, error) {
	return g.update(id, change)
}

// policiesInMemory is CompiledPolicies: a group without a policy is unknown.
type policiesInMemory map[domain.ID]application.CompiledPolicy

func (p policiesInMemory) Get(_ context.Context, groupID domain.ID) (application.CompiledPolicy, error) {
	cp, ok := p[groupID]
	if !ok {
		return cp, errNoRow
	}
	return cp, nil
}

// oneKey is the APIKeyLookup of one key, whatever the digest.
type oneKey struct{ key apikey.Key }

func (o oneKey) FindByDigest(context.Context, apikey.Digest) (apikey.Key, error) { return o.key, nil }

type noUsage struct{}

func (noUsage) KeyUsed(domain.ID, time.Time) {}
