package group

import (
	"time"

	"github.com/extguard/extguard/domain"
)

const (
	MaxNameLength        = 128
	MaxDescriptionLength = 2000
)

// Group is a set of agents sharing one policy, reached through its API keys.
type Group struct {
	id          domain.ID
	name        string
	description string
	settings    Settings
	createdAt   time.Time
	updatedAt   time.Time
}

// GroupParams carries a group's columns. For NewGroup a zero ID gets a fresh
// one; CreatedAt is the caller's clock reading.
type GroupParams struct {
	ID          domain.ID
	Name        string
	Description string
	Settings    Settings
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// NewGroup validates a new group. Settings are already valid by type; parse
// them with ParseSettings first.
func NewGroup(p GroupParams) (Group, error) {
	var fe domain.FieldErrors
	g := Group{id: p.ID, settings: p.Settings, createdAt: p.CreatedAt.UTC(), updatedAt: p.UpdatedAt.UTC()}
	g.name = checkName(&fe, p.Name)
	g.description = checkDescription(&fe, p.Description)
	if err := fe.Err("invalid group"); err != nil {
		return Group{}, err
	}
	if g.id.IsZero() {
		g.id = domain.NewID()
	}
	if g.updatedAt.IsZero() {
		g.updatedAt = g.createdAt
	}
	return g, nil
}

// RehydrateGroup rebuilds a stored group without validating it; settings
// come from ParseSettings over the stored jsonb.
func RehydrateGroup(p GroupParams) Group {
	return Group{id: p.ID, name: p.Name, description: p.Description, settings: p.Settings,
		createdAt: p.CreatedAt, updatedAt: p.UpdatedAt}
}

func checkName(fe *domain.FieldErrors, raw string) string {
	return fe.Text("name", raw, 1, MaxNameLength)
}

func checkDescription(fe *domain.FieldErrors, raw string) string {
	return fe.Text("description", raw, 0, MaxDescriptionLength)
}

// GroupPatch is a PATCH: nil fields stay. Merge settings documents with
// Settings.Merge before building the patch. At is the update time, from the caller's clock.
type GroupPatch struct {
	Name        *string
	Description *string
	Settings    *Settings
	At          time.Time
}

// WithChanges applies a patch, validating every changed field.
func (g Group) WithChanges(p GroupPatch) (Group, error) {
	var fe domain.FieldErrors
	if p.Name != nil {
		g.name = checkName(&fe, *p.Name)
	}
	if p.Description != nil {
		g.description = checkDescription(&fe, *p.Description)
	}
	if p.Settings != nil {
		g.settings = *p.Settings
	}
	if err := fe.Err("invalid group"); err != nil {
		return Group{}, err
	}
	g.updatedAt = p.At.UTC()
	return g, nil
}

// Rename changes the group's name.
func (g Group) Rename(name string, at time.Time) (Group, error) {
	return g.WithChanges(GroupPatch{Name: &name, At: at})
}

func (g Group) ID() domain.ID        { return g.id }
func (g Group) Name() string         { return g.name }
func (g Group) Description() string  { return g.description }
func (g Group) Settings() Settings   { return g.settings }
func (g Group) CreatedAt() time.Time { return g.createdAt }
func (g Group) UpdatedAt() time.Time { return g.updatedAt }
