// Package webhook delivers audit events to subscribed endpoints following the
// Standard Webhooks specification (https://www.standardwebhooks.com/): every
// request carries webhook-id, webhook-timestamp and webhook-signature headers,
// the signature being an HMAC-SHA256 over "id.timestamp.body" keyed with the
// endpoint's whsec_ secret.
package webhook

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Header names defined by the specification.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// SecretPrefix marks a Standard Webhooks secret; the rest is base64.
const SecretPrefix = "whsec_"

const (
	secretBytes    = 32
	minSecretBytes = 24
	maxSecretBytes = 64
	sigVersion     = "v1"
)

var (
	// ErrInvalidSecret: a secret is not whsec_ + base64 of 24-64 bytes. The
	// error never includes the secret itself.
	ErrInvalidSecret = errors.New("webhook: invalid secret")
	// ErrMissingHeaders: one of the three webhook headers is absent.
	ErrMissingHeaders = errors.New("webhook: missing webhook headers")
	// ErrInvalidTimestamp: webhook-timestamp is not unix seconds or is outside
	// the tolerance, which is what makes a captured request non-replayable.
	ErrInvalidTimestamp = errors.New("webhook: timestamp invalid or outside tolerance")
	// ErrNoMatchingSignature: no v1 signature in the header matches.
	ErrNoMatchingSignature = errors.New("webhook: no matching signature")
)

// GenerateSecret returns a new endpoint secret: whsec_ + base64 of 32 random bytes.
func GenerateSecret() (string, error) {
	b := make([]byte, secretBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("webhook: generate secret: %w", err)
	}
	return SecretPrefix + base64.StdEncoding.EncodeToString(b), nil
}

// secretKey returns the HMAC key: the base64-decoded part of the secret. The
// prefix is optional, as in the specification's reference libraries.
func secretKey(secret string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, SecretPrefix))
	if err != nil || len(key) < minSecretBytes || len(key) > maxSecretBytes {
		return nil, ErrInvalidSecret
	}
	return key, nil
}

func mac(key []byte, id, ts string, body []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(id))
	h.Write([]byte{'.'})
	h.Write([]byte(ts))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// Sign returns the webhook-signature header value. Several secrets give
// several space-separated signatures, so that during a rotation a receiver
// holding either the old or the new secret accepts the message.
func Sign(secrets []string, id string, ts time.Time, body []byte) (string, error) {
	if len(secrets) == 0 {
		return "", fmt.Errorf("%w: no secret", ErrInvalidSecret)
	}
	stamp := strconv.FormatInt(ts.Unix(), 10)
	sigs := make([]string, 0, len(secrets))
	for _, s := range secrets {
		key, err := secretKey(s)
		if err != nil {
			return "", err
		}
		sigs = append(sigs, sigVersion+","+base64.StdEncoding.EncodeToString(mac(key, id, stamp, body)))
	}
	return strings.Join(sigs, " "), nil
}

// Verify checks a received message as a Standard Webhooks receiver does: the
// timestamp must be within tolerance of now (either direction), and one of the
// v1 signatures must match, compared in constant time.
func Verify(secret string, headers http.Header, body []byte, tolerance time.Duration, now time.Time) error {
	key, err := secretKey(secret)
	if err != nil {
		return err
	}
	id, stamp, sigHeader := headers.Get(HeaderID), headers.Get(HeaderTimestamp), headers.Get(HeaderSignature)
	if id == "" || stamp == "" || sigHeader == "" {
		return ErrMissingHeaders
	}
	if err := checkTimestamp(stamp, tolerance, now); err != nil {
		return err
	}
	want := mac(key, id, stamp, body)
	for _, sig := range strings.Fields(sigHeader) {
		version, value, ok := strings.Cut(sig, ",")
		if !ok || version != sigVersion {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(value)
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return ErrNoMatchingSignature
}

func checkTimestamp(stamp string, tolerance time.Duration, now time.Time) error {
	secs, err := strconv.ParseInt(stamp, 10, 64)
	if err != nil {
		return ErrInvalidTimestamp
	}
	delta := now.Sub(time.Unix(secs, 0))
	if delta > tolerance || delta < -tolerance {
		return ErrInvalidTimestamp
	}
	return nil
}
