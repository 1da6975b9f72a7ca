package httpapi

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/apikey"
	"github.com/extguard/extguard/domain/audit"
	"github.com/extguard/extguard/domain/blocklist"
	"github.com/extguard/extguard/domain/extension"
	"github.com/extguard/extguard/domain/group"
	"github.com/extguard/extguard/domain/webhook"
)

// withID runs a handler's common prefix: parse {id}, call, answer.
func withID(c *fiber.Ctx, name string, fn func(domain.ID) error) error {
	id, err := pathID(c, name)
	if err != nil {
		return err
	}
	return fn(id)
}

func noContent(c *fiber.Ctx, err error) error {
	if err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func respond[T any, D any](c *fiber.Ctx, status int, v T, err error, conv func(T) D) error {
	if err != nil {
		return err
	}
	return c.Status(status).JSON(conv(v))
}

// ---- groups

type groupCreateRequest struct {
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Settings    json.RawMessage `json:"settings"`
}

type groupPatchRequest struct {
	Name        *string         `json:"name"`
	Description *string         `json:"description"`
	Settings    json.RawMessage `json:"settings"`
}

func (a *Admin) listGroups(c *fiber.Ctx) error {
	q := query{c: c}
	f := application.GroupFilter{Name: q.str("name")}
	page := q.page()
	if err := q.err(); err != nil {
		return err
	}
	p, err := a.uc.ListGroups.Execute(c.UserContext(), f, page)
	return respond(c, fiber.StatusOK, p, err, func(p application.Page[group.Group]) pageDoc[groupDoc] { return pageOf(p, groupDocOf) })
}

func (a *Admin) createGroup(c *fiber.Ctx) error {
	var in groupCreateRequest
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	g, err := a.uc.CreateGroup.Execute(c.UserContext(), actor(c), application.NewGroupInput{Name: in.Name, Description: in.Description, Settings: in.Settings})
	return respond(c, fiber.StatusCreated, g, err, groupDocOf)
}

func (a *Admin) getGroup(c *fiber.Ctx) error {
	return withID(c, "id", func(id domain.ID) error {
		g, err := a.uc.GetGroup.Execute(c.UserContext(), id)
		return respond(c, fiber.StatusOK, g, err, groupDocOf)
	})
}

func (a *Admin) updateGroup(c *fiber.Ctx) error {
	return withID(c, "id", func(id domain.ID) error {
		var in groupPatchRequest
		if err := decodeBody(c, &in); err != nil {
			return err
		}
		g, err := a.uc.UpdateGroup.Execute(c.UserContext(), actor(c), id, application.GroupChanges{Name: in.Name, Description: in.Description, Settings: in.Settings})
		return respond(c, fiber.StatusOK, g, err, groupDocOf)
	})
}

func (a *Admin) deleteGroup(c *fiber.Ctx) error {
	return withID(c, "id", func(id domain.ID) error { return noContent(c, a.uc.DeleteGroup.Execute(c.UserContext(), actor(c), id)) })
}

// ---- catalog

type extensionCreateRequest struct {
	ExtensionID    string `json:"extension_id"`
	Name           string `json:"name"`
	Publisher      string `json:"publisher"`
	PinnedVersion  string `json:"pinned_version"`
	SHA256Checksum string `json:"sha256_checksum"`
	MarketplaceURL string `json:"marketplace_url"`
	IsBlocked      bool   `json:"is_blocked"`
	BlockReason    string `json:"block_reason"`
}

type extensionPatchRequest struct {
	ExtensionID    *string `json:"extension_id"`
	Name           *string `json:"name"`
	PinnedVersion  *string `json:"pinned_version"`
	SHA256Checksum *string `json:"sha256_checksum"`
	MarketplaceURL *string `json:"marketplace_url"`
	IsBlocked      *bool   `json:"is_blocked"`
	BlockReason    *string `json:"block_reason"`
}

func (a *Admin) listCatalog(c *fiber.Ctx) error {
	q := query{c: c}
	f := application.CatalogFilter{IsBlocked: q.boolean("is_blocked")}
	if s := q.str("extension_id"); s != "" {
		id, err := extension.ParseExtensionID(s)
		q.fe.Include("", err)
		f.ExtensionID = id
	}
	if s := q.str("publisher"); s != "" {
		p, err := extension.ParsePublisher(s)
		q.fe.Include("", err)
		f.Publisher = p
	}
	page := q.page()
	if err := q.err(); err != nil {
		return err
	}
	p, err := a.uc.ListCatalog.Execute(c.UserContext(), f, page)
	return respond(c, fiber.StatusOK, p, err, func(p application.Page[extension.Entry]) pageDoc[extensionDoc] { return pageOf(p, extensionDocOf) })
}

func (a *Admin) createCatalogEntry(c *fiber.Ctx) error {
	var in extensionCreateRequest
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	e, err := a.uc.CreateCatalogEntry.Execute(c.UserContext(), actor(c), application.NewCatalogEntryInput{ExtensionID: in.ExtensionID,
		Name: in.Name, Publisher: in.Publisher, PinnedVersion: in.PinnedVersion, SHA256: in.SHA256Checksum,
		MarketplaceURL: in.MarketplaceURL, IsBlocked: in.IsBlocked, BlockReason: in.BlockReason})
	return respond(c, fiber.StatusCreated, e, err, extensionDocOf)
}

func (a *Admin) getCatalogEntry(c *fiber.Ctx) error {
	return withID(c, "id", func(id domain.ID) error {
		e, err := a.uc.GetCatalogEntry.Execute(c.UserContext(), id)
		return respond(c, fiber.StatusOK, e, err, extensionDocOf)
	})
}

func (a *Admin) updateCatalogEntry(c *fiber.Ctx) error {
	return withID(c, "id", func(id domain.ID) error {
		var in extensionPatchRequest
		if err := decodeBody(c, &in); err != nil {
			return err
		}
		e, err := a.uc.UpdateCatalogEntry.Execute(c.UserContext(), actor(c), id, application.CatalogEntryChanges{ExtensionID: in.ExtensionID,
			Name: in.Name, PinnedVersion: in.PinnedVersion, SHA256: in.SHA256Checksum, MarketplaceURL: in.MarketplaceURL,
			IsBlocked: in.IsBlocked, BlockReason: in.BlockReason})
		return respond(c, fiber.StatusOK, e, err, extensionDocOf)
	})
}

func (a *Admin) deleteCatalogEntry(c *fiber.Ctx) error {
	return withID(c, "id", func(id domain.ID) error {
		return noContent(c, a.uc.DeleteCatalogEntry.Execute(c.UserContext(), actor(c), id))
	})
}

func (a *Admin) revalidate(c *fiber.Ctx) error {
	return withID(c, "id", func(id domain.ID) error {
		if err := a.uc.RequestRevalidation.Execute(c.UserContext(), actor(c), id); err != nil {
			return err
		}
		return c.Status(fiber.StatusAccepted).JSON(accepted)
	})
}

// ---- assignments

type assignmentPutRequest struct {
	IsRequired bool `json:"is_required"`
}

func (a *Admin) listAssignments(c *fiber.Ctx) error {
	return withID(c, "id", func(id domain.ID) error {
		q := query{c: c}
		page := q.page()
		if err := q.err(); err != nil {
			return err
		}
		p, err := a.uc.ListAssignments.Execute(c.UserContext(), id, page)
		return respond(c, fiber.StatusOK, p, err, func(p application.Page[application.Assignment]) pageDoc[assignmentDoc] {
			return pageOf(p, assignmentDocOf)
		})
	})
}

func (a *Admin) putAssignment(c *fiber.Ctx) error {
	return withID(c, "id", func(groupID domain.ID) error {
		return withID(c, "extension_uuid", func(entryID domain.ID) error {
			var in assignmentPutRequest
			if err := decodeBody(c, &in); err != nil {
				return err
			}
			as, created, err := a.uc.PutAssignment.Execute(c.UserContext(), actor(c), groupID, entryID, in.IsRequired)
			status := fiber.StatusOK
			if created {
				status = fiber.StatusCreated
			}
			return respond(c, status, as, err, assignmentDocOf)
		})
	})
}

func (a *Admin) removeAssignment(c *fiber.Ctx) error {
	return withID(c, "id", func(groupID domain.ID) error {
		return withID(c, "extension_uuid", func(entryID domain.ID) error {
			return noContent(c, a.uc.RemoveAssignment.Execute(c.UserContext(), actor(c), groupID, entryID))
		})
	})
}

// ---- blocklist

type blocklistCreateRequest struct {
	PatternType string `json:"pattern_type"`
	Pattern     string `json:"pattern"`
	Reason      string `json:"reason"`
	IsActive    *bool  `json:"is_active"`
}

type blocklistPatchRequest struct {
	PatternType *string `json:"pattern_type"`
	Pattern     *string `json:"pattern"`
	Reason      *string `json:"reason"`
	IsActive    *bool   `json:"is_active"`
}

func (a *Admin) listBlocklist(c *fiber.Ctx) error {
	q := query{c: c}
	f := application.BlocklistFilter{IsActive: q.boolean("is_active")}
	if s := q.str("pattern_type"); s != "" {
		t, err := blocklist.ParsePatternType(s)
		q.fe.Include("", err)
		f.PatternType = t
	}
	page := q.page()
	if err := q.err(); err != nil {
		return err
	}
	p, err := a.uc.ListBlocklist.Execute(c.UserContext(), f, page)
	return respond(c, fiber.StatusOK, p, err, func(p application.Page[blocklist.Entry]) pageDoc[blocklistDoc] { return pageOf(p, blocklistDocOf) })
}

func (a *Admin) createBlocklistEntry(c *fiber.Ctx) error {
	var in blocklistCreateRequest
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	e, err := a.uc.CreateBlocklistEntry.Execute(c.UserContext(), actor(c), application.NewBlocklistInput{PatternType: in.PatternType,
		Pattern: in.Pattern, Reason: in.Reason, IsActive: in.IsActive})
	return respond(c, fiber.StatusCreated, e, err, blocklistDocOf)
}

func (a *Admin) getBlocklistEntry(c *fiber.Ctx) error {
	return withID(c, "id", func(id domain.ID) error {
		e, err := a.uc.GetBlocklistEntry.Execute(c.UserContext(), id)
		return respond(c, fiber.StatusOK, e, err, blocklistDocOf)
	})
}

func (a *Admin) updateBlocklistEntry(c *fiber.Ctx) error {
	return withID(c, "id", func(id domain.ID) error {
		var in blocklistPatchRequest
		if err := decodeBody(c, &in); err != nil {
			return err
		}
		e, err := a.uc.UpdateBlocklistEntry.Execute(c.UserContext(), actor(c), id, application.BlocklistChanges{PatternType: in.PatternType,
			Pattern: in.Pattern, Reason: in.Reason, IsActive: in.IsActive})
		return respond(c, fiber.StatusOK, e, err, blocklistDocOf)
	})
}

func (a *Admin) deleteBlocklistEntry(c *fiber.Ctx) error {
	return withID(c, "id", func(id domain.ID) error {
		return noContent(c, a.uc.DeleteBlocklistEntry.Execute(c.UserContext(), actor(c), id))
	})
}

// ---- API keys

type apiKeyCreateRequest struct {
	Name      string     `json:"name"`
	Scopes    []string   `json:"scopes"`
	ExpiresAt *time.Time `json:"expires_at"`
}

func (a *Admin) listAPIKeys(c *fiber.Ctx) error {
	return withID(c, "id", func(groupID domain.ID) error {
		q := query{c: c}
		page := q.page()
		if err := q.err(); err != nil {
			return err
		}
		p, err := a.uc.ListAPIKeys.Execute(c.UserContext(), groupID, page)
		return respond(c, fiber.StatusOK, p, err, func(p application.Page[apikey.Key]) pageDoc[apiKeyDoc] {
			return pageOf(p, apiKeyDocOf)
		})
	})
}

func (a *Admin) createAPIKey(c *fiber.Ctx) error {
	return withID(c, "id", func(groupID domain.ID) error {
		var in apiKeyCreateRequest
		if err := decodeBody(c, &in); err != nil {
			return err
		}
		p := principal(c)
		who := actorOf(c, p)
		k, secret, err := a.uc.CreateAPIKey.Execute(c.UserContext(), who, p.Role, groupID, in.Name, in.Scopes, in.ExpiresAt)
		if aerr := a.auditKeyRefusal(c, who, err, "grant_scope:"+strings.Join(in.Scopes, ",")); aerr != nil {
			return aerr
		}
		if err != nil {
			return err
		}
		doc := apiKeyDocOf(k)
		doc.Key = secret.String()
		c.Set(fiber.HeaderCacheControl, "no-store")
		return c.Status(fiber.StatusCreated).JSON(doc)
	})
}

func (a *Admin) revokeAPIKey(c *fiber.Ctx) error {
	return withID(c, "id", func(id domain.ID) error {
		p := principal(c)
		who := actorOf(c, p)
		err := a.uc.RevokeAPIKey.Execute(c.UserContext(), who, p.Role, id)
		if aerr := a.auditKeyRefusal(c, who, err, "revoke_key:"+id.String()); aerr != nil {
			return aerr
		}
		return noContent(c, err)
	})
}

// auditKeyRefusal audits a key use case's refusal for lack of role (err
// forbidden) like the route guard's refusals, and fails closed like it: a
// refusal whose row cannot be written answers that error. permission names
// what was asked.
func (a *Admin) auditKeyRefusal(c *fiber.Ctx, who audit.Actor, err error, permission string) error {
	if domain.CodeOf(err) != domain.CodeForbidden {
		return nil
	}
	return a.uc.AccessDenied.Execute(c.UserContext(), who, string(principal(c).Role),
		c.Method(), c.Route().Path, permission)
}

// ---- webhooks

type webhookCreateRequest struct {
	URL         string   `json:"url"`
	EventTypes  []string `json:"event_types"`
	Description string   `json:"description"`
}

type webhookPatchRequest struct {
	URL         *string   `json:"url"`
	EventTypes  *[]string `json:"event_types"`
	Description *string   `json:"description"`
	IsEnabled   *bool     `json:"is_enabled"`
}

func (a *Admin) listWebhooks(c *fiber.Ctx) error {
	q := query{c: c}
	f := application.WebhookFilter{IsEnabled: q.boolean("is_enabled")}
	page := q.page()
	if err := q.err(); err != nil {
		return err
	}
	p, err := a.uc.ListWebhooks.Execute(c.UserContext(), f, page)
	doc := webhookDocFor(c)
	return respond(c, fiber.StatusOK, p, err, func(p application.Page[webhook.Endpoint]) pageDoc[webhookDoc] { return pageOf(p, doc) })
}

func (a *Admin) createWebhook(c *fiber.Ctx) error {
	var in webhookCreateRequest
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	e, err := a.uc.CreateWebhook.Execute(c.UserContext(), actor(c), application.NewWebhookInput{URL: in.URL, EventTypes: in.EventTypes, Description: in.Description})
	if err != nil {
		return err
	}
	doc := webhookDocOf(e)
	doc.Secret = e.Secret()
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(fiber.StatusCreated).JSON(doc)
}

// webhookDocFor shows the full URL to those who may manage webhooks only.
func webhookDocFor(c *fiber.Ctx) func(webhook.Endpoint) webhookDoc {
	if PermManageWebhooks.Allows(principal(c).Role) {
		return webhookDocOf
	}
	return redactedWebhookDocOf
}

func (a *Admin) getWebhook(c *fiber.Ctx) error {
	return withID(c, "id", func(id domain.ID) error {
		e, err := a.uc.GetWebhook.Execute(c.UserContext(), id)
		return respond(c, fiber.StatusOK, e, err, webhookDocFor(c))
	})
}

func (a *Admin) updateWebhook(c *fiber.Ctx) error {
	return withID(c, "id", func(id domain.ID) error {
		var in webhookPatchRequest
		if err := decodeBody(c, &in); err != nil {
			return err
		}
		e, err := a.uc.UpdateWebhook.Execute(c.UserContext(), actor(c), id, application.WebhookChanges{URL: in.URL, EventTypes: in.EventTypes,
			Description: in.Description, IsEnabled: in.IsEnabled})
		return respond(c, fiber.StatusOK, e, err, webhookDocOf)
	})
}

func (a *Admin) deleteWebhook(c *fiber.Ctx) error {
	return withID(c, "id", func(id domain.ID) error {
		return noContent(c, a.uc.DeleteWebhook.Execute(c.UserContext(), actor(c), id))
	})
}

func (a *Admin) listDeliveries(c *fiber.Ctx) error {
	return withID(c, "id", func(id domain.ID) error {
		q := query{c: c}
		page := q.page()
		if err := q.err(); err != nil {
			return err
		}
		p, err := a.uc.ListWebhookDeliveries.Execute(c.UserContext(), id, page)
		return respond(c, fiber.StatusOK, p, err, func(p application.Page[application.DeliveryView]) pageDoc[deliveryDoc] {
			return pageOf(p, deliveryDocOf)
		})
	})
}

func (a *Admin) testWebhook(c *fiber.Ctx) error {
	return withID(c, "id", func(id domain.ID) error {
		// SendTestWebhook answers not_found itself for an unknown or deleted
		// webhook: the outbox locks the webhook's row before it writes.
		if err := a.uc.SendTestWebhook.Execute(c.UserContext(), actor(c), id); err != nil {
			return err
		}
		return c.Status(fiber.StatusAccepted).JSON(accepted)
	})
}
