package application

import (
	"context"
	"log/slog"
	"time"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/apikey"
	"github.com/extguard/extguard/domain/audit"
)

// AuthenticateAPIKey turns a presented bearer key into the stored key. A
// malformed key (shape or checksum) is refused without any lookup; a
// well-formed one is looked up by hash through APIKeyLookup (cached briefly,
// emptied at once by revocations); expiry and revocation are judged on
// every request against the clock. Success is recorded through APIKeyUsage
// (batched last_used_at), never with a write per request. A revoked or
// expired key being tried is audited, at most once per key per
// AnomalyInterval per instance, so an attacker cannot flood the audit log.
type AuthenticateAPIKey struct {
	Lookup   APIKeyLookup
	Usage    APIKeyUsage
	Tx       Transactor
	Audit    AuditLog
	Clock    Clock
	Log      *slog.Logger
	throttle *Throttle
}

// AnomalyInterval bounds audit rows about one revoked or expired key.
const AnomalyInterval = 10 * time.Minute

// NewAuthenticateAPIKey wires the use case.
func NewAuthenticateAPIKey(lookup APIKeyLookup, usage APIKeyUsage, tx Transactor, log AuditLog, clock Clock, logger *slog.Logger) *AuthenticateAPIKey {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &AuthenticateAPIKey{Lookup: lookup, Usage: usage, Tx: tx, Audit: log, Clock: clock, Log: logger,
		throttle: NewThrottle(AnomalyInterval)}
}

var errUnknownKey = domain.Unauthorized("unknown API key")

// Execute authenticates presented (the bearer token, without "Bearer ").
// Errors: unauthorized (malformed, unknown, expired, revoked), unavailable.
// The request's origin for the anomaly audit row comes from WithOrigin.
func (uc *AuthenticateAPIKey) Execute(ctx context.Context, presented string) (_ apikey.Key, err error) {
	ctx, obs := observe(ctx, "AuthenticateAPIKey")
	defer obs.end(&err)
	secret, err := apikey.ParseSecret(presented)
	if err != nil {
		return apikey.Key{}, err
	}
	k, err := uc.Lookup.FindByDigest(ctx, secret.Digest())
	if err != nil {
		if domain.CodeOf(err) == domain.CodeNotFound {
			return apikey.Key{}, errUnknownKey
		}
		return apikey.Key{}, err
	}
	now := uc.Clock.Now()
	if err := k.UsableAt(now); err != nil {
		if aerr := uc.auditRejection(ctx, k, now); aerr != nil {
			return apikey.Key{}, aerr
		}
		return apikey.Key{}, err
	}
	uc.Usage.KeyUsed(k.ID(), now)
	return k.RecordUse(now), nil
}

// auditRejection records a revoked or expired key being tried. Its error
// fails the request closed: the refusal stands either way, but a caller
// told 401 while its attempt left no trace could probe unseen.
func (uc *AuthenticateAPIKey) auditRejection(ctx context.Context, k apikey.Key, now time.Time) error {
	subject := k.ID().String()
	if !uc.throttle.Allow(subject, now) {
		return nil
	}
	reason := "expired"
	if k.IsRevoked() { // refused whatever this instance's clock says (Key.UsableAt)
		reason = "revoked"
	}
	o := OriginFrom(ctx)
	ev, err := audit.NewEvent(audit.EventParams{Type: audit.APIKeyRejected,
		Actor:   audit.Actor{Type: audit.ActorAPIKey, ID: k.ID(), ClientIP: o.ClientIP, UserAgent: o.UserAgent},
		GroupID: k.GroupID(), TargetType: audit.TargetAPIKey, TargetID: k.ID(), CreatedAt: now,
		Details: map[string]any{"reason": reason, "key_prefix": k.KeyPrefix(), "name": k.Name(),
			"repeats_suppressed_for": AnomalyInterval.String()}})
	if err == nil {
		err = appendAnomaly(ctx, uc.throttle, subject, uc.Tx, uc.Audit, ev)
	}
	if err != nil {
		uc.Log.WarnContext(ctx, "audit of a rejected API key failed; refusing the request as unavailable",
			"key_prefix", k.KeyPrefix(), "error", err.Error())
	}
	return err
}
