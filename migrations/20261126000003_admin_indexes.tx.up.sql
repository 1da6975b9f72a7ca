-- Indexes the admin API's keyset-paginated reads need.

-- "Who has any extension of publisher P": pages run in (extension_id,
-- agent_id, editor) order within the publisher, so the index carries the
-- whole sort key and a page never sorts a publisher's every installation.
CREATE INDEX installations_publisher_page_idx ON installations (publisher, extension_id, agent_id, editor);

-- Report history newest first without an agent or extension filter (and
-- filtered by group or time): without it the first page sorts the whole table.
CREATE INDEX reports_reported_idx ON reports (reported_at DESC, id DESC);
