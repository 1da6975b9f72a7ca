package application_test

import (
	"context"
	"testing"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
	"github.com/extguard/extguard/domain/blocklist"
)

type blocklistEnv struct {
	entries *blocklistInMemory
	events  *eventsInMemory
	inv     *invalidations
}

func newBlocklistEnv(es ...blocklist.Entry) blocklistEnv {
	return blocklistEnv{entries: newBlocklist(es...), events: &eventsInMemory{}, inv: &invalidations{}}
}

func (e blocklistEnv) create() application.CreateBlocklistEntry {
	return application.CreateBlocklistEntry{Tx: runInline{}, Blocklist: e.entries, Audit: e.events, Clock: fixedClock{}, Invalidator: e.inv}
}

func (e blocklistEnv) update() application.UpdateBlocklistEntry {
	return application.UpdateBlocklistEntry{Tx: runInline{}, Blocklist: e.entries, Audit: e.events, Clock: fixedClock{}, Invalidator: e.inv}
}

// refusedNothingWritten fails the test unless err is invalid and nothing
// was stored, audited or invalidated.
func (e blocklistEnv) refusedNothingWritten(t *testing.T, what string, err error) {
	t.Helper()
	if domain.CodeOf(err) != domain.CodeInvalid || len(fieldsOf(err)) == 0 {
		t.Fatalf("%s: %v, want invalid naming a field", what, err)
	}
	if e.entries.writes != 0 || len(e.events.events) != 0 || e.inv.all != 0 {
		t.Fatalf("%s was refused yet wrote %d rows, %d audit rows, %d invalidations", what, e.entries.writes, len(e.events.events), e.inv.all)
	}
}

// Patterns are validated and compiled when written, never at evaluation
// time: a regex that does not compile, an unknown type or an empty pattern
// is invalid and changes nothing. A good one is stored, audited and
// invalidates every group's policy (the blocklist applies everywhere).
func TestCreateBlocklistEntryValidatesThePattern(t *testing.T) {
	t.Parallel()
	for _, in := range []application.NewBlocklistInput{
		{PatternType: "regex", Pattern: "(unclosed", Reason: "r"},
		{PatternType: "wildcard", Pattern: "acme.*", Reason: "r"},
		{PatternType: "exact", Pattern: "", Reason: "r"},
	} {
		env := newBlocklistEnv()
		_, err := env.create().Execute(context.Background(), someAdmin, in)
		env.refusedNothingWritten(t, in.PatternType+" "+in.Pattern, err)
	}
	env := newBlocklistEnv()
	got, err := env.create().Execute(context.Background(), someAdmin, application.NewBlocklistInput{PatternType: "glob", Pattern: "evil.*", Reason: "malware"})
	if err != nil || !got.IsActive() {
		t.Fatalf("a good glob: %v, active %v (nil IsActive means active)", err, got.IsActive())
	}
	if env.entries.writes != 1 || len(env.events.ofType(audit.BlocklistCreated)) != 1 || env.inv.all != 1 {
		t.Fatalf("%d rows, %d audit rows, %d invalidations; want one of each", env.entries.writes, len(env.events.events), env.inv.all)
	}
}
