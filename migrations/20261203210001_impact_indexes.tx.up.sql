-- The blocklist impact (issue 21) counts, per group, the agents that have a
-- matching extension: 60,000 of 100,000 for a staple. It reads group_id from
-- installations (an agent never changes group, so the column never changes
-- and updates stay HOT) instead of joining every matching agent to the
-- heartbeat-churned agents table, whose pages index-only scans cannot trust.
-- The two indexes it scans carry group_id as an included column; their key
-- order, which the paged "who has X" reads rely on, is unchanged.
DROP INDEX installations_extension_idx;
CREATE INDEX installations_extension_idx ON installations (extension_id, agent_id) INCLUDE (group_id);
DROP INDEX installations_publisher_page_idx;
CREATE INDEX installations_publisher_page_idx ON installations (publisher, extension_id, agent_id, editor) INCLUDE (group_id);

-- Agents that no longer count (decommissioned or deleted): few, so the
-- impact subtracts them through this small index instead of joining the rest.
CREATE INDEX agents_retired_idx ON agents (id) WHERE deleted_at IS NOT NULL OR status = 'decommissioned';
