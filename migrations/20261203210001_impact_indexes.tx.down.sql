DROP INDEX IF EXISTS agents_retired_idx;
DROP INDEX installations_publisher_page_idx;
CREATE INDEX installations_publisher_page_idx ON installations (publisher, extension_id, agent_id, editor);
DROP INDEX installations_extension_idx;
CREATE INDEX installations_extension_idx ON installations (extension_id, agent_id);
