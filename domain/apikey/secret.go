package apikey

import (
	"crypto/sha256"
	"encoding/hex"
	"hash/crc32"
	"io"
	"log/slog"
	"strings"

	"github.com/extguard/extguard/domain"
)

// A secret looks like egk_<32 base62 body><6 base62 CRC32 of the body>.
// The prefix makes leaked keys findable by secret scanners; the checksum
// lets us refuse typos and garbage without touching the database.
const (
	SecretPrefix   = "egk_"
	bodyLength     = 32
	checksumLength = 6
	SecretLength   = len(SecretPrefix) + bodyLength + checksumLength
	// DisplayPrefixLength is how much of a key is stored and shown to tell
	// keys apart (key_prefix column).
	DisplayPrefixLength = 12
	base62Alphabet      = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
)

// Secret is a whole API key. String returns it in full: never log it. It
// implements slog.LogValuer so a structured log shows only its prefix.
type Secret struct{ key string }

// GenerateSecret draws 32 uniform base62 characters from random (about 190
// bits; rejection sampling keeps every character uniform) and appends the
// checksum. Pass crypto/rand.Reader outside tests.
func GenerateSecret(random io.Reader) (Secret, error) {
	body := make([]byte, 0, bodyLength)
	buf := make([]byte, 48)
	for len(body) < bodyLength {
		if _, err := io.ReadFull(random, buf); err != nil {
			return Secret{}, domain.Internal("no randomness for an API key")
		}
		for _, b := range buf {
			// 248 = 4×62: bytes at or above it would bias the first characters.
			if b < 248 && len(body) < bodyLength {
				body = append(body, base62Alphabet[b%62])
			}
		}
	}
	return Secret{key: SecretPrefix + string(body) + checksum(string(body))}, nil
}

// ParseSecret checks the shape and checksum of a presented key. Failures are
// unauthorized (401): a malformed bearer key is an authentication failure.
func ParseSecret(s string) (Secret, error) {
	s = strings.TrimSpace(s)
	if len(s) != SecretLength || !strings.HasPrefix(s, SecretPrefix) {
		return Secret{}, domain.Unauthorized("malformed API key")
	}
	rest := s[len(SecretPrefix):]
	for i := 0; i < len(rest); i++ {
		if !isBase62[rest[i]] {
			return Secret{}, domain.Unauthorized("malformed API key")
		}
	}
	var sum [checksumLength]byte
	if body := rest[:bodyLength]; string(appendChecksum(sum[:0], body)) != rest[bodyLength:] {
		return Secret{}, domain.Unauthorized("malformed API key (checksum mismatch)")
	}
	return Secret{key: s}, nil
}

// isBase62 tells the characters of base62Alphabet; every request's key is
// checked against it.
var isBase62 = func() (t [256]bool) {
	for i := 0; i < len(base62Alphabet); i++ {
		t[base62Alphabet[i]] = true
	}
	return t
}()

// checksum is CRC32 (IEEE) of the body, as 6 fixed-width base62 digits
// (62^6 > 2^32).
func checksum(body string) string {
	var out [checksumLength]byte
	return string(appendChecksum(out[:0], body))
}

// appendChecksum appends body's checksum to dst (no allocation when dst has room).
func appendChecksum(dst []byte, body string) []byte {
	n := crc32IEEE(body)
	var out [checksumLength]byte
	for i := checksumLength - 1; i >= 0; i-- {
		out[i] = base62Alphabet[n%62]
		n /= 62
	}
	return append(dst, out[:]...)
}

// crc32IEEE is crc32.ChecksumIEEE of s without converting s to a slice
// (which would allocate on every request).
func crc32IEEE(s string) uint32 {
	crc := ^uint32(0)
	for i := 0; i < len(s); i++ {
		crc = crc32.IEEETable[byte(crc)^s[i]] ^ (crc >> 8)
	}
	return ^crc
}

// Digest is the SHA-256 of the whole key, the only form stored (as hex,
// key_hash). No salt or slow hash is needed: a key carries ~190 random bits,
// so there is no dictionary to precompute and brute force is hopeless, and a
// fast hash lets every request be authenticated with one indexed lookup.
// Lookups use the digest as it is: hex-encoding it on every request cost
// two allocations.
type Digest [sha256.Size]byte

// String is the stored form, lowercase hex.
func (d Digest) String() string { return hex.EncodeToString(d[:]) }

// Digest hashes the key.
func (s Secret) Digest() Digest {
	var buf [SecretLength]byte // on the stack: []byte(s.key) would be a heap copy per request
	data := buf[:copy(buf[:], s.key)]
	if len(s.key) > len(buf) { // never for a parsed or generated secret
		data = []byte(s.key)
	}
	return sha256.Sum256(data)
}

// Hash is the digest as stored (key_hash).
func (s Secret) Hash() string { return s.Digest().String() }

// Prefix is the first 12 characters, stored and shown to tell keys apart.
func (s Secret) Prefix() string {
	if len(s.key) < DisplayPrefixLength {
		return s.key
	}
	return s.key[:DisplayPrefixLength]
}

// String is the full key, for the one answer that hands it to its owner.
// Never log it.
func (s Secret) String() string { return s.key }

// IsZero reports an unset secret.
func (s Secret) IsZero() bool { return s.key == "" }

// LogValue keeps the secret out of structured logs.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.Prefix() + "…") }
