package application

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
)

// SessionTokenPrefix marks admin session tokens, so they are told apart from
// API keys (egk_) in one Authorization header and found by secret scanners.
const SessionTokenPrefix = "egs_"

// sessionTokenLength is the prefix and 43 base64url characters (256 bits).
const sessionTokenLength = len(SessionTokenPrefix) + 43

// newSessionToken draws 256 random bits: far beyond guessing, so the stored
// SHA-256 needs no salt or slow hash.
func newSessionToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+).
	return SessionTokenPrefix + base64.RawURLEncoding.EncodeToString(b[:])
}

// IsSessionToken reports whether s has the shape of a session token.
func IsSessionToken(s string) bool {
	return len(s) == sessionTokenLength && strings.HasPrefix(s, SessionTokenPrefix)
}

// hashSessionToken is the only form of a token that is stored.
func hashSessionToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
