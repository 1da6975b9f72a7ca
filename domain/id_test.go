package domain

import (
	"strings"
	"testing"
)

func TestNewIDIsVersion7AndOrdered(t *testing.T) {
	t.Parallel()
	prev := NewID()
	for i := 0; i < 100; i++ {
		id := NewID()
		if id[6]>>4 != 7 || id[8]>>6 != 2 {
			t.Fatalf("%s: not a v7/RFC 9562 UUID", id)
		}
		if id == prev {
			t.Fatal("duplicate id")
		}
		if strings.Compare(id.String()[:13], prev.String()[:13]) < 0 {
			t.Fatalf("ids go back in time: %s after %s", id, prev)
		}
		prev = id
	}
}

func TestParseID(t *testing.T) {
	t.Parallel()
	id := NewID()
	got, err := ParseID(strings.ToUpper(id.String()))
	if err != nil || got != id {
		t.Fatalf("round trip: %v %v", got, err)
	}
	for _, bad := range []string{"", "nope", id.String()[:35], id.String() + "0",
		strings.Replace(id.String(), "-", "x", 1), "0190a5e4-7c1b-7d2e-9f00-1a2b3c4d5e6g", "{0190a5e4-7c1b-7d2e-9f00-1a2b3c4d5e6f}"} {
		if _, err := ParseID(bad); CodeOf(err) != CodeInvalid {
			t.Errorf("ParseID(%q) err = %v, want invalid", bad, err)
		}
	}
	if !NilID.IsZero() || id.IsZero() {
		t.Fatal("IsZero")
	}
	if MustParseID("00000000-0000-0000-0000-000000000000") != NilID {
		t.Fatal("nil uuid")
	}
}

func TestIDText(t *testing.T) {
	t.Parallel()
	id := NewID()
	b, _ := id.MarshalText()
	var back ID
	if err := back.UnmarshalText(b); err != nil || back != id {
		t.Fatalf("text round trip: %v %v", back, err)
	}
}

func FuzzParseID(f *testing.F) {
	f.Add("0190a5e4-7c1b-7d2e-9f00-1a2b3c4d5e6f")
	f.Add("0190A5E4-7C1B-7D2E-9F00-1A2B3C4D5E6F")
	f.Add("00000000-0000-0000-0000-000000000000")
	f.Add("0190a5e4-7c1b-7d2e-9f00-1a2b3c4d5e6")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseID(s)
		if err != nil {
			return
		}
		if !strings.EqualFold(id.String(), s) {
			t.Fatalf("ParseID(%q) = %s", s, id)
		}
		if again, err := ParseID(id.String()); err != nil || again != id {
			t.Fatalf("canonical form does not round trip: %v", err)
		}
	})
}
