package application

import (
	"encoding/json"

	"github.com/extguard/extguard/domain/blocklist"
	"github.com/extguard/extguard/domain/extension"
	"github.com/extguard/extguard/domain/group"
	"github.com/extguard/extguard/domain/threatfeed"
	"github.com/extguard/extguard/domain/user"
	"github.com/extguard/extguard/domain/webhook"
)

// The "before"/"after" details of each resource's audit events, in one place
// because they are the audit log's (and so the webhooks') schema: a field
// added to a resource shows in its create, update and delete events alike.

func groupDetails(g group.Group) map[string]any {
	var settings map[string]any
	b, _ := json.Marshal(g.Settings())
	_ = json.Unmarshal(b, &settings)
	return map[string]any{"name": g.Name(), "description": g.Description(), "settings": settings}
}

func catalogEntryDetails(e extension.Entry) map[string]any {
	return map[string]any{"extension_id": e.ExtensionID().String(), "name": e.Name(), "pinned_version": e.PinnedVersion(),
		"sha256_checksum": e.SHA256(), "marketplace_url": e.MarketplaceURL(), "is_blocked": e.IsBlocked(), "block_reason": e.BlockReason()}
}

// userDetails is what an audit row says about a user: never the hash.
func userDetails(u user.User) map[string]any {
	return map[string]any{"email": u.Email(), "display_name": u.DisplayName(), "role": string(u.Role()), "is_active": u.IsActive()}
}

func blocklistEntryDetails(e blocklist.Entry) map[string]any {
	return map[string]any{"pattern_type": string(e.PatternType()), "pattern": e.Pattern().String(), "reason": e.Reason(), "is_active": e.IsActive()}
}

// webhookDetails never includes the secret: audit rows are delivered to webhooks.
func webhookDetails(e webhook.Endpoint) map[string]any {
	types := make([]string, 0, len(e.EventTypes()))
	for _, t := range e.EventTypes() {
		types = append(types, string(t))
	}
	return map[string]any{"url": e.RedactedURL(), "description": e.Description(), "event_types": types, "is_enabled": e.IsEnabled()}
}

func threatFeedDetails(f threatfeed.Feed) map[string]any {
	return map[string]any{"name": f.Name(), "kind": string(f.Kind()), "url": f.RedactedURL(), "mode": string(f.Mode()),
		"interval": f.Interval().String()}
}
