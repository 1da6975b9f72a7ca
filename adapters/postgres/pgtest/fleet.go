package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Fleet sizes a seeded fleet: Agents spread over Groups, each with
// ExtensionsPerAgent installed out of Distinct extension ids.
type Fleet struct {
	Groups             int
	Agents             int
	ExtensionsPerAgent int
	Distinct           int
}

// SeededFleet is what SeedFleet wrote, for assertions and benchmarks.
type SeededFleet struct {
	GroupIDs []uuid.UUID
	// Rare is installed on 1 agent in 100, Common on 3 in 5: a blocked
	// extension being hunted down, and a staple of every machine.
	Rare, Common string
	// RareAgents is how many agents have Rare installed.
	RareAgents int
}

// SeedFleet loads agents, their current inventory (installations) and their
// verdicts (agent_verdicts) with COPY, the way the agent API would leave
// them after every agent reported once (5 million rows for 100,000 agents
// × 50 extensions load in several minutes). In every group one agent in ten
// is non-compliant, with one to three violations.
func SeedFleet(ctx context.Context, dsn string, f Fleet) (SeededFleet, error) {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return SeededFleet{}, err
	}
	defer conn.Close(ctx)
	tag := randomSuffix()
	s := SeededFleet{Rare: "evil-" + tag + ".pack", Common: "ms-python-" + tag + ".python"}
	now := time.Now().UTC().Truncate(time.Second)

	groups := make([][]any, f.Groups)
	for i := range groups {
		id := uuid.Must(uuid.NewV7())
		s.GroupIDs = append(s.GroupIDs, id)
		groups[i] = []any{id, "fleet-" + tag + "-" + strconv.Itoa(i), []byte(`{}`)}
	}
	if _, err := conn.CopyFrom(ctx, pgx.Identifier{"groups"}, []string{"id", "name", "settings"}, pgx.CopyFromRows(groups)); err != nil {
		return s, fmt.Errorf("copy groups: %w", err)
	}

	agentIDs := make([]uuid.UUID, f.Agents)
	statuses := []string{"active", "active", "active", "active", "active", "active", "active", "stale", "offline", "active"}
	_, err = conn.CopyFrom(ctx, pgx.Identifier{"agents"},
		[]string{"id", "group_id", "machine_id", "display_name", "platform", "agent_version", "last_heartbeat", "status"},
		pgx.CopyFromFunc(func() func() ([]any, error) {
			i := 0
			return func() ([]any, error) {
				if i == f.Agents {
					return nil, nil
				}
				agentIDs[i] = uuid.Must(uuid.NewV7())
				row := []any{agentIDs[i], s.GroupIDs[i%f.Groups], "machine-" + tag + "-" + strconv.Itoa(i), "laptop-" + strconv.Itoa(i),
					"linux-x64", "1.0.0", now, statuses[i%len(statuses)]}
				i++
				return row, nil
			}
		}()))
	if err != nil {
		return s, fmt.Errorf("copy agents: %w", err)
	}

	ext := func(n int) string { return "pub" + strconv.Itoa(n%97) + "-" + tag + ".ext" + strconv.Itoa(n) }
	_, err = conn.CopyFrom(ctx, pgx.Identifier{"installations"},
		[]string{"agent_id", "editor", "extension_id", "group_id", "installed_version", "reported_at"},
		pgx.CopyFromFunc(func() func() ([]any, error) {
			a, k := 0, 0
			return func() ([]any, error) {
				if a == f.Agents {
					return nil, nil
				}
				var id string
				switch {
				case k == 0 && (a/f.Groups)%100 == 0:
					id = s.Rare
					s.RareAgents++
				case k == 1 && a%5 < 3:
					id = s.Common
				default:
					id = ext((a*31 + k*7919) % f.Distinct)
				}
				row := []any{agentIDs[a], "vscode", id, s.GroupIDs[a%f.Groups], "1." + strconv.Itoa(k) + ".0", now}
				if k++; k == f.ExtensionsPerAgent {
					a, k = a+1, 0
				}
				return row, nil
			}
		}()))
	if err != nil {
		return s, fmt.Errorf("copy installations: %w", err)
	}

	kinds := []string{"blocked", "unapproved", "version_mismatch"}
	_, err = conn.CopyFrom(ctx, pgx.Identifier{"agent_verdicts"},
		[]string{"agent_id", "group_id", "reported_at", "compliant", "violations"},
		pgx.CopyFromFunc(func() func() ([]any, error) {
			a := 0
			return func() ([]any, error) {
				if a == f.Agents {
					return nil, nil
				}
				violations := "[]"
				if (a/f.Groups)%10 == 0 {
					violations = `[{"extension_id":"` + s.Rare + `","kind":"blocked","detail":"publisher evil"}`
					for v := 0; v < int(randUint()%3); v++ {
						violations += `,{"extension_id":"` + ext(a%f.Distinct+v) + `","kind":"` + kinds[1+v%2] + `"}`
					}
					violations += "]"
				}
				row := []any{agentIDs[a], s.GroupIDs[a%f.Groups], now, violations == "[]", violations}
				a++
				return row, nil
			}
		}()))
	if err != nil {
		return s, fmt.Errorf("copy agent_verdicts: %w", err)
	}
	// What autovacuum would have done to a fleet in steady state: statistics
	// and the visibility map (which index-only scans rely on).
	for _, table := range []string{"agents", "installations", "agent_verdicts"} {
		if _, err := conn.Exec(ctx, "VACUUM ANALYZE "+table); err != nil {
			return s, err
		}
	}
	return s, nil
}

func randUint() uint32 {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return binary.BigEndian.Uint32(b[:])
}
