package console_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/extguard/extguard/adapters/console"
	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
	"github.com/extguard/extguard/domain/user"
)

func (e *env) group(name string) domain.ID {
	e.t.Helper()
	g, err := e.uc.CreateGroup.Execute(context.Background(), audit.SystemActor(), application.NewGroupInput{Name: name + "-" + domain.NewID().String()[28:]})
	if err != nil {
		e.t.Fatal(err)
	}
	return g.ID()
}

func TestViewerSeesNoControlAndIsRefused(t *testing.T) {
	e := newEnv(t)
	gid := e.group("viewers")
	admin, _ := e.signIn(user.RoleAdmin)
	viewer, v := e.signIn(user.RoleViewer)
	for _, path := range []string{"/console/blocklist", "/console/groups/" + gid.String(), "/console/installations?extension_id=evil.pack", "/console/webhooks"} {
		if a := admin.do("GET", path, nil); !strings.Contains(a.body, `method="post" action="/console/`) {
			t.Fatalf("%s: an admin sees no form, so the viewer check below proves nothing", path)
		}
		a := viewer.do("GET", path, nil)
		if a.status != http.StatusOK {
			t.Fatalf("%s: %d", path, a.status)
		}
		// The only form a viewer gets is signing out.
		if n := strings.Count(a.body, `method="post"`); n != 1 {
			t.Errorf("%s: a viewer sees %d forms", path, n)
		}
	}
	if a := viewer.do("GET", "/console/", nil); strings.Contains(a.body, `href="/console/audit"`) || strings.Contains(a.body, `href="/console/users"`) {
		t.Error("a viewer is offered the audit log or users")
	}
	// The server refuses anyway, and audits it.
	a := viewer.do("POST", "/console/blocklist", url.Values{"csrf": {viewer.tokenOf("/console/")}, "pattern_type": {"exact"}, "pattern": {"viewer.try"}})
	if a.status != http.StatusForbidden || e.count(`SELECT count(*) FROM blocklist WHERE pattern = 'viewer.try'`) != 0 {
		t.Fatalf("viewer post: %d", a.status)
	}
	if n := e.count(`SELECT count(*) FROM audit_log WHERE event_type = 'access.denied' AND actor_id = ?`, v.ID().String()); n != 1 {
		t.Fatalf("%d access.denied rows", n)
	}
	if a := viewer.do("GET", "/console/audit", nil); a.status != http.StatusForbidden {
		t.Fatalf("viewer reads the audit log: %d", a.status)
	}
}

func TestBadFormShowsTheFieldErrorsAndChangesNothing(t *testing.T) {
	e := newEnv(t)
	b, _ := e.signIn(user.RoleEditor)
	a := b.do("POST", "/console/blocklist", url.Values{"csrf": {b.tokenOf("/console/blocklist")}, "pattern_type": {"regex"}, "pattern": {"(unclosed"}})
	if a.status != http.StatusBadRequest {
		t.Fatalf("bad regex: %d", a.status)
	}
	// The message sits beside the pattern input, and the input keeps what was typed.
	if !regexp.MustCompile(`name="pattern" value="\(unclosed">\s*<span class="field-error">[^<]+</span>`).MatchString(a.body) {
		t.Fatalf("no field error beside the pattern: %.2000s", a.body)
	}
	if n := e.count(`SELECT count(*) FROM blocklist WHERE pattern = '(unclosed'`); n != 0 {
		t.Fatal("a refused entry was stored")
	}
}

var newKey = regexp.MustCompile(`<code id="new-key">(egk_[^<]+)</code>`)
var revokeForm = regexp.MustCompile(`action="(/console/api-keys/[0-9a-f-]+/revoke)"`)

func TestAPIKeySecretShownOnceThenRevoked(t *testing.T) {
	e := newEnv(t)
	gid := e.group("keys")
	b, _ := e.signIn(user.RoleEditor)
	page := "/console/groups/" + gid.String()
	a := b.do("POST", page+"/api-keys", url.Values{"csrf": {b.tokenOf(page)}, "name": {"fleet"}, "scope": {"agent"}})
	m := newKey.FindStringSubmatch(a.body)
	if a.status != http.StatusCreated || m == nil || a.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("create: %d %.500s", a.status, a.body)
	}
	again := b.do("GET", page, nil)
	if strings.Contains(again.body, m[1]) {
		t.Fatal("the secret is shown again")
	}
	// An editor may not mint an admin key: the field error, nothing stored.
	a = b.do("POST", page+"/api-keys", url.Values{"csrf": {b.tokenOf(page)}, "name": {"root"}, "scope": {"admin"}})
	if a.status < 400 || e.count(`SELECT count(*) FROM api_keys WHERE name = 'root' AND group_id = ?`, gid.String()) != 0 {
		t.Fatalf("editor minted an admin key: %d", a.status)
	}
	r := revokeForm.FindStringSubmatch(again.body)
	if r == nil {
		t.Fatal("no revoke button")
	}
	a = b.do("POST", r[1], url.Values{"csrf": {b.tokenOf(page)}, "back": {page}})
	if a.status != http.StatusSeeOther || a.header.Get("Location") != page {
		t.Fatalf("revoke: %d %s", a.status, a.header.Get("Location"))
	}
	if n := e.count(`SELECT count(*) FROM api_keys WHERE group_id = ? AND revoked_at IS NOT NULL`, gid.String()); n != 1 {
		t.Fatalf("%d revoked keys", n)
	}
	if !strings.Contains(b.do("GET", page, nil).body, "revoked ") {
		t.Fatal("the page does not show the key revoked")
	}
}

func TestNativePolicyDownloads(t *testing.T) {
	e := newEnv(t)
	gid := e.group("native")
	b, _ := e.signIn(user.RoleViewer)
	for format, want := range map[string]string{"json": `"AllowedExtensions"`, "mobileconfig": "com.microsoft.VSCode", "reg": `HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Microsoft\VSCode`} {
		a := b.do("GET", "/console/groups/"+gid.String()+"/policy?format="+format, nil)
		if a.status != http.StatusOK || !strings.Contains(a.body, want) || !strings.HasPrefix(a.header.Get("Content-Disposition"), "attachment;") {
			t.Errorf("%s: %d %v %.200s", format, a.status, a.header, a.body)
		}
	}
	if a := b.do("GET", "/console/groups/"+gid.String()+"/policy?format=exe", nil); a.status != http.StatusBadRequest {
		t.Errorf("unknown format: %d", a.status)
	}
}

func TestAuditPageFiltersAndPages(t *testing.T) {
	e := newEnv(t)
	b, u := e.signIn(user.RoleAuditor)
	a := b.do("GET", "/console/audit?event_type=user.login&actor_id="+u.ID().String(), nil)
	if a.status != http.StatusOK || strings.Count(a.body, "<td>user.login</td>") != 1 {
		t.Fatalf("filtered audit: %d %.1000s", a.status, a.body)
	}
	if a := b.do("GET", "/console/audit?event_type=nope", nil); a.status != http.StatusBadRequest {
		t.Fatalf("bad filter: %d", a.status)
	}
	if a := b.do("GET", "/console/audit?cursor=garbage", nil); a.status != http.StatusBadRequest {
		t.Fatalf("bad cursor: %d", a.status)
	}
}

func TestRootRedirectsToTheConsole(t *testing.T) {
	e := newEnv(t)
	if a := e.browser().do("GET", "/", nil); a.status != http.StatusFound || a.header.Get("Location") != "/console/" {
		t.Fatalf("/: %d %s", a.status, a.header.Get("Location"))
	}
}

func TestWebhookDeliveriesPage(t *testing.T) {
	e := newEnv(t)
	h, err := e.uc.CreateWebhook.Execute(context.Background(), audit.SystemActor(), application.NewWebhookInput{
		URL: "https://siem.example.com/hook", Description: "siem"})
	if err != nil {
		t.Fatal(err)
	}
	auditor, _ := e.signIn(user.RoleAuditor)
	if a := auditor.do("GET", "/console/webhooks", nil); !strings.Contains(a.body, `href="/console/webhooks/`+h.ID().String()+`"`) {
		t.Fatalf("no link to the deliveries: %.1000s", a.body)
	}
	if a := auditor.do("GET", "/console/webhooks/"+h.ID().String(), nil); a.status != http.StatusOK || !strings.Contains(a.body, "Webhook deliveries") {
		t.Fatalf("deliveries: %d", a.status)
	}
	viewer, _ := e.signIn(user.RoleViewer)
	if a := viewer.do("GET", "/console/webhooks/"+h.ID().String(), nil); a.status != http.StatusForbidden {
		t.Fatalf("viewer reads deliveries: %d", a.status)
	}
}

// enroll enrolls an agent named name in group g through the use case.
func (e *env) enroll(g domain.ID, name, machine string) {
	e.t.Helper()
	ctx := context.Background()
	k, _, err := e.uc.CreateAPIKey.Execute(ctx, audit.SystemActor(), user.RoleAdmin, g, "fleet-"+name, []string{"agent"}, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.uc.EnrollAgent.Execute(ctx, k, application.EnrollInput{MachineID: machine, UserHash: strings.Repeat("ab", 32),
		DisplayName: name, Platform: "linux-x64", AgentVersion: "1.0.0"}); err != nil {
		e.t.Fatal(err)
	}
}

func TestAgentsSearchByNameOrMachineID(t *testing.T) {
	e := newEnv(t)
	g := e.group("search")
	e.enroll(g, "Alice-Laptop", "m-alice")
	e.enroll(g, "bob_desktop", "m-bob")
	e.enroll(g, "carol", "m-50%")
	b, _ := e.signIn(user.RoleViewer)
	for q, want := range map[string][]string{"alice": {"Alice-Laptop"}, "m-bob": {"bob_desktop"}, "_": {"bob_desktop"},
		"%": {}, "m-50%": {"carol"}, "nobody": {}} {
		a := b.do("GET", "/console/agents?group_id="+g.String()+"&q="+url.QueryEscape(q), nil)
		if a.status != http.StatusOK {
			t.Fatalf("q=%s: %d", q, a.status)
		}
		for _, name := range []string{"Alice-Laptop", "bob_desktop", "carol"} {
			shown := strings.Contains(a.body, ">"+name+"</a>")
			if shown != slices.Contains(want, name) {
				t.Errorf("q=%q: %s shown %v", q, name, shown)
			}
		}
	}
}

// Every console action that changes policy is refused to a viewer who posts
// it directly (a valid form, same origin), audited, and changes nothing: the
// route table's permission, not the hidden button, is what holds.
func TestViewerPostingEveryActionIsRefusedAndAudited(t *testing.T) {
	e := newEnv(t)
	gid := e.group("viewer-posts")
	k, _, err := e.uc.CreateAPIKey.Execute(context.Background(), audit.SystemActor(), user.RoleAdmin, gid, "kept", []string{"agent"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	viewer, v := e.signIn(user.RoleViewer)
	token := viewer.tokenOf("/console/")
	for path, form := range map[string]url.Values{
		"/console/blocklist":                               {"pattern_type": {"exact"}, "pattern": {"viewer.try"}},
		"/console/groups/" + gid.String() + "/api-keys":    {"name": {"viewer-key"}, "scope": {"agent"}},
		"/console/api-keys/" + k.ID().String() + "/revoke": {"back": {"/console/groups/" + gid.String()}},
	} {
		form.Set("csrf", token)
		if a := viewer.do("POST", path, form); a.status != http.StatusForbidden {
			t.Errorf("viewer POST %s: %d", path, a.status)
		}
	}
	if n := e.count(`SELECT count(*) FROM audit_log WHERE event_type = 'access.denied' AND actor_id = ?`, v.ID().String()); n != 3 {
		t.Errorf("%d access.denied rows, want 3", n)
	}
	if n := e.count(`SELECT count(*) FROM api_keys WHERE group_id = ? AND (name = 'viewer-key' OR revoked_at IS NOT NULL)`, gid.String()); n != 0 {
		t.Errorf("a viewer's post changed the group's keys (%d rows)", n)
	}
	if n := e.count(`SELECT count(*) FROM blocklist WHERE pattern = 'viewer.try'`); n != 0 {
		t.Error("a viewer's post created a blocklist entry")
	}
}

// TestViewerIsRefusedEveryRouteTheTableDenies walks the console's route
// table itself: every route whose permission a viewer lacks answers 403
// to a signed-in viewer with a valid CSRF token and writes one
// access.denied row, so a new route with a control but no permission
// check cannot slip past the three hand-picked posts above.
func TestViewerIsRefusedEveryRouteTheTableDenies(t *testing.T) {
	e := newEnv(t)
	viewer, v := e.signIn(user.RoleViewer)
	token := viewer.tokenOf("/console/")
	param := regexp.MustCompile(`:[a-z]+`)
	denied := 0
	for _, r := range console.Routes() {
		if r.Permission.Allows(user.RoleViewer) {
			continue
		}
		denied++
		path := "/console" + param.ReplaceAllStringFunc(r.Path, func(string) string { return domain.NewID().String() })
		var form url.Values
		if r.Method != http.MethodGet {
			form = url.Values{"csrf": {token}}
		}
		if a := viewer.do(r.Method, path, form); a.status != http.StatusForbidden {
			t.Errorf("viewer %s %s: %d, want 403", r.Method, r.Path, a.status)
		}
	}
	if denied < 15 {
		t.Fatalf("only %d routes a viewer may not use: the table is not what this test walks", denied)
	}
	if n := e.count(`SELECT count(*) FROM audit_log WHERE event_type = 'access.denied' AND actor_id = ?`, v.ID().String()); n != denied {
		t.Errorf("%d access.denied rows for %d refusals", n, denied)
	}
}
