package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/extguard/extguard/adapters/postgres"
	"github.com/extguard/extguard/adapters/postgres/pgtest"
	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain/report"
)

// The SBOM is read in keyset pages: small pages chained on each page's last
// key give every installation of the scope once, in the order one page
// gives, so a fleet SBOM bigger than a page is neither short nor doubled.
func TestSBOMPagesChainOnTheirKeys(t *testing.T) {
	ctx := context.Background()
	db := pgtest.DB(t)
	gid := newGroup(t, ctx)
	a, b := enrolled(t, ctx, gid, "m-sbom-a"), enrolled(t, ctx, gid, "m-sbom-b")
	in := func(id, editor string) report.ItemParams {
		return report.ItemParams{ExtensionID: id, Installed: true, Version: "1.0.0", Editor: editor}
	}
	at := time.Now().Add(-time.Minute)
	if err := postgres.NewReportStore(db).StoreReports(ctx, []application.StoredReport{
		storedReport(t, a, at, item("ms-python.python", "2.0.0"), item("evil.pack", "0.0.1"), in("evil.pack", "cursor"),
			in("esbenp.prettier-vscode", "cursor")),
		storedReport(t, b, at, item("esbenp.prettier-vscode", "10.1.0"), item("a.b", "1.0.0"), in("a.b", "cursor")),
	}); err != nil {
		t.Fatal(err)
	}
	r := postgres.NewSBOMReader(db)
	scope := application.SBOMScope{GroupID: gid}
	whole, err := r.InstalledPage(ctx, scope, application.SBOMKey{}, 1000)
	if err != nil || len(whole) != 7 {
		t.Fatalf("%d items, %v", len(whole), err)
	}
	var chained []application.SBOMItem
	var after application.SBOMKey
	for pages := 0; ; pages++ {
		page, err := r.InstalledPage(ctx, scope, after, 2)
		if err != nil || pages > 10 {
			t.Fatal(pages, err)
		}
		chained = append(chained, page...)
		if len(page) < 2 {
			break
		}
		after = page[len(page)-1].Key()
	}
	if len(chained) != len(whole) {
		t.Fatalf("pages of 2 gave %d items, one page %d", len(chained), len(whole))
	}
	for i := range whole {
		if chained[i].Key() != whole[i].Key() {
			t.Fatalf("item %d: %+v, want %+v", i, chained[i].Key(), whole[i].Key())
		}
	}
}
