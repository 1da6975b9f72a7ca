package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/extguard/extguard/adapters/config"
	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
	"github.com/extguard/extguard/domain/threatfeed"
)

const feedsHelp = `usage: extguard feeds import FEED_ID FILE

Apply FILE as the content of the threat feed FEED_ID (created with
POST /api/v1/threat-feeds), for sites that cannot reach the feed's URL. The
file is parsed whole in the feed's format; if it does not parse, nothing
changes and the feed's status records the error. The change is audited
(actor system) and every API instance recompiles its policies.
`

// FeedImporter is the import use case of the command line.
type FeedImporter struct{ Import application.ImportThreatFeed }

func parseFeedsArgs(cl commandLine, rest []string) (commandLine, error) {
	if len(rest) != 3 || rest[0] != "import" {
		return cl, errors.New("feeds needs: import FEED_ID FILE")
	}
	id, err := domain.ParseID(rest[1])
	if err != nil {
		return cl, fmt.Errorf("feeds import: %q is not a feed id", rest[1])
	}
	cl.feedID, cl.file = id, rest[2]
	return cl, nil
}

func feedsImport(ctx context.Context, cl commandLine, cfg config.Config, log *slog.Logger, stdout io.Writer) error {
	f, err := os.Open(cl.file)
	if err != nil {
		return err
	}
	defer f.Close()
	body, err := io.ReadAll(io.LimitReader(f, threatfeed.MaxContentLength+1))
	if err != nil {
		return err
	}
	imp, cleanup, err := initFeedImporter(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer cleanup()
	res, err := imp.Import.Execute(ctx, audit.SystemActor(), cl.feedID, application.FeedContent{Body: body}, application.SourceCLI)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "feed %s: %d entries, %d added, %d removed, %d matching installed extensions\n",
		res.Feed.Name(), res.Feed.Status().EntryCount, res.Added, res.Removed, res.Matched)
	return nil
}
