package console_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
	"github.com/extguard/extguard/domain/user"
)

// catalogEntry adds publisher.name-<suffix> to the catalog.
func (e *env) catalogEntry(name string) (domain.ID, string) {
	e.t.Helper()
	ext := "acme." + name + "-" + domain.NewID().String()[28:]
	en, err := e.uc.CreateCatalogEntry.Execute(context.Background(), audit.SystemActor(),
		application.NewCatalogEntryInput{ExtensionID: ext, Name: name, Publisher: "acme"})
	if err != nil {
		e.t.Fatal(err)
	}
	return en.ID(), ext
}

func (e *env) assignment(g, entry domain.ID) (rows int, required bool) {
	e.t.Helper()
	err := e.db.NewRaw(`SELECT count(*), coalesce(bool_or(is_required), false) FROM group_extensions WHERE group_id = ? AND extension_id = ?`,
		g.String(), entry.String()).Scan(context.Background(), &rows, &required)
	if err != nil {
		e.t.Fatal(err)
	}
	return rows, required
}

// TestAssignmentForms: an editor assigns a catalog entry by its extension
// id, makes it required, then removes it, each through the API's use case
// and audited.
func TestAssignmentForms(t *testing.T) {
	e := newEnv(t)
	g := e.group("assign")
	entry, ext := e.catalogEntry("tool")
	b, _ := e.signIn(user.RoleEditor)
	page := "/console/groups/" + g.String()
	if a := b.do("POST", page+"/assignments", url.Values{"csrf": {b.tokenOf(page)}, "extension_id": {strings.ToUpper(ext)}, "requirement": {"allowed"}}); a.status != http.StatusSeeOther {
		t.Fatalf("assign: %d %.1000s", a.status, a.body)
	}
	if n, req := e.assignment(g, entry); n != 1 || req {
		t.Fatalf("after assigning: %d rows, required %v", n, req)
	}
	body := b.do("GET", page, nil).body
	if !strings.Contains(body, "<td>"+ext+"</td><td>allowed</td>") || !strings.Contains(body, `aria-label="Make required: `+ext+`"`) {
		t.Fatalf("the page does not list the assignment with its toggle: %.4000s", body)
	}
	if a := b.do("POST", page+"/assignments", url.Values{"csrf": {b.tokenOf(page)}, "extension_id": {ext}, "requirement": {"required"}}); a.status != http.StatusSeeOther {
		t.Fatalf("make required: %d", a.status)
	}
	if n, req := e.assignment(g, entry); n != 1 || !req {
		t.Fatalf("after making it required: %d rows, required %v", n, req)
	}
	remove := regexp.MustCompile(`action="(/console/groups/[0-9a-f-]+/assignments/[0-9a-f-]+/remove)"`).FindStringSubmatch(b.do("GET", page, nil).body)
	if remove == nil {
		t.Fatal("no remove form")
	}
	if a := b.do("POST", remove[1], url.Values{"csrf": {b.tokenOf(page)}}); a.status != http.StatusSeeOther {
		t.Fatalf("remove: %d", a.status)
	}
	if n, _ := e.assignment(g, entry); n != 0 {
		t.Fatal("the assignment is still there")
	}
	if n := e.count(`SELECT count(*) FROM audit_log WHERE group_id = ? AND event_type IN ('assignment.set', 'assignment.removed')`, g.String()); n != 3 {
		t.Fatalf("%d assignment audit rows; want 3", n)
	}
}

// TestAssignmentFormBadInputChangesNothing: a malformed id and one not in
// the catalog are field errors beside the input, the typed value stays.
func TestAssignmentFormBadInputChangesNothing(t *testing.T) {
	e := newEnv(t)
	g := e.group("assign-bad")
	b, _ := e.signIn(user.RoleAdmin)
	page := "/console/groups/" + g.String()
	for _, bad := range []string{"not an id", "acme.not-in-catalog-x"} {
		a := b.do("POST", page+"/assignments", url.Values{"csrf": {b.tokenOf(page)}, "extension_id": {bad}, "requirement": {"required"}})
		if a.status != http.StatusBadRequest {
			t.Fatalf("%q: %d", bad, a.status)
		}
		if !regexp.MustCompile(`name="extension_id" required value="` + regexp.QuoteMeta(bad) + `"><span class="field-error">[^<]+</span>`).MatchString(a.body) {
			t.Errorf("%q: no field error beside the input: %.4000s", bad, a.body)
		}
	}
	if n := e.count(`SELECT count(*) FROM group_extensions WHERE group_id = ?`, g.String()); n != 0 {
		t.Fatalf("%d assignments stored", n)
	}
}

// TestAssignmentFormsRoles: a viewer sees no assignment control and its
// post is refused and audited.
func TestAssignmentFormsRoles(t *testing.T) {
	e := newEnv(t)
	g := e.group("assign-roles")
	entry, ext := e.catalogEntry("viewer-tool")
	page := "/console/groups/" + g.String()
	viewer, v := e.signIn(user.RoleViewer)
	if body := viewer.do("GET", page, nil).body; strings.Contains(body, "/assignments") {
		t.Fatal("a viewer is shown an assignment control")
	}
	a := viewer.do("POST", page+"/assignments", url.Values{"csrf": {viewer.tokenOf(page)}, "extension_id": {ext}, "requirement": {"required"}})
	if n, _ := e.assignment(g, entry); a.status != http.StatusForbidden || n != 0 {
		t.Fatalf("viewer post: %d, %d rows", a.status, n)
	}
	if n := e.count(`SELECT count(*) FROM audit_log WHERE event_type = 'access.denied' AND actor_id = ?`, v.ID().String()); n != 1 {
		t.Fatalf("%d access.denied rows", n)
	}
}

func (e *env) pinnedVersion(entry domain.ID) string {
	e.t.Helper()
	var v string
	if err := e.db.NewRaw(`SELECT coalesce(pinned_version, '') FROM extensions WHERE id = ?`, entry.String()).Scan(context.Background(), &v); err != nil {
		e.t.Fatal(err)
	}
	return v
}

// TestPinnedVersionForm: an editor pins an assigned extension's version
// through UpdateCatalogEntry; a malformed version is the API's field error
// beside that row's input and changes nothing; blank unpins.
func TestPinnedVersionForm(t *testing.T) {
	e := newEnv(t)
	g := e.group("pin")
	entry, ext := e.catalogEntry("pinned")
	if _, _, err := e.uc.PutAssignment.Execute(context.Background(), audit.SystemActor(), g, entry, true); err != nil {
		t.Fatal(err)
	}
	b, _ := e.signIn(user.RoleEditor)
	page := "/console/groups/" + g.String()
	pin := page + "/assignments/" + entry.String() + "/pin"
	if a := b.do("POST", pin, url.Values{"csrf": {b.tokenOf(page)}, "pinned_version": {"1.2.3"}}); a.status != http.StatusSeeOther {
		t.Fatalf("pin: %d %.1000s", a.status, a.body)
	}
	if v := e.pinnedVersion(entry); v != "1.2.3" {
		t.Fatalf("pinned %q", v)
	}
	a := b.do("POST", pin, url.Values{"csrf": {b.tokenOf(page)}, "pinned_version": {"one.two"}})
	if a.status != http.StatusBadRequest {
		t.Fatalf("bad version: %d", a.status)
	}
	if !regexp.MustCompile(`id="pin-` + entry.String() + `" name="pinned_version" size="10" value="one.two" placeholder="any"><span class="field-error">[^<]+</span>`).MatchString(a.body) {
		t.Fatalf("no field error beside %s's version: %.5000s", ext, a.body)
	}
	if v := e.pinnedVersion(entry); v != "1.2.3" {
		t.Fatalf("a refused version changed the pin: %q", v)
	}
	if a := b.do("POST", pin, url.Values{"csrf": {b.tokenOf(page)}, "pinned_version": {""}}); a.status != http.StatusSeeOther || e.pinnedVersion(entry) != "" {
		t.Fatalf("unpin: %d, pinned %q", a.status, e.pinnedVersion(entry))
	}
	viewer, _ := e.signIn(user.RoleViewer)
	if a := viewer.do("POST", pin, url.Values{"csrf": {viewer.tokenOf(page)}, "pinned_version": {"9.9.9"}}); a.status != http.StatusForbidden || e.pinnedVersion(entry) != "" {
		t.Fatalf("viewer pin: %d", a.status)
	}
}
