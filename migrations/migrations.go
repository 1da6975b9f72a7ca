// Package migrations embeds the SQL migrations that bun migrate applies.
// File names follow bun's rule ^\d{1,14}_[0-9a-z_-]+\. and only .tx.up.sql /
// .tx.down.sql files run inside a transaction, which is what all of ours do.
package migrations

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"

	"github.com/uptrace/bun/migrate"
)

//go:embed *.sql
var sqlFiles embed.FS

// All is the ordered set of migrations known to this build.
var All = migrate.NewMigrations()

func init() {
	if err := All.Discover(sqlFiles); err != nil {
		panic(err) // a malformed embedded file name is a build defect, not a runtime condition
	}
}

// Fingerprint is a hash of every embedded migration file, so tests can reuse a
// migrated template database for exactly this set of migrations.
func Fingerprint() string {
	h := sha256.New()
	entries, _ := fs.ReadDir(sqlFiles, ".")
	for _, e := range entries {
		b, _ := fs.ReadFile(sqlFiles, e.Name())
		fmt.Fprintf(h, "%s %d\n", e.Name(), len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}
