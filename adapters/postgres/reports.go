package postgres

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
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

// ReportStore writes batches of reports: the history with COPY, then the
// current inventory and the verdict of each agent's newest report with one
// statement, all in one transaction. It talks to pgx directly because COPY
// is not part of database/sql.
type ReportStore struct {
	db *bun.DB
	// statements counts round trips to PostgreSQL (for the load report).
	statements func(n int)
}

var _ application.ReportStore = (*ReportStore)(nil)

// NewReportStore returns the store on db.
func NewReportStore(db *bun.DB) *ReportStore { return &ReportStore{db: db, statements: func(int) {}} }

// CountStatements makes the store report how many statements each batch
// sent (the load generator's SQL count).
func (s *ReportStore) CountStatements(fn func(n int)) { s.statements = fn }

var reportColumns = []string{"id", "agent_id", "group_id", "extension_id", "user_hash", "installed",
	"installed_version", "extension_sha256", "client_ip", "reported_at", "editor", "received_at"}

// ReportHistoryColumns are the reports columns a batch's COPY writes, in
// its order: the load run's raw COPY yardstick writes the same ones.
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

func (s *ReportStore) storeOnce(ctx context.Context, batch []application.StoredReport) error {
	sqlConn, err := s.db.DB.Conn(ctx)
	if err != nil {
		return domain.Unavailable("database unreachable")
	}
	defer sqlConn.Close()
	return sqlConn.Raw(func(dc any) error {
		return pgx.BeginFunc(ctx, pgxConn(dc).Conn(), func(tx pgx.Tx) error {
			if _, err := tx.Conn().PgConn().CopyFrom(ctx, bytes.NewReader(historyRows(batch)), copyReportsSQL); err != nil {
				return err
			}
			newest := newestPerAgent(batch)
			changed, err := storeVerdicts(ctx, tx, batch, newest)
			if err != nil {
				return err
			}
			if len(changed) == 0 {
				s.statements(4) // BEGIN, COPY, verdicts, COMMIT
				return nil
			}
			winners, items := inventoryArgs(batch, changed)
			// Two statements, one round trip.
			b := &pgx.Batch{}
			b.Queue(installationsSQL, items...)
			b.Queue(vanishedSQL, winners, items[0], items[1], items[2])
			s.statements(6)
			return tx.SendBatch(ctx, b).Close()
		})
	})
}

// storeVerdicts upserts each agent's newest verdict and returns the
// batch's reports that won (no newer report was stored) and changed the
// agent's inventory: only those need current-state writes. In a fleet's
// steady state inventories repeat, the list is empty, and the batch costs
// the COPY and this one statement.
func storeVerdicts(ctx context.Context, tx pgx.Tx, batch []application.StoredReport, newest []int) ([]int, error) {
	rows, err := tx.Query(ctx, verdictsSQL, verdictArgs(batch, newest)...)
	if err != nil {
		return nil, err
	}
	byAgent := make(map[domain.ID]int, len(newest))
	for _, i := range newest {
		byAgent[batch[i].AgentID] = i
	}
	var changed []int
	var agentID [16]byte
	var inventoryChanged bool
	_, err = pgx.ForEachRow(rows, []any{&agentID, &inventoryChanged}, func() error {
		if inventoryChanged {
			changed = append(changed, byAgent[domain.ID(agentID)])
		}
		return nil
	})
	return changed, err
}

// copyReportsSQL receives historyRows.
var copyReportsSQL = "COPY reports (" + strings.Join(reportColumns, ", ") + ") FROM STDIN (FORMAT binary)"

// historyRows is every item of every report, one row each in reportColumns'
// order, with UUIDv7 ids (time-ordered keys keep the primary-key index
// appending at its end), as binary COPY data.
func historyRows(batch []application.StoredReport) []byte {
	n := 0
	for _, r := range batch {
		n += r.Report.Len()
	}
	ids := newRowIDs(n)
	out := newCopyBuffer(n * 300)
	for _, r := range batch {
		ip, _ := netip.ParseAddr(r.ClientIP)
		for it := range r.Report.All() {
			out.row(len(reportColumns))
			out.uuid(ids[0])
			ids = ids[1:]
			out.uuid(r.AgentID)
			out.uuid(r.GroupID)
			out.text(it.ExtensionID().String())
			out.text(r.UserHash)
			out.boolean(it.Installed())
			out.textOrNull(it.Version())
			out.textOrNull(it.SHA256())
			out.inet(ip)
			out.timestamptz(r.Report.ReportedAt())
			out.text(string(it.Editor()))
			out.timestamptz(r.ReceivedAt)
		}
	}
	return out.bytes()
}

// verdictsSQL stores each agent's verdict only when its report is at least
// as new as the stored one, and returns the agents it stored, with whether
// their inventory's fingerprint differs from the one it replaced. It runs
// before the inventory statements, so that the row locks it takes (waiting
// for a concurrent batch of the same agent to commit) come before their
// snapshot: they then see whatever the other batch wrote.
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

// installationsSQL writes the changed inventories' installed items that
// differ from what is stored: new rows are inserted, changed ones updated,
// unchanged ones left as they are. The comparison lives in ON CONFLICT ...
// WHERE, so each row is found through the primary key, the conflict
// arbiter, whatever the table's statistics say; an earlier NOT EXISTS probe
// let a planner with stale statistics scan the group index instead and
// spend ~2 ms per row. installations.reported_at is therefore when the
// agent first reported the row in its current state; the time of the
// agent's newest report is agent_verdicts.reported_at. These agents'
// verdict rows are locked by this transaction, so no other batch writes
// their rows meanwhile.
const installationsSQL = `
INSERT INTO installations AS c (agent_id, editor, extension_id, group_id, installed_version, extension_sha256, reported_at)
SELECT i.agent_id, i.editor, i.extension_id, i.group_id, i.installed_version, i.extension_sha256, i.reported_at
FROM unnest($1::uuid[], $2::text[], $3::text[], $4::uuid[], $5::text[], $6::text[], $7::timestamptz[])
     AS i(agent_id, editor, extension_id, group_id, installed_version, extension_sha256, reported_at)
ON CONFLICT (agent_id, editor, extension_id) DO UPDATE SET group_id = EXCLUDED.group_id,
    installed_version = EXCLUDED.installed_version, extension_sha256 = EXCLUDED.extension_sha256,
    reported_at = EXCLUDED.reported_at
WHERE (c.group_id, c.installed_version, c.extension_sha256)
      IS DISTINCT FROM (EXCLUDED.group_id, EXCLUDED.installed_version, EXCLUDED.extension_sha256)`

// vanishedSQL deletes the changed agents' ($1) rows their report no longer
// lists. NOT IN over the reports' keys is planned as a hashed subplan: one
// pass over each agent's rows (an index range scan), whatever the batch size.
const vanishedSQL = `
DELETE FROM installations x
WHERE x.agent_id = ANY($1::uuid[])
  AND (x.agent_id, x.editor, x.extension_id) NOT IN (
      SELECT agent_id, editor, extension_id FROM unnest($2::uuid[], $3::text[], $4::text[]) AS k(agent_id, editor, extension_id))`

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

// newestPerAgent is the index of each agent's newest report in the batch
// (ties: the later received), sorted by agent id so concurrent batches lock
// verdict rows in one order.
func newestPerAgent(batch []application.StoredReport) []int {
	newest := map[domain.ID]int{}
	for i, r := range batch {
		j, seen := newest[r.AgentID]
		if !seen || !r.Report.ReportedAt().Before(batch[j].Report.ReportedAt()) {
			newest[r.AgentID] = i
		}
	}
	order := make([]int, 0, len(newest))
	for _, i := range newest {
		order = append(order, i)
	}
	sort.Slice(order, func(a, b int) bool {
		x, y := batch[order[a]].AgentID, batch[order[b]].AgentID
		return string(x[:]) < string(y[:])
	})
	return order
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

// inventoryArgs are the changed agents' ids and installationsSQL's arrays
// of their installed items.
func inventoryArgs(batch []application.StoredReport, indexes []int) (winners [][16]byte, items []any) {
	var (
		agent, group    [][16]byte
		editor, ext     []string
		version, digest []*string
		at              []time.Time
	)
	for _, idx := range indexes {
		r := batch[idx]
		winners = append(winners, r.AgentID)
		for _, it := range r.Report.InstalledItems() {
			agent, group = append(agent, r.AgentID), append(group, r.GroupID)
			editor, ext = append(editor, string(it.Editor())), append(ext, it.ExtensionID().String())
			version, digest = append(version, strPtr(it.Version())), append(digest, strPtr(it.SHA256()))
			at = append(at, r.Report.ReportedAt())
		}
	}
	return winners, []any{agent, editor, ext, group, version, digest, at}
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

// newRowIDs returns n UUIDv7 (RFC 9562) ids from one read of randomness:
// 48 bits of Unix milliseconds, then random bits with version and variant.
func newRowIDs(n int) [][16]byte {
	ids := make([][16]byte, n)
	random := make([]byte, 10*n)
	_, _ = rand.Read(random) // crypto/rand.Read never fails (Go 1.24+)
	var ts [8]byte
	binary.BigEndian.PutUint64(ts[:], uint64(time.Now().UnixMilli()))
	for i := range ids {
		id := &ids[i]
		copy(id[0:6], ts[2:8])
		copy(id[6:16], random[10*i:10*i+10])
		id[6] = 0x70 | (id[6] & 0x0f)
		id[8] = 0x80 | (id[8] & 0x3f)
	}
	return ids
}
