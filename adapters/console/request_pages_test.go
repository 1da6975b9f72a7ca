package console_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/agent"
	"github.com/extguard/extguard/domain/audit"
	"github.com/extguard/extguard/domain/user"
)

// asking enrolls an agent in a new group and files its request for ext.
func (e *env) asking(ext string) (agent.Agent, domain.ID) {
	e.t.Helper()
	ctx := context.Background()
	g := e.group("requests")
	k, _, err := e.uc.CreateAPIKey.Execute(ctx, audit.SystemActor(), user.RoleAdmin, g, "fleet", []string{"agent"}, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	en, err := e.uc.EnrollAgent.Execute(ctx, k, application.EnrollInput{MachineID: "m-" + domain.NewID().String()[28:],
		UserHash: strings.Repeat("ab", 32), DisplayName: "asker", Platform: "linux-x64", AgentVersion: "1.0.0"})
	if err != nil {
		e.t.Fatal(err)
	}
	r, _, err := e.uc.CreateRequest.Execute(ctx, en.Agent, application.RequestInput{ExtensionID: ext, Version: "1.0.0", Reason: "for the build"})
	if err != nil {
		e.t.Fatal(err)
	}
	return en.Agent, r.ID()
}

func (e *env) requestStatus(id domain.ID) string {
	e.t.Helper()
	var s string
	if err := e.db.NewRaw(`SELECT status FROM extension_requests WHERE id = ?`, id.String()).Scan(context.Background(), &s); err != nil {
		e.t.Fatal(err)
	}
	return s
}

func TestRequestApprovedForSevenDaysShowsOnTheAgent(t *testing.T) {
	e := newEnv(t)
	a, rid := e.asking("acme.tool")
	b, editor := e.signIn(user.RoleEditor)
	list := "/console/requests?status=pending&group_id=" + a.GroupID().String()
	page := b.do("GET", list, nil)
	action := "/console/requests/" + rid.String() + "/approve?"
	if page.status != http.StatusOK || !strings.Contains(page.body, `action="`+action) || !strings.Contains(page.body, `href="/console/requests?status=pending"`) {
		t.Fatalf("queue: %d %.2000s", page.status, page.body)
	}
	q := url.Values{"status": {"pending"}, "group_id": {a.GroupID().String()}}.Encode()
	before := time.Now()
	ans := b.do("POST", action+q, url.Values{"csrf": {csrf(t, page)}, "duration": {"7d"}, "scope": {"agent"}, "note": {"until the audit"}})
	if ans.status != http.StatusSeeOther || ans.header.Get("Location") != "/console/requests?"+q {
		t.Fatalf("approve: %d %s %.500s", ans.status, ans.header.Get("Location"), ans.body)
	}
	if st := e.requestStatus(rid); st != "approved" {
		t.Fatalf("request %s", st)
	}
	var until time.Time
	if err := e.db.NewRaw(`SELECT expires_at FROM agent_exceptions WHERE agent_id = ? AND ended_at IS NULL`, a.ID().String()).Scan(context.Background(), &until); err != nil {
		t.Fatal(err)
	}
	if d := until.Sub(before); d < 7*24*time.Hour || d > 7*24*time.Hour+time.Minute {
		t.Fatalf("the exception lasts %s", d)
	}
	if n := e.count(`SELECT count(*) FROM audit_log WHERE event_type = 'extension_request.approved' AND actor_id = ? AND target_id = ?`,
		editor.ID().String(), rid.String()); n != 1 {
		t.Fatalf("%d approval audit rows", n)
	}
	// The queue no longer offers it; the agent's page lists the exception.
	if strings.Contains(b.do("GET", list, nil).body, action) {
		t.Fatal("an answered request is still offered")
	}
	viewer, _ := e.signIn(user.RoleViewer)
	ap := viewer.do("GET", "/console/agents/"+a.ID().String(), nil)
	if ap.status != http.StatusOK || !regexp.MustCompile(`<td>acme\.tool</td><td>1\.0\.0</td><td>`+until.UTC().Format("2006-01-02")).MatchString(ap.body) {
		t.Fatalf("agent page: %d %.3000s", ap.status, ap.body)
	}
	if strings.Contains(ap.body, `href="/console/requests`) {
		t.Fatal("a viewer is offered the request queue")
	}
}

func TestRequestDeniedWithANote(t *testing.T) {
	e := newEnv(t)
	_, rid := e.asking("acme.deny")
	b, editor := e.signIn(user.RoleEditor)
	ans := b.do("POST", "/console/requests/"+rid.String()+"/deny?status=pending", url.Values{"csrf": {b.tokenOf("/console/requests")}, "note": {"use acme.tool"}})
	if ans.status != http.StatusSeeOther || ans.header.Get("Location") != "/console/requests?status=pending" {
		t.Fatalf("deny: %d %.500s", ans.status, ans.body)
	}
	if st := e.requestStatus(rid); st != "denied" {
		t.Fatalf("request %s", st)
	}
	if n := e.count(`SELECT count(*) FROM audit_log WHERE event_type = 'extension_request.denied' AND actor_id = ?`, editor.ID().String()); n != 1 {
		t.Fatalf("%d denial audit rows", n)
	}
	// Answering it again is a conflict shown above the list.
	again := b.do("POST", "/console/requests/"+rid.String()+"/deny", url.Values{"csrf": {b.tokenOf("/console/requests")}, "note": {"twice"}})
	if again.status != http.StatusConflict || !strings.Contains(again.body, `class="error"`) {
		t.Fatalf("second answer: %d", again.status)
	}
}

func TestBadAnswerShowsFieldErrorsBesideThatRequestAndChangesNothing(t *testing.T) {
	e := newEnv(t)
	a, rid := e.asking("acme.bad")
	b, _ := e.signIn(user.RoleAdmin)
	token := b.tokenOf("/console/requests")
	base := "/console/requests/" + rid.String()
	filter := "?group_id=" + a.GroupID().String()
	for _, c := range []struct {
		action string
		form   url.Values
		field  *regexp.Regexp
	}{
		{"/approve", url.Values{"duration": {"forever"}, "scope": {"agent"}}, regexp.MustCompile(`name="duration">(<option[^>]*>[^<]*</option>)+</select><span class="field-error">`)},
		{"/approve", url.Values{"duration": {"1h"}, "scope": {"planet"}}, regexp.MustCompile(`name="scope">(<option[^>]*>[^<]*</option>)+</select><span class="field-error">`)},
		{"/deny", url.Values{"note": {""}}, regexp.MustCompile(`id="deny-note-` + rid.String() + `" name="note" required value=""><span class="field-error">`)},
	} {
		c.form.Set("csrf", token)
		ans := b.do("POST", base+c.action+filter, c.form)
		if ans.status != http.StatusBadRequest || !c.field.MatchString(ans.body) {
			t.Fatalf("%s %v: %d %.3000s", c.action, c.form, ans.status, ans.body)
		}
		// The same list comes back (its filter kept), the request still offered.
		if !strings.Contains(ans.body, `action="`+base+`/approve?group_id=`+a.GroupID().String()+`"`) {
			t.Fatalf("%s: the list lost its filter", c.action)
		}
	}
	if st := e.requestStatus(rid); st != "pending" {
		t.Fatalf("request %s", st)
	}
	if n := e.count(`SELECT count(*) FROM agent_exceptions WHERE agent_id = ?`, a.ID().String()); n != 0 {
		t.Fatal("a refused approval granted an exception")
	}
	if a := b.do("GET", "/console/requests?status=nope", nil); a.status != http.StatusBadRequest {
		t.Fatalf("bad filter: %d", a.status)
	}
}

func TestViewerCannotSeeOrAnswerRequests(t *testing.T) {
	e := newEnv(t)
	_, rid := e.asking("acme.viewer")
	viewer, v := e.signIn(user.RoleViewer)
	if a := viewer.do("GET", "/console/", nil); strings.Contains(a.body, `href="/console/requests`) {
		t.Fatal("a viewer is offered the request queue")
	}
	if a := viewer.do("GET", "/console/requests", nil); a.status != http.StatusForbidden {
		t.Fatalf("viewer reads the queue: %d", a.status)
	}
	token := viewer.tokenOf("/console/")
	for _, action := range []string{"/approve", "/deny"} {
		a := viewer.do("POST", "/console/requests/"+rid.String()+action, url.Values{"csrf": {token}, "duration": {"permanent"}, "scope": {"group"}, "note": {"mine"}})
		if a.status != http.StatusForbidden {
			t.Fatalf("viewer %s: %d", action, a.status)
		}
	}
	if st := e.requestStatus(rid); st != "pending" {
		t.Fatalf("request %s", st)
	}
	if n := e.count(`SELECT count(*) FROM audit_log WHERE event_type = 'access.denied' AND actor_id = ?`, v.ID().String()); n != 3 {
		t.Fatalf("%d access.denied rows", n)
	}
}

// TestNewPagesAreCSPSafe walks the request, feed and exception pages with
// content in them (a pending request's forms, an exception, a feed):
// scripts only from the assets, no inline style, nothing from another origin.
func TestNewPagesAreCSPSafe(t *testing.T) {
	e := newEnv(t)
	a, rid := e.asking("acme.csp")
	b, _ := e.signIn(user.RoleAdmin)
	if ans := b.do("POST", "/console/requests/"+rid.String()+"/approve", url.Values{"csrf": {b.tokenOf("/console/")}, "duration": {"permanent"}, "scope": {"agent"}}); ans.status != http.StatusSeeOther {
		t.Fatalf("approve: %d", ans.status)
	}
	e.asking("acme.pending")
	f, err := e.uc.CreateThreatFeed.Execute(context.Background(), audit.SystemActor(), application.NewThreatFeedInput{Name: "csp-" + domain.NewID().String()[28:],
		Kind: "vscode-control", Mode: "alert"})
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/console/requests", "/console/requests?status=pending", "/console/agents/" + a.ID().String(),
		"/console/feeds", "/console/feeds/" + f.ID().String()} {
		p := b.do("GET", path, nil)
		if p.status != http.StatusOK {
			t.Fatalf("%s: %d", path, p.status)
		}
		checkCSPSafe(t, path, p.body)
		if path == "/console/requests?status=pending" && (!strings.Contains(p.body, "acme.pending") || strings.Contains(p.body, "acme.csp")) {
			t.Errorf("the status filter: %.2000s", p.body)
		}
	}
}
