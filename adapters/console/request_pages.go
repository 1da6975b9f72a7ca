package console

import (
	"html/template"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	httpapi "github.com/extguard/extguard/adapters/http"
	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/group"
	"github.com/extguard/extguard/domain/request"
)

// approvalDuration is one choice of the approve form's duration picker:
// how long the exception or assignment lasts from the moment of approval.
type approvalDuration struct {
	Value string // the form value, part of the contract like the addresses
	Label string
	For   time.Duration // 0: permanent
}

var approvalDurations = []approvalDuration{
	{"1h", "1 hour", time.Hour}, {"1d", "1 day", 24 * time.Hour}, {"7d", "7 days", 7 * 24 * time.Hour},
	{"30d", "30 days", 30 * 24 * time.Hour}, {"permanent", "permanent", 0},
}

// defaultDuration is preselected: a day, so a forgotten approval ends.
const defaultDuration = "1d"

// answerForm is what was typed in the approve or deny form of one request,
// shown again beside its field errors.
type answerForm struct {
	Action                string // approve or deny: which of the request's forms
	Duration, Scope, Note string
}

type requestsData struct {
	List        listing[request.Request]
	Names       map[domain.ID]string
	Groups      []group.Group
	MoreGroups  bool // more groups than Groups offers (the filter says so)
	Status      string
	GroupID     string
	ExtensionID string
	Statuses    []request.Status
	Durations   []approvalDuration
	Scopes      []request.Scope
	Query       template.URL // the list's query, kept by the answer forms to come back to it
	Failed      string       // the request whose answer was refused, its errors beside its fields
	Form        answerForm
}

// requestsPage is the request queue as GET /api/v1/requests filters and
// pages it (the same query parameters); the answer forms post to an
// address with the same query, so a refused answer shows the same page.
func (k *Console) requestsPage(c *fiber.Ctx, s *session, status int, v view) error {
	f, fe := httpapi.RequestFilterOf(c)
	q := form{c: c, fe: fe}
	page := q.page()
	if err := q.err(); err != nil {
		return k.fail(c, s, err)
	}
	p, err := k.uc.ListRequests.Execute(c.UserContext(), f, page)
	if err != nil {
		return k.fail(c, s, err)
	}
	ix, err := k.groupIndex(c.UserContext())
	if err != nil {
		return k.fail(c, s, err)
	}
	names, err := ix.namesOf(c.UserContext(), idsOf(p.Items, request.Request.GroupID))
	if err != nil {
		return k.fail(c, s, err)
	}
	d, _ := v.Data.(requestsData)
	d.List, d.Names, d.Groups, d.MoreGroups = listingOf(c, p), names, ix.Listed, ix.More
	if d.List.Next != "" { // after a refused answer c.Path() is the form's address
		d.List.Next = Prefix + "/requests?" + d.List.Next[strings.IndexByte(d.List.Next, '?')+1:]
	}
	d.Status, d.GroupID, d.ExtensionID = q.str("status"), q.str("group_id"), q.str("extension_id")
	d.Statuses, d.Durations = request.Statuses, approvalDurations
	d.Scopes = []request.Scope{request.ScopeAgent, request.ScopeGroup}
	d.Query = template.URL(listQuery(c))
	if d.Form.Duration == "" {
		d.Form.Duration = defaultDuration
	}
	v.Title, v.Nav, v.Session, v.Data = "Extension requests", "requests", s, d
	return k.pages.render(c, status, "requests", v)
}

// listQuery is the request's query string, re-encoded (so it holds no raw
// character a redirect or an attribute could misread).
func listQuery(c *fiber.Ctx) string {
	q, _ := url.ParseQuery(string(c.Request().URI().QueryString()))
	return q.Encode()
}

func (k *Console) requests(c *fiber.Ctx, s *session) error {
	return k.requestsPage(c, s, fiber.StatusOK, view{})
}

// approveRequest approves through the API's use case, for the duration
// picked from now; bad input shows the field errors beside that request's
// form and changes nothing.
func (k *Console) approveRequest(c *fiber.Ctx, s *session) error {
	id, err := pathID(c)
	if err != nil {
		return k.fail(c, s, err)
	}
	in := answerForm{Action: "approve", Duration: c.FormValue("duration"), Scope: c.FormValue("scope"), Note: c.FormValue("note")}
	approval := application.ApproveInput{Scope: in.Scope, Note: in.Note}
	err = durationOf(in.Duration, &approval)
	if err == nil {
		_, err = k.uc.ApproveRequest.Execute(c.UserContext(), httpapi.RequestActor(c, s.principal), id, approval)
	}
	return k.answered(c, s, id, in, err)
}

// denyRequest denies through the API's use case, with the note saying why.
func (k *Console) denyRequest(c *fiber.Ctx, s *session) error {
	id, err := pathID(c)
	if err != nil {
		return k.fail(c, s, err)
	}
	in := answerForm{Action: "deny", Note: c.FormValue("note")}
	_, err = k.uc.DenyRequest.Execute(c.UserContext(), httpapi.RequestActor(c, s.principal), id, in.Note)
	return k.answered(c, s, id, in, err)
}

// answered goes back to the list the form was on, or shows it again with
// the refusal (field errors of the answered request beside its fields, or
// the conflict above the list: answered already, blocked).
func (k *Console) answered(c *fiber.Ctx, s *session, id domain.ID, in answerForm, err error) error {
	if msg, fields, ok := fieldErrors(err); ok {
		if m, ok := fields["expires_at"]; ok {
			fields["duration"] = m // the picker is how the console sets the expiry
		}
		return k.requestsPage(c, s, httpapi.ProblemOf(err).Status, view{Error: msg, Fields: fields,
			Data: requestsData{Failed: id.String(), Form: in}})
	}
	if err != nil {
		return k.fail(c, s, err)
	}
	return c.Redirect(Prefix+"/requests?"+listQuery(c), fiber.StatusSeeOther)
}

// durationOf sets the approval's expiry from a picked duration.
func durationOf(v string, in *application.ApproveInput) error {
	for _, d := range approvalDurations {
		if d.Value == v {
			if d.For > 0 {
				at := time.Now().Add(d.For)
				in.ExpiresAt = &at
			}
			return nil
		}
	}
	var fe domain.FieldErrors
	fe.Add("duration", "must be one of 1h, 1d, 7d, 30d, permanent")
	return fe.Err("invalid approval")
}

// agentSBOM and groupSBOM download the same CycloneDX document as
// GET /api/v1/agents/{id}/sbom and /api/v1/groups/{id}/sbom.
func (k *Console) agentSBOM(c *fiber.Ctx, s *session) error {
	return k.sbomOf(c, s, "agent", func(id domain.ID) application.SBOMScope { return application.SBOMScope{AgentID: id} })
}

func (k *Console) groupSBOM(c *fiber.Ctx, s *session) error {
	return k.sbomOf(c, s, "group", func(id domain.ID) application.SBOMScope { return application.SBOMScope{GroupID: id} })
}

func (k *Console) sbomOf(c *fiber.Ctx, s *session, kind string, scope func(domain.ID) application.SBOMScope) error {
	id, err := pathID(c)
	if err != nil {
		return k.fail(c, s, err)
	}
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+kind+`-`+id.String()+`.cdx.json"`)
	if err := httpapi.StreamSBOM(c, k.uc.ExportSBOM, k.log, scope(id)); err != nil {
		c.Response().Header.Del(fiber.HeaderContentDisposition)
		return k.fail(c, s, err)
	}
	return nil
}
