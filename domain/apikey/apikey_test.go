package apikey

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/extguard/extguard/domain"
)

func TestSecretRoundTrip(t *testing.T) {
	t.Parallel()
	s, err := GenerateSecret(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	key := s.String()
	if len(key) != 42 || !strings.HasPrefix(key, "egk_") {
		t.Fatalf("shape: %q", key)
	}
	back, err := ParseSecret(key)
	if err != nil || back != s || back.Hash() != s.Hash() || len(s.Hash()) != 64 {
		t.Fatalf("round trip: %v", err)
	}
	if sum := sha256.Sum256([]byte(key)); s.Hash() != hex.EncodeToString(sum[:]) || s.Digest() != Digest(sum) {
		t.Fatalf("the stored hash is not the key's SHA-256 in hex: %s", s.Hash())
	}
	if s.Prefix() != key[:12] {
		t.Fatal("prefix")
	}
	other, _ := GenerateSecret(rand.Reader)
	if other == s {
		t.Fatal("two secrets alike")
	}
}

func TestGenerateSecretUsesRejectionSampling(t *testing.T) {
	t.Parallel()
	// Bytes 248..255 are skipped; 0..247 map to alphabet[b%62].
	src := bytes.Repeat([]byte{255, 0, 61, 62}, 100)
	s, err := GenerateSecret(bytes.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s.String(), "egk_0z00z0") {
		t.Fatalf("got %s", s)
	}
	if _, err := GenerateSecret(bytes.NewReader(nil)); domain.CodeOf(err) != domain.CodeInternal {
		t.Fatalf("no randomness: %v", err)
	}
}

func TestParseSecretRefusals(t *testing.T) {
	t.Parallel()
	s, _ := GenerateSecret(rand.Reader)
	key := s.String()
	flip := func(i int) string {
		b := []byte(key)
		if b[i] == 'a' {
			b[i] = 'b'
		} else {
			b[i] = 'a'
		}
		return string(b)
	}
	swap := []byte(key)
	swap[10], swap[11] = swap[11], swap[10]
	cases := map[string]string{
		"empty":            "",
		"wrong prefix":     "egx_" + key[4:],
		"short":            key[:41],
		"long":             key + "a",
		"bad alphabet":     key[:20] + "_" + key[21:],
		"typo in body":     flip(20),
		"typo in sum":      flip(40),
		"non-ascii":        key[:40] + "é",
		"uppercase prefix": "EGK_" + key[4:],
	}
	if swap[10] != swap[11] {
		cases["transposition"] = string(swap)
	}
	for name, k := range cases {
		if _, err := ParseSecret(k); domain.CodeOf(err) != domain.CodeUnauthorized {
			t.Errorf("%s: err = %v, want unauthorized", name, err)
		}
	}
}

func TestSecretNotLogged(t *testing.T) {
	t.Parallel()
	s, _ := GenerateSecret(rand.Reader)
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("x", "key", s)
	if strings.Contains(buf.String(), s.String()) {
		t.Fatal("secret reached the log")
	}
}

func TestScopes(t *testing.T) {
	t.Parallel()
	got, err := ParseScopes([]string{"Read", "agent", "read"})
	if err != nil || FormatScopes(got) != "agent,read" {
		t.Fatalf("%v %v", got, err)
	}
	for _, bad := range [][]string{nil, {}, {"root"}, {"agent", ""}} {
		if _, err := ParseScopes(bad); domain.CodeOf(err) != domain.CodeInvalid {
			t.Errorf("%v accepted", bad)
		}
	}
}

func TestKey(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 26, 17, 0, 0, 0, time.UTC)
	s, _ := GenerateSecret(rand.Reader)
	k, err := NewKey(KeyParams{GroupID: domain.NewID(), Secret: s, Name: "ci", Scopes: []string{"agent"},
		ExpiresAt: now.Add(time.Hour), CreatedAt: now})
	if err != nil {
		t.Fatal(err)
	}
	if k.KeyHash() != s.Hash() || k.KeyPrefix() != s.Prefix() || !k.HasScope(ScopeAgent) || k.HasScope(ScopeRead) {
		t.Fatalf("%+v", k)
	}
	if k.UsableAt(now) != nil || domain.CodeOf(k.UsableAt(now.Add(time.Hour))) != domain.CodeUnauthorized {
		t.Fatal("expiry")
	}
	r := k.Revoke(now.Add(time.Minute))
	if domain.CodeOf(r.UsableAt(now.Add(2*time.Minute))) != domain.CodeUnauthorized || !r.Revoke(now.Add(time.Hour)).RevokedAt().Equal(now.Add(time.Minute)) {
		t.Fatal("revoke")
	}
	// An instance whose clock has not reached the revoking instance's
	// stamp (a coarse clock, skew) must refuse the key all the same.
	if domain.CodeOf(r.UsableAt(now.Add(time.Minute-time.Millisecond))) != domain.CodeUnauthorized {
		t.Fatal("a revoked key was usable before its revocation stamp")
	}
	admin, err := NewKey(KeyParams{Secret: s, Name: "gitops", Scopes: []string{"admin"}, CreatedAt: now})
	if err != nil || !admin.HasScope(ScopeRead) || admin.HasScope(ScopeAgent) || !admin.GroupID().IsZero() {
		t.Fatalf("admin key: %v", err)
	}
	_, err = NewKey(KeyParams{Name: "", Scopes: []string{"agent", "x"}, ExpiresAt: now.Add(-time.Hour), CreatedAt: now})
	if e := err.(*domain.Error); len(e.Fields) != 4 {
		t.Fatalf("want key, name, scopes, expires_at: %v", e.Fields)
	}
	_, err = NewKey(KeyParams{Secret: s, Name: "n", Scopes: []string{"agent"}})
	if e := err.(*domain.Error); e.Fields[0].Field != "group_id" {
		t.Fatalf("agent key without group: %v", e.Fields)
	}
	back := Rehydrate(Record{ID: k.ID(), Scopes: k.ScopesString(), KeyHash: k.KeyHash()})
	if !back.HasScope(ScopeAgent) || back.KeyHash() != k.KeyHash() {
		t.Fatal("rehydrate")
	}
}

func FuzzParseSecret(f *testing.F) {
	s, _ := GenerateSecret(rand.Reader)
	f.Add(s.String())
	f.Add("egk_" + strings.Repeat("0", 38))
	f.Add("")
	f.Add("egk_")
	f.Fuzz(func(t *testing.T, key string) {
		s, err := ParseSecret(key)
		if err != nil {
			if domain.CodeOf(err) != domain.CodeUnauthorized {
				t.Fatalf("code %v", domain.CodeOf(err))
			}
			return
		}
		if len(s.String()) != SecretLength || checksum(s.String()[4:36]) != s.String()[36:] {
			t.Fatalf("accepted %q", key)
		}
	})
}
