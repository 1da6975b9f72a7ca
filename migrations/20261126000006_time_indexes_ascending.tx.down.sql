DROP INDEX reports_reported_idx;
CREATE INDEX reports_reported_idx ON reports (reported_at DESC, id DESC);

DROP INDEX audit_log_created_idx;
CREATE INDEX audit_log_created_idx ON audit_log (created_at DESC, id DESC);
