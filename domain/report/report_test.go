package report

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/extguard/extguard/domain"
)

var now = time.Date(2026, 11, 26, 17, 0, 0, 0, time.UTC)

const digest = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func fields(t *testing.T, err error) string {
	t.Helper()
	e, ok := err.(*domain.Error)
	if !ok {
		t.Fatalf("want *domain.Error, got %T %v", err, err)
	}
	var out []string
	for _, f := range e.Fields {
		out = append(out, f.Field)
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

func TestNewReport(t *testing.T) {
	t.Parallel()
	r, err := NewReport(ReportParams{ReportedAt: now.Add(-time.Minute), PolicyETag: `"p-1"`, Items: []ItemParams{
		{ExtensionID: "MS-Python.Python", Installed: true, Version: "2024.2.1", SHA256: strings.ToUpper(digest), Editor: "VSCode"},
		{ExtensionID: "evil.pack", Installed: false, Editor: "cursor"},
		{ExtensionID: "evil.pack", Installed: false, Version: "0.0.2", Editor: "cursor"},
		{ExtensionID: "ms-python.python", Installed: true, Version: "2024.2.1", Editor: "cursor"},
	}}, now)
	if err != nil {
		t.Fatal(err)
	}
	items := r.Items()
	if len(items) != 4 || items[0].ExtensionID() != "ms-python.python" || items[0].SHA256() != digest || items[0].Editor() != EditorVSCode {
		t.Fatalf("items: %+v", items)
	}
	if len(r.InstalledItems()) != 2 {
		t.Fatal("installed items")
	}
	// All walks the same items in the same order, without a copy, and
	// stops when asked.
	var walked []Item
	for it := range r.All() {
		walked = append(walked, it)
	}
	if r.Len() != 4 || !slices.Equal(walked, items) {
		t.Fatalf("Len %d, All %+v; want the 4 items %+v", r.Len(), walked, items)
	}
	for it := range r.All() {
		if it != items[0] {
			t.Fatalf("first item walked: %+v", it)
		}
		break
	}
}

func TestNewReportFieldErrors(t *testing.T) {
	t.Parallel()
	_, err := NewReport(ReportParams{ReportedAt: now.Add(10 * time.Minute), PolicyETag: strings.Repeat("e", 129), Items: []ItemParams{
		{ExtensionID: "ok.one", Installed: true, Version: "1.0.0", Editor: "vscode"},
		{ExtensionID: "bad", Installed: true, Version: "", Editor: "emacs", SHA256: "xyz"},
		{ExtensionID: "ok.two", Installed: true, Version: strings.Repeat("1", 65), Editor: "vscode"},
		{ExtensionID: "OK.ONE", Installed: true, Version: "2.0.0", Editor: "vscode"},
		{ExtensionID: "ok.one", Installed: true, Version: "1.0.0", Editor: "vscode"}, // exact repeat: collapsed
	}}, now)
	want := "extensions[1].editor,extensions[1].extension_id,extensions[1].sha256,extensions[1].version," +
		"extensions[2].version,extensions[3],policy_etag,reported_at"
	if got := fields(t, err); got != want {
		t.Fatalf("fields:\n got %s\nwant %s", got, want)
	}
	if IsTooMany(err) {
		t.Fatal("not a too-many error")
	}
}

func TestReportedAtWindow(t *testing.T) {
	t.Parallel()
	tests := []struct {
		at time.Time
		ok bool
	}{
		{now, true},
		{now.Add(5 * time.Minute), true},
		{now.Add(5*time.Minute + time.Second), false},
		{now.Add(-30 * 24 * time.Hour), true},
		{now.Add(-30*24*time.Hour - time.Second), false},
		{time.Time{}, false},
	}
	for _, tt := range tests {
		_, err := NewReport(ReportParams{ReportedAt: tt.at}, now)
		if (err == nil) != tt.ok {
			t.Errorf("reported_at %v: err %v", tt.at, err)
		}
	}
}

func TestTooMany(t *testing.T) {
	t.Parallel()
	items := make([]ItemParams, MaxItems+1)
	_, err := NewReport(ReportParams{ReportedAt: now, Items: items}, now)
	if !IsTooMany(err) || domain.CodeOf(err) != domain.CodeInvalid || fields(t, err) != "extensions" {
		t.Fatalf("err = %v", err)
	}
	if IsTooMany(fmt.Errorf("x")) || IsTooMany(nil) {
		t.Fatal("false positive")
	}
	items = items[:MaxItems]
	for i := range items {
		items[i] = ItemParams{ExtensionID: fmt.Sprintf("p.e%d", i), Installed: true, Version: "1.0.0", Editor: "vscode"}
	}
	if _, err := NewReport(ReportParams{ReportedAt: now, Items: items}, now); err != nil {
		t.Fatalf("exactly MaxItems refused: %v", err)
	}
}

func TestNewItem(t *testing.T) {
	t.Parallel()
	if _, err := NewItem(ItemParams{ExtensionID: "a.b", Installed: false, Editor: "unknown"}); err != nil {
		t.Fatalf("removed items need no version: %v", err)
	}
	if _, err := NewItem(ItemParams{ExtensionID: "a.b", Installed: true, Version: "1.0 beta", Editor: "vscode"}); err == nil {
		t.Fatal("version with space accepted")
	}
	for _, ed := range Editors {
		if _, err := ParseEditor(string(ed)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := ParseEditor(""); err == nil {
		t.Fatal("empty editor accepted")
	}
}
