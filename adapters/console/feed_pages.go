package console

import (
	"github.com/gofiber/fiber/v2"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain/threatfeed"
)

// feeds lists the threat feeds with their status (last success, last
// error, entry count), as GET /api/v1/threat-feeds pages them.
func (k *Console) feeds(c *fiber.Ctx, s *session) error {
	page, err := pageQuery(c)
	if err != nil {
		return k.fail(c, s, err)
	}
	p, err := k.uc.ListThreatFeeds.Execute(c.UserContext(), page)
	if err != nil {
		return k.fail(c, s, err)
	}
	return k.show(c, s, "feeds", "Threat feeds", listingOf(c, p))
}

type feedData struct {
	Feed     threatfeed.Feed
	List     listing[application.Advisory]
	Exposure application.Impact
}

// feed is one feed's status and its advisories (its last good content),
// paged, and the fleet's exposure to it; each advisory links to who has what it names now.
func (k *Console) feed(c *fiber.Ctx, s *session) error {
	id, err := pathID(c)
	if err != nil {
		return k.fail(c, s, err)
	}
	page, err := pageQuery(c)
	if err != nil {
		return k.fail(c, s, err)
	}
	f, err := k.uc.GetThreatFeed.Execute(c.UserContext(), id)
	if err != nil {
		return k.fail(c, s, err)
	}
	p, err := k.uc.ListAdvisories.Execute(c.UserContext(), id, page)
	if err != nil {
		return k.fail(c, s, err)
	}
	ex, err := k.uc.FeedExposure.Execute(c.UserContext(), id)
	if err != nil {
		return k.fail(c, s, err)
	}
	return k.pages.render(c, fiber.StatusOK, "feed", view{Title: f.Name(), Nav: "feeds", Session: s,
		Data: feedData{Feed: f, List: listingOf(c, p), Exposure: ex}})
}
