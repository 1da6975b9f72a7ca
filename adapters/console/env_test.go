package console_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/gofiber/fiber/v2"
	goredis "github.com/redis/go-redis/v9"
	"github.com/uptrace/bun"

	"github.com/extguard/extguard/adapters/apptest"
	"github.com/extguard/extguard/adapters/console"
	httpapi "github.com/extguard/extguard/adapters/http"
	"github.com/extguard/extguard/adapters/postgres/pgtest"
	"github.com/extguard/extguard/adapters/redis"
	"github.com/extguard/extguard/adapters/redis/redistest"
	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
	"github.com/extguard/extguard/domain/user"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

const testPassword = "correct horse battery staple"

// env is the console and the admin API on one app, real PostgreSQL and
// Redis, as the server mounts them.
type env struct {
	t   testing.TB
	app *fiber.App
	db  *bun.DB
	uc  *application.Application
	ip  string // this env's client address (X-Forwarded-For from the trusted test peer)
}

func newEnv(t *testing.T) *env { return newBenchEnv(t) }

// newBenchEnv is newEnv for benchmarks too.
func newBenchEnv(t testing.TB) *env {
	t.Helper()
	db := pgtest.DB(t)
	rdb := goredis.NewClient(redistest.Options(t))
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, cancel := context.WithCancel(context.Background())
	bus, limiter := redis.NewBus(rdb, log), redis.NewRateLimiter(rdb, log)
	uc, err := application.New(apptest.Deps(db, rdb, bus, limiter, log))
	if err != nil {
		t.Fatal(err)
	}
	cfg := httpapi.DefaultServerConfig()
	// app.Test connects from 0.0.0.0: trusting it lets each env speak from
	// its own address, so login limits count one env's attempts.
	cfg.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("0.0.0.0/32")}
	app := httpapi.NewApp(cfg, log, httpapi.NewAdmin(uc, log), console.New(uc, log))
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); _ = bus.Run(ctx) }()
	go func() { defer wg.Done(); _ = limiter.Run(ctx) }()
	t.Cleanup(func() { _ = app.Shutdown(); cancel(); wg.Wait(); _ = rdb.Close() })
	id := domain.NewID()
	return &env{t: t, app: app, db: db, uc: uc, ip: netip.AddrFrom4([4]byte{10, id[13], id[14], id[15]}).String()}
}

func (e *env) newUser(role user.Role) user.User {
	e.t.Helper()
	u, err := e.uc.CreateUser.Execute(context.Background(), audit.SystemActor(), application.NewUserInput{
		Email: string(role) + "-" + domain.NewID().String()[24:] + "@example.com", Password: testPassword, Role: string(role), DisplayName: string(role)})
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

type answer struct {
	status int
	header http.Header
	body   string
}

func (a answer) cookie(name string) *http.Cookie {
	for _, c := range (&http.Response{Header: a.header}).Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// browser is a client holding cookies, as a browser on the console's own
// origin does (Sec-Fetch-Site: same-origin on its posts).
type browser struct {
	e       *env
	cookies map[string]string
	headers map[string]string
}

func (e *env) browser() *browser {
	return &browser{e: e, cookies: map[string]string{}, headers: map[string]string{}}
}

func (b *browser) do(method, path string, form url.Values, headers ...string) answer {
	b.e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, "http://extguard.test"+path, body)
	req.Host = "extguard.test"
	req.Header.Set("X-Forwarded-For", b.e.ip)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if method == http.MethodPost {
		req.Header.Set("Origin", "http://extguard.test")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	for k, v := range b.headers {
		req.Header.Set(k, v)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
		} else {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	for k, v := range b.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	resp, err := b.e.app.Test(req, -1)
	if err != nil {
		b.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	for _, c := range resp.Cookies() {
		if c.MaxAge < 0 || (c.Value == "" && !c.Expires.IsZero()) {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c.Value
		}
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: string(raw)}
}

var hiddenCSRF = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf is the token in a page's forms.
func csrf(t testing.TB, page answer) string {
	t.Helper()
	m := hiddenCSRF.FindStringSubmatch(page.body)
	if m == nil {
		t.Fatalf("no csrf field in the page (%d): %.300s", page.status, page.body)
	}
	return m[1]
}

// signIn signs a new user of role in through the login form.
func (e *env) signIn(role user.Role) (*browser, user.User) {
	e.t.Helper()
	u := e.newUser(role)
	b := e.browser()
	a := b.login(u.Email(), testPassword)
	if a.status != http.StatusSeeOther || b.cookies["extguard_session"] == "" {
		e.t.Fatalf("sign-in: %d %.300s", a.status, a.body)
	}
	return b, u
}

func (b *browser) login(email, pw string) answer {
	b.e.t.Helper()
	form := b.do("GET", "/console/login", nil)
	return b.do("POST", "/console/login", url.Values{"email": {email}, "password": {pw}, "csrf": {csrf(b.e.t, form)}})
}

// tokenOf is the CSRF token of the page at path.
func (b *browser) tokenOf(path string) string {
	b.e.t.Helper()
	return csrf(b.e.t, b.do("GET", path, nil))
}

func (e *env) count(query string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.db.NewRaw(query, args...).Scan(context.Background(), &n); err != nil {
		e.t.Fatal(err)
	}
	return n
}
