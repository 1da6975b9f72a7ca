-- reports and audit_log become range-partitioned by month, so retention
-- drops whole partitions instead of DELETEing from tables of billions of rows.
--
-- Why the partition key is the id: a partitioned table's primary key must
-- contain its partition key, and the seed's contract is "id is the primary
-- key" (schema_expected_test.go). Every id extguard writes to these tables
-- is a UUIDv7, whose first 48 bits are the Unix milliseconds of the write,
-- so ranges of ids are ranges of time: the month M partition holds the ids
-- from the smallest UUIDv7 of M's first millisecond up to (not including)
-- the smallest of the next month's (extguard_uuidv7_floor). A partition is
-- then "rows written in month M" (UTC), which is what retention asks about;
-- reported_at and created_at stay ordinary columns with their seed meaning,
-- and the keyset cursors over (reported_at, id) and (created_at, id) are
-- unchanged (their indexes exist on every partition).
--
-- Rows whose id is not a UUIDv7 (none is written by extguard, but a row
-- inserted by hand with the seed's old gen_random_uuid() default may be)
-- are routed by their leading bits like any other: the ones that read as
-- before 2020 go to <table>_legacy_low, after 2100 to <table>_legacy_high,
-- the others to the month partition their bits name (created here if
-- needed). Retention never drops the two legacy partitions.
--
-- Upgrading copies every row into the new table inside this migration's
-- transaction, holding off writes to both tables meanwhile: about 10 s per
-- million rows on a 2-core machine; run it in a quiet hour.

-- A UUIDv7 for SQL writers and for the columns' default (PostgreSQL 15 has
-- no uuidv7()); the seed default, a random UUID, would land in a random
-- partition.
CREATE FUNCTION extguard_uuidv7() RETURNS uuid LANGUAGE sql VOLATILE PARALLEL SAFE AS $$
    SELECT encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid())
        placing substring(int8send(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3)
        FROM 1 FOR 6), 52, 1), 53, 1), 'hex')::uuid
$$;

-- The smallest UUIDv7 of the millisecond t falls in: partition bounds.
CREATE FUNCTION extguard_uuidv7_floor(t timestamptz) RETURNS uuid LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT (lpad(to_hex(floor(extract(epoch FROM t) * 1000)::bigint), 12, '0') || '00000000000000000000')::uuid
$$;

-- The time a UUIDv7's first 48 bits name.
CREATE FUNCTION extguard_uuidv7_time(id uuid) RETURNS timestamptz LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT to_timestamp(('x' || substr(replace(id::text, '-', ''), 1, 12))::bit(48)::bigint / 1000.0)
$$;

-- Creates parent's partition for the UTC month holding t, named
-- <parent>_pYYYYMM, unless it exists; answers whether it created it. The
-- worker's partitions task calls it for the months ahead.
CREATE FUNCTION extguard_create_month_partition(parent text, t timestamptz) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    m timestamptz := date_trunc('month', t AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
    name text := parent || '_p' || to_char(m AT TIME ZONE 'UTC', 'YYYYMM');
BEGIN
    IF to_regclass(name) IS NOT NULL THEN
        RETURN false;
    END IF;
    EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)', name, parent,
        extguard_uuidv7_floor(m), extguard_uuidv7_floor(m + interval '1 month'));
    RETURN true;
END
$$;

-- Moves table's rows into a new partitioned table of the same name and
-- columns: the partitions every existing row needs, this month's and the
-- next two, and the two legacy ranges.
CREATE FUNCTION extguard_partition_by_id_month(parent text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    old text := parent || '_unpartitioned';
    low timestamptz := '2020-01-01T00:00:00Z';
    high timestamptz := '2100-01-01T00:00:00Z';
    m timestamptz;
BEGIN
    EXECUTE format('ALTER TABLE %I RENAME TO %I', parent, old);
    EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING CONSTRAINTS) PARTITION BY RANGE (id)', parent, old);
    EXECUTE format('ALTER TABLE %I ALTER COLUMN id SET DEFAULT extguard_uuidv7()', parent);
    EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (MINVALUE) TO (%L)',
        parent || '_legacy_low', parent, extguard_uuidv7_floor(low));
    EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (MAXVALUE)',
        parent || '_legacy_high', parent, extguard_uuidv7_floor(high));
    FOR m IN EXECUTE format(
        'SELECT DISTINCT date_trunc(''month'', extguard_uuidv7_time(id) AT TIME ZONE ''UTC'') AT TIME ZONE ''UTC'' FROM %I
         WHERE id >= $1 AND id < $2', old) USING extguard_uuidv7_floor(low), extguard_uuidv7_floor(high)
    LOOP
        PERFORM extguard_create_month_partition(parent, m);
    END LOOP;
    FOR i IN 0..2 LOOP
        PERFORM extguard_create_month_partition(parent, now() + make_interval(months => i));
    END LOOP;
    EXECUTE format('INSERT INTO %I SELECT * FROM %I', parent, old);
END
$$;

SELECT extguard_partition_by_id_month('reports');
DROP TABLE reports_unpartitioned;
ALTER TABLE reports ADD PRIMARY KEY (id);
ALTER TABLE reports ADD FOREIGN KEY (agent_id) REFERENCES agents (id);
ALTER TABLE reports ADD FOREIGN KEY (group_id) REFERENCES groups (id);
CREATE INDEX reports_agent_reported_idx ON reports (agent_id, reported_at DESC);
CREATE INDEX reports_extension_reported_idx ON reports (extension_id, reported_at DESC);
CREATE INDEX reports_reported_idx ON reports (reported_at, id);

SELECT extguard_partition_by_id_month('audit_log');
ALTER TABLE webhook_deliveries DROP CONSTRAINT webhook_deliveries_audit_id_fkey;
DROP TABLE audit_log_unpartitioned;
ALTER TABLE audit_log ADD PRIMARY KEY (id);
ALTER TABLE audit_log ADD FOREIGN KEY (group_id) REFERENCES groups (id);
CREATE INDEX audit_log_created_idx ON audit_log (created_at, id);
CREATE INDEX audit_log_event_type_idx ON audit_log (event_type, created_at DESC);
CREATE INDEX audit_log_group_idx ON audit_log (group_id, created_at DESC) WHERE group_id IS NOT NULL;
CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, created_at DESC) WHERE actor_id IS NOT NULL;
CREATE INDEX audit_log_target_idx ON audit_log (target_type, target_id, created_at DESC);
-- A delivery still references its audit row, so an audit partition is
-- dropped only once no delivery refers to it (retention detaches first,
-- which checks this).
ALTER TABLE webhook_deliveries ADD CONSTRAINT webhook_deliveries_audit_id_fkey
    FOREIGN KEY (audit_id) REFERENCES audit_log (id);

DROP FUNCTION extguard_partition_by_id_month(text);
