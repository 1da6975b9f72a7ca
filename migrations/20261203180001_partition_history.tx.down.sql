-- Back to one plain table each, keeping every row (the rows of partitions
-- retention already dropped are gone for good).
CREATE FUNCTION extguard_unpartition(parent text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    old text := parent || '_partitioned';
BEGIN
    EXECUTE format('ALTER TABLE %I RENAME TO %I', parent, old);
    EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', parent, old);
    EXECUTE format('ALTER TABLE %I ALTER COLUMN id SET DEFAULT gen_random_uuid()', parent);
    EXECUTE format('INSERT INTO %I SELECT * FROM %I', parent, old);
END
$$;

SELECT extguard_unpartition('reports');
DROP TABLE reports_partitioned;
ALTER TABLE reports ADD PRIMARY KEY (id);
ALTER TABLE reports ADD FOREIGN KEY (agent_id) REFERENCES agents (id);
ALTER TABLE reports ADD FOREIGN KEY (group_id) REFERENCES groups (id);
CREATE INDEX reports_agent_reported_idx ON reports (agent_id, reported_at DESC);
CREATE INDEX reports_extension_reported_idx ON reports (extension_id, reported_at DESC);
CREATE INDEX reports_reported_idx ON reports (reported_at, id);

SELECT extguard_unpartition('audit_log');
ALTER TABLE webhook_deliveries DROP CONSTRAINT webhook_deliveries_audit_id_fkey;
DROP TABLE audit_log_partitioned;
ALTER TABLE audit_log ADD PRIMARY KEY (id);
ALTER TABLE audit_log ADD FOREIGN KEY (group_id) REFERENCES groups (id);
CREATE INDEX audit_log_created_idx ON audit_log (created_at, id);
CREATE INDEX audit_log_event_type_idx ON audit_log (event_type, created_at DESC);
CREATE INDEX audit_log_group_idx ON audit_log (group_id, created_at DESC) WHERE group_id IS NOT NULL;
CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, created_at DESC) WHERE actor_id IS NOT NULL;
CREATE INDEX audit_log_target_idx ON audit_log (target_type, target_id, created_at DESC);
ALTER TABLE webhook_deliveries ADD CONSTRAINT webhook_deliveries_audit_id_fkey
    FOREIGN KEY (audit_id) REFERENCES audit_log (id);

DROP FUNCTION extguard_unpartition(text);
DROP FUNCTION extguard_create_month_partition(text, timestamptz);
DROP FUNCTION extguard_uuidv7_time(uuid);
DROP FUNCTION extguard_uuidv7_floor(timestamptz);
DROP FUNCTION extguard_uuidv7();
