package application_test

import (
	"context"
	"testing"
	"time"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/agent"
	"github.com/extguard/extguard/domain/blocklist"
	"github.com/extguard/extguard/domain/group"
	"github.com/extguard/extguard/domain/policy"
	"github.com/extguard/extguard/domain/report"
)

type reportEnv struct {
	agent agent.Agent
	store *recordingStore
	uc    application.SubmitReport
}

// newReportEnv serves a blocklist-mode policy blocking evil.* to the
// agent's group and stores through a real batcher into memory.
func newReportEnv(t *testing.T) reportEnv {
	t.Helper()
	groupID := domain.NewID()
	settings, err := group.ParseSettings([]byte(`{"mode":"blocklist"}`))
	if err != nil {
		t.Fatal(err)
	}
	blocked := newBlock(t, string(blocklist.PatternGlob), "evil.*")
	p := policy.Compile(policy.CompileInput{GroupID: groupID, Settings: settings, Blocklist: []blocklist.Entry{blocked}})
	store := &recordingStore{}
	batcher := application.NewReportBatcher(store, nil, application.ReportBatchConfig{Queue: 10, MaxRows: 100, Committers: 1, Timeout: time.Second})
	t.Cleanup(batcher.Close)
	return reportEnv{agent: newAgent(t, groupID), store: store, uc: application.SubmitReport{
		Policies: policiesInMemory{groupID: {Policy: p, GeneratedAt: fixedClock{}.Now()}}, Batcher: batcher, Clock: fixedClock{}}}
}

func inventory(ids ...string) report.ReportParams {
	p := report.ReportParams{ReportedAt: fixedClock{}.Now().Add(-time.Minute)}
	for _, id := range ids {
		p.Items = append(p.Items, report.ItemParams{ExtensionID: id, Installed: true, Version: "1.0.0", Editor: "vscode"})
	}
	return p
}

// The report is judged against the agent's group's policy, and stored with
// that verdict, the policy's ETag, the agent's identity and the time it
// arrived, before the verdict is answered.
func TestSubmitReportJudgesAndStoresTheVerdict(t *testing.T) {
	t.Parallel()
	env := newReportEnv(t)
	v, err := env.uc.Execute(context.Background(), env.agent, inventory("good.tool", "evil.tool"), "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	if v.Compliant || len(v.Violations) != 1 || v.Violations[0].ExtensionID != "evil.tool" {
		t.Fatalf("verdict %+v, want one violation for evil.tool", v)
	}
	if len(env.store.batches) != 1 || len(env.store.batches[0]) != 1 {
		t.Fatalf("stored %v, want one batch of one report", env.store.batches)
	}
	got := env.store.batches[0][0]
	if got.AgentID != env.agent.ID() || got.GroupID != env.agent.GroupID() || got.UserHash != env.agent.UserHash() ||
		got.ClientIP != "192.0.2.1" || got.PolicyETag == "" || len(got.Verdict.Violations) != 1 || !got.ReceivedAt.Equal(fixedClock{}.Now()) {
		t.Fatalf("stored %+v; want the agent, its group, the policy's ETag, the verdict and the arrival time", got)
	}
}

// The documented errors: invalid fields, too many items (report.IsTooMany),
// forbidden when the agent's group is gone; none of them stores anything.
func TestSubmitReportErrors(t *testing.T) {
	t.Parallel()
	env := newReportEnv(t)
	ctx := context.Background()
	if _, err := env.uc.Execute(ctx, env.agent, inventory("Not An Id"), ""); domain.CodeOf(err) != domain.CodeInvalid {
		t.Fatalf("bad extension id: %v, want invalid", err)
	}
	many := make([]string, report.MaxItems+1)
	for i := range many {
		many[i] = "acme.tool"
	}
	if _, err := env.uc.Execute(ctx, env.agent, inventory(many...), ""); !report.IsTooMany(err) || domain.CodeOf(err) != domain.CodeInvalid {
		t.Fatalf("%d items: %v, want invalid, too many", len(many), err)
	}
	orphan := newAgent(t, domain.NewID())
	if _, err := env.uc.Execute(ctx, orphan, inventory("good.tool"), ""); domain.CodeOf(err) != domain.CodeForbidden {
		t.Fatalf("agent of a deleted group: %v, want forbidden", err)
	}
	if len(env.store.batches) != 0 {
		t.Fatalf("refused reports were stored: %v", env.store.batches)
	}
}
