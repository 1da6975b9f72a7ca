package postgres_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/extguard/extguard/adapters/postgres"
	"github.com/extguard/extguard/adapters/postgres/pgtest"
	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
	"github.com/extguard/extguard/domain/blocklist"
	"github.com/extguard/extguard/domain/extension"
	"github.com/extguard/extguard/domain/group"
)

// policyUseCases assembles plan and apply on db as the server does.
func policyUseCases(db *bun.DB) (application.PlanPolicy, application.ApplyPolicy) {
	installations := postgres.NewInstallationReader(db)
	impact := application.BlockImpact{Installations: installations}
	groups := postgres.NewGroupRepository(db)
	clock := application.SystemClock{}
	plan := application.PlanPolicy{Store: postgres.NewPolicyStore(db), Groups: groups, Clock: clock, Impact: impact,
		Verdicts: application.PolicyImpact{Inputs: postgres.NewPolicyInputs(db), Inventory: postgres.NewVerdictInventory(db),
			Exceptions: postgres.NewExceptionRepository(db), Select: impact, Clock: clock}}
	apply := application.ApplyPolicy{Tx: postgres.NewTxRunner(db), Store: postgres.NewPolicyStore(db), Groups: groups,
		Catalog: postgres.NewCatalogRepository(db), Assignments: postgres.NewAssignmentRepository(db), Blocklist: postgres.NewBlocklistRepository(db),
		Keys: postgres.NewAPIKeyRepository(db), Audit: postgres.NewAuditLog(db), Clock: clock}
	return plan, apply
}

// BenchmarkPolicyPlanApply: plan and apply of a 200-entry policy file at
// 100,000 agents × 50 extensions, each <= 2 s (issue 21). Half the groups
// are turned blocklist + enforce first, so their agents are compliant and a
// block flips them: the verdict impact then evaluates tens of thousands of
// whole inventories.
//   - plan: 200 blocks of installed extensions, one of them on 3 agents in 5;
//     the stored verdicts were judged against no known policy, so every
//     flipped agent's whole inventory is read (the worst case);
//   - plan-reported: the same once every agent's stored verdict is of its
//     current policy (steady state): no inventory is read whole;
//   - plan-mixed: 150 blocks, 20 catalog entries, 20 assignments (required
//     in the blocklist groups: required installs), and 10 groups' settings,
//     one of which changes its mode (its whole inventory is judged);
//   - apply: 200 new entries and their 200 audit rows in one transaction.
func BenchmarkPolicyPlanApply(b *testing.B) {
	f := benchFleet(b)
	db := pgtest.DB(b)
	ctx := context.Background()
	names := make([]string, len(f.GroupIDs))
	for i, id := range f.GroupIDs {
		settings := `{}`
		if i%2 == 0 {
			settings = `{"mode":"blocklist","enforcement":"enforce"}`
		}
		if err := db.NewRaw(`UPDATE groups SET settings = ?::jsonb WHERE id = ? RETURNING name`, settings, id).Scan(ctx, &names[i]); err != nil {
			b.Fatal(err)
		}
	}
	plan, apply := policyUseCases(db)
	tag := strings.TrimSuffix(strings.TrimPrefix(f.Rare, "evil-"), ".pack")
	installedExt := func(n int) string { return "pub" + strconv.Itoa(n%97) + "-" + tag + ".ext" + strconv.Itoa(n) }
	blocks := func(n int) []blocklist.Entry {
		out := []blocklist.Entry{benchBlock(b, f.Common)}
		for i := 0; len(out) < n; i++ {
			out = append(out, benchBlock(b, installedExt(i)))
		}
		return out
	}
	blocked := application.PolicyFile{Sections: application.PolicySections{Blocklist: true}, Blocklist: blocks(200)}
	b.Run("plan", func(b *testing.B) {
		measure(b, func() error {
			p, err := plan.Execute(ctx, blocked, false)
			if err == nil && (len(p.Changes) != 200 || p.Verdicts.TurnNonCompliant == 0 || p.Verdicts.Uninstalls == 0) {
				b.Fatalf("%d changes, %d turn non-compliant, %d uninstalls", len(p.Changes), p.Verdicts.TurnNonCompliant, p.Verdicts.Uninstalls)
			}
			return err
		})
	})
	// Every agent reported under its group's current policy, as in steady
	// state: the flipped agents are settled from their stored verdicts.
	view := application.ViewGroupPolicy{Inputs: postgres.NewPolicyInputs(db)}
	for i, id := range f.GroupIDs {
		p, err := view.Execute(ctx, domain.ID(id))
		if err != nil {
			b.Fatal(err)
		}
		q := `UPDATE agent_verdicts SET policy_etag = ? WHERE group_id = ?`
		if i%2 == 0 { // a blocklist group without blocks: its agents are compliant
			q = `UPDATE agent_verdicts SET policy_etag = ?, compliant = true, violations = '[]' WHERE group_id = ?`
		}
		if _, err := db.ExecContext(ctx, q, p.ETag, id); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("plan-reported", func(b *testing.B) {
		measure(b, func() error {
			p, err := plan.Execute(ctx, blocked, false)
			if err == nil && (len(p.Changes) != 200 || p.Verdicts.TurnNonCompliant == 0) {
				b.Fatalf("%d changes, %d turn non-compliant", len(p.Changes), p.Verdicts.TurnNonCompliant)
			}
			return err
		})
	})
	mixed := application.PolicyFile{Sections: application.AllSections, Blocklist: blocks(150)}
	for i := range 10 {
		s := group.DefaultSettings()
		if i%2 == 0 {
			s, _ = group.NewSettings(group.ModeBlocklist, group.EnforcementEnforce, 0, 0, 0)
		}
		if i == 1 {
			s, _ = group.NewSettings(group.ModeBlocklist, "", 0, 0, 0) // an allowlist group turns blocklist
		}
		mixed.Groups = append(mixed.Groups, application.PolicyGroup{Name: names[i], Settings: s})
	}
	for i := range 20 {
		id := installedExt(1000 + i)
		e, err := extension.NewEntry(extension.EntryParams{ExtensionID: id, PinnedVersion: "1.0.0"})
		if err != nil {
			b.Fatal(err)
		}
		mixed.Catalog = append(mixed.Catalog, e)
		mixed.Assignments = append(mixed.Assignments, application.PolicyAssignment{Group: names[(i%5)*2], ExtensionID: e.ExtensionID(), Required: true})
	}
	b.Run("plan-mixed", func(b *testing.B) {
		measure(b, func() error {
			p, err := plan.Execute(ctx, mixed, false)
			if err == nil && (len(p.Changes) < 190 || p.Verdicts.RequiredInstalls == 0 || p.Verdicts.TurnNonCompliant == 0) {
				b.Fatalf("%d changes, %d required installs, %d turn non-compliant", len(p.Changes), p.Verdicts.RequiredInstalls, p.Verdicts.TurnNonCompliant)
			}
			return err
		})
	})
	// Each round applies 200 new entries at the revision of a plan of the
	// same file (a revision names the file it planned); the plan is not timed.
	round := 0
	var file application.PolicyFile
	var revision string
	b.Run("apply", func(b *testing.B) {
		measureAfter(b, func() error {
			round++
			file = application.PolicyFile{Sections: application.PolicySections{Blocklist: true}}
			for n := range 200 {
				file.Blocklist = append(file.Blocklist, benchBlock(b, "bench-"+tag+"-"+strconv.Itoa(round)+".x"+strconv.Itoa(n)))
			}
			p, err := plan.Execute(ctx, file, false)
			revision = p.Revision
			return err
		}, func() error {
			done, err := apply.Execute(ctx, audit.SystemActor(), file, false, revision)
			if err == nil && len(done.Changes) != 200 {
				b.Fatalf("%d changes applied", len(done.Changes))
			}
			return err
		})
	})
	// A threat feed of 2,000 advisories (ids no agent has, and a glob on
	// the rare extension) changes every group's policy, so no stored
	// verdict is current: the worst case again, with every advisory among
	// the suspects of the agents the blocks may flip.
	seedAdvisories(b, db, tag, 2000)
	b.Run("plan-feed", func(b *testing.B) {
		measure(b, func() error {
			p, err := plan.Execute(ctx, blocked, false)
			if err == nil && (len(p.Changes) != 200 || p.Verdicts.TurnNonCompliant == 0) {
				b.Fatalf("%d changes, %d turn non-compliant", len(p.Changes), p.Verdicts.TurnNonCompliant)
			}
			return err
		})
	})
}

// seedAdvisories adds an alert-mode feed of n exact advisories of ids no
// agent has and one glob on the fleet's rare extension.
func seedAdvisories(b *testing.B, db *bun.DB, tag string, n int) {
	b.Helper()
	ctx := context.Background()
	feed := uuid.Must(uuid.NewV7())
	if _, err := db.ExecContext(ctx, `INSERT INTO threat_feeds (id, name, kind, mode, interval_s, created_at, updated_at)
VALUES (?, ?, 'extguard', 'alert', 3600, now(), now())`, feed, "bench feed "+tag); err != nil {
		b.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO feed_advisories (feed_id, pattern_type, pattern, severity, reason, first_seen_at)
SELECT ?::uuid, 'exact', 'malware-' || ? || '.x' || g, 'high', 'bench', now() FROM generate_series(1, ?) g
UNION ALL SELECT ?::uuid, 'glob', 'evil-' || ? || '.*', 'critical', 'bench', now()`, feed, tag, n, feed, tag); err != nil {
		b.Fatal(err)
	}
}

func benchBlock(b *testing.B, id string) blocklist.Entry {
	e, err := blocklist.NewEntry(blocklist.EntryParams{PatternType: "exact", Pattern: id, Reason: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	return e
}
