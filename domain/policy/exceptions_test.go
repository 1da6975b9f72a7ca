package policy

import (
	"testing"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/blocklist"
	"github.com/extguard/extguard/domain/extension"
	"github.com/extguard/extguard/domain/report"
)

func TestWithExceptions(t *testing.T) {
	t.Parallel()
	base := Policy{GroupID: domain.NewID(), Mode: "allowlist", Enforcement: "enforce", ETag: `"p-base"`,
		Allowed: []Allowance{{ExtensionID: "ok.one", Version: "1.0.0"}},
		Blocked: []BlockRule{{PatternType: blocklist.PatternPublisher, Pattern: "evil", Reason: "malware"}}}
	if got := base.WithExceptions(nil); got.ETag != base.ETag || len(got.Allowed) != 1 {
		t.Fatalf("no exceptions changed the policy: %+v", got)
	}
	p := base.WithExceptions([]Exception{{ExtensionID: "dev.tool"}, {ExtensionID: "evil.thing"}, {ExtensionID: "ok.one", Version: "9.9.9"}})
	if p.ETag == base.ETag {
		t.Fatal("ETag unchanged by an exception")
	}
	if len(p.Allowed) != 2 || p.Allowed[0].ExtensionID != "dev.tool" || p.Allowed[1].Version != "1.0.0" {
		t.Fatalf("allowed %+v: want dev.tool added, the group's pin of ok.one kept, evil.thing left out", p.Allowed)
	}
	if len(base.Allowed) != 1 {
		t.Fatal("the group's policy was changed in place")
	}
	item := func(id string) report.Item {
		it, err := report.NewItem(report.ItemParams{ExtensionID: id, Installed: true, Version: "1.0.0", Editor: "vscode"})
		if err != nil {
			t.Fatal(err)
		}
		return it
	}
	if v := p.Evaluate([]report.Item{item("dev.tool")}); !v.Compliant {
		t.Fatalf("excepted extension not compliant: %+v", v)
	}
	if v := base.Evaluate([]report.Item{item("dev.tool")}); v.Compliant {
		t.Fatal("the group's policy allows the exception's extension")
	}
	if v := p.Evaluate([]report.Item{item("evil.thing")}); v.Compliant {
		t.Fatal("an exception unblocked a blocked extension")
	}
	if r, ok := p.Blocks(extension.MustParseExtensionID("evil.thing")); !ok || r.Reason != "malware" {
		t.Fatalf("Blocks = %+v %v", r, ok)
	}
	again := base.WithExceptions([]Exception{{ExtensionID: "dev.tool"}})
	if again.ETag != base.WithExceptions([]Exception{{ExtensionID: "dev.tool"}, {ExtensionID: "evil.thing"}}).ETag {
		t.Fatal("a blocked exception changed the ETag")
	}
}
