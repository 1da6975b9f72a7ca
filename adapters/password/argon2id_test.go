package password

import (
	"errors"
	"strings"
	"testing"
)

func TestHashAndVerify(t *testing.T) {
	t.Parallel()
	h := NewArgon2id(Params{MemoryKiB: 1024, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32})
	enc, err := h.Hash("correct horse battery staple")
	if err != nil || !strings.HasPrefix(enc, "$argon2id$v=19$m=1024,t=1,p=1$") {
		t.Fatalf("hash %q %v", enc, err)
	}
	if again, _ := h.Hash("correct horse battery staple"); again == enc {
		t.Fatal("two hashes of one password must differ (salt)")
	}
	if ok, err := h.Verify("correct horse battery staple", enc); !ok || err != nil {
		t.Fatalf("verify good: %v %v", ok, err)
	}
	if ok, err := h.Verify("correct horse battery stapler", enc); ok || err != nil {
		t.Fatalf("verify bad: %v %v", ok, err)
	}
}

func TestMalformedAndCostlyHashesAreRefused(t *testing.T) {
	t.Parallel()
	h := NewArgon2id(DefaultParams())
	for _, enc := range []string{"", "plain", "$argon2i$v=19$m=1,t=1,p=1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA",
		"$argon2id$v=19$m=4194304,t=1,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"} {
		if _, err := h.Verify("x", enc); !errors.Is(err, ErrMalformedHash) {
			t.Errorf("%q: want ErrMalformedHash, got %v", enc, err)
		}
	}
}
