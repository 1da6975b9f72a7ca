package httpapi_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	httpapi "github.com/extguard/extguard/adapters/http"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/user"
)

// hostileText is what a prober puts in headers and query values: NUL,
// invalid UTF-8, CR/LF (net/http sends them as spaces in headers; the query
// carries them), and values past every buffer.
var hostileText = []string{
	"nul\x00",
	"\xff\xfe\xc3",
	"crlf\r\nX-Injected: yes",
	strings.Repeat("é", 1500), // long, but within the server's header buffer
	strings.Repeat("A", 8<<10),
}

// refusedByParser: fasthttp (v1.6x and later) refuses a header value holding
// a NUL while it parses the head, with a 400, before any handler (and so
// any use case or audit row) sees the request. app.Test reports that as its
// own error, so such requests go through a real socket too.
func refusedByParser(headers []string) bool {
	for i := 1; i < len(headers); i += 2 {
		if strings.ContainsRune(headers[i], 0) {
			return true
		}
	}
	return false
}

// headerBuffer is fasthttp's default read buffer: a request whose head
// exceeds it is refused (431) before any handler runs. app.Test reports
// that as its own error, so such requests go through a real socket.
const headerBuffer = 4096

// isCleanQueryValue mirrors what the API must accept in a query value.
func isCleanQueryValue(s string) bool { return !strings.ContainsAny(s, "\x00\xff\r\n") }

// fuzzRequest is one request of the fuzz test. Its user agent starts with
// a marker of its own, so the audit rows it wrote can be counted.
type fuzzRequest struct {
	key, path, token, role, body string
	headers                      []string
}

// TestFuzzHeadersAndQueryOnEveryRoute sends every admin route, as every
// role and anonymously, with hostile text in User-Agent, X-Forwarded-For
// and each of the route's query parameters. No answer is a 5xx (the
// database is up, so not even 503); a hostile query value is a 400 naming
// the parameter wherever the caller may use the route; and every audited
// outcome (a failed or successful login, a refusal for lack of role, a
// change) has exactly its one audit row, or, when that row cannot be
// written, answers 503.
func TestFuzzHeadersAndQueryOnEveryRoute(t *testing.T) {
	e := newAdminEnv(t)
	failAuditRows(t, e.exec)
	seq := 0
	marker := func() string { seq++; return "fuzz-" + domain.NewID().String()[24:] + "-" + strconv.Itoa(seq) + "/" }
	for _, key := range e.admin.RouteKeys() {
		perm, _ := e.admin.RoutePermission(key)
		_, path := splitKey(key)
		roles := append([]user.Role{""}, httpapi.Roles...)
		if perm == httpapi.PermPublic {
			roles = roles[:1]
		}
		for _, role := range roles {
			// The same request once as is and once with its audit row
			// refused: an audited outcome then answers 503, anything else
			// as before.
			m := marker()
			r := fuzzRequest{key: key, path: path, role: string(role), headers: []string{"User-Agent", m}}
			if _, audited := e.fuzz(t, perm, r, m); audited == 1 {
				r.headers = []string{"User-Agent", auditFailsUA}
				if a := e.fuzzSend(r); a.status != 503 {
					t.Errorf("%s as %q with its audit row refused: %d %s, want 503", key, role, a.status, a.body)
				}
			}
			for _, v := range hostileText {
				m := marker()
				e.fuzz(t, perm, fuzzRequest{key: key, path: path, role: string(role), headers: []string{"User-Agent", m + v, "X-Forwarded-For", v}}, m)
				if role == "" {
					continue // refused before any parameter is read
				}
				for _, q := range queryNames(e, key) {
					m = marker()
					r := fuzzRequest{key: key, path: path + "?" + q + "=" + url.QueryEscape(v), role: string(role), headers: []string{"User-Agent", m}}
					a, _ := e.fuzz(t, perm, r, m)
					if perm.Allows(role) && !isCleanQueryValue(v) && (a.status != 400 || !contains(problemFields(t, a), q)) {
						t.Errorf("%s ?%s=%s as %s: %d %s, want 400 naming %s", key, q, short(v), role, a.status, a.body, q)
					}
				}
			}
		}
	}
}

// fuzzSend sends r with a fresh sample body (and, to log out, a fresh token).
func (e *adminEnv) fuzzSend(r fuzzRequest) answer {
	e.t.Helper()
	method, path := splitKey(r.key)
	role := user.Role(r.role)
	token := e.tokens[role]
	if path == "/api/v1/auth/logout" && role != "" {
		token = e.loginNew(role) // logging out would end the shared token
	}
	body := sampleBodyFor(e, r.key)
	if path == "/api/v1/auth/login" {
		// An unknown account per attempt: the per-account limit must not
		// turn the audited failures into unaudited 429s.
		body = `{"email":"fuzz-` + strings.ToLower(domain.NewID().String()[24:]) + `@example.com","password":"not it"}`
	}
	var a answer
	if headSize(r) > headerBuffer || refusedByParser(r.headers) {
		a = e.callSocket(method, concrete(r.path), token, body, r.headers...)
	} else {
		a = e.call(method, concrete(r.path), token, body, r.headers...)
	}
	return a
}

// fuzz sends r and checks the answer and the audit rows carrying marker;
// it answers how many rows the outcome needs (0 or 1).
func (e *adminEnv) fuzz(t *testing.T, perm httpapi.Permission, r fuzzRequest, marker string) (answer, int) {
	t.Helper()
	method, path := splitKey(r.key)
	role := user.Role(r.role)
	a := e.fuzzSend(r)
	what := r.key + " " + short(r.path) + " " + short(strings.Join(r.headers, " ")) + " as " + r.role
	if a.status >= 500 {
		t.Errorf("%s: %d %s", what, a.status, a.body)
	}
	want := 0
	switch {
	case headSize(r) > headerBuffer:
		if a.status != 431 && a.status != 414 {
			t.Errorf("%s: %d, want 431 for an oversized head", what, a.status)
		}
	case refusedByParser(r.headers):
		if a.status != 400 {
			t.Errorf("%s: %d, want 400 for a NUL in a header", what, a.status)
		}
	case perm != httpapi.PermPublic && role != "" && !perm.Allows(role):
		if a.status != 403 {
			t.Errorf("%s: %d, want 403", what, a.status)
		}
		want = 1 // access.denied
	case path == "/api/v1/auth/login" && (a.status == 401 || a.status == 200):
		want = 1 // user.login_failed, user.login
	case method != "GET" && perm != httpapi.PermRead && a.status >= 200 && a.status < 300 && !strings.HasSuffix(path, "/revalidate") && !strings.HasSuffix(path, "/test"):
		// the change's row (a revalidation or test delivery is queued, not
		// a change; a read posting a document, e.g. an impact preview, changes nothing)
		want = 1
	}
	if n := e.count(`SELECT count(*) FROM audit_log WHERE starts_with(user_agent, ?)`, marker); n != want {
		t.Errorf("%s: %d, %d audit rows, want %d", what, a.status, n, want)
	}
	return a, want
}

// queryNames are the query parameters the OpenAPI document gives a route.
func queryNames(e *adminEnv, key string) []string {
	method, path := splitKey(key)
	op := e.admin.OpenAPI()["paths"].(map[string]any)[path].(map[string]any)[strings.ToLower(method)].(map[string]any)
	params, _ := op["parameters"].([]map[string]any)
	var out []string
	for _, p := range params {
		if p["in"] == "query" {
			out = append(out, p["name"].(string))
		}
	}
	return out
}

// short quotes s, cut for error messages.
func short(s string) string {
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return strconv.Quote(s)
}

func headSize(r fuzzRequest) int {
	n := len(r.path)
	for _, h := range r.headers {
		n += len(h)
	}
	return n
}

// callSocket is call through a real listener on the env's app.
func (e *adminEnv) callSocket(method, path, token, body string, headers ...string) answer {
	e.t.Helper()
	if e.socket == "" {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			e.t.Fatal(err)
		}
		go e.app.Listener(ln) //nolint:errcheck // ends with the env's app.Shutdown
		e.socket = ln.Addr().String()
	}
	req, _ := http.NewRequest(method, "http://"+e.socket+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	c, err := net.DialTimeout("tcp", e.socket, 5*time.Second)
	if err != nil {
		e.t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	// The server answers an oversized head while it is still being sent
	// and then hangs up, so the writer's error is expected.
	go func() { _ = req.Write(c) }()
	resp, err := http.ReadResponse(bufio.NewReader(c), req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{status: resp.StatusCode, header: resp.Header, body: b}
}

// TestFuzzHeadersOnAgentRoutes: the agent routes with hostile text in
// User-Agent and X-Forwarded-For answer no 5xx, and every enrollment,
// the agent routes' audited outcome, has its row.
func TestFuzzHeadersOnAgentRoutes(t *testing.T) {
	e := newAgentEnv(t, envOptions{})
	key := e.key(e.group(""))
	agentID := e.enroll(key, "m-fuzz")
	for i, v := range hostileText {
		m := "fuzz-agent-" + domain.NewID().String()[24:] + "/"
		if len(v) > headerBuffer || strings.ContainsRune(v, 0) {
			continue // the admin fuzz proves oversized heads and NULs are refused before any route
		}
		headers := []string{"User-Agent", m + v}
		if 2*len(v) < headerBuffer/2 {
			headers = append(headers, "X-Forwarded-For", v)
		}
		machine := "m-fuzz-" + strconv.Itoa(i)
		for _, c := range []struct {
			method, path, agent string
			body                []byte
		}{
			{"POST", "/api/v1/agent/enroll", "", enrollBody(machine)},
			{"POST", "/api/v1/agent/heartbeat", agentID, nil},
			{"GET", "/api/v1/agent/policy", agentID, nil},
			{"POST", "/api/v1/agent/reports", agentID, reportBody(time.Now(), installed("pub.ext", "1.0.0"))},
		} {
			if a := e.call(c.method, c.path, key, c.agent, c.body, headers...); a.status >= 300 {
				t.Errorf("%s %s with %s: %d %s", c.method, c.path, short(v), a.status, a.body)
			}
		}
		if n := e.countRows(`SELECT count(*) FROM audit_log WHERE event_type = 'agent.enrolled' AND starts_with(user_agent, ?)`, m); n != 1 {
			t.Errorf("enrollment with %s: %d agent.enrolled rows, want 1", short(v), n)
		}
	}
}
