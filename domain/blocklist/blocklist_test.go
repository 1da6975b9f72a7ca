package blocklist

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/extension"
)

func id(s string) extension.ExtensionID { return extension.MustParseExtensionID(s) }

func TestPatternMatches(t *testing.T) {
	t.Parallel()
	tests := []struct {
		typ     PatternType
		pattern string
		match   []string
		miss    []string
	}{
		{PatternExact, "Evil.Pack", []string{"evil.pack", "EVIL.PACK"}, []string{"evil.pack2", "evil.pac"}},
		{PatternPublisher, "EVIL", []string{"evil.pack", "evil.other"}, []string{"evilx.pack", "notevil.pack"}},
		{PatternGlob, "*.copilot*", []string{"github.copilot", "github.copilot-chat", "x.copilot"}, []string{"github.pilot", "copilot.x"}},
		{PatternGlob, "evil.?ack", []string{"evil.pack", "evil.back"}, []string{"evil.ack", "evil.paack"}},
		{PatternGlob, "*", []string{"a.b"}, nil},
		{PatternGlob, "a.b", []string{"a.b"}, []string{"a.bb"}},
		{PatternGlob, "*a*a*a*a*a*b", []string{"aaaaaaa.aaab"}, []string{strings.Repeat("a", 60) + "." + strings.Repeat("a", 60)}},
		{PatternRegex, `evil\..*`, []string{"evil.pack", "EVIL.x"}, []string{"notevil.pack", "x.evil"}},
		{PatternRegex, `pack`, nil, []string{"evil.pack"}}, // anchored: no substring matches
		{PatternRegex, `a|b\.c`, []string{"b.c"}, []string{"a.c", "ab.c"}},
	}
	for _, tt := range tests {
		p, err := NewPattern(tt.typ, tt.pattern)
		if err != nil {
			t.Fatalf("%s %q: %v", tt.typ, tt.pattern, err)
		}
		for _, m := range tt.match {
			if !p.Matches(id(m)) {
				t.Errorf("%s %q should match %s", tt.typ, tt.pattern, m)
			}
		}
		for _, m := range tt.miss {
			if p.Matches(id(m)) {
				t.Errorf("%s %q should not match %s", tt.typ, tt.pattern, m)
			}
		}
	}
}

func TestPatternValidation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		typ     PatternType
		pattern string
	}{
		{PatternExact, "evil"},
		{PatternExact, "evil.*"},
		{PatternPublisher, "evil.pack"},
		{PatternPublisher, ""},
		{PatternGlob, ""},
		{PatternGlob, "evil/pack"},
		{PatternGlob, "evil.[ab]"},
		{PatternGlob, strings.Repeat("a", 257)},
		{PatternRegex, ""},
		{PatternRegex, "("},
		{PatternRegex, `a)|(b`}, // would escape the anchoring group
		{PatternRegex, `(?P<x`},
		{PatternRegex, `\1`},
		{PatternRegex, strings.Repeat("a", 513)},
		{PatternRegex, `a{1001}`},
		{PatternRegex, `((a{100}){100}){100}`},
		{PatternRegex, `[a-z]{1000}[a-z]{1000}[a-z]{1000}[a-z]{1000}[a-z]{1000}[a-z]{1000}[a-z]{1000}[a-z]{1000}[a-z]{1000}[a-z]{1000}[a-z]{1000}`},
		{"wildcard", "x"},
	}
	for _, tt := range tests {
		_, err := NewPattern(tt.typ, tt.pattern)
		if domain.CodeOf(err) != domain.CodeInvalid {
			t.Errorf("%s %.40q: err = %v, want invalid", tt.typ, tt.pattern, err)
			continue
		}
		if f := err.(*domain.Error).Fields; len(f) == 0 || (f[0].Field != "pattern" && f[0].Field != "pattern_type") {
			t.Errorf("%s %q: fields %v", tt.typ, tt.pattern, f)
		}
	}
}

// A pattern that backtracks exponentially in PCRE is linear in RE2.
func TestCatastrophicLookingRegexIsLinear(t *testing.T) {
	t.Parallel()
	p, err := NewPattern(PatternRegex, `(a+)+b`)
	if err != nil {
		t.Fatal(err)
	}
	subject := id(strings.Repeat("a", 120) + "." + strings.Repeat("a", 120))
	start := time.Now()
	for i := 0; i < 100; i++ {
		if p.Matches(subject) {
			t.Fatal("should not match")
		}
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("took %v", d)
	}
}

func TestEntry(t *testing.T) {
	t.Parallel()
	e, err := NewEntry(EntryParams{PatternType: "publisher", Pattern: "Evil", Reason: " malware, advisory 2026-11 "})
	if err != nil {
		t.Fatal(err)
	}
	if !e.IsActive() || e.ID().IsZero() || !e.Matches(id("evil.pack")) || e.Matches(id("good.pack")) {
		t.Fatalf("entry: %+v", e)
	}
	if got := e.Describe(); got != "publisher evil: malware, advisory 2026-11" {
		t.Fatalf("Describe = %q", got)
	}
	off := false
	inactive, err := e.WithChanges(EntryPatch{IsActive: &off})
	if err != nil || inactive.Matches(id("evil.pack")) {
		t.Fatalf("inactive entries match nothing: %v", err)
	}
	glob := "glob"
	if _, err := e.WithChanges(EntryPatch{PatternType: &glob}); err != nil {
		t.Fatalf("evil is a valid glob too: %v", err)
	}
	regex, bad := "regex", "("
	if _, err := e.WithChanges(EntryPatch{PatternType: &regex, Pattern: &bad}); err == nil {
		t.Fatal("bad regex patch accepted")
	}
	_, err = NewEntry(EntryParams{PatternType: "regex", Pattern: "(", Reason: strings.Repeat("r", 1001)})
	if f := err.(*domain.Error).Fields; len(f) != 2 {
		t.Fatalf("want pattern and reason errors, got %v", f)
	}
}

func TestRehydrateEntry(t *testing.T) {
	t.Parallel()
	on := true
	e, err := RehydrateEntry(EntryParams{ID: domain.NewID(), PatternType: "regex", Pattern: `evil\..*`, IsActive: &on})
	if err != nil || !e.Matches(id("evil.x")) {
		t.Fatalf("%v", err)
	}
	if _, err := RehydrateEntry(EntryParams{PatternType: "regex", Pattern: "("}); domain.CodeOf(err) != domain.CodeInternal {
		t.Fatalf("broken stored regex: %v", err)
	}
	if _, err := RehydrateEntry(EntryParams{PatternType: "nope", Pattern: "x"}); err == nil {
		t.Fatal("unknown stored type accepted")
	}
}

// FuzzPattern checks that creating and matching never panics, and that
// globs agree with an equivalent regexp.
func FuzzPattern(f *testing.F) {
	f.Add("glob", "*.copilot*", "github.copilot-chat")
	f.Add("glob", "e?il.*", "evil.pack")
	f.Add("glob", "**a**", "a.b")
	f.Add("regex", `(a+)+b`, "aaaa.aaaa")
	f.Add("regex", `evil\..*`, "evil.pack")
	f.Add("regex", `a)|(b`, "a.b")
	f.Add("exact", "evil.pack", "evil.pack")
	f.Add("publisher", "evil", "evil.pack")
	f.Fuzz(func(t *testing.T, typ, pattern, subject string) {
		p, err := NewPattern(PatternType(typ), pattern)
		if err != nil {
			if domain.CodeOf(err) != domain.CodeInvalid {
				t.Fatalf("error code %v", domain.CodeOf(err))
			}
			return
		}
		sid, err := extension.ParseExtensionID(subject)
		if err != nil {
			return
		}
		got := p.Matches(sid)
		if p.Type() == PatternGlob {
			re := regexp.MustCompile("^" + strings.NewReplacer(`\*`, ".*", `\?`, ".").Replace(regexp.QuoteMeta(p.String())) + "$")
			if want := re.MatchString(sid.String()); got != want {
				t.Fatalf("glob %q on %q: %v, regexp says %v", p, sid, got, want)
			}
		}
		if r, err := RestorePattern(p.Type(), p.String()); err != nil || r.Matches(sid) != got {
			t.Fatalf("restored pattern disagrees: %v", err)
		}
	})
}
