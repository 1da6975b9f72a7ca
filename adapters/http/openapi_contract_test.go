package httpapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/extguard/extguard/domain"
)

// failures records what checkServed reports instead of failing the test.
type failures struct {
	testing.TB
	got []string
}

func (f *failures) Errorf(format string, args ...any) {
	f.got = append(f.got, fmt.Sprintf(format, args...))
}

// TestCheckServedRefusesWhatTheDocumentDoesNotSay proves the check that every
// test answer passes through can fail: each wrong answer is one the server
// sent before the document and the server were made to agree.
func TestCheckServedRefusesWhatTheDocumentDoesNotSay(t *testing.T) {
	servedDocument(t)
	id := domain.NewID().String()
	problem := func(status int, extra string) string {
		return fmt.Sprintf(`{"type":"about:blank","title":"x","status":%d%s}`, status, extra)
	}
	group := `{"id":"` + id + `","name":"g","description":"","settings":{"mode":"blocklist","enforcement":"audit",` +
		`"heartbeat_interval_s":300,"stale_after_s":900,"offline_after_s":86400},` +
		`"created_at":"2026-11-26T17:00:05.123456Z","updated_at":"2026-11-26T17:00:05.123456Z"}`
	policy := func(sha string) string {
		return `{"etag":"e","group_id":"` + id + `","mode":"blocklist","enforcement":"audit","generated_at":"2026-11-26T17:00:05Z",` +
			`"allowed":[],"blocked":[],"required":[{"extension_id":"a.b","version":null,"sha256":` + sha + `,"content_sha256":null,"download_url":null}]}`
	}
	unauthorized := http.Header{"Content-Type": {"application/problem+json"}}
	for _, c := range []struct {
		name, method, path string
		status             int
		header             http.Header
		body               string
		ok                 bool
	}{
		{"a group as declared", "GET", "/api/v1/groups/" + id, 200, nil, group, true},
		{"a group with a property it does not declare", "GET", "/api/v1/groups/" + id, 200, nil,
			strings.Replace(group, `"name"`, `"color":"red","name"`, 1), false},
		{"a group without a property it declares", "GET", "/api/v1/groups/" + id, 200, nil,
			strings.Replace(group, `"description":"",`, "", 1), false},
		{"a field error as Go names it", "POST", "/api/v1/groups", 400, nil,
			problem(400, `,"errors":[{"Field":"name","Message":"is required"}]`), false},
		{"a field error as the protocol names it", "POST", "/api/v1/groups", 400, nil,
			problem(400, `,"errors":[{"field":"name","message":"is required"}]`), true},
		{"an unpinned required extension", "GET", "/api/v1/agent/policy", 200, nil, policy("null"), true},
		{"a checksum that is a number", "GET", "/api/v1/agent/policy", 200, nil, policy("5"), false},
		{"a status the operation does not declare", "PUT", "/api/v1/groups/" + id + "/extensions/" + id, 418, nil, problem(418, ""), false},
		{"a 401 that names no scheme", "GET", "/api/v1/groups", 401, unauthorized, problem(401, ""), false},
		{"a 401 that names Bearer", "GET", "/api/v1/groups", 401,
			http.Header{"Content-Type": {"application/problem+json"}, "Www-Authenticate": {`Bearer realm="extguard"`}}, problem(401, ""), true},
		{"an unknown path answered", "GET", "/api/v1/nothing-here", 200, nil, `{}`, false},
		{"an unknown path refused", "GET", "/api/v1/nothing-here", 404, nil, problem(404, ""), true},
		{"a wrong method as a 404", "PATCH", "/api/v1/groups", 404, nil, problem(404, ""), false},
		{"a wrong method without its Allow", "PATCH", "/api/v1/groups", 405, nil, problem(405, ""), false},
		{"a wrong method with its Allow", "PATCH", "/api/v1/groups", 405,
			http.Header{"Content-Type": {"application/problem+json"}, "Allow": {"GET, POST"}}, problem(405, ""), true},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := c.header
			if h == nil {
				h = http.Header{"Content-Type": {"application/json"}}
				if strings.Contains(c.body, `"about:blank"`) {
					h = http.Header{"Content-Type": {"application/problem+json"}}
				}
			}
			req, _ := http.NewRequest(c.method, c.path, nil)
			f := &failures{TB: t}
			checkServed(f, req, answer{status: c.status, header: h, body: []byte(c.body)})
			if c.ok != (len(f.got) == 0) {
				t.Fatalf("ok = %v, want %v: %q", len(f.got) == 0, c.ok, f.got)
			}
		})
	}
}
