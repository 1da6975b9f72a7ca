package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// seedChunk is how many agents one seeding statement writes (with their
// inventories and first history rows: seedChunk × extensions rows each).
const seedChunk = 10000

// seedSQL writes agents [$3, $4) as enrollment and a first report through
// the API leave them: the agent row (active, last heartbeat now), its
// current inventory (installations), one history row per installed
// extension (reports, every row new) and its verdict (compliant: nothing
// is blocked yet). The extension ids follow newFleet's formula, so the
// simulator's agents hold exactly what the database says they have. What
// it does not write: the enrollment's audit row, and the inventory
// fingerprint (empty: the agent's first report through the API compares
// its inventory with the stored one and, finding it equal, writes no
// history, as a repeated report does).
const seedSQL = `
WITH a AS (
    INSERT INTO agents (id, group_id, machine_id, user_hash, display_name, platform, agent_version,
        last_heartbeat, status, created_at, updated_at)
    SELECT extguard_uuidv7(), $1::uuid, $2 || i, lpad(to_hex(i), 64, '0'), 'sim-' || i, 'linux-x64', 'sim-1',
        now(), 'active', now(), now()
    FROM generate_series($3::int, $4::int - 1) i
    RETURNING id, substr(machine_id, length($2) + 1)::int AS i, user_hash
), inv AS (
    SELECT a.id AS agent_id, a.user_hash, '1.0.' || k AS version,
        CASE WHEN k = 0 AND a.i % 1000 < $9::float8 THEN $8
             ELSE 'pub' || (e.x % 97) || '-' || $7 || '.ext' || e.x END AS extension_id
    FROM a CROSS JOIN generate_series(0, $5::int - 1) k
    CROSS JOIN LATERAL (SELECT (a.i::bigint * 31 + k * 7919) % $6::int AS x) e
), current_state AS (
    INSERT INTO installations (agent_id, editor, extension_id, group_id, installed_version, reported_at)
    SELECT agent_id, 'vscode', extension_id, $1::uuid, version, now() FROM inv
), history AS (
    INSERT INTO reports (id, agent_id, group_id, extension_id, user_hash, installed, installed_version,
        client_ip, reported_at, editor, received_at)
    SELECT extguard_uuidv7(), agent_id, $1::uuid, extension_id, user_hash, true, version,
        '127.0.0.1', now(), 'vscode', now() FROM inv
), verdicts AS (
    INSERT INTO agent_verdicts (agent_id, group_id, reported_at, policy_etag, compliant, violations, updated_at, inventory_sha256)
    SELECT id, $1::uuid, now(), $10, true, '[]', now(), '' FROM a
)
SELECT i, id::text FROM a`

// seed writes agents [from, fleet) straight into PostgreSQL (see seedSQL)
// and starts each chunk's agents as soon as it is written (as enrolled
// agents start at once: an agent left silent would go stale). The agents
// enrolled through the API before it (at least one) give the policy ETag
// they all hold.
func (f *fleet) seed(ctx context.Context, from int) error {
	etag := f.agents[0].etag
	if etag == "" {
		return fmt.Errorf("seeding: the first agent did not enroll through the API")
	}
	conn, err := pgx.Connect(ctx, f.o.databaseURL)
	if err != nil {
		return fmt.Errorf("seeding: %w", err)
	}
	defer conn.Close(ctx)
	start := time.Now()
	for lo := from; lo < f.o.fleet; lo += seedChunk {
		hi := min(lo+seedChunk, f.o.fleet)
		rows, err := conn.Query(ctx, seedSQL, f.admin.groupID, f.machinePrefix(), lo, hi, f.o.extensions,
			f.o.distinct, f.tag, f.incidentID, 1000*f.o.incidentShare, etag)
		if err != nil {
			return fmt.Errorf("seeding agents %d-%d: %w", lo, hi, err)
		}
		var i int
		var id string
		if _, err := pgx.ForEachRow(rows, []any{&i, &id}, func() error {
			f.joined(i, id, etag)
			return nil
		}); err != nil {
			return fmt.Errorf("seeding agents %d-%d: %w", lo, hi, err)
		}
		fmt.Printf("seeded agents %d-%d (%.0f agents/s)\n", lo, hi, float64(hi-from)/time.Since(start).Seconds())
	}
	return nil
}

// analyzeIfNoAutovacuum runs ANALYZE when the server's PostgreSQL has
// autovacuum off (the shared development VM does): its planner would
// otherwise keep the statistics of the empty tables the run started from
// and, believing the agents table tiny, look agents up by scanning their
// group (measured: 142 ms per enrollment at 28,000 agents, a full scan per
// call). With autovacuum on, autoanalyze does this by itself.
func analyzeIfNoAutovacuum(ctx context.Context, databaseURL string, tables ...string) error {
	conn, err := pgx.Connect(ctx, databaseURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	var on string
	if err := conn.QueryRow(ctx, `SHOW autovacuum`).Scan(&on); err != nil || on == "on" {
		return err
	}
	start := time.Now()
	if _, err := conn.Exec(ctx, `ANALYZE `+strings.Join(tables, ", ")); err != nil {
		return err
	}
	fmt.Printf("autovacuum is off on this PostgreSQL: ran ANALYZE (%s) so the planner knows the fleet's tables\n", time.Since(start).Round(time.Millisecond))
	return nil
}
