package application_test

import (
	"context"
	"net/url"
	"strings"
	"time"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/blocklist"
	"github.com/extguard/extguard/domain/extension"
	"github.com/extguard/extguard/domain/webhook"
)

// catalogInMemory is the CatalogRepository and the RevalidationCatalog.
type catalogInMemory struct {
	application.CatalogRepository
	*table[extension.Entry]
}

func newCatalog(es ...extension.Entry) *catalogInMemory {
	return &catalogInMemory{table: newTable(extension.Entry.ID, es...)}
}

func (c *catalogInMemory) Get(_ context.Context, id domain.ID) (extension.Entry, error) {
	return c.get(id)
}

func (c *catalogInMemory) Create(_ context.Context, e extension.Entry) error {
	for _, r := range c.rows {
		if r.ExtensionID() == e.ExtensionID() {
			return domain.Conflict("extension_id taken")
		}
	}
	return c.create(e)
}

func (c *catalogInMemory) Update(_ context.Context, id domain.ID, change func(extension.Entry) (extension.Entry, error)) (extension.Entry, error) {
	return c.update(id, change)
}

func (c *catalogInMemory) ListRevalidatable(context.Context) ([]domain.ID, error) {
	panic("not used by the use cases under test")
}

// blocklistInMemory is the BlocklistRepository.
type blocklistInMemory struct {
	application.BlocklistRepository
	*table[blocklist.Entry]
}

func newBlocklist(es ...blocklist.Entry) *blocklistInMemory {
	return &blocklistInMemory{table: newTable(blocklist.Entry.ID, es...)}
}

func (b *blocklistInMemory) Create(_ context.Context, e blocklist.Entry) error { return b.create(e) }

func (b *blocklistInMemory) Update(_ context.Context, id domain.ID, change func(blocklist.Entry) (blocklist.Entry, error)) (blocklist.Entry, error) {
	return b.update(id, change)
}

// List answers every entry in one page (paging is the adapter's business).
func (b *blocklistInMemory) List(context.Context, application.BlocklistFilter, application.PageRequest) (application.Page[blocklist.Entry], error) {
	var p application.Page[blocklist.Entry]
	for _, e := range b.rows {
		p.Items = append(p.Items, e)
	}
	return p, nil
}

func (b *blocklistInMemory) Delete(_ context.Context, id domain.ID, _ time.Time) error {
	return b.remove(id)
}

func (b *blocklistInMemory) LockAll(context.Context) error { return nil }

// webhooksInMemory is the WebhookRepository.
type webhooksInMemory struct {
	application.WebhookRepository
	*table[webhook.Endpoint]
}

func newWebhooks(es ...webhook.Endpoint) *webhooksInMemory {
	return &webhooksInMemory{table: newTable(webhook.Endpoint.ID, es...)}
}

func (w *webhooksInMemory) Create(_ context.Context, e webhook.Endpoint) error { return w.create(e) }

func (w *webhooksInMemory) Update(_ context.Context, id domain.ID, change func(webhook.Endpoint) (webhook.Endpoint, error)) (webhook.Endpoint, error) {
	return w.update(id, change)
}

// assignmentsInMemory is the AssignmentRepository, keyed by group and entry.
type assignmentsInMemory struct {
	application.AssignmentRepository
	rows map[[2]domain.ID]application.Assignment
	puts int
}

func (a *assignmentsInMemory) Get(_ context.Context, groupID, entryID domain.ID) (application.Assignment, error) {
	r, ok := a.rows[[2]domain.ID{groupID, entryID}]
	if !ok {
		return r, errNoRow
	}
	return r, nil
}

func (a *assignmentsInMemory) Put(_ context.Context, r application.Assignment) (bool, error) {
	if a.rows == nil {
		a.rows = map[[2]domain.ID]application.Assignment{}
	}
	key := [2]domain.ID{r.GroupID, r.Entry.ID()}
	_, existed := a.rows[key]
	a.rows[key] = r
	a.puts++
	return !existed, nil
}

// privateHostGuard is the TargetGuard: it refuses URLs whose host is
// "localhost" or starts with "10.", and remembers what it was asked.
type privateHostGuard struct{ checked []string }

func (g *privateHostGuard) Check(field, rawURL string) error {
	g.checked = append(g.checked, rawURL)
	u, err := url.Parse(rawURL)
	if err == nil && u.Hostname() != "localhost" && !strings.HasPrefix(u.Hostname(), "10.") {
		return nil
	}
	return domain.Invalid("private target", domain.FieldError{Field: field, Message: "names a private address"})
}

// packagesInMemory is the PackageFetcher: every URL serves the same
// package; during, when set, runs inside Fetch, as an admin editing the
// entry while its package downloads.
type packagesInMemory struct {
	sha256, contentDigest string
	err                   error
	fetched               int
	during                func()
}

func (p *packagesInMemory) Fetch(context.Context, string) (application.FetchedPackage, error) {
	p.fetched++
	if p.during != nil {
		p.during()
	}
	if p.err != nil {
		return nil, p.err
	}
	return fetchedPackage{p}, nil
}

type fetchedPackage struct{ p *packagesInMemory }

func (f fetchedPackage) SHA256() string                 { return f.p.sha256 }
func (f fetchedPackage) ContentDigest() (string, error) { return f.p.contentDigest, nil }
func (fetchedPackage) Close() error                     { return nil }
func (fetchedPackage) Capabilities() (extension.Capabilities, error) {
	return extension.Capabilities{}, nil
}

// fixedSecret is the WebhookSecrets.
type fixedSecret string

func (s fixedSecret) Generate() (string, error) { return string(s), nil }
