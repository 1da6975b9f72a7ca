package httpapi_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"testing"

	gojson "github.com/goccy/go-json"
	"github.com/gofiber/fiber/v2"
	goredis "github.com/redis/go-redis/v9"
	"github.com/uptrace/bun"

	httpapi "github.com/extguard/extguard/adapters/http"
	"github.com/extguard/extguard/adapters/redis"
	"github.com/extguard/extguard/adapters/redis/redistest"
	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
	"github.com/extguard/extguard/domain/user"
)

// adminEnv is the admin API on the real router, PostgreSQL and Redis.
type adminEnv struct {
	t      testing.TB
	app    *fiber.App
	admin  *httpapi.Admin
	db     *bun.DB
	uc     *application.Application
	tokens map[user.Role]string
	// clientIP is this env's client address (X-Forwarded-For).
	clientIP string
	socket   string // address of a real listener on app, once callSocket opened it
}

const testPassword = "correct horse battery staple"

var adminEnvSeq int

func newAdminEnv(t testing.TB) *adminEnv {
	t.Helper()
	return newAdminEnvOn(t, testDB(t))
}

// newAdminEnvOn is newAdminEnv on db (e.g. one whose server goes away).
func newAdminEnvOn(t testing.TB, db *bun.DB) *adminEnv {
	t.Helper()
	rdb := goredis.NewClient(redistest.Options(t))
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, cancel := context.WithCancel(context.Background())
	bus, limiter := redis.NewBus(rdb, log), redis.NewRateLimiter(rdb, log)
	uc, err := application.New(testDeps(db, rdb, bus, limiter, log))
	if err != nil {
		t.Fatal(err)
	}
	admin := httpapi.NewAdmin(uc, log)
	// app.Test connects from 0.0.0.0; trusting it as a proxy lets each env
	// speak from its own address, so the per-address login limit (shared
	// through Redis) counts one env's logins, not the whole package's.
	cfg := httpapi.DefaultServerConfig()
	cfg.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("0.0.0.0/32")}
	app := httpapi.NewApp(cfg, log, admin)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); _ = bus.Run(ctx) }()
	go func() { defer wg.Done(); _ = limiter.Run(ctx) }()
	t.Cleanup(func() {
		_ = app.Shutdown()
		cancel()
		wg.Wait()
		_ = rdb.Close()
	})
	id := domain.NewID()
	e := &adminEnv{t: t, app: app, admin: admin, db: db, uc: uc, tokens: map[user.Role]string{},
		clientIP: netip.AddrFrom4([4]byte{10, id[13], id[14], id[15]}).String()}
	for _, r := range httpapi.Roles {
		e.tokens[r] = e.loginNew(r)
	}
	return e
}

// newUser creates a user with role directly through the use case.
func (e *adminEnv) newUser(role user.Role) user.User {
	e.t.Helper()
	adminEnvSeq++
	email := strings.ToLower(string(role)) + "-" + domain.NewID().String()[24:] + "@example.com"
	u, err := e.uc.CreateUser.Execute(context.Background(), audit.SystemActor(), application.NewUserInput{
		Email: email, Password: testPassword, Role: string(role), DisplayName: string(role)})
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

// loginNew creates a user with role and logs in through the API.
func (e *adminEnv) loginNew(role user.Role) string {
	e.t.Helper()
	u := e.newUser(role)
	a := e.call("POST", "/api/v1/auth/login", "", `{"email":"`+u.Email()+`","password":"`+testPassword+`"}`)
	if a.status != 200 {
		e.t.Fatalf("login: %d %s", a.status, a.body)
	}
	return a.json(e.t)["token"].(string)
}

// call sends one request; body "" sends none.
func (e *adminEnv) call(method, path, token, body string, headers ...string) answer {
	e.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, path, r)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("User-Agent", "extguard-admin-test")
	req.Header.Set("X-Forwarded-For", e.clientIP)
	return send(e.t, e.app, req, headers...)
}

// as calls with the token of a role.
func (e *adminEnv) as(role user.Role, method, path, body string) answer {
	e.t.Helper()
	return e.call(method, path, e.tokens[role], body)
}

// must calls as admin and fails the test unless the status is want.
func (e *adminEnv) must(want int, method, path, body string) map[string]any {
	e.t.Helper()
	a := e.as(user.RoleAdmin, method, path, body)
	if a.status != want {
		e.t.Fatalf("%s %s: status %d, want %d: %s", method, path, a.status, want, a.body)
	}
	if len(a.body) == 0 {
		return nil
	}
	return a.json(e.t)
}

func (e *adminEnv) count(query string, args ...any) int {
	e.t.Helper()
	return countRows(e.t, e.db, query, args...)
}

func (e *adminEnv) exec(query string, args ...any) {
	e.t.Helper()
	execSQL(e.t, e.db, query, args...)
}

// problemFields lists the field names of a problem answer.
func problemFields(t testing.TB, a answer) []string {
	t.Helper()
	if ct := a.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		t.Fatalf("status %d with content type %q, want problem+json: %s", a.status, ct, a.body)
	}
	var p struct {
		Errors []struct {
			Field   string `json:"field"`
			Message string `json:"message"`
		} `json:"errors"`
	}
	if err := gojson.NewDecoder(bytes.NewReader(a.body)).Decode(&p); err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(p.Errors))
	for i, f := range p.Errors {
		out[i] = f.Field
	}
	return out
}

func uniqueName(prefix string) string { return prefix + "-" + domain.NewID().String()[24:] }

func jsonUnmarshal(b []byte, v any) error { return gojson.Unmarshal(b, v) }
