package console_test

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
	"github.com/extguard/extguard/domain/user"
)

func TestFeedPagesShowStatusAndAdvisories(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	f, err := e.uc.CreateThreatFeed.Execute(ctx, audit.SystemActor(), application.NewThreatFeedInput{Name: "vsc-" + domain.NewID().String()[28:],
		Kind: "vscode-control", Mode: "alert"})
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"malicious":["evil.pack","BadPub"],"deprecated":{},"search":[]}`)
	if _, err := e.uc.ImportThreatFeed.Execute(ctx, audit.SystemActor(), f.ID(), application.FeedContent{Body: body}, application.SourceImport); err != nil {
		t.Fatal(err)
	}
	// Two agents of one group have something the feed names (one the
	// publisher's), a third an extension it does not name.
	a, _ := e.asking("acme.tool")
	e.enroll(a.GroupID(), "second", "m-second-"+f.ID().String()[28:])
	e.enroll(a.GroupID(), "third", "m-third-"+f.ID().String()[28:])
	for machine, ext := range map[string]string{a.MachineID(): "evil.pack", "m-second-" + f.ID().String()[28:]: "badpub.tool", "m-third-" + f.ID().String()[28:]: "good.ext"} {
		if _, err := e.db.ExecContext(ctx, `INSERT INTO installations (agent_id, editor, extension_id, group_id, installed_version, reported_at)
SELECT id, 'vscode', ?, group_id, '1.0.0', now() FROM agents WHERE machine_id = ?`, ext, machine); err != nil {
			t.Fatal(err)
		}
	}
	b, _ := e.signIn(user.RoleViewer)
	list := b.do("GET", "/console/feeds", nil)
	if list.status != http.StatusOK || !strings.Contains(list.body, `href="/console/feeds/`+f.ID().String()+`"`) ||
		!strings.Contains(list.body, `<td>2</td>`) || strings.Count(list.body, `method="post"`) != 1 {
		t.Fatalf("feeds: %d %.2000s", list.status, list.body)
	}
	page := b.do("GET", "/console/feeds/"+f.ID().String(), nil)
	if page.status != http.StatusOK || !strings.Contains(page.body, `href="/console/installations?pattern=evil.pack&amp;pattern_type=exact"`) ||
		!strings.Contains(page.body, "pattern=badpub&amp;pattern_type=publisher") || strings.Count(page.body, `method="post"`) != 1 {
		t.Fatalf("feed: %d %.3000s", page.status, page.body)
	}
	exposure := regexp.MustCompile(`<a href="/console/groups/` + a.GroupID().String() + `">[^<]+</a></td><td>audit</td><td>2</td>`)
	if !exposure.MatchString(page.body) {
		t.Fatalf("no exposure of the group: %.3000s", page.body)
	}
	if a := b.do("GET", "/console/feeds/"+domain.NewID().String(), nil); a.status != http.StatusNotFound {
		t.Fatalf("unknown feed: %d", a.status)
	}
	if a := b.do("GET", "/console/feeds/"+f.ID().String()+"?cursor=garbage", nil); a.status != http.StatusBadRequest {
		t.Fatalf("bad cursor: %d", a.status)
	}
}

func TestSBOMDownloadsFromTheAgentAndGroupPages(t *testing.T) {
	e := newEnv(t)
	a, _ := e.asking("acme.sbom")
	b, _ := e.signIn(user.RoleViewer)
	for page, link := range map[string]string{
		"/console/agents/" + a.ID().String():      "/console/agents/" + a.ID().String() + "/sbom",
		"/console/groups/" + a.GroupID().String(): "/console/groups/" + a.GroupID().String() + "/sbom",
	} {
		if p := b.do("GET", page, nil); !strings.Contains(p.body, `href="`+link+`" download`) {
			t.Fatalf("%s: no SBOM link", page)
		}
		d := b.do("GET", link, nil)
		var doc map[string]any
		if d.status != http.StatusOK || !strings.HasPrefix(d.header.Get("Content-Type"), "application/vnd.cyclonedx+json") ||
			!strings.HasPrefix(d.header.Get("Content-Disposition"), "attachment;") || json.Unmarshal([]byte(d.body), &doc) != nil || doc["bomFormat"] != "CycloneDX" {
			t.Fatalf("%s: %d %v %.300s", link, d.status, d.header, d.body)
		}
	}
	if d := b.do("GET", "/console/agents/"+domain.NewID().String()+"/sbom", nil); d.status != http.StatusNotFound || d.header.Get("Content-Disposition") != "" {
		t.Fatalf("unknown agent: %d %v", d.status, d.header)
	}
}
