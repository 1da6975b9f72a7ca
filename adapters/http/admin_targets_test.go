package httpapi_test

import (
	"slices"
	"testing"

	"github.com/extguard/extguard/domain/user"
)

// privateTargets name the network extguard runs in, not the internet.
var privateTargets = []string{"127.0.0.1", "10.1.2.3", "192.168.0.10", "169.254.169.254", "[::1]", "[fe80::1]", "[fd00:ec2::254]", "0.0.0.0"}

// TestPrivateTargetsAreRefusedWhenTheyAreWritten: with private targets not
// allowed (the default), a catalog entry's marketplace_url and a webhook's
// url naming a literal private address are a 400 naming the field, on
// create and on update, and nothing is stored or audited; so is a threat
// feed's url on create (a feed's url cannot be changed).
func TestPrivateTargetsAreRefusedWhenTheyAreWritten(t *testing.T) {
	e := newAdminEnv(t)
	pub := uniqueName("targets")
	entry := e.must(201, "POST", "/api/v1/extensions", `{"extension_id":"`+pub+`.ok","marketplace_url":"https://93.184.215.14/ok.vsix"}`)["id"].(string)
	hook := e.must(201, "POST", "/api/v1/webhooks", `{"url":"https://siem.example.com/h"}`)["id"].(string)
	// Rows about these two, or naming the refused entry.
	const ours = `SELECT count(*) FROM audit_log WHERE target_id IN (?, ?) OR details::text LIKE ?`
	audits := e.count(ours, entry, hook, "%"+pub+".bad%")

	refused := func(what, field, method, path, body string) {
		t.Helper()
		a := e.as(user.RoleAdmin, method, path, body)
		if a.status != 400 || !slices.Contains(problemFields(t, a), field) {
			t.Errorf("%s %s: %d %s, want 400 naming %s", what, body, a.status, a.body, field)
		}
	}
	for _, host := range privateTargets {
		refused("create entry", "marketplace_url", "POST", "/api/v1/extensions",
			`{"extension_id":"`+pub+`.bad","marketplace_url":"http://`+host+`/x.vsix"}`)
		refused("update entry", "marketplace_url", "PATCH", "/api/v1/extensions/"+entry, `{"marketplace_url":"https://`+host+`:8443/x.vsix"}`)
		refused("create webhook", "url", "POST", "/api/v1/webhooks", `{"url":"https://`+host+`/hook"}`)
		refused("update webhook", "url", "PATCH", "/api/v1/webhooks/"+hook, `{"url":"https://`+host+`/hook"}`)
		refused("create threat feed", "url", "POST", "/api/v1/threat-feeds",
			`{"name":"`+pub+`.bad","kind":"vscode-control","url":"https://`+host+`/marketplace.json","mode":"block"}`)
	}
	if n := e.count(`SELECT count(*) FROM threat_feeds WHERE name = ?`, pub+".bad"); n != 0 {
		t.Errorf("%d threat feeds with a private url were stored", n)
	}
	if n := e.count(`SELECT count(*) FROM extensions WHERE extension_id = ?`, pub+".bad"); n != 0 {
		t.Errorf("%d entries with a private marketplace_url were stored", n)
	}
	if got := e.must(200, "GET", "/api/v1/extensions/"+entry, "")["marketplace_url"]; got != "https://93.184.215.14/ok.vsix" {
		t.Errorf("marketplace_url after refused updates: %v", got)
	}
	if got := e.must(200, "GET", "/api/v1/webhooks/"+hook, "")["url"]; got != "https://siem.example.com/h" {
		t.Errorf("webhook url after refused updates: %v", got)
	}
	if n := e.count(ours, entry, hook, "%"+pub+".bad%"); n != audits {
		t.Errorf("%d audit rows for refused writes", n-audits)
	}
	// A name is not judged now: it is checked against what it resolves to
	// when it is dialled.
	e.must(200, "PATCH", "/api/v1/extensions/"+entry, `{"marketplace_url":"https://localhost.example/x.vsix"}`)
}
