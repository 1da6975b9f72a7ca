package httpapi

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/threatfeed"
)

// rawFileBody names a request body that is a file as it is (a feed's
// content), not a JSON object of the API's.
const rawFileBody = "RawFile"

var threatFeedHints = jsonObject{"kind": oneOfValues("vscode-control", "openvsx-control", "removed-packages", "extguard"),
	"mode": oneOfValues("block", "alert")}

func (a *Admin) threatFeedRoutes() []route {
	return []route{
		{Method: fiber.MethodGet, Path: "/api/v1/threat-feeds", Permission: PermRead, Tag: "threat-feeds", Summary: "List threat feeds", List: true, Status: fiber.StatusOK, Response: "ThreatFeedPage", handle: a.listThreatFeeds},
		{Method: fiber.MethodPost, Path: "/api/v1/threat-feeds", Permission: PermManageThreatFeeds, Tag: "threat-feeds", Summary: "Add a threat feed", Body: "ThreatFeedCreate", Status: fiber.StatusCreated, Response: "ThreatFeed", handle: a.createThreatFeed},
		{Method: fiber.MethodGet, Path: "/api/v1/threat-feeds/{id}", Permission: PermRead, Tag: "threat-feeds", Summary: "Read a threat feed and its status", Status: fiber.StatusOK, Response: "ThreatFeed", handle: a.getThreatFeed},
		{Method: fiber.MethodGet, Path: "/api/v1/threat-feeds/{id}/advisories", Permission: PermRead, Tag: "threat-feeds", Summary: "The feed's advisories (its last good content)", List: true, Status: fiber.StatusOK, Response: "AdvisoryPage", handle: a.listAdvisories},
		{Method: fiber.MethodDelete, Path: "/api/v1/threat-feeds/{id}", Permission: PermManageThreatFeeds, Tag: "threat-feeds", Summary: "Delete a threat feed, lifting its advisories", Status: fiber.StatusNoContent, handle: a.deleteThreatFeed},
		{Method: fiber.MethodPost, Path: "/api/v1/threat-feeds/{id}/import", Permission: PermManageThreatFeeds, Tag: "threat-feeds", Summary: "Import a feed's content (the file as the body); all or nothing", Body: rawFileBody, Status: fiber.StatusOK, Response: "ThreatFeedImport", handle: a.importThreatFeed},
		{Method: fiber.MethodPost, Path: "/api/v1/threat-feeds/{id}/suppressions", Permission: PermEditPolicy, Tag: "threat-feeds", Summary: "Stop one group applying one advisory of the feed", Body: "AdvisorySuppressionCreate", Status: fiber.StatusCreated, Response: "AdvisorySuppression", handle: a.suppressAdvisory},
	}
}

type threatFeedCreateRequest struct {
	Name      string `json:"name"`
	Kind      string `json:"kind"`
	URL       string `json:"url"`
	Mode      string `json:"mode"`
	IntervalS int    `json:"interval_s"`
}

type threatFeedStatusDoc struct {
	LastSuccessAt *time.Time `json:"last_success_at"`
	LastErrorAt   *time.Time `json:"last_error_at"`
	LastError     string     `json:"last_error"`
	EntryCount    int        `json:"entry_count"`
}

type threatFeedDoc struct {
	ID        string              `json:"id"`
	Name      string              `json:"name"`
	Kind      string              `json:"kind"`
	URL       string              `json:"url"`
	Mode      string              `json:"mode"`
	IntervalS int                 `json:"interval_s"`
	Status    threatFeedStatusDoc `json:"status"`
	CreatedAt time.Time           `json:"created_at"`
}

func threatFeedDocOf(f threatfeed.Feed) threatFeedDoc {
	st := f.Status()
	return threatFeedDoc{ID: f.ID().String(), Name: f.Name(), Kind: string(f.Kind()), URL: f.URL(), Mode: string(f.Mode()),
		IntervalS: int(f.Interval() / time.Second), CreatedAt: f.CreatedAt().UTC(),
		Status: threatFeedStatusDoc{LastSuccessAt: optTime(st.LastSuccessAt), LastErrorAt: optTime(st.LastErrorAt),
			LastError: st.LastError, EntryCount: st.EntryCount}}
}

type threatFeedImportDoc struct {
	Feed    threatFeedDoc `json:"feed"`
	Added   int           `json:"added"`
	Removed int           `json:"removed"`
	Kept    int           `json:"kept"`
	Matched int           `json:"matched"`
}

type advisoryDoc struct {
	PatternType string    `json:"pattern_type"`
	Pattern     string    `json:"pattern"`
	Versions    []string  `json:"versions"`
	Severity    string    `json:"severity"`
	Reason      string    `json:"reason"`
	Reference   string    `json:"reference"`
	FirstSeenAt time.Time `json:"first_seen_at"`
}

func advisoryDocOf(a application.Advisory) advisoryDoc {
	versions := a.Entry.Versions
	if versions == nil {
		versions = []string{}
	}
	return advisoryDoc{PatternType: string(a.Entry.Pattern.Type()), Pattern: a.Entry.Pattern.String(), Versions: versions,
		Severity: string(a.Entry.Severity), Reason: a.Entry.Reason, Reference: a.Entry.Reference, FirstSeenAt: a.FirstSeenAt.UTC()}
}

func (a *Admin) listAdvisories(c *fiber.Ctx) error {
	return withID(c, "id", func(id domain.ID) error {
		q := query{c: c}
		page := q.page()
		if err := q.err(); err != nil {
			return err
		}
		p, err := a.uc.ListAdvisories.Execute(c.UserContext(), id, page)
		return respond(c, p, err, func(p application.Page[application.Advisory]) pageDoc[advisoryDoc] { return pageOf(p, advisoryDocOf) })
	})
}

type suppressionCreateRequest struct {
	GroupID     string `json:"group_id"`
	PatternType string `json:"pattern_type"`
	Pattern     string `json:"pattern"`
	Reason      string `json:"reason"`
}

type suppressionDoc struct {
	GroupID     string    `json:"group_id"`
	FeedID      string    `json:"feed_id"`
	PatternType string    `json:"pattern_type"`
	Pattern     string    `json:"pattern"`
	Reason      string    `json:"reason"`
	CreatedBy   *string   `json:"created_by"`
	CreatedAt   time.Time `json:"created_at"`
}

func (a *Admin) listThreatFeeds(c *fiber.Ctx) error {
	q := query{c: c}
	page := q.page()
	if err := q.err(); err != nil {
		return err
	}
	p, err := a.uc.ListThreatFeeds.Execute(c.UserContext(), page)
	return respond(c, p, err, func(p application.Page[threatfeed.Feed]) pageDoc[threatFeedDoc] { return pageOf(p, threatFeedDocOf) })
}

func (a *Admin) createThreatFeed(c *fiber.Ctx) error {
	var in threatFeedCreateRequest
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	f, err := a.uc.CreateThreatFeed.Execute(c.UserContext(), actor(c), application.NewThreatFeedInput{Name: in.Name, Kind: in.Kind,
		URL: in.URL, Mode: in.Mode, Interval: time.Duration(in.IntervalS) * time.Second})
	return respond(c, f, err, threatFeedDocOf)
}

func (a *Admin) getThreatFeed(c *fiber.Ctx) error {
	return withID(c, "id", func(id domain.ID) error {
		f, err := a.uc.GetThreatFeed.Execute(c.UserContext(), id)
		return respond(c, f, err, threatFeedDocOf)
	})
}

func (a *Admin) deleteThreatFeed(c *fiber.Ctx) error {
	return withID(c, "id", func(id domain.ID) error {
		return noContent(c, a.uc.DeleteThreatFeed.Execute(c.UserContext(), actor(c), id))
	})
}

// importThreatFeed takes the body as the feed's file, up to the server's
// body limit (1 MiB; `extguard feeds import` has no such limit).
func (a *Admin) importThreatFeed(c *fiber.Ctx) error {
	return withID(c, "id", func(id domain.ID) error {
		body := append([]byte(nil), c.Body()...) // fasthttp reuses the request buffer
		res, err := a.uc.ImportThreatFeed.Execute(c.UserContext(), actor(c), id, application.FeedContent{Body: body}, application.SourceImport)
		return respond(c, res, err, func(r application.ImportResult) threatFeedImportDoc {
			return threatFeedImportDoc{Feed: threatFeedDocOf(r.Feed), Added: r.Added, Removed: r.Removed, Kept: r.Kept, Matched: r.Matched}
		})
	})
}

func (a *Admin) suppressAdvisory(c *fiber.Ctx) error {
	return withID(c, "id", func(id domain.ID) error {
		var in suppressionCreateRequest
		if err := decodeBody(c, &in); err != nil {
			return err
		}
		var fe domain.FieldErrors
		groupID, err := domain.ParseID(in.GroupID)
		if err != nil {
			fe.Add("group_id", "must be a UUID")
			return fe.Err("invalid suppression")
		}
		s, err := a.uc.SuppressAdvisory.Execute(c.UserContext(), actor(c), id, application.SuppressAdvisoryInput{GroupID: groupID,
			PatternType: in.PatternType, Pattern: in.Pattern, Reason: in.Reason})
		return respond(c, s, err, func(s application.AdvisorySuppression) suppressionDoc {
			return suppressionDoc{GroupID: s.GroupID.String(), FeedID: s.FeedID.String(), PatternType: s.PatternType, Pattern: s.Pattern,
				Reason: s.Reason, CreatedBy: optID(s.CreatedBy), CreatedAt: s.CreatedAt.UTC()}
		})
	})
}
