package postgres

import (
	"context"
	"fmt"
	"sort"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/migrate"

	"github.com/extguard/extguard/migrations"
)

// migrationLockKey is the advisory lock that serialises migration runs, so
// several processes may run "migrate up" at once: one applies, the others wait
// and then find nothing left to do.
const migrationLockKey int64 = 0x6578_7467_7561_7264 // "extguard"

// Migrator applies the embedded migrations.
type Migrator struct {
	db *bun.DB
	m  *migrate.Migrator
}

// NewMigrator binds the embedded migrations to db.
func NewMigrator(db *bun.DB) *Migrator {
	return &Migrator{db: db, m: migrate.NewMigrator(db, migrations.All, migrate.WithMarkAppliedOnSuccess(true))}
}

// MigrationStatus is one migration and whether it is applied.
type MigrationStatus struct {
	Name    string
	Applied bool
}

// Up applies every pending migration and returns the names it applied.
func (mg *Migrator) Up(ctx context.Context) (applied []string, err error) {
	err = mg.locked(ctx, func() error {
		group, err := mg.m.Migrate(ctx)
		if err != nil {
			return fmt.Errorf("migrate up: %w", err)
		}
		for _, m := range group.Migrations {
			applied = append(applied, m.Name)
		}
		return nil
	})
	return applied, err
}

// Down rolls back the last n applied migrations, newest first, one at a time
// (bun's own Rollback works on whole groups; operators count migrations).
func (mg *Migrator) Down(ctx context.Context, n int) (rolledBack []string, err error) {
	err = mg.locked(ctx, func() error {
		ms, err := mg.m.MigrationsWithStatus(ctx)
		if err != nil {
			return err
		}
		applied := ms.Applied()
		sort.Slice(applied, func(i, j int) bool { return applied[i].Name > applied[j].Name })
		for i := 0; i < n && i < len(applied); i++ {
			m := &applied[i]
			if m.Down != nil {
				if err := m.Down(ctx, mg.m, m); err != nil {
					return fmt.Errorf("%s: down: %w", m.Name, err)
				}
			}
			if err := mg.m.MarkUnapplied(ctx, m); err != nil {
				return err
			}
			rolledBack = append(rolledBack, m.Name)
		}
		return nil
	})
	return rolledBack, err
}

// Status lists every known migration in order with whether it is applied.
func (mg *Migrator) Status(ctx context.Context) ([]MigrationStatus, error) {
	if err := mg.m.Init(ctx); err != nil {
		return nil, err
	}
	ms, err := mg.m.MigrationsWithStatus(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]MigrationStatus, 0, len(ms))
	for _, m := range ms {
		out = append(out, MigrationStatus{Name: m.Name, Applied: m.IsApplied()})
	}
	return out, nil
}

// AtHead reports whether every embedded migration is applied; the readiness
// probe refuses traffic until it is. It never creates tables.
func (mg *Migrator) AtHead(ctx context.Context) (bool, error) {
	var exists bool
	if err := mg.db.NewRaw("SELECT to_regclass('bun_migrations') IS NOT NULL").Scan(ctx, &exists); err != nil {
		return false, err
	}
	if !exists {
		return false, nil
	}
	var names []string
	if err := mg.db.NewRaw("SELECT name FROM bun_migrations").Scan(ctx, &names); err != nil {
		return false, err
	}
	have := make(map[string]bool, len(names))
	for _, n := range names {
		have[n] = true
	}
	for _, m := range migrations.All.Sorted() {
		if !have[m.Name] {
			return false, nil
		}
	}
	return true, nil
}

// locked runs fn while holding the migration advisory lock on one connection.
func (mg *Migrator) locked(ctx context.Context, fn func() error) error {
	conn, err := mg.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(?)", migrationLockKey); err != nil {
		return fmt.Errorf("take migration lock: %w", err)
	}
	defer func() {
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(?)", migrationLockKey)
	}()
	if err := mg.m.Init(ctx); err != nil {
		return fmt.Errorf("init migration tables: %w", err)
	}
	return fn()
}
