package workers

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/extguard/extguard/adapters/marketplace/vsixtest"
	"github.com/extguard/extguard/adapters/postgres"
	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain/audit"
)

// Two versions of one extension, built here: 1.2.3 is plain JavaScript;
// 1.3.0 adds a native addon, an ELF helper named like data, an always-on
// activation and a dependency. Revalidating the new pin audits exactly
// what it adds, the webhook hears of it, and the catalog entry's
// capabilities show it.
func TestCapabilityDiffBetweenTwoVersionsNamesTheNativeBinary(t *testing.T) {
	v1 := vsixtest.Build(t, manifest, types,
		zipEntry{Name: "extension/package.json", Data: []byte(`{"name":"pack","publisher":"good","version":"1.2.3","main":"./out/main.js",
			"activationEvents":["onLanguage:python"]}`)},
		zipEntry{Name: "extension/out/main.js", Data: []byte("exports.activate = () => {};\n")})
	v2 := vsixtest.Build(t, manifest, types,
		zipEntry{Name: "extension/package.json", Data: []byte(`{"name":"pack","publisher":"good","version":"1.3.0","main":"./out/main.js",
			"activationEvents":["onLanguage:python","onStartupFinished"],"extensionDependencies":["good.helper"]}`)},
		zipEntry{Name: "extension/out/main.js", Data: []byte("require('../build/Release/keys.node');\n")},
		zipEntry{Name: "extension/build/Release/keys.node", Data: []byte("\x7fELF\x02\x01\x01\x00")},
		zipEntry{Name: "extension/resources/data.bin", Data: []byte("\x7fELF\x02\x01\x01\x00")})
	mux := http.NewServeMux()
	mux.HandleFunc("/v1.vsix", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(v1) })
	mux.HandleFunc("/v2.vsix", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(v2) })
	srv := httptest.NewServer(mux)
	defer srv.Close()

	h := newHarness(t, harnessConfig{allowPrivate: true})
	secret := newSecret(t)
	rcv := newReceiver(t, []string{secret}, http.StatusOK)
	h.webhookFor(rcv.URL, secret, string(audit.ExtensionCapabilitiesChanged))
	h.start(h.server(), h.relayRunner())
	ctx := context.Background()
	entry := h.catalogEntry(uniqueExt("good"), srv.URL+"/v1.vsix", hexSHA(v1))
	revalidate := func() {
		t.Helper()
		out, err := h.uc.Revalidate.Execute(ctx, application.RevalidationRequest{EntryID: entry, RequestedBy: audit.SystemActor()})
		if err != nil || out != application.RevalidationVerified {
			t.Fatalf("revalidation: %v %v", out, err)
		}
	}
	revalidate()
	store := postgres.NewCapabilityStore(h.db)
	rec, ok, err := store.Get(ctx, entry)
	if err != nil || !ok || rec.Version != "1.2.3" || rec.Capabilities.Main != "./out/main.js" || len(rec.Capabilities.Executables) != 0 ||
		rec.Capabilities.AlwaysRunning {
		t.Fatalf("first record %+v %v %v", rec, ok, err)
	}
	if n := h.count(`SELECT count(*) FROM audit_log WHERE event_type = 'extension.capabilities_changed' AND target_id = ?`, entry.String()); n != 0 {
		t.Fatalf("the first record audited %d changes", n)
	}

	// The admin pins 1.3.0.
	if _, err := h.db.NewRaw(`UPDATE extensions SET pinned_version = '1.3.0', sha256_checksum = ?, marketplace_url = ? WHERE id = ?`,
		hexSHA(v2), srv.URL+"/v2.vsix", entry.String()).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	revalidate()
	rec, _, _ = store.Get(ctx, entry)
	want := strings.Join([]string{
		"always running (activation onStartupFinished)",
		"activation event onStartupFinished",
		"new dependency good.helper",
		"native or executable file build/Release/keys.node",
		"native or executable file resources/data.bin",
	}, "\n")
	if rec.Version != "1.3.0" || rec.PreviousVersion != "1.2.3" || strings.Join(rec.Added, "\n") != want {
		t.Fatalf("second record %+v\nadded:\n%s", rec, strings.Join(rec.Added, "\n"))
	}
	eventually(t, 10*time.Second, "capabilities_changed reaches the webhook", func() bool {
		for _, g := range rcv.requests() {
			b := decodeBody(t, g.body)
			details, _ := b["details"].(map[string]any)
			added, _ := details["added"].([]any)
			if g.verified && b["type"] == "extension.capabilities_changed" && details["version"] == "1.3.0" &&
				details["previous_version"] == "1.2.3" && len(added) == 5 && added[3] == "native or executable file build/Release/keys.node" {
				return true
			}
		}
		return false
	})
	// Revalidating the same version again records and audits nothing new.
	revalidate()
	if n := h.count(`SELECT count(*) FROM audit_log WHERE event_type = 'extension.capabilities_changed' AND target_id = ?`, entry.String()); n != 1 {
		t.Fatalf("%d capabilities_changed events, want 1", n)
	}
}
