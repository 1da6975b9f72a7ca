package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/extguard/extguard/adapters/config"
	"github.com/extguard/extguard/adapters/logging"
	"github.com/extguard/extguard/adapters/postgres/pgtest"
	"github.com/extguard/extguard/adapters/redis/redistest"
	"github.com/extguard/extguard/adapters/telemetry"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// observed is one in-process extguard ("all": API and workers) whose spans
// land in memory and whose logs land in a buffer.
type observed struct {
	t     *testing.T
	app   *fiber.App
	spans *tracetest.SpanRecorder
	logs  *syncBuffer
	dsn   string
}

const adminPassword = "observability-passphrase-1"

func startObserved(t *testing.T) *observed {
	t.Helper()
	spans := tracetest.NewSpanRecorder()
	ctx, cancel := context.WithCancel(context.Background())
	tel, err := telemetry.Setup(ctx, telemetry.ServiceInfo{Name: "extguard-test", Version: "test"}, spans)
	if err != nil {
		t.Fatal(err)
	}
	dsn := pgtest.DSN(t)
	env := map[string]string{
		"EXTGUARD_DATABASE_URL":           dsn,
		"EXTGUARD_REDIS_URL":              redistest.URL(t),
		"EXTGUARD_OUTBOUND_ALLOW_PRIVATE": "true",
		"EXTGUARD_ADMIN_EMAIL":            "observer@example.com",
		"EXTGUARD_ADMIN_PASSWORD":         adminPassword,
	}
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	log := logging.New("debug", "json", logs)
	srv, cleanupSrv, err := initServer(ctx, cfg, log, tel)
	if err != nil {
		t.Fatal(err)
	}
	if err := createFirstAdmin(ctx, cfg, log, srv.FirstAdmin); err != nil {
		t.Fatal(err)
	}
	w, cleanupWorker, err := initWorker(ctx, cfg, log, tel)
	if err != nil {
		t.Fatal(err)
	}
	runners := append(append([]Runner{}, srv.Runners...), w.Runners...)
	done := make(chan error, 1)
	go func() { done <- runAll(ctx, runners) }()
	t.Cleanup(func() {
		cancel()
		<-done
		cleanupWorker()
		cleanupSrv()
		_ = tel.Shutdown(context.Background())
	})
	return &observed{t: t, app: srv.App, spans: spans, logs: logs, dsn: dsn}
}

type reply struct {
	status int
	header http.Header
	body   []byte
}

func (r reply) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("%s: %v", r.body, err)
	}
	return m
}

func (o *observed) call(method, path, token string, body string, headers ...string) reply {
	o.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := o.app.Test(req, -1)
	if err != nil {
		o.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{status: resp.StatusCode, header: resp.Header, body: b}
}

func (o *observed) must(status int, method, path, token, body string, headers ...string) reply {
	o.t.Helper()
	r := o.call(method, path, token, body, headers...)
	if r.status != status {
		o.t.Fatalf("%s %s: %d %s, want %d", method, path, r.status, r.body, status)
	}
	return r
}

func (o *observed) exec(sql string, args ...any) {
	o.t.Helper()
	c, err := pgx.Connect(context.Background(), o.dsn)
	if err != nil {
		o.t.Fatal(err)
	}
	defer c.Close(context.Background())
	if _, err := c.Exec(context.Background(), sql, args...); err != nil {
		o.t.Fatal(err)
	}
}

// receiver is a local webhook endpoint whose path and query hold "secrets"
// that must never reach a span.
type receiver struct {
	mu          sync.Mutex
	bodies      []string
	traceparent []string
	got         chan struct{}
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	b, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.bodies = append(r.bodies, string(b))
	r.traceparent = append(r.traceparent, req.Header.Get("Traceparent"))
	r.mu.Unlock()
	select {
	case r.got <- struct{}{}:
	default:
	}
	w.WriteHeader(http.StatusNoContent)
}

func (r *receiver) waitFor(t *testing.T, substr string) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		r.mu.Lock()
		for _, b := range r.bodies {
			if strings.Contains(b, substr) {
				r.mu.Unlock()
				return
			}
		}
		r.mu.Unlock()
		select {
		case <-r.got:
		case <-time.After(100 * time.Millisecond):
		case <-deadline:
			t.Fatalf("no webhook delivery containing %q arrived", substr)
		}
	}
}

// TestOneAdminChangeIsOneTraceToItsWebhook drives the real router, PostgreSQL,
// Redis, the asynq worker and a local webhook receiver, then reads the spans:
// the admin request, its use case and SQL, and the webhook delivery linked
// back to it across the outbox; no span carries a secret; every log line of
// the request carries its trace id; /metrics shows every family.
func TestOneAdminChangeIsOneTraceToItsWebhook(t *testing.T) {
	o := startObserved(t)
	rcv := &receiver{got: make(chan struct{}, 16)}
	hook := httptest.NewServer(rcv)
	defer hook.Close()
	const pathSecret, querySecret = "T0PSECRETPATH", "s3cr3tQueryToken"

	token := o.must(200, "POST", "/api/v1/auth/login", "", `{"email":"observer@example.com","password":"`+adminPassword+`"}`).json(t)["token"].(string)
	wh := o.must(201, "POST", "/api/v1/webhooks", token, `{"url":"https://hooks.example.com/hook"}`).json(t)
	webhookSecret := wh["secret"].(string)
	// Webhook URLs must be https; the local receiver speaks plain http, so the
	// row is pointed at it behind the API's back.
	o.exec(`UPDATE webhooks SET url = $1 WHERE id = $2`, hook.URL+"/services/"+pathSecret+"?token="+querySecret, wh["id"])

	// The admin change under study.
	groupName := "observed-group-" + time.Now().Format("150405.000000")
	group := o.must(201, "POST", "/api/v1/groups", token, `{"name":"`+groupName+`"}`).json(t)
	gid := group["id"].(string)
	o.must(200, "GET", "/api/v1/groups/"+gid, token, "")

	// Agent traffic for the metrics.
	agentKey := o.must(201, "POST", "/api/v1/groups/"+gid+"/api-keys", token, `{"name":"laptops","scopes":["agent"]}`).json(t)["key"].(string)
	agentID := o.must(201, "POST", "/api/v1/agent/enroll", agentKey, `{"machine_id":"m-observed","user_hash":"`+strings.Repeat("ab", 32)+
		`","display_name":"observed","platform":"linux-x64","agent_version":"1.0.0"}`).json(t)["agent_id"].(string)
	pol := o.must(200, "GET", "/api/v1/agent/policy", agentKey, "", "X-Agent-ID", agentID)
	o.must(304, "GET", "/api/v1/agent/policy", agentKey, "", "X-Agent-ID", agentID, "If-None-Match", pol.header.Get("ETag"))
	o.must(200, "POST", "/api/v1/agent/heartbeat", agentKey, `{"agent_version":"1.0.0"}`, "X-Agent-ID", agentID)
	o.must(200, "POST", "/api/v1/agent/reports", agentKey, `{"reported_at":"`+time.Now().UTC().Format(time.RFC3339)+
		`","policy_etag":"","extensions":[{"extension_id":"acme.tool","installed":true,"version":"1.0.0","editor":"vscode"}]}`, "X-Agent-ID", agentID)
	o.call("GET", "/no/such/route/"+gid, "", "")

	rcv.waitFor(t, `"group.created"`)
	request := findSpan(t, o.spans.Ended(), func(s sdktrace.ReadOnlySpan) bool { return s.Name() == "POST /api/v1/groups" })
	traceID := request.SpanContext().TraceID()
	linksToRequest := func(s sdktrace.ReadOnlySpan) bool {
		if s.Name() != "task webhooks:deliver" {
			return false
		}
		for _, l := range s.Links() {
			if l.SpanContext.TraceID() == traceID {
				return true
			}
		}
		return false
	}
	waitForSpan(t, o.spans, linksToRequest)

	ended := o.spans.Ended()
	inTrace := spansOf(ended, traceID)

	// One trace: server span -> use case -> SQL (the audit row and its outbox rows).
	useCase := findSpan(t, inTrace, func(s sdktrace.ReadOnlySpan) bool { return s.Name() == "CreateGroup" })
	if useCase.Parent().SpanID() != request.SpanContext().SpanID() {
		t.Errorf("use case span's parent is %v, want the request span", useCase.Parent().SpanID())
	}
	outboxInsert := findSpan(t, inTrace, func(s sdktrace.ReadOnlySpan) bool {
		return strings.Contains(attr(s, "db.statement"), "INSERT INTO webhook_deliveries")
	})
	if !descendsFrom(inTrace, outboxInsert, useCase.SpanContext().SpanID()) {
		t.Error("the outbox insert is not inside the use case span")
	}
	for _, s := range inTrace {
		if strings.Contains(attr(s, "db.statement"), groupName) {
			t.Errorf("a query span carries an argument value: %q", attr(s, "db.statement"))
		}
	}

	// The delivery: a trace of its own (the outbox is asynchronous) whose task
	// span links to the use case that wrote the delivery.
	deliver := findSpan(t, ended, linksToRequest)
	linked := findSpan(t, inTrace, func(s sdktrace.ReadOnlySpan) bool {
		return s.SpanContext().SpanID() == deliver.Links()[0].SpanContext.SpanID()
	})
	if linked != useCase && !descendsFrom(inTrace, linked, useCase.SpanContext().SpanID()) {
		t.Errorf("delivery links to %q, not to the use case that wrote it", linked.Name())
	}
	if deliver.Parent().IsValid() && deliver.Parent().TraceID() == traceID {
		t.Error("the delivery is a child of the request; across the outbox it should be linked")
	}
	deliveryTrace := spansOf(ended, deliver.SpanContext().TraceID())
	findSpan(t, deliveryTrace, func(s sdktrace.ReadOnlySpan) bool { return s.Name() == "DeliverWebhook" })
	post := findSpan(t, deliveryTrace, func(s sdktrace.ReadOnlySpan) bool {
		return s.SpanKind() == trace.SpanKindClient && attr(s, "http.request.method") == "POST"
	})
	if got, want := attr(post, "url.full"), hook.URL+"/"; got != want {
		t.Errorf("client span url.full = %q, want only scheme and host %q", got, want)
	}
	rcv.mu.Lock()
	if tp := strings.Join(rcv.traceparent, " "); !strings.Contains(tp, post.SpanContext().TraceID().String()) {
		t.Errorf("the receiver got traceparent %q, not the delivery's trace", tp)
	}
	rcv.mu.Unlock()

	// Other spans the issue names: Redis commands (rate limits, caches), the
	// agent requests' use cases, route templates only.
	findSpan(t, ended, func(s sdktrace.ReadOnlySpan) bool { return attr(s, "db.system") == "redis" })
	findSpan(t, ended, func(s sdktrace.ReadOnlySpan) bool { return s.Name() == "SubmitReport" })
	findSpan(t, ended, func(s sdktrace.ReadOnlySpan) bool { return s.Name() == "GET unmatched" })
	rawID := regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-`)
	for _, s := range ended {
		if s.SpanKind() == trace.SpanKindServer && (rawID.MatchString(s.Name()) || rawID.MatchString(attr(s, "http.route"))) {
			t.Errorf("server span %q carries a raw id", s.Name())
		}
	}

	// No span holds a secret, raw or hashed.
	sessionHash := sha256.Sum256([]byte(token))
	keyHash := sha256.Sum256([]byte(agentKey))
	secrets := map[string]string{
		"admin password": adminPassword, "session token": token, "session token hash": hex.EncodeToString(sessionHash[:]),
		"agent key": agentKey, "agent key hash": hex.EncodeToString(keyHash[:]), "webhook secret": webhookSecret,
		"webhook secret body": strings.TrimPrefix(webhookSecret, "whsec_"), "password hash": "$argon2id$",
		"webhook URL path": pathSecret, "webhook URL query": querySecret,
	}
	for _, s := range ended {
		text := spanText(s)
		for what, v := range secrets {
			if strings.Contains(text, v) {
				t.Errorf("span %q holds the %s", s.Name(), what)
			}
		}
	}

	// Logs: the request's line has route, status, duration and its trace id;
	// nothing secret is logged.
	logs := o.logs.String()
	var sawRequestLine bool
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) != nil {
			t.Fatalf("log line is not JSON: %q", line)
		}
		if m["msg"] == "request" && m["route"] == "/api/v1/groups" && m["method"] == "POST" {
			sawRequestLine = m["trace_id"] == traceID.String() && m["status"] == float64(201) && m["duration"] != nil && m["level"] == "INFO"
		}
	}
	if !sawRequestLine {
		t.Errorf("no request line for POST /api/v1/groups with its trace id, status and duration:\n%s", logs)
	}
	for what, v := range secrets {
		if strings.Contains(logs, v) {
			t.Errorf("the logs hold the %s", what)
		}
	}

	// Metrics: every family, with plausible values.
	metrics := string(o.must(200, "GET", "/metrics", "", "").body)
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`http_server_request_duration_seconds_count\{[^}]*http_request_method="POST"[^}]*http_response_status_code="201"[^}]*http_route="/api/v1/groups"[^}]*\} [1-9]`),
		regexp.MustCompile(`http_server_request_duration_seconds_bucket\{[^}]*http_route="unmatched"`),
		regexp.MustCompile(`extguard_agents\{[^}]*group="` + regexp.QuoteMeta(groupName) + `"[^}]*status="active"[^}]*\} 1\b`),
		regexp.MustCompile(`extguard_agent_reports_ingested_total\{[^}]*\} [1-9]`),
		regexp.MustCompile(`extguard_agent_policy_answers_total\{[^}]*status="304"[^}]*\} 1\b`),
		regexp.MustCompile(`extguard_agent_policy_answers_total\{[^}]*status="200"[^}]*\} 1\b`),
		regexp.MustCompile(`extguard_queue_tasks\{[^}]*queue="webhooks"[^}]*state="pending"[^}]*\} \d`),
		regexp.MustCompile(`extguard_queue_latency_seconds\{[^}]*queue="webhooks"[^}]*\} \d`),
		regexp.MustCompile(`extguard_task_duration_seconds_count\{[^}]*outcome="ok"[^}]*type="webhooks:deliver"[^}]*\} [1-9]`),
		regexp.MustCompile(`extguard_outbox_pending(_[a-z]+)?\{[^}]*\} \d`),
		regexp.MustCompile(`extguard_outbox_oldest_pending_age_seconds\{[^}]*\} \d`),
		regexp.MustCompile(`extguard_outbox_lag_seconds\{[^}]*\} \d`),
		regexp.MustCompile(`extguard_webhook_attempts_total\{[^}]*outcome="delivered"[^}]*\} [1-9]`),
		regexp.MustCompile(`extguard_webhook_deliveries_total\{[^}]*status="delivered"[^}]*\} [1-9]`),
		regexp.MustCompile(`go_sql_connections_open\{[^}]*\} [1-9]`),
		regexp.MustCompile(`db_client_connections_usage\{[^}]*pool_name="queue"`),
		regexp.MustCompile(`db_client_connections_usage\{[^}]*state="idle"`),
	} {
		if !want.MatchString(metrics) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if t.Failed() {
		t.Logf("metrics:\n%s", grepLines(metrics, "extguard_|db_|http_server"))
	}
}

func grepLines(s, re string) string {
	r := regexp.MustCompile(re)
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if r.MatchString(l) && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func waitForSpan(t *testing.T, rec *tracetest.SpanRecorder, match func(sdktrace.ReadOnlySpan) bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		for _, s := range rec.Ended() {
			if match(s) {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("the span never ended")
}

func findSpan(t *testing.T, spans []sdktrace.ReadOnlySpan, match func(sdktrace.ReadOnlySpan) bool) sdktrace.ReadOnlySpan {
	t.Helper()
	for _, s := range spans {
		if match(s) {
			return s
		}
	}
	var names []string
	for _, s := range spans {
		names = append(names, s.Name())
	}
	t.Fatalf("no such span among %d: %v", len(spans), names)
	return nil
}

func spansOf(spans []sdktrace.ReadOnlySpan, id trace.TraceID) []sdktrace.ReadOnlySpan {
	var out []sdktrace.ReadOnlySpan
	for _, s := range spans {
		if s.SpanContext().TraceID() == id {
			out = append(out, s)
		}
	}
	return out
}

// descendsFrom reports whether s has ancestor among spans.
func descendsFrom(spans []sdktrace.ReadOnlySpan, s sdktrace.ReadOnlySpan, ancestor trace.SpanID) bool {
	byID := map[trace.SpanID]sdktrace.ReadOnlySpan{}
	for _, x := range spans {
		byID[x.SpanContext().SpanID()] = x
	}
	for p := s.Parent().SpanID(); p.IsValid(); {
		if p == ancestor {
			return true
		}
		next, ok := byID[p]
		if !ok {
			return false
		}
		p = next.Parent().SpanID()
	}
	return false
}

func attr(s sdktrace.ReadOnlySpan, key string) string {
	for _, kv := range s.Attributes() {
		if string(kv.Key) == key {
			return kv.Value.Emit()
		}
	}
	return ""
}

// spanText is everything a span exports but its resource: name, status,
// attributes, events and links.
func spanText(s sdktrace.ReadOnlySpan) string {
	var b bytes.Buffer
	write := func(kvs []attribute.KeyValue) {
		for _, kv := range kvs {
			b.WriteString(string(kv.Key) + "=" + kv.Value.Emit() + "\n")
		}
	}
	b.WriteString(s.Name() + "\n" + s.Status().Description + "\n")
	write(s.Attributes())
	for _, e := range s.Events() {
		b.WriteString(e.Name + "\n")
		write(e.Attributes)
	}
	for _, l := range s.Links() {
		write(l.Attributes)
	}
	return b.String()
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
