package application

import (
	"context"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/blocklist"
	"github.com/extguard/extguard/domain/extension"
)

// FindInstallations answers "which machines have X installed right now, at
// which versions", from the current inventory. X is an exact extension id,
// a publisher, or a blocklist-style pattern: a glob or regex is evaluated in
// Go over the distinct installed ids (a few thousand at most), then the
// rows are fetched by id through the index.
type FindInstallations struct{ Installations InstallationReader }

// InstallationQuery is the query string: exactly one of ExtensionID,
// Publisher and Pattern; PatternType says how Pattern reads (glob when empty).
type InstallationQuery struct {
	ExtensionID string
	Publisher   string
	Pattern     string
	PatternType string
	GroupID     domain.ID
}

// Execute answers one page. Errors: invalid (every bad field, cursor).
func (uc FindInstallations) Execute(ctx context.Context, q InstallationQuery, page PageRequest) (_ Page[Installation], err error) {
	ctx, obs := observe(ctx, "FindInstallations")
	defer obs.end(&err)
	f, pattern, err := q.filter()
	if err != nil {
		return Page[Installation]{}, err
	}
	if !pattern.IsZero() {
		all, err := uc.Installations.ExtensionIDs(ctx)
		if err != nil {
			return Page[Installation]{}, err
		}
		// Non-nil even when nothing matches: the repository still checks the
		// cursor, so a garbage one is refused whatever the pattern.
		f.ExtensionIDs = []string{}
		for _, id := range all {
			if pattern.Matches(extension.ExtensionID(id)) {
				f.ExtensionIDs = append(f.ExtensionIDs, id)
			}
		}
	}
	return uc.Installations.Find(ctx, f, page)
}

func (q InstallationQuery) filter() (InstallationFilter, blocklist.Pattern, error) {
	f := InstallationFilter{GroupID: q.GroupID}
	var fe domain.FieldErrors
	set := 0
	for _, v := range []string{q.ExtensionID, q.Publisher, q.Pattern} {
		if v != "" {
			set++
		}
	}
	if set != 1 {
		fe.Add("extension_id", "give exactly one of extension_id, publisher and pattern")
	}
	if q.PatternType != "" && q.Pattern == "" {
		fe.Add("pattern_type", "is only meaningful with pattern")
	}
	var pattern blocklist.Pattern
	switch {
	case q.ExtensionID != "":
		id, err := extension.ParseExtensionID(q.ExtensionID)
		fe.Include("", err)
		f.ExtensionIDs = []string{id.String()}
	case q.Publisher != "":
		p, err := extension.ParsePublisher(q.Publisher)
		fe.Include("", err)
		f.Publisher = p
	case q.Pattern != "":
		t := q.PatternType
		if t == "" {
			t = string(blocklist.PatternGlob)
		}
		p, err := blocklist.NewPattern(blocklist.PatternType(t), q.Pattern)
		fe.Include("", err)
		switch p.Type() {
		case blocklist.PatternExact:
			f.ExtensionIDs = []string{p.String()}
		case blocklist.PatternPublisher:
			f.Publisher = p.String()
		default:
			pattern = p
		}
	}
	return f, pattern, fe.Err("invalid installation query")
}
