package console

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	httpapi "github.com/extguard/extguard/adapters/http"
	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain/group"
)

// settingsForm is the group settings form: what the admin set (blank: the
// default, shown as the placeholder) or, after a refusal, what was typed.
type settingsForm struct {
	Typed                     bool
	Mode, Enforcement         string
	Heartbeat, Stale, Offline string
}

// settingsIntervals are the form's interval inputs by their settings key.
var settingsIntervals = []string{"heartbeat_interval_s", "stale_after_s", "offline_after_s"}

// SettingsForm is the form's values: the refused input, else the group's
// explicit settings.
func (d groupData) SettingsForm() settingsForm {
	if d.Settings.Typed {
		return d.Settings
	}
	var explicit map[string]any
	_ = json.Unmarshal(d.Group.Settings().ExplicitJSON(), &explicit)
	num := func(key string) string {
		if v, ok := explicit[key].(float64); ok {
			return strconv.FormatFloat(v, 'f', -1, 64)
		}
		return ""
	}
	s := d.Group.Settings()
	return settingsForm{Mode: string(s.Mode()), Enforcement: string(s.Enforcement()),
		Heartbeat: num(settingsIntervals[0]), Stale: num(settingsIntervals[1]), Offline: num(settingsIntervals[2])}
}

// Modes and Enforcements are the settings' choices.
func (groupData) Modes() []group.Mode { return []group.Mode{group.ModeAllowlist, group.ModeBlocklist} }

func (groupData) Enforcements() []group.Enforcement {
	return []group.Enforcement{group.EnforcementAudit, group.EnforcementEnforce}
}

// settingsPatch is the form as the API's settings merge document: a blank
// interval is null (back to its default); what is not a number goes as
// typed, so the API's validation words the error.
func settingsPatch(f settingsForm) []byte {
	doc := map[string]any{"mode": f.Mode, "enforcement": f.Enforcement}
	for i, v := range []string{f.Heartbeat, f.Stale, f.Offline} {
		v = strings.TrimSpace(v)
		switch n, err := strconv.Atoi(v); {
		case v == "":
			doc[settingsIntervals[i]] = nil
		case err == nil:
			doc[settingsIntervals[i]] = n
		default:
			doc[settingsIntervals[i]] = v
		}
	}
	b, _ := json.Marshal(doc)
	return b
}

// updateGroupSettings is PATCH /api/v1/groups/{id} with settings only;
// bad input shows the field errors beside the inputs and changes nothing.
func (k *Console) updateGroupSettings(c *fiber.Ctx, s *session) error {
	id, err := pathID(c)
	if err != nil {
		return k.fail(c, s, err)
	}
	f := settingsForm{Typed: true, Mode: c.FormValue("mode"), Enforcement: c.FormValue("enforcement"),
		Heartbeat: c.FormValue("heartbeat_interval_s"), Stale: c.FormValue("stale_after_s"), Offline: c.FormValue("offline_after_s")}
	_, err = k.uc.UpdateGroup.Execute(c.UserContext(), httpapi.RequestActor(c, s.principal), id,
		application.GroupChanges{Settings: settingsPatch(f)})
	if msg, fields, ok := fieldErrors(err); ok {
		return k.groupPage(c, s, id, fiber.StatusBadRequest, view{Error: msg, Fields: fields, Data: groupData{Settings: f}})
	}
	if err != nil {
		return k.fail(c, s, err)
	}
	return c.Redirect(Prefix+"/groups/"+id.String(), fiber.StatusSeeOther)
}
