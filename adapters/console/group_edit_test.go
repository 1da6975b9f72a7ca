package console_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/user"
)

func (e *env) settingsOf(g domain.ID) string {
	e.t.Helper()
	var s string
	if err := e.db.NewRaw(`SELECT settings::text FROM groups WHERE id = ?`, g.String()).Scan(context.Background(), &s); err != nil {
		e.t.Fatal(err)
	}
	return s
}

func settingsValues(csrf string, kv ...string) url.Values {
	v := url.Values{"csrf": {csrf}, "mode": {"allowlist"}, "enforcement": {"audit"}}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

// TestGroupSettingsForm: an editor changes the settings through
// UpdateGroup (audited), a blank interval goes back to its default, and the
// form shows the current values.
func TestGroupSettingsForm(t *testing.T) {
	e := newEnv(t)
	g := e.group("settings")
	b, _ := e.signIn(user.RoleEditor)
	page := "/console/groups/" + g.String()
	a := b.do("POST", page+"/settings", settingsValues(b.tokenOf(page), "mode", "blocklist", "enforcement", "enforce", "heartbeat_interval_s", "120"))
	if a.status != http.StatusSeeOther {
		t.Fatalf("save: %d %.1000s", a.status, a.body)
	}
	if s := e.settingsOf(g); !strings.Contains(s, `"mode": "blocklist"`) || !strings.Contains(s, `"enforcement": "enforce"`) || !strings.Contains(s, `"heartbeat_interval_s": 120`) {
		t.Fatalf("settings stored: %s", s)
	}
	if n := e.count(`SELECT count(*) FROM audit_log WHERE event_type = 'group.updated' AND group_id = ?`, g.String()); n != 1 {
		t.Fatalf("%d group.updated rows", n)
	}
	shown := b.do("GET", page, nil).body
	if !strings.Contains(shown, `name="heartbeat_interval_s" inputmode="numeric" value="120"`) || !strings.Contains(shown, `<option selected>blocklist</option>`) {
		t.Fatalf("the form does not show the settings: %.4000s", shown)
	}
	a = b.do("POST", page+"/settings", settingsValues(b.tokenOf(page), "heartbeat_interval_s", ""))
	if a.status != http.StatusSeeOther || strings.Contains(e.settingsOf(g), "heartbeat") {
		t.Fatalf("blank heartbeat: %d, settings %s", a.status, e.settingsOf(g))
	}
}

// TestGroupSettingsFormBadInputChangesNothing: the API's field errors sit
// beside the inputs, the typed values stay, and nothing is stored.
func TestGroupSettingsFormBadInputChangesNothing(t *testing.T) {
	e := newEnv(t)
	g := e.group("settings-bad")
	b, _ := e.signIn(user.RoleAdmin)
	page := "/console/groups/" + g.String()
	before := e.settingsOf(g)
	for field, bad := range map[string]string{"heartbeat_interval_s": "5", "stale_after_s": "soon", "mode": "denylist"} {
		a := b.do("POST", page+"/settings", settingsValues(b.tokenOf(page), field, bad))
		if a.status != http.StatusBadRequest {
			t.Fatalf("%s=%s: %d", field, bad, a.status)
		}
		beside := regexp.MustCompile(`name="` + field + `"[^>]*>(<option[^<]*</option>)*(</select>)?<span class="field-error">[^<]+</span>`)
		if !beside.MatchString(a.body) {
			t.Errorf("%s=%s: no field error beside the input: %.4000s", field, bad, a.body)
		}
		if field != "mode" && !strings.Contains(a.body, `value="`+bad+`"`) {
			t.Errorf("%s=%s: the typed value is lost", field, bad)
		}
		if after := e.settingsOf(g); after != before {
			t.Fatalf("%s=%s changed the settings: %s -> %s", field, bad, before, after)
		}
	}
}

// TestGroupSettingsFormRoles: a viewer gets no settings form, and its post
// is refused and audited; a post without the session's token is refused.
func TestGroupSettingsFormRoles(t *testing.T) {
	e := newEnv(t)
	g := e.group("settings-roles")
	page := "/console/groups/" + g.String()
	viewer, v := e.signIn(user.RoleViewer)
	if body := viewer.do("GET", page, nil).body; strings.Contains(body, `/settings"`) || strings.Contains(body, `name="heartbeat_interval_s"`) {
		t.Fatal("a viewer is shown the settings form")
	}
	before := e.settingsOf(g)
	a := viewer.do("POST", page+"/settings", settingsValues(viewer.tokenOf(page), "mode", "blocklist"))
	if a.status != http.StatusForbidden || e.settingsOf(g) != before {
		t.Fatalf("viewer post: %d, settings %s", a.status, e.settingsOf(g))
	}
	if n := e.count(`SELECT count(*) FROM audit_log WHERE event_type = 'access.denied' AND actor_id = ?`, v.ID().String()); n != 1 {
		t.Fatalf("%d access.denied rows", n)
	}
	editor, _ := e.signIn(user.RoleEditor)
	if body := editor.do("GET", page, nil).body; !strings.Contains(body, `action="/console/groups/`+g.String()+`/settings"`) {
		t.Fatal("an editor is not shown the settings form, so the viewer check proves nothing")
	}
	if a := editor.do("POST", page+"/settings", settingsValues("forged", "mode", "blocklist")); a.status != http.StatusForbidden || e.settingsOf(g) != before {
		t.Fatalf("post with a forged token: %d", a.status)
	}
}
