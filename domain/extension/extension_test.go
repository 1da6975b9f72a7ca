package extension

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/extguard/extguard/domain"
)

func TestParseExtensionID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"ms-python.python", "ms-python.python", true},
		{"  MS-Python.Python ", "ms-python.python", true},
		{"a.b", "a.b", true},
		{"0pub.9-name", "0pub.9-name", true},
		{"", "", false},
		{"nodot", "", false},
		{"a.b.c", "", false},
		{"-a.b", "", false},
		{"a.-b", "", false},
		{".b", "", false},
		{"a.", "", false},
		{"a_b.c", "", false},
		{"a b.c", "", false},
		{"\u212Aevil.pack", "", false}, // Kelvin sign must not fold to k
		{strings.Repeat("a", 200) + "." + strings.Repeat("b", 55), strings.Repeat("a", 200) + "." + strings.Repeat("b", 55), true},
		{strings.Repeat("a", 200) + "." + strings.Repeat("b", 56), "", false},
	}
	for _, tt := range tests {
		got, err := ParseExtensionID(tt.in)
		if (err == nil) != tt.ok || string(got) != tt.want {
			t.Errorf("ParseExtensionID(%q) = %q, %v; want %q ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
		if err != nil && domain.CodeOf(err) != domain.CodeInvalid {
			t.Errorf("error code %v", domain.CodeOf(err))
		}
	}
	id := MustParseExtensionID("Evil.Pack")
	if id.Publisher() != "evil" || id.Name() != "pack" || id.String() != "evil.pack" {
		t.Fatalf("parts: %q %q", id.Publisher(), id.Name())
	}
}

func TestParsePublisher(t *testing.T) {
	t.Parallel()
	if p, err := ParsePublisher(" Evil "); err != nil || p != "evil" {
		t.Fatalf("%q %v", p, err)
	}
	for _, bad := range []string{"", "evil.pack", "-evil", "e vil"} {
		if _, err := ParsePublisher(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestValidVersion(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"1.2.3", "2024.2.1", "1.0.0-beta.1", "1.0.0+build-5"} {
		if !ValidVersion(v) {
			t.Errorf("%q refused", v)
		}
	}
	for _, v := range []string{"", "1.2", "v1.2.3", "1.2.3-", "1.2.3 ", "1.2.3-" + strings.Repeat("a", 60), "１.2.3"} {
		if ValidVersion(v) {
			t.Errorf("%q accepted", v)
		}
	}
}

// TestPinsRefuseBuildMetadata: a pin VS Code's AllowedExtensions could never
// match is refused with a field error saying why (issue 21).
func TestPinsRefuseBuildMetadata(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"1.4.0+build5", "1.0.0+build-5"} {
		_, err := NewEntry(EntryParams{ExtensionID: "a.b", PinnedVersion: v})
		var e *domain.Error
		if !errors.As(err, &e) || len(e.Fields) != 1 || e.Fields[0].Field != "pinned_version" || !strings.Contains(e.Fields[0].Message, "build metadata") {
			t.Errorf("pin %q: %v", v, err)
		}
	}
	if _, err := NewEntry(EntryParams{ExtensionID: "a.b", PinnedVersion: "1.0.0-beta.1"}); err != nil {
		t.Errorf("a pre-release pin: %v", err)
	}
}

const digest = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestNewEntry(t *testing.T) {
	t.Parallel()
	created := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC) // the caller's clock; the domain reads none
	e, err := NewEntry(EntryParams{ExtensionID: "MS-Python.Python", PinnedVersion: "2024.2.1",
		SHA256: strings.ToUpper(digest), MarketplaceURL: "https://marketplace.visualstudio.com/x", CreatedAt: created})
	if err != nil {
		t.Fatal(err)
	}
	if e.ExtensionID() != "ms-python.python" || e.Publisher() != "ms-python" || e.Name() != "python" ||
		e.SHA256() != digest || e.ID().IsZero() || !e.CreatedAt().Equal(created) || e.UpdatedAt() != e.CreatedAt() {
		t.Fatalf("entry: %+v", e)
	}
}

func TestNewEntryListsEveryBadField(t *testing.T) {
	t.Parallel()
	_, err := NewEntry(EntryParams{ExtensionID: "ms-python.python", Publisher: "other", PinnedVersion: "latest",
		SHA256: "abc", ContentSHA256: "xyz", MarketplaceURL: "file:///etc/passwd", Name: strings.Repeat("n", 256),
		IsBlocked: true, BlockReason: strings.Repeat("r", 1001)})
	e, ok := err.(*domain.Error)
	if !ok {
		t.Fatalf("want *domain.Error, got %T %v", err, err)
	}
	got := map[string]bool{}
	for _, f := range e.Fields {
		got[f.Field] = true
	}
	for _, f := range []string{"publisher", "name", "pinned_version", "sha256_checksum", "content_sha256", "marketplace_url", "block_reason"} {
		if !got[f] {
			t.Errorf("missing field error for %s in %v", f, e.Fields)
		}
	}
	for _, u := range []string{"https://user:token@gallery.example/x", "https://token@gallery.example/x"} {
		_, err := NewEntry(EntryParams{ExtensionID: "ms-python.python", MarketplaceURL: u})
		if e, ok := err.(*domain.Error); !ok || len(e.Fields) != 1 || e.Fields[0].Field != "marketplace_url" {
			t.Errorf("marketplace_url %q with user info: want one marketplace_url field error, got %v", u, err)
		}
	}
	if _, err := NewEntry(EntryParams{ExtensionID: "bad"}); err == nil {
		t.Fatal("bad id accepted")
	} else if e := err.(*domain.Error); e.Fields[0].Field != "extension_id" {
		t.Fatalf("field = %v", e.Fields)
	}
}

func TestEntryChanges(t *testing.T) {
	t.Parallel()
	e, _ := NewEntry(EntryParams{ExtensionID: "a.b", PinnedVersion: "1.0.0", SHA256: digest})
	e, err := e.RecordRevalidation(strings.ToUpper(digest), time.Unix(100, 0))
	if err != nil || e.ContentSHA256() != digest || e.RevalidatedAt().Unix() != 100 {
		t.Fatalf("revalidation: %v %v", e, err)
	}
	name := "Nice name"
	same, err := e.WithChanges(EntryPatch{Name: &name})
	if err != nil || same.ContentSHA256() != digest || same.Name() != name {
		t.Fatalf("name change lost digest: %v", err)
	}
	v := "1.1.0"
	bumped, err := same.WithChanges(EntryPatch{PinnedVersion: &v})
	if err != nil || bumped.ContentSHA256() != "" || !bumped.RevalidatedAt().IsZero() {
		t.Fatalf("version change must drop the content digest: %v", err)
	}
	bad := "x"
	if _, err := e.WithChanges(EntryPatch{PinnedVersion: &bad}); err == nil {
		t.Fatal("bad patch accepted")
	}
	blocked, err := e.Block("malware", time.Unix(200, 0))
	if err != nil || !blocked.IsBlocked() || blocked.BlockReason() != "malware" {
		t.Fatalf("block: %v", err)
	}
	if u := blocked.Unblock(time.Unix(300, 0)); u.IsBlocked() || u.BlockReason() != "" {
		t.Fatal("unblock")
	}
	if _, err := e.RecordRevalidation("nope", time.Now()); err == nil {
		t.Fatal("bad digest accepted")
	}
	newID := "c.d"
	moved, err := e.WithChanges(EntryPatch{ExtensionID: &newID})
	if err != nil || moved.Publisher() != "c" || moved.Name() != "d" {
		t.Fatalf("id change: %v %v", moved, err)
	}
}

func TestRehydrateEntry(t *testing.T) {
	t.Parallel()
	p := EntryParams{ID: domain.NewID(), ExtensionID: "a.b", Name: "b", Publisher: "a", IsBlocked: true, BlockReason: "x"}
	if got := RehydrateEntry(p).Params(); got != p {
		t.Fatalf("rehydrate: %+v", got)
	}
}

func FuzzParseExtensionID(f *testing.F) {
	for _, s := range []string{"ms-python.python", " A.B ", "a..b", "-a.b", "\u212Aevil.pack", "a.b.c", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseExtensionID(s)
		if err != nil {
			return
		}
		if len(id) > MaxIDLength || id.Publisher()+"."+id.Name() != id.String() {
			t.Fatalf("bad id %q from %q", id, s)
		}
		if again, err := ParseExtensionID(id.String()); err != nil || again != id {
			t.Fatalf("not idempotent: %q -> %q, %v", id, again, err)
		}
		if p, err := ParsePublisher(id.Publisher()); err != nil || p != id.Publisher() {
			t.Fatalf("publisher %q refused: %v", id.Publisher(), err)
		}
	})
}
