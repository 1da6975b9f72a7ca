package report_test

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/report"
)

func TestReportKeepsTheInstalledNativePolicy(t *testing.T) {
	now := time.Now()
	digest := strings.Repeat("AB", 32)
	r, err := report.NewReport(report.ReportParams{ReportedAt: now, NativePolicy: &report.NativePolicyParams{
		Present: true, Source: "/etc/vscode/policy.json", SHA256: digest, AllowedExtensionsSHA256: strings.Repeat("0", 64)}}, now)
	if err != nil {
		t.Fatal(err)
	}
	n, ok := r.NativePolicy()
	if !ok || !n.Present() || n.SHA256() != strings.ToLower(digest) || n.Source() != "/etc/vscode/policy.json" || n.AllowedExtensionsSHA256() != strings.Repeat("0", 64) {
		t.Fatalf("%+v %v", n, ok)
	}
	if r, err := report.NewReport(report.ReportParams{ReportedAt: now}, now); err != nil {
		t.Fatal(err)
	} else if _, ok := r.NativePolicy(); ok {
		t.Error("an agent that said nothing must not get a native policy")
	}
}

func TestLongNativePolicyErrorIsCutBetweenCharacters(t *testing.T) {
	now := time.Now()
	r, err := report.NewReport(report.ReportParams{ReportedAt: now, NativePolicy: &report.NativePolicyParams{
		Source: "/etc/vscode/policy.json", Error: "x" + strings.Repeat("é", 600)}}, now)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := r.NativePolicy(); len(n.Error()) > 512 || len(n.Error()) < 500 || !utf8.ValidString(n.Error()) {
		t.Fatalf("error kept as %d bytes, valid %v", len(n.Error()), utf8.ValidString(n.Error()))
	}
}

func TestInvalidNativePolicyNamesTheField(t *testing.T) {
	now := time.Now()
	for want, p := range map[string]report.NativePolicyParams{
		"native_policy.sha256":                    {Present: true, SHA256: "xyz"},
		"native_policy.allowed_extensions_sha256": {Present: false, AllowedExtensionsSHA256: strings.Repeat("a", 64)},
		"native_policy.source":                    {Source: strings.Repeat("x", 513)},
	} {
		_, err := report.NewReport(report.ReportParams{ReportedAt: now, NativePolicy: &p}, now)
		var e *domain.Error
		if !errors.As(err, &e) || len(e.Fields) != 1 || e.Fields[0].Field != want {
			t.Errorf("%s: %v", want, err)
		}
	}
}

// TestEveryEditorTheAgentFindsIsAccepted: the editors and remote servers added with the wider
// family (docs/agent-editors.md) are valid report editors.
func TestEveryEditorTheAgentFindsIsAccepted(t *testing.T) {
	for _, e := range []string{"vscode", "vscode-insiders", "vscodium", "cursor", "windsurf", "devin", "trae", "positron", "kiro",
		"antigravity", "code-server", "vscode-server", "vscodium-server", "cursor-server", "windsurf-server", "trae-server", "kiro-server"} {
		if _, err := report.ParseEditor(e); err != nil {
			t.Errorf("%s: %v", e, err)
		}
	}
	if _, err := report.ParseEditor("notepad"); err == nil {
		t.Error("an unknown editor must be refused")
	}
}
