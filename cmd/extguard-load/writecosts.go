package main

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// historyVariant is a copy of the reports table with some of its write
// costs left out; -write-costs COPYs the same rows into each.
type historyVariant struct {
	table, what string
	ddl         []string
	copied      saturation
}

// foreignKeys are reports' keys, as the seed schema gives them.
var foreignKeys = []foreignKey{{column: "agent_id", parent: "agents"}, {column: "group_id", parent: "groups"}}

type foreignKey struct{ column, parent string }

func (k foreignKey) add(table string) string {
	return "ALTER TABLE " + table + " ADD FOREIGN KEY (" + k.column + ") REFERENCES " + k.parent + " (id)"
}

// historyVariants: the table as migrated; copies without its foreign
// keys, without its secondary indexes, without both; with one foreign key
// each; and one per secondary index, without that index only. CREATE
// TABLE ... LIKE never copies foreign keys; INCLUDING ALL copies indexes.
func historyVariants(ctx context.Context, s *server) ([]*historyVariant, error) {
	var indexes []struct {
		Name string `bun:"indexname"`
		Def  string `bun:"indexdef"`
	}
	if err := s.db.NewRaw(`SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'reports' AND indexname <> 'reports_pkey' ORDER BY indexname`).
		Scan(ctx, &indexes); err != nil {
		return nil, err
	}
	bare := func(table string, withKeys bool) []string {
		ddl := []string{"CREATE TABLE " + table + " (LIKE reports INCLUDING DEFAULTS)", "ALTER TABLE " + table + " ADD PRIMARY KEY (id)"}
		if withKeys {
			for _, fk := range foreignKeys {
				ddl = append(ddl, fk.add(table))
			}
		}
		return ddl
	}
	variants := []*historyVariant{
		{table: "reports", what: fmt.Sprintf("as migrated: primary key, %d secondary indexes, %d foreign keys", len(indexes), len(foreignKeys))},
		{table: "load_no_fks", what: "without the foreign keys", ddl: []string{"CREATE TABLE load_no_fks (LIKE reports INCLUDING ALL)"}},
		{table: "load_no_indexes", what: "without the secondary indexes", ddl: bare("load_no_indexes", true)},
		{table: "load_pk_only", what: "primary key only", ddl: bare("load_pk_only", false)},
	}
	for _, fk := range foreignKeys {
		table := "load_only_fk_" + fk.column
		variants = append(variants, &historyVariant{table: table, what: "with only the foreign key on " + fk.column,
			ddl: []string{"CREATE TABLE " + table + " (LIKE reports INCLUDING ALL)", fk.add(table)}})
	}
	for _, left := range indexes {
		v := &historyVariant{table: "load_no_" + left.Name, what: "without " + left.Name + " only"}
		v.ddl = bare(v.table, true)
		for _, idx := range indexes {
			if idx != left {
				// "CREATE INDEX name ON public.reports USING btree (...)"
				_, using, _ := strings.Cut(idx.Def, " USING ")
				v.ddl = append(v.ddl, "CREATE INDEX ON "+v.table+" USING "+using)
			}
		}
		variants = append(variants, v)
	}
	return variants, nil
}

// writeCosts measures what the reports table's foreign keys and secondary
// indexes cost the history's writes: raw COPYs of the load's rows into the
// table and into copies without them, -phase per table in -rounds slices
// that take turns (rotating the order, as the saturation loops do), from as
// many connections as the yardstick uses.
func writeCosts(ctx context.Context, s *server, f fleet, o options) error {
	variants, err := historyVariants(ctx, s)
	if err != nil {
		return err
	}
	for _, v := range variants {
		for _, stmt := range v.ddl {
			if _, err := s.db.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("%s: %w", v.table, err)
			}
		}
	}
	cp, err := newCopier(ctx, s, f, max(o.committers, 3), o.rows)
	if err != nil {
		return err
	}
	defer cp.close(ctx)
	slice := o.phase / time.Duration(o.rounds)
	for r := range o.rounds {
		for k := range variants {
			v := variants[(r+k)%len(variants)]
			c, err := cp.run(ctx, v.table, slice)
			if err != nil {
				return fmt.Errorf("%s: %w", v.table, err)
			}
			v.copied.add(c)
		}
	}
	base := variants[0].copied.perSecond()
	fmt.Printf("raw 5,000-row COPYs of the reports' rows, %d connections, %s per table in %d slices:\n", len(cp.conns), o.phase, o.rounds)
	for _, v := range variants {
		fmt.Printf("  %-38s %8.0f rows/s  %5.1f%% of as migrated  (%s)\n", v.table, v.copied.perSecond(), 100*v.copied.perSecond()/base, v.what)
	}
	return nil
}
