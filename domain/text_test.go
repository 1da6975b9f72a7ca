package domain_test

import (
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/agent"
	"github.com/extguard/extguard/domain/apikey"
	"github.com/extguard/extguard/domain/blocklist"
	"github.com/extguard/extguard/domain/extension"
	"github.com/extguard/extguard/domain/group"
	"github.com/extguard/extguard/domain/report"
	"github.com/extguard/extguard/domain/user"
	"github.com/extguard/extguard/domain/webhook"
)

// hostileText are characters free text may not hold, each hidden inside
// otherwise ordinary text.
var hostileText = map[string]string{
	"zero-width space":    "ad\u200bmin",
	"zero-width joiner":   "ad\u200dmin",
	"right-to-left":       "ad\u202emin",
	"isolate":             "ad\u2066min",
	"byte order mark":     "\ufeffadmin",
	"soft hyphen (Cf)":    "ad\u00admin",
	"tag character (Cf)":  "admin\U000E0041",
	"CR LF":               "ad\r\nmin",
	"LF":                  "ad\nmin",
	"tab":                 "ad\tmin",
	"NUL":                 "ad\x00min",
	"DEL":                 "ad\x7fmin",
	"C1 next line":        "ad\u0085min",
	"line separator":      "ad\u2028min",
	"invalid UTF-8":       "ad\xffmin",
	"replacement char":    "ad\ufffdmin",
	"paragraph separator": "ad\u2029min",
}

// textFields builds, for every free-text field of every domain constructor,
// a valid value of the entity with that one field set to s.
func textFields(t *testing.T) map[string]func(s string) error {
	secret, err := apikey.GenerateSecret(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	hash := strings.Repeat("a", 64)
	g := func(name, desc string) error {
		_, err := group.NewGroup(group.GroupParams{Name: name, Description: desc})
		return err
	}
	cat := func(p extension.EntryParams) error {
		p.ExtensionID = "ms-python.python"
		_, err := extension.NewEntry(p)
		return err
	}
	bl := func(typ, pattern, reason string) error {
		_, err := blocklist.NewEntry(blocklist.EntryParams{PatternType: typ, Pattern: pattern, Reason: reason})
		return err
	}
	u := func(email, name string) error {
		_, err := user.NewUser(user.UserParams{Email: email, DisplayName: name, Role: "admin", PasswordHash: "h"})
		return err
	}
	hook := func(url, desc string) error {
		_, err := webhook.NewEndpoint(webhook.EndpointParams{URL: url, Description: desc, Secret: "whsec_x"})
		return err
	}
	enroll := func(machine, name string) error {
		_, err := agent.NewAgent(agent.EnrollParams{GroupID: domain.NewID(), MachineID: machine, UserHash: hash,
			DisplayName: name, Platform: "linux-x64", AgentVersion: "1.0.0"})
		return err
	}
	rep := func(etag, version string) error {
		_, err := report.NewReport(report.ReportParams{ReportedAt: now, PolicyETag: etag, Items: []report.ItemParams{
			{ExtensionID: "a.b", Installed: true, Version: version, Editor: "vscode"}}}, now)
		return err
	}
	return map[string]func(string) error{
		"group name":                   func(s string) error { return g(s, "") },
		"group description":            func(s string) error { return g("g", s) },
		"catalog name":                 func(s string) error { return cat(extension.EntryParams{Name: s}) },
		"catalog block_reason":         func(s string) error { return cat(extension.EntryParams{IsBlocked: true, BlockReason: s}) },
		"catalog marketplace_url":      func(s string) error { return cat(extension.EntryParams{MarketplaceURL: "https://x.example/" + s}) },
		"blocklist regex pattern":      func(s string) error { return bl("regex", s, "") },
		"blocklist reason":             func(s string) error { return bl("exact", "a.b", s) },
		"user email":                   func(s string) error { return u(s+"@example.com", "") },
		"user display_name":            func(s string) error { return u("a@example.com", s) },
		"webhook url":                  func(s string) error { return hook("https://x.example/"+s, "") },
		"webhook description":          func(s string) error { return hook("https://x.example/", s) },
		"agent machine_id":             func(s string) error { return enroll(s, "") },
		"agent display_name":           func(s string) error { return enroll("m", s) },
		"report policy_etag":           func(s string) error { return rep(s, "1.0.0") },
		"report extensions[0].version": func(s string) error { return rep("", "1.0."+s) },
		"API key name": func(s string) error {
			_, err := apikey.NewKey(apikey.KeyParams{GroupID: domain.NewID(), Secret: secret, Name: s, Scopes: []string{"agent"}})
			return err
		},
	}
}

// fieldFor is the last word of a test field's label, the JSON field name.
func fieldFor(label string) string {
	if strings.HasSuffix(label, "pattern") {
		return "pattern"
	}
	return label[strings.LastIndexByte(label, ' ')+1:]
}

func TestFreeTextRefusesControlAndInvisibleCharacters(t *testing.T) {
	t.Parallel()
	for label, build := range textFields(t) {
		if err := build("admin"); err != nil {
			t.Fatalf("%s: clean text refused: %v", label, err)
		}
		for what, s := range hostileText {
			err := build(s)
			var de *domain.Error
			if !errors.As(err, &de) || de.Code != domain.CodeInvalid {
				t.Errorf("%s with %s: want invalid, got %v", label, what, err)
				continue
			}
			named := false
			for _, f := range de.Fields {
				named = named || f.Field == fieldFor(label)
			}
			if !named {
				t.Errorf("%s with %s: error does not name %q: %v", label, what, fieldFor(label), err)
			}
		}
	}
}

func TestFreeTextKeepsVisibleUnicode(t *testing.T) {
	t.Parallel()
	build := textFields(t)
	for _, s := range []string{"Équipe données", "開発チーム", "δοκιμή", "x<&>\"'[]\\", "👩🏽 team"} {
		if err := build["group name"](s); err != nil {
			t.Errorf("%q refused: %v", s, err)
		}
	}
}

func TestCheckTextNamesTheCharacter(t *testing.T) {
	t.Parallel()
	var fe domain.FieldErrors
	if fe.CheckText("name", "ad\u200bmin") {
		t.Fatal("zero-width space accepted")
	}
	err := fe.Err("bad")
	if !strings.Contains(err.Error(), "U+200B at character 3") {
		t.Fatalf("message does not say which character: %v", err)
	}
}

// TestStoredTextIsKeptWhenAnotherFieldChanges: rows written before the rule
// (multi-line reasons and descriptions were allowed) can still be disabled,
// blocked by revalidation or edited in their other fields; only text
// written now is judged.
func TestStoredTextIsKeptWhenAnotherFieldChanges(t *testing.T) {
	t.Parallel()
	off := false
	created, now := time.Unix(1, 0), time.Unix(2, 0) // a stored row and the change
	rule, err := blocklist.RehydrateEntry(blocklist.EntryParams{ID: domain.NewID(), PatternType: "regex",
		Pattern: "x\\Q\r\n[HKEY_LOCAL_MACHINE\\x]\\E", Reason: "line1\nline2", CreatedAt: created})
	if err != nil {
		t.Fatal(err)
	}
	if next, err := rule.WithChanges(blocklist.EntryPatch{IsActive: &off, At: now}); err != nil || next.IsActive() || next.Reason() != rule.Reason() {
		t.Fatalf("a stored hostile regex cannot be deactivated: %v", err)
	}
	hook := webhook.RehydrateEndpoint(webhook.EndpointParams{ID: domain.NewID(), URL: "https://x.example/\u200b",
		Description: "line1\nline2", Secret: "whsec_x", CreatedAt: created})
	if _, err := hook.WithChanges(webhook.EndpointPatch{IsEnabled: &off, At: now}); err != nil {
		t.Fatalf("a stored webhook cannot be disabled: %v", err)
	}
	entry := extension.RehydrateEntry(extension.EntryParams{ID: domain.NewID(), ExtensionID: "a.b", Name: "ad\u200bmin",
		IsBlocked: true, BlockReason: "line1\nline2", CreatedAt: created})
	if _, err := entry.Block("checksum mismatch", now); err != nil {
		t.Fatalf("revalidation cannot block a stored entry: %v", err)
	}
	for label, err := range map[string]error{
		"blocklist reason": func() error {
			_, err := rule.WithChanges(blocklist.EntryPatch{Reason: ptr("new\u200b"), At: now})
			return err
		}(),
		"blocklist pattern": func() error {
			_, err := rule.WithChanges(blocklist.EntryPatch{Pattern: ptr("x\ny"), At: now})
			return err
		}(),
		"webhook description": func() error {
			_, err := hook.WithChanges(webhook.EndpointPatch{Description: ptr("a\rb"), At: now})
			return err
		}(),
		"catalog name": func() error {
			_, err := entry.WithChanges(extension.EntryPatch{Name: ptr("ad\u200dmin"), At: now})
			return err
		}(),
	} {
		if err == nil {
			t.Errorf("%s: new hostile text accepted in a patch", label)
		}
	}
}

func ptr[T any](v T) *T { return &v }

func TestIsPrintableIsTheSameRule(t *testing.T) {
	t.Parallel()
	for what, s := range hostileText {
		if domain.IsPrintable(s) {
			t.Errorf("IsPrintable accepts %s", what)
		}
	}
	if !domain.IsPrintable(`Équipe "]]><&[\`) {
		t.Error("IsPrintable refuses visible text")
	}
}
