package pgtest

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// History sizes a seeded change history: Days of it, ChangesPerDay per
// agent, on top of a seeded fleet's current inventory.
type History struct {
	Days          int
	ChangesPerDay int
}

// SeededHistory is what SeedHistory wrote.
type SeededHistory struct {
	Rows       int64
	AgentIDs   []uuid.UUID
	Start, End time.Time
}

// SeedHistory writes, with COPY, the change history a fleet's reports
// would have left (reports as changes: docs/history-and-retention.md):
// each installation of groups' agents appears Days ago, then each agent
// changes ChangesPerDay times a day, one extension at a time: mostly a new
// version, every fifth change a removal that the agent's next change
// reinstalls. Ids are UUIDv7 of each row's time, so rows fall in the
// month partitions they would have been written to (created here).
func SeedHistory(ctx context.Context, dsn string, groups []uuid.UUID, h History) (SeededHistory, error) {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return SeededHistory{}, err
	}
	defer conn.Close(ctx)
	end := time.Now().UTC().Truncate(time.Second)
	s := SeededHistory{Start: end.AddDate(0, 0, -h.Days), End: end}
	for m := s.Start; !m.After(end.AddDate(0, 1, 0)); m = m.AddDate(0, 1, 0) {
		for _, table := range []string{"reports", "audit_log"} {
			if _, err := conn.Exec(ctx, `SELECT extguard_create_month_partition($1, $2)`, table, m); err != nil {
				return s, err
			}
		}
	}
	type inst struct {
		agent, group uuid.UUID
		ext          []string
	}
	rows, err := conn.Query(ctx, `SELECT agent_id, group_id, extension_id FROM installations
		WHERE group_id = ANY($1) ORDER BY agent_id, extension_id`, groups)
	if err != nil {
		return s, err
	}
	var agents []inst
	for rows.Next() {
		var a, g uuid.UUID
		var e string
		if err := rows.Scan(&a, &g, &e); err != nil {
			return s, err
		}
		if len(agents) == 0 || agents[len(agents)-1].agent != a {
			agents = append(agents, inst{agent: a, group: g})
			s.AgentIDs = append(s.AgentIDs, a)
		}
		agents[len(agents)-1].ext = append(agents[len(agents)-1].ext, e)
	}
	if err := rows.Err(); err != nil {
		return s, err
	}
	changes := h.Days * h.ChangesPerDay
	step := 24 * time.Hour / time.Duration(max(h.ChangesPerDay, 1))
	// One agent's rows at a time: its initial inventory, then its changes.
	a, k := 0, -1
	var removed string
	n, err := conn.CopyFrom(ctx, pgx.Identifier{"reports"},
		[]string{"id", "agent_id", "group_id", "extension_id", "installed", "installed_version", "reported_at", "editor", "received_at"},
		pgx.CopyFromFunc(func() ([]any, error) {
			for a < len(agents) {
				ag := agents[a]
				k++
				if k < len(ag.ext) {
					return historyRow(ag.agent, ag.group, ag.ext[k], true, "1.0.0", s.Start.Add(time.Duration(a%3600)*time.Second)), nil
				}
				c := k - len(ag.ext)
				if c < changes {
					at := s.Start.Add(time.Duration(c+1)*step + time.Duration(a%3600)*time.Second)
					if removed != "" { // reinstall what the previous change removed
						ext := removed
						removed = ""
						return historyRow(ag.agent, ag.group, ext, true, "2."+strconv.Itoa(c)+".0", at), nil
					}
					ext := ag.ext[(c*7+a)%len(ag.ext)]
					if c%5 == 4 {
						removed = ext
						return historyRow(ag.agent, ag.group, ext, false, "1.0.0", at), nil
					}
					return historyRow(ag.agent, ag.group, ext, true, "1."+strconv.Itoa(c)+".0", at), nil
				}
				a, k, removed = a+1, -1, ""
			}
			return nil, nil
		}))
	s.Rows = n
	if err != nil {
		return s, fmt.Errorf("copy reports: %w", err)
	}
	_, err = conn.Exec(ctx, "VACUUM ANALYZE reports")
	return s, err
}

// historyRow is one reports row with a UUIDv7 id of its time.
func historyRow(agent, group uuid.UUID, ext string, installed bool, version string, at time.Time) []any {
	id := uuid.Must(uuid.NewV7())
	ms := uint64(at.UnixMilli())
	for i := 0; i < 6; i++ {
		id[i] = byte(ms >> (40 - 8*i))
	}
	return []any{id, agent, group, ext, installed, version, at, "vscode", at}
}
