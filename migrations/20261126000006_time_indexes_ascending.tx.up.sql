-- The newest-first indexes over a whole append-mostly table are declared
-- ascending: a B-tree scans backward as cheaply as forward, so the pages'
-- ORDER BY time DESC, id DESC reads them the same way; but new rows then
-- land on the rightmost leaf, which PostgreSQL splits leaving the old page
-- full. Declared DESC, every new row lands on the leftmost leaf, whose
-- 50/50 splits leave pages half empty for good: the index grew to ~1.8x
-- its ascending size (500,000 reports: 35 MB against 19 MB).
-- Indexes led by another column (agent, extension, event type) are left
-- as they are: each group's rows interleave, and their size was the same
-- either way.
-- The rebuild holds off writes to both tables while it runs (the migration
-- is one transaction), about a second per million rows on a 2-core test
-- machine (270,000 reports: 0.2 s); run it in a quiet hour on
-- a large installation.
DROP INDEX reports_reported_idx;
CREATE INDEX reports_reported_idx ON reports (reported_at, id);

DROP INDEX audit_log_created_idx;
CREATE INDEX audit_log_created_idx ON audit_log (created_at, id);
