package postgres

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/uptrace/bun"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/policy"
	"github.com/extguard/extguard/domain/report"
)

// ReportStore writes batches of reports: each agent's verdict, and for the
// agents whose inventory changed, the current inventory and the history
// rows of what changed, in one transaction. It talks to pgx directly for
// its batched statements.
type ReportStore struct {
	db *bun.DB
	// statements counts round trips to PostgreSQL (for the load report).
	statements func(n int)
	// superseded logs the reports a newer stored one superseded (nil: counted only).
	superseded *supersededLog
}

var _ application.ReportStore = (*ReportStore)(nil)

// NewReportStore returns the store on db.
func NewReportStore(db *bun.DB) *ReportStore { return &ReportStore{db: db, statements: func(int) {}} }

// CountStatements makes the store report how many statements each batch
// sent (the load generator's SQL count).
func (s *ReportStore) CountStatements(fn func(n int)) { s.statements = fn }

var reportColumns = []string{"id", "agent_id", "group_id", "extension_id", "user_hash", "installed",
	"installed_version", "extension_sha256", "client_ip", "reported_at", "editor", "received_at"}

// ReportHistoryColumns are the reports columns a history row has, in the
// order the load run's raw COPY yardstick writes them.
func ReportHistoryColumns() []string { return slices.Clone(reportColumns) }

// StoreReports writes the batch; a deadlock or serialization failure with
// a concurrent batch is retried once.
func (s *ReportStore) StoreReports(ctx context.Context, batch []application.StoredReport) error {
	err := s.storeOnce(ctx, batch)
	if code := pgErrorCode(err); code == "40P01" || code == "40001" {
		err = s.storeOnce(ctx, batch)
	}
	return translate(err, "report")
}

// storeOnce applies the batch in rounds: round k holds the k-th oldest
// report of every agent in the batch, so each report is compared with the
// state its predecessor left (an agent's two reports in one batch both
// reach the history). Nearly every batch is a single round.
func (s *ReportStore) storeOnce(ctx context.Context, batch []application.StoredReport) error {
	sqlConn, err := s.db.DB.Conn(ctx)
	if err != nil {
		return domain.Unavailable("database unreachable")
	}
	defer sqlConn.Close()
	var superseded []int
	err = sqlConn.Raw(func(dc any) error {
		return pgx.BeginFunc(ctx, pgxConn(dc).Conn(), func(tx pgx.Tx) error {
			n := 2 // BEGIN, COMMIT
			superseded = superseded[:0]
			for _, round := range reportRounds(batch) {
				changed, older, err := storeVerdicts(ctx, tx, batch, round)
				if err != nil {
					return err
				}
				superseded = append(superseded, older...)
				n++
				if len(changed) == 0 {
					continue
				}
				if _, err := tx.Exec(ctx, inventoryChangesSQL, changeArgs(batch, changed)...); err != nil {
					return err
				}
				n++
			}
			s.statements(n)
			return nil
		})
	})
	if err == nil {
		s.recordSuperseded(ctx, batch, superseded)
	}
	return err
}

// storeVerdicts upserts each agent's verdict (the round holds one report
// per agent) and returns the reports that won (no newer report was stored)
// and changed the agent's inventory: only those write current state and
// history. In a fleet's steady state inventories repeat, the list is
// empty, and the round costs this one statement. It also returns the
// reports that lost (superseded: older than the stored one).
func storeVerdicts(ctx context.Context, tx pgx.Tx, batch []application.StoredReport, round []int) (changed, superseded []int, _ error) {
	rows, err := tx.Query(ctx, verdictsSQL, verdictArgs(batch, round)...)
	if err != nil {
		return nil, nil, err
	}
	byAgent := make(map[domain.ID]int, len(round))
	for _, i := range round {
		byAgent[batch[i].AgentID] = i
	}
	var agentID [16]byte
	var inventoryChanged bool
	_, err = pgx.ForEachRow(rows, []any{&agentID, &inventoryChanged}, func() error {
		if inventoryChanged {
			changed = append(changed, byAgent[domain.ID(agentID)])
		}
		delete(byAgent, domain.ID(agentID))
		return nil
	})
	for _, i := range byAgent {
		superseded = append(superseded, i)
	}
	return changed, superseded, err
}

// verdictsSQL stores each agent's verdict only when its report is at least
// as new as the stored one, and returns the agents it stored, with whether
// their inventory's fingerprint differs from the one it replaced. It runs
// before the inventory statement, so that the row locks it takes (waiting
// for a concurrent batch of the same agent to commit) come before that
// statement's snapshot: it then sees whatever the other batch wrote. A
// report older than the stored one returns nothing: the agent has since
// reported a newer state, so the older one is superseded and writes no
// history (see docs/history-and-retention.md).
const verdictsSQL = `
INSERT INTO agent_verdicts AS av (agent_id, group_id, reported_at, policy_etag, compliant, violations, updated_at,
    inventory_sha256, previous_inventory_sha256, native_policy)
SELECT agent_id, group_id, reported_at, policy_etag, compliant, violations::jsonb, now(), inventory, NULL, native_policy::jsonb
FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[], $4::text[], $5::bool[], $6::text[], $7::text[], $8::text[])
     AS t(agent_id, group_id, reported_at, policy_etag, compliant, violations, inventory, native_policy)
ON CONFLICT (agent_id) DO UPDATE SET group_id = EXCLUDED.group_id, reported_at = EXCLUDED.reported_at,
    policy_etag = EXCLUDED.policy_etag, compliant = EXCLUDED.compliant,
    violations = EXCLUDED.violations, updated_at = EXCLUDED.updated_at,
    inventory_sha256 = EXCLUDED.inventory_sha256, previous_inventory_sha256 = av.inventory_sha256,
    native_policy = EXCLUDED.native_policy
WHERE av.reported_at <= EXCLUDED.reported_at
RETURNING av.agent_id, av.previous_inventory_sha256 IS DISTINCT FROM av.inventory_sha256`

// inventoryChangesSQL compares the changed agents' reports ($1-$6, one
// per agent) and their installed items ($7-$11) with the stored current
// inventory, set-based in one statement: it upserts the installations that
// appeared or changed, deletes the ones that vanished, and writes one
// history row per extension that appeared or changed version or digest
// (installed) or disappeared (installed = false, with the version it had).
// The CTEs share one snapshot, so "old" is the inventory before this
// statement. The upsert's comparison lives in ON CONFLICT ... WHERE, so
// each row is found through the primary key, the conflict arbiter, whatever
// the table's statistics say; an earlier NOT EXISTS probe let a planner
// with stale statistics scan the group index instead and spend ~2 ms per
// row. installations.reported_at is therefore when the agent first
// reported the row in its current state; the time of the agent's newest
// report is agent_verdicts.reported_at. A group change alone rewrites
// installations.group_id but is no history row (the group is not part of
// what an agent has installed). These agents' verdict rows are locked by
// this transaction, so no other batch writes their rows meanwhile.
var inventoryChangesSQL = `
WITH w AS (
    SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::inet[], $5::timestamptz[], $6::timestamptz[])
        AS w(agent_id, group_id, user_hash, client_ip, reported_at, received_at)
), i AS (
    SELECT * FROM unnest($7::uuid[], $8::text[], $9::text[], $10::text[], $11::text[])
        AS i(agent_id, editor, extension_id, installed_version, extension_sha256)
), old AS (
    SELECT c.agent_id, c.editor, c.extension_id, c.installed_version, c.extension_sha256
    FROM installations c WHERE c.agent_id = ANY($1::uuid[])
), up AS (
    INSERT INTO installations AS c (agent_id, editor, extension_id, group_id, installed_version, extension_sha256, reported_at)
    SELECT i.agent_id, i.editor, i.extension_id, w.group_id, i.installed_version, i.extension_sha256, w.reported_at
    FROM i JOIN w USING (agent_id)
    ON CONFLICT (agent_id, editor, extension_id) DO UPDATE SET group_id = EXCLUDED.group_id,
        installed_version = EXCLUDED.installed_version, extension_sha256 = EXCLUDED.extension_sha256,
        reported_at = EXCLUDED.reported_at
    WHERE (c.group_id, c.installed_version, c.extension_sha256)
          IS DISTINCT FROM (EXCLUDED.group_id, EXCLUDED.installed_version, EXCLUDED.extension_sha256)
    RETURNING c.agent_id, c.editor, c.extension_id, c.installed_version, c.extension_sha256
), gone AS (
    DELETE FROM installations x
    WHERE x.agent_id = ANY($1::uuid[])
      AND (x.agent_id, x.editor, x.extension_id) NOT IN (SELECT agent_id, editor, extension_id FROM i)
    RETURNING x.agent_id, x.editor, x.extension_id, x.installed_version, x.extension_sha256
), changes AS (
    SELECT up.agent_id, up.editor, up.extension_id, true AS installed, up.installed_version, up.extension_sha256
    FROM up LEFT JOIN old ON (old.agent_id, old.editor, old.extension_id) = (up.agent_id, up.editor, up.extension_id)
    WHERE old.agent_id IS NULL
       OR (old.installed_version, old.extension_sha256) IS DISTINCT FROM (up.installed_version, up.extension_sha256)
    UNION ALL
    SELECT agent_id, editor, extension_id, false, installed_version, extension_sha256 FROM gone
)
INSERT INTO reports (` + strings.Join(reportColumns, ", ") + `)
SELECT ` + sqlUUIDv7 + `, ch.agent_id, w.group_id, ch.extension_id, w.user_hash, ch.installed, ch.installed_version,
       ch.extension_sha256, w.client_ip, w.reported_at, ch.editor, w.received_at
FROM changes ch JOIN w USING (agent_id)`

type violationDoc struct {
	ExtensionID string   `json:"extension_id"`
	Kind        string   `json:"kind"`
	Detail      string   `json:"detail"`
	Editors     []string `json:"editors,omitempty"`
}

func violationsJSON(vs []policy.Violation) string {
	docs := make([]violationDoc, len(vs))
	for i, v := range vs {
		docs[i] = violationDoc{ExtensionID: v.ExtensionID.String(), Kind: string(v.Kind), Detail: v.Detail}
		for _, e := range v.Editors {
			docs[i].Editors = append(docs[i].Editors, string(e))
		}
	}
	b, err := json.Marshal(docs)
	if err != nil {
		return "[]"
	}
	return string(b)
}

// reportRounds splits the batch so that each round holds at most one
// report per agent: round k is every agent's k-th oldest report (ties: the
// later received), each round sorted by agent id so concurrent batches lock
// verdict rows in one order.
func reportRounds(batch []application.StoredReport) [][]int {
	byAgent := map[domain.ID][]int{}
	for i, r := range batch {
		byAgent[r.AgentID] = append(byAgent[r.AgentID], i)
	}
	var rounds [][]int
	for _, idx := range byAgent {
		sort.SliceStable(idx, func(a, b int) bool {
			return batch[idx[a]].Report.ReportedAt().Before(batch[idx[b]].Report.ReportedAt())
		})
		for k, i := range idx {
			if k == len(rounds) {
				rounds = append(rounds, nil)
			}
			rounds[k] = append(rounds[k], i)
		}
	}
	for _, round := range rounds {
		sort.Slice(round, func(a, b int) bool {
			x, y := batch[round[a]].AgentID, batch[round[b]].AgentID
			return string(x[:]) < string(y[:])
		})
	}
	return rounds
}

// verdictArgs are verdictsSQL's arrays for the reports at indexes.
func verdictArgs(batch []application.StoredReport, indexes []int) []any {
	n := len(indexes)
	agents, groups := make([][16]byte, 0, n), make([][16]byte, 0, n)
	at, etags, violations := make([]time.Time, 0, n), make([]string, 0, n), make([]string, 0, n)
	compliant, inventories, natives := make([]bool, 0, n), make([]string, 0, n), make([]*string, 0, n)
	for _, idx := range indexes {
		r := batch[idx]
		agents, groups = append(agents, r.AgentID), append(groups, r.GroupID)
		at, etags = append(at, r.Report.ReportedAt()), append(etags, r.PolicyETag)
		compliant, violations = append(compliant, r.Verdict.Compliant), append(violations, violationsJSON(r.Verdict.Violations))
		inventories, natives = append(inventories, inventoryFingerprint(r)), append(natives, nativePolicyJSON(r.Report))
	}
	return []any{agents, groups, at, etags, compliant, violations, inventories, natives}
}

// changeArgs are inventoryChangesSQL's arrays: the changed reports, then
// their installed items.
func changeArgs(batch []application.StoredReport, indexes []int) []any {
	var (
		agents, groups  [][16]byte
		users           []string
		ips             []*string
		at, received    []time.Time
		itemAgent       [][16]byte
		editor, ext     []string
		version, digest []*string
	)
	for _, idx := range indexes {
		r := batch[idx]
		agents, groups, users = append(agents, r.AgentID), append(groups, r.GroupID), append(users, r.UserHash)
		ips = append(ips, parsedIP(r.ClientIP))
		at, received = append(at, r.Report.ReportedAt()), append(received, r.ReceivedAt)
		for _, it := range r.Report.InstalledItems() {
			itemAgent = append(itemAgent, r.AgentID)
			editor, ext = append(editor, string(it.Editor())), append(ext, it.ExtensionID().String())
			version, digest = append(version, strPtr(it.Version())), append(digest, strPtr(it.SHA256()))
		}
	}
	return []any{agents, groups, users, ips, at, received, itemAgent, editor, ext, version, digest}
}

// parsedIP is the client address as PostgreSQL's inet reads it, or NULL
// when it is unknown or unparseable (it is never a reason to lose a report).
func parsedIP(s string) *string {
	ip, err := netip.ParseAddr(s)
	if err != nil {
		return nil
	}
	out := ip.Unmap().String()
	return &out
}

// inventoryFingerprint identifies what a report's current-state rows would
// be: the group and every installed (editor, extension, version, digest),
// in a canonical order.
func inventoryFingerprint(r application.StoredReport) string {
	items := r.Report.InstalledItems()
	// Sorting pointers moves 8 bytes per swap instead of a 72-byte item.
	sorted := make([]*report.Item, len(items))
	for i := range items {
		sorted[i] = &items[i]
	}
	slices.SortFunc(sorted, canonicalOrder)
	h := sha256.New()
	h.Write(r.GroupID[:])
	line := make([]byte, 0, 512)
	for _, it := range sorted {
		line = append(line[:0], it.Editor()...)
		line = append(append(line, 0), it.ExtensionID()...)
		line = append(append(line, 0), it.Version()...)
		line = append(append(line, 0), it.SHA256()...)
		h.Write(append(line, '\n'))
	}
	var sum [sha256.Size]byte
	return hex.EncodeToString(h.Sum(sum[:0]))
}

// canonicalOrder orders items by editor, extension, version and digest. It
// compares a field only when the ones before it are equal (cmp.Or would
// compare all four every time).
func canonicalOrder(a, b *report.Item) int {
	if c := cmp.Compare(a.Editor(), b.Editor()); c != 0 {
		return c
	}
	if c := cmp.Compare(a.ExtensionID(), b.ExtensionID()); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Version(), b.Version()); c != 0 {
		return c
	}
	return cmp.Compare(a.SHA256(), b.SHA256())
}

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
