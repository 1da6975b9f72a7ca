package httpapi

import (
	"encoding/json"
	"time"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain/audit"
	"github.com/gofiber/fiber/v2"
)

func (a *Admin) auditLogRoutes() []route {
	return []route{
		{Method: fiber.MethodGet, Path: "/api/v1/audit-log", Permission: PermReadAudit, Tag: "audit", Summary: "The audit log, newest first", List: true,
			Query:  []param{stringParam("event_type", "e.g. blocklist.created"), uuidParam("actor_id", ""), uuidParam("group_id", ""), stringParam("target_type", ""), uuidParam("target_id", ""), sinceParam, untilParam},
			Status: fiber.StatusOK, Response: "AuditPage", handle: a.listAuditLog},
	}
}

func (a *Admin) listAuditLog(c *fiber.Ctx) error {
	q := query{c: c}
	f := application.AuditFilter{ActorID: q.id("actor_id"), GroupID: q.id("group_id"), TargetType: q.str("target_type"),
		TargetID: q.id("target_id"), Since: q.time("since"), Until: q.time("until")}
	if s := q.str("event_type"); s != "" {
		t, err := audit.ParseEventType(s)
		q.fe.Include("", err)
		f.EventType = t
	}
	page := q.page()
	if err := q.err(); err != nil {
		return err
	}
	p, err := a.uc.ListAuditLog.Execute(c.UserContext(), f, page)
	return respond(c, p, err, func(p application.Page[audit.Event]) pageDoc[auditDoc] { return pageOf(p, auditDocOf) })
}

type auditDoc struct {
	ID         string          `json:"id"`
	EventType  string          `json:"event_type"`
	ActorType  string          `json:"actor_type"`
	ActorID    *string         `json:"actor_id"`
	GroupID    *string         `json:"group_id"`
	TargetType string          `json:"target_type"`
	TargetID   *string         `json:"target_id"`
	Details    json.RawMessage `json:"details"`
	ClientIP   *string         `json:"client_ip"`
	UserAgent  string          `json:"user_agent"`
	CreatedAt  time.Time       `json:"created_at"`
}

func auditDocOf(e audit.Event) auditDoc {
	a := e.Actor()
	return auditDoc{ID: e.ID().String(), EventType: string(e.Type()), ActorType: string(a.Type), ActorID: optID(a.ID),
		GroupID: optID(e.GroupID()), TargetType: e.TargetType(), TargetID: optID(e.TargetID()), Details: e.DetailsJSON(),
		ClientIP: optString(a.ClientIP), UserAgent: a.UserAgent, CreatedAt: e.CreatedAt().UTC()}
}
