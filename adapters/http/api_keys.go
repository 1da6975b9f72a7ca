package httpapi

import (
	"strings"
	"time"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/apikey"
	"github.com/extguard/extguard/domain/audit"
	"github.com/gofiber/fiber/v2"
)

func (a *Admin) apiKeyRoutes() []route {
	return []route{
		{Method: fiber.MethodGet, Path: "/api/v1/groups/{id}/api-keys", Permission: PermRead, Tag: "api-keys", Summary: "List a group's API keys (never their secrets)", List: true, Status: fiber.StatusOK, Response: "APIKeyPage", handle: a.listAPIKeys},
		{Method: fiber.MethodPost, Path: "/api/v1/groups/{id}/api-keys", Permission: PermEditPolicy, Tag: "api-keys", Summary: "Create an API key; the secret is in this answer only", Body: "APIKeyCreate", Status: fiber.StatusCreated, Response: "APIKeyCreated", handle: a.createAPIKey},
		{Method: fiber.MethodDelete, Path: "/api/v1/api-keys/{id}", Permission: PermEditPolicy, Tag: "api-keys", Summary: "Revoke an API key", Status: fiber.StatusNoContent, handle: a.revokeAPIKey},
	}
}

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
		return respond(c, p, err, func(p application.Page[apikey.Key]) pageDoc[apiKeyDoc] {
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
		return c.JSON(doc)
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

type apiKeyDoc struct {
	ID         string     `json:"id"`
	GroupID    *string    `json:"group_id"`
	CreatedBy  *string    `json:"created_by"`
	KeyPrefix  string     `json:"key_prefix"`
	Name       string     `json:"name"`
	Scopes     []string   `json:"scopes"`
	ExpiresAt  *time.Time `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
	CreatedAt  time.Time  `json:"created_at"`
	Key        string     `json:"key,omitempty"` // the secret: only in the POST answer
}

func apiKeyDocOf(k apikey.Key) apiKeyDoc {
	scopes := make([]string, 0, len(k.Scopes()))
	for _, s := range k.Scopes() {
		scopes = append(scopes, string(s))
	}
	return apiKeyDoc{ID: k.ID().String(), GroupID: optID(k.GroupID()), CreatedBy: optID(k.CreatedBy()), KeyPrefix: k.KeyPrefix(),
		Name: k.Name(), Scopes: scopes, ExpiresAt: optTime(k.ExpiresAt()), LastUsedAt: optTime(k.LastUsedAt()),
		RevokedAt: optTime(k.RevokedAt()), CreatedAt: k.CreatedAt().UTC()}
}
