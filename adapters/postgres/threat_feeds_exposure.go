package postgres

import (
	"context"
	"slices"
	"strings"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain/blocklist"
	"github.com/extguard/extguard/domain/extension"
	"github.com/extguard/extguard/domain/threatfeed"
)

// ExposureReader counts the installed base of advisories from the
// installations table, for enrolled agents only.
type ExposureReader struct {
	db  *bun.DB
	ids *InstallationReader // distinct installed ids, for glob and regex entries
}

var _ application.ExposureReader = (*ExposureReader)(nil)

// NewExposureReader returns the reader on db.
func NewExposureReader(db *bun.DB) *ExposureReader {
	return &ExposureReader{db: db, ids: NewInstallationReader(db)}
}

const enrolledInstallations = "FROM installations AS i\n" + joinEnrolledAgent

type advisoryExposureRow struct {
	Key     string    `bun:"key"`
	GroupID uuid.UUID `bun:"group_id"`
	Agents  int       `bun:"agents"`
}

// Exposure answers entries' installed base. Exact ids and publishers of
// every version are counted by PostgreSQL (one grouped query each, on the
// extension and publisher indexes); entries of some versions, globs and
// regexes (rare) read the matching rows and count distinct agents here.
func (r *ExposureReader) Exposure(ctx context.Context, entries []threatfeed.Entry) ([]application.AdvisoryExposure, error) {
	db := conn(ctx, r.db)
	var ids, pubs []string
	var rest []int
	for i, e := range entries {
		switch {
		case len(e.Versions) == 0 && e.Pattern.Type() == blocklist.PatternExact:
			ids = append(ids, e.Pattern.String())
		case len(e.Versions) == 0 && e.Pattern.Type() == blocklist.PatternPublisher:
			pubs = append(pubs, e.Pattern.String())
		default:
			rest = append(rest, i)
		}
	}
	counts := map[string][]application.GroupCount{}
	if err := r.grouped(ctx, db, "i.extension_id", "exact:", ids, counts); err != nil {
		return nil, err
	}
	if err := r.grouped(ctx, db, "i.publisher", "publisher:", pubs, counts); err != nil {
		return nil, err
	}
	if err := r.matchedRows(ctx, db, entries, rest, counts); err != nil {
		return nil, err
	}
	var out []application.AdvisoryExposure
	for _, e := range entries {
		groups, ok := counts[e.Key()]
		if !ok {
			continue
		}
		slices.SortFunc(groups, func(a, b application.GroupCount) int { return strings.Compare(a.GroupID.String(), b.GroupID.String()) })
		x := application.AdvisoryExposure{Entry: e, Groups: groups}
		for _, g := range groups {
			x.Agents += g.Agents
		}
		out = append(out, x)
	}
	return out, nil
}

func (r *ExposureReader) grouped(ctx context.Context, db bun.IDB, column, prefix string, keys []string, into map[string][]application.GroupCount) error {
	if len(keys) == 0 {
		return nil
	}
	var rows []advisoryExposureRow
	err := db.NewRaw(`SELECT `+column+` AS key, i.group_id, count(DISTINCT i.agent_id) AS agents `+enrolledInstallations+`
WHERE `+column+` = ANY (?) GROUP BY 1, 2`, stringArray(keys)).Scan(ctx, &rows)
	for _, row := range rows {
		into[prefix+row.Key] = append(into[prefix+row.Key], application.GroupCount{GroupID: did(row.GroupID), Agents: row.Agents})
	}
	return err
}

type installedRow struct {
	ExtensionID string    `bun:"extension_id"`
	Version     string    `bun:"installed_version,nullzero"`
	GroupID     uuid.UUID `bun:"group_id"`
	AgentID     uuid.UUID `bun:"agent_id"`
}

func (r *ExposureReader) matchedRows(ctx context.Context, db bun.IDB, entries []threatfeed.Entry, idx []int, into map[string][]application.GroupCount) error {
	if len(idx) == 0 {
		return nil
	}
	installed, err := r.ids.ExtensionIDs(ctx)
	if err != nil {
		return err
	}
	var candidates []string
	for _, id := range installed {
		for _, i := range idx {
			if entries[i].Pattern.Matches(extension.ExtensionID(id)) {
				candidates = append(candidates, id)
				break
			}
		}
	}
	if len(candidates) == 0 {
		return nil
	}
	var rows []installedRow
	if err := db.NewRaw(`SELECT i.extension_id, i.installed_version, i.group_id, i.agent_id `+enrolledInstallations+`
WHERE i.extension_id = ANY (?)`, stringArray(candidates)).Scan(ctx, &rows); err != nil {
		return err
	}
	for _, i := range idx {
		e := entries[i]
		agents := map[uuid.UUID]map[uuid.UUID]bool{} // group -> agents
		for _, row := range rows {
			if !e.Pattern.Matches(extension.ExtensionID(row.ExtensionID)) || (len(e.Versions) > 0 && !slices.Contains(e.Versions, row.Version)) {
				continue
			}
			if agents[row.GroupID] == nil {
				agents[row.GroupID] = map[uuid.UUID]bool{}
			}
			agents[row.GroupID][row.AgentID] = true
		}
		for g, set := range agents {
			into[e.Key()] = append(into[e.Key()], application.GroupCount{GroupID: did(g), Agents: len(set)})
		}
	}
	return nil
}
