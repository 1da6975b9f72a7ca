package application

import (
	"context"
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"github.com/extguard/extguard/domain"
)

// DeliveryView is one outbox delivery of an audit event to a webhook, with
// every attempt made (GET /api/v1/webhooks/{id}/deliveries).
type DeliveryView struct {
	ID             domain.ID
	WebhookID      domain.ID
	AuditID        domain.ID
	EventType      string
	Status         DeliveryStatus
	Attempts       int
	NextAttemptAt  time.Time // meaningful while pending
	LastAttemptAt  time.Time // zero before the first attempt
	LastStatusCode int       // 0 when no answer was received
	LastError      string
	DeliveredAt    time.Time // zero unless delivered
	CreatedAt      time.Time
	AttemptLog     []AttemptView // oldest first
}

// AttemptView is one recorded attempt.
type AttemptView struct {
	Attempt         int
	AttemptedAt     time.Time
	StatusCode      int
	DurationMS      int
	Error           string
	ResponseSnippet string
}

// Page sizes of the admin API's keyset pagination.
const (
	DefaultDeliveryPageSize = 50
	MaxDeliveryPageSize     = 500
)

// ListWebhookDeliveries lists a webhook's deliveries, newest first.
type ListWebhookDeliveries struct {
	Log DeliveryLog
}

// Execute answers one page and the cursor of the next ("" at the end). limit
// 0 means the default; cursor "" means the first page. Errors: not_found for
// an unknown or deleted webhook; invalid for a limit outside 0..500 or a
// cursor this API did not hand out.
func (uc ListWebhookDeliveries) Execute(ctx context.Context, webhookID domain.ID, limit int, cursor string) (_ []DeliveryView, _ string, err error) {
	ctx, obs := observe(ctx, "ListWebhookDeliveries")
	defer obs.end(&err)
	var fe domain.FieldErrors
	if limit < 0 || limit > MaxDeliveryPageSize {
		fe.Add("limit", "must be between 1 and 500")
	}
	after, err := decodeDeliveryCursor(cursor)
	if err != nil {
		fe.Add("cursor", "is not a cursor from a previous page")
	}
	if err := fe.Err("invalid list request"); err != nil {
		return nil, "", err
	}
	if limit == 0 {
		limit = DefaultDeliveryPageSize
	}
	if err := uc.Log.WebhookExists(ctx, webhookID); err != nil {
		return nil, "", err
	}
	// One extra row tells whether a next page exists without a count query.
	items, err := uc.Log.ListDeliveries(ctx, webhookID, limit+1, after)
	if err != nil {
		return nil, "", err
	}
	if len(items) <= limit {
		return items, "", nil
	}
	items = items[:limit]
	last := items[len(items)-1]
	return items, encodeDeliveryCursor(DeliveryCursor{CreatedAt: last.CreatedAt, ID: last.ID}), nil
}

// The cursor is opaque to clients: base64 of "<unix microseconds>_<id>",
// microseconds being PostgreSQL's timestamp precision.
func encodeDeliveryCursor(c DeliveryCursor) string {
	raw := strconv.FormatInt(c.CreatedAt.UnixMicro(), 10) + "_" + c.ID.String()
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

func decodeDeliveryCursor(s string) (*DeliveryCursor, error) {
	if s == "" {
		return nil, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, err
	}
	ts, id, ok := strings.Cut(string(raw), "_")
	if !ok {
		return nil, domain.Invalid("bad cursor")
	}
	us, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return nil, err
	}
	parsed, err := domain.ParseID(id)
	if err != nil {
		return nil, err
	}
	return &DeliveryCursor{CreatedAt: time.UnixMicro(us).UTC(), ID: parsed}, nil
}
