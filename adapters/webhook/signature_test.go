package webhook

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

func mustSecret(t *testing.T) string {
	t.Helper()
	s, err := GenerateSecret()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestGenerateSecretFormat(t *testing.T) {
	a, b := mustSecret(t), mustSecret(t)
	if a == b {
		t.Fatal("two secrets are equal")
	}
	if !strings.HasPrefix(a, "whsec_") {
		t.Fatalf("secret %q lacks whsec_ prefix", a)
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(a, "whsec_"))
	if err != nil || len(raw) != 32 {
		t.Fatalf("secret decodes to %d bytes, %v; want 32", len(raw), err)
	}
}

// A fixed vector computed outside Go (Python: hmac.new(key, b"msg_p5jXN8AQM9LWM0D4loKWxJek.1614265330.{\"test\": 2432232314}", sha256)),
// the example of the Standard Webhooks reference libraries.
func TestSignKnownVector(t *testing.T) {
	secret := "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	body := []byte(`{"test": 2432232314}`)
	got, err := Sign([]string{secret}, "msg_p5jXN8AQM9LWM0D4loKWxJek", time.Unix(1614265330, 0), body)
	if err != nil {
		t.Fatal(err)
	}
	if want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; got != want {
		t.Fatalf("Sign = %q, want %q", got, want)
	}
}

func signedHeaders(t *testing.T, secrets []string, id string, ts time.Time, body []byte) http.Header {
	t.Helper()
	sig, err := Sign(secrets, id, ts, body)
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	h.Set(HeaderID, id)
	h.Set(HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
	h.Set(HeaderSignature, sig)
	return h
}

func TestVerify(t *testing.T) {
	oldSecret, newSecret, other := mustSecret(t), mustSecret(t), mustSecret(t)
	now := time.Unix(1_700_000_000, 0)
	body := []byte(`{"type":"extension.blocked"}`)
	rotated := signedHeaders(t, []string{oldSecret, newSecret}, "evt_1", now, body)

	tests := []struct {
		name    string
		secret  string
		headers http.Header
		body    []byte
		now     time.Time
		want    error
	}{
		{"old secret during rotation", oldSecret, rotated, body, now, nil},
		{"new secret during rotation", newSecret, rotated, body, now, nil},
		{"unrelated secret", other, rotated, body, now, ErrNoMatchingSignature},
		{"tampered body", newSecret, rotated, []byte(`{"type":"extension.allowed"}`), now, ErrNoMatchingSignature},
		{"timestamp too old", newSecret, rotated, body, now.Add(6 * time.Minute), ErrInvalidTimestamp},
		{"timestamp in the future", newSecret, rotated, body, now.Add(-6 * time.Minute), ErrInvalidTimestamp},
		{"within tolerance", newSecret, rotated, body, now.Add(4 * time.Minute), nil},
		{"missing headers", newSecret, http.Header{}, body, now, ErrMissingHeaders},
		{"bad secret", "whsec_short", rotated, body, now, ErrInvalidSecret},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Verify(tc.secret, tc.headers, tc.body, 5*time.Minute, tc.now)
			if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
				t.Fatalf("Verify = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestVerifyRejectsTamperedIDAndTimestamp(t *testing.T) {
	secret := mustSecret(t)
	now := time.Unix(1_700_000_000, 0)
	h := signedHeaders(t, []string{secret}, "evt_1", now, []byte("{}"))
	h.Set(HeaderID, "evt_2")
	if err := Verify(secret, h, []byte("{}"), 5*time.Minute, now); !errors.Is(err, ErrNoMatchingSignature) {
		t.Fatalf("changed id: %v", err)
	}
	h = signedHeaders(t, []string{secret}, "evt_1", now, []byte("{}"))
	h.Set(HeaderTimestamp, strconv.FormatInt(now.Unix()+1, 10))
	if err := Verify(secret, h, []byte("{}"), 5*time.Minute, now); !errors.Is(err, ErrNoMatchingSignature) {
		t.Fatalf("changed timestamp: %v", err)
	}
}

func TestSignRefusesBadSecretsWithoutLeakingThem(t *testing.T) {
	for _, s := range [][]string{nil, {"whsec_!!!notbase64"}, {"whsec_" + base64.StdEncoding.EncodeToString(make([]byte, 16))}} {
		_, err := Sign(s, "id", time.Now(), nil)
		if !errors.Is(err, ErrInvalidSecret) {
			t.Fatalf("Sign(%q) = %v, want ErrInvalidSecret", s, err)
		}
		if len(s) > 0 && strings.Contains(err.Error(), s[0][6:]) {
			t.Fatalf("error leaks the secret: %v", err)
		}
	}
}
