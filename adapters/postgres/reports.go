package postgres

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"net/netip"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/policy"
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
		return pgx.BeginFunc(ctx, dc.(*stdlib.Conn).Conn(), func(tx pgx.Tx) error {
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{"reports"}, reportColumns, historyRows(batch)); err != nil {
				return err
			}
			verdicts, installations := currentStateArgs(batch)
			// Three statements, one round trip.
			b := &pgx.Batch{}
			b.Queue(verdictsSQL, verdicts...)
			b.Queue(installationsSQL, installations...)
			b.Queue(vanishedSQL, installations[:5]...)
			s.statements(6) // BEGIN, COPY, verdicts, installations, vanished, COMMIT
			return tx.SendBatch(ctx, b).Close()
		})
	})
}

// historyRows is every item of every report, one row each, with UUIDv7 ids
// (time-ordered keys keep the primary-key index appending at its end).
func historyRows(batch []application.StoredReport) pgx.CopyFromSource {
	n := 0
	for _, r := range batch {
		n += len(r.Report.Items())
	}
	ids := newRowIDs(n)
	rows := make([][]any, 0, n)
	for _, r := range batch {
		ip := inetParam(r.ClientIP)
		for _, it := range r.Report.Items() {
			rows = append(rows, []any{ids[len(rows)], [16]byte(r.AgentID), [16]byte(r.GroupID), it.ExtensionID().String(),
				r.UserHash, it.Installed(), textOrNil(it.Version()), textOrNil(it.SHA256()), ip,
				r.Report.ReportedAt(), string(it.Editor()), r.ReceivedAt})
		}
	}
	return pgx.CopyFromRows(rows)
}

// verdictsSQL stores each agent's verdict only when its report is at least
// as new as the stored one. It runs as its own statement, so that the row
// locks it takes (waiting for a concurrent batch of the same agent to
// commit) come before the snapshot of installationsSQL: that statement then
// sees whatever the other batch wrote.
//
// It also keeps the inventory's fingerprint and the one it replaced, so the
// statements after it can tell an unchanged inventory (the steady state)
// and skip it.
const verdictsSQL = `
INSERT INTO agent_verdicts AS av (agent_id, group_id, reported_at, policy_etag, compliant, violations, updated_at,
    inventory_sha256, previous_inventory_sha256)
SELECT agent_id, group_id, reported_at, policy_etag, compliant, violations::jsonb, now(), inventory, NULL
FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[], $4::text[], $5::bool[], $6::text[], $7::text[])
     AS t(agent_id, group_id, reported_at, policy_etag, compliant, violations, inventory)
ON CONFLICT (agent_id) DO UPDATE SET group_id = EXCLUDED.group_id, reported_at = EXCLUDED.reported_at,
    policy_etag = EXCLUDED.policy_etag, compliant = EXCLUDED.compliant,
    violations = EXCLUDED.violations, updated_at = EXCLUDED.updated_at,
    inventory_sha256 = EXCLUDED.inventory_sha256, previous_inventory_sha256 = av.inventory_sha256
WHERE av.reported_at <= EXCLUDED.reported_at`

// winnersCTE is the agents whose stored verdict is now this batch's report
// (so theirs is the newest) and whose inventory differs from the one it
// replaced; an agent repeating its inventory needs no current-state write.
const winnersCTE = `
WITH w AS (
    SELECT t.agent_id, t.reported_at FROM unnest($1::uuid[], $2::timestamptz[]) AS t(agent_id, reported_at)
    JOIN agent_verdicts av ON av.agent_id = t.agent_id AND av.reported_at = t.reported_at
    WHERE av.previous_inventory_sha256 IS DISTINCT FROM av.inventory_sha256
)`

// installationsSQL writes the winners' installed items that differ from
// what is stored: new rows are inserted, changed ones updated, unchanged
// ones (the steady state: inventories rarely change between reports) left
// as they are. The comparison lives in ON CONFLICT ... WHERE, so each row
// is found through the primary key, the conflict arbiter, whatever the
// table's statistics say; an earlier NOT EXISTS probe let a planner with
// stale statistics scan the group index instead and spend ~2 ms per row.
// installations.reported_at is therefore when the agent first reported the
// row in its current state; the time of the agent's newest report is
// agent_verdicts.reported_at. The winners' verdict rows are locked by this
// transaction, so no other batch writes these agents' rows meanwhile.
const installationsSQL = winnersCTE + `
INSERT INTO installations AS c (agent_id, editor, extension_id, group_id, installed_version, extension_sha256, reported_at)
SELECT i.agent_id, i.editor, i.extension_id, i.group_id, i.installed_version, i.extension_sha256, i.reported_at
FROM unnest($3::uuid[], $4::text[], $5::text[], $6::uuid[], $7::text[], $8::text[], $9::timestamptz[])
     AS i(agent_id, editor, extension_id, group_id, installed_version, extension_sha256, reported_at)
WHERE i.agent_id IN (SELECT agent_id FROM w)
ON CONFLICT (agent_id, editor, extension_id) DO UPDATE SET group_id = EXCLUDED.group_id,
    installed_version = EXCLUDED.installed_version, extension_sha256 = EXCLUDED.extension_sha256,
    reported_at = EXCLUDED.reported_at
WHERE (c.group_id, c.installed_version, c.extension_sha256)
      IS DISTINCT FROM (EXCLUDED.group_id, EXCLUDED.installed_version, EXCLUDED.extension_sha256)`

// vanishedSQL deletes the winners' rows their report no longer lists. NOT
// IN over the report's keys is planned as a hashed subplan: one pass over
// each agent's rows (an index range scan), whatever the batch size.
const vanishedSQL = winnersCTE + `
DELETE FROM installations x USING w
WHERE x.agent_id = w.agent_id
  AND (x.agent_id, x.editor, x.extension_id) NOT IN (
      SELECT agent_id, editor, extension_id FROM unnest($3::uuid[], $4::text[], $5::text[]) AS k(agent_id, editor, extension_id))`

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

// currentStateArgs keeps, per agent, only the newest report of the batch
// (ties: the later received), sorted by agent id so concurrent batches lock
// verdict rows in one order.
func currentStateArgs(batch []application.StoredReport) (verdicts, installations []any) {
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
	var (
		vAgent, vGroup [][16]byte
		vAt            []time.Time
		vETag, vViol   []string
		vOK            []bool
		vInventory     []string
		iAgent, iGroup [][16]byte
		iEditor, iExt  []string
		iVersion, iSHA []*string
		iAt            []time.Time
	)
	for _, idx := range order {
		r := batch[idx]
		vAgent, vGroup = append(vAgent, r.AgentID), append(vGroup, r.GroupID)
		vAt, vETag = append(vAt, r.Report.ReportedAt()), append(vETag, r.PolicyETag)
		vOK, vViol = append(vOK, r.Verdict.Compliant), append(vViol, violationsJSON(r.Verdict.Violations))
		vInventory = append(vInventory, inventoryFingerprint(r))
		for _, it := range r.Report.InstalledItems() {
			iAgent, iGroup = append(iAgent, r.AgentID), append(iGroup, r.GroupID)
			iEditor, iExt = append(iEditor, string(it.Editor())), append(iExt, it.ExtensionID().String())
			iVersion, iSHA = append(iVersion, strPtr(it.Version())), append(iSHA, strPtr(it.SHA256()))
			iAt = append(iAt, r.Report.ReportedAt())
		}
	}
	return []any{vAgent, vGroup, vAt, vETag, vOK, vViol, vInventory},
		[]any{vAgent, vAt, iAgent, iEditor, iExt, iGroup, iVersion, iSHA, iAt}
}

// inventoryFingerprint identifies what a report's current-state rows would
// be: the group and every installed (editor, extension, version, digest),
// in a canonical order.
func inventoryFingerprint(r application.StoredReport) string {
	items := r.Report.InstalledItems()
	lines := make([]string, 0, len(items))
	for _, it := range items {
		lines = append(lines, string(it.Editor())+"\x00"+it.ExtensionID().String()+"\x00"+it.Version()+"\x00"+it.SHA256())
	}
	sort.Strings(lines)
	h := sha256.New()
	h.Write(r.GroupID[:])
	for _, l := range lines {
		h.Write([]byte(l))
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil))
}

func textOrNil(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func inetParam(ip string) any {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return nil
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen())
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
