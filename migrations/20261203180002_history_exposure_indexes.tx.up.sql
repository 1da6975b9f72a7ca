-- "Who had X installed at any moment of a window" (GET /api/v1/exposure)
-- reads an extension's history in (extension, agent, editor, time) order:
-- each row is paired with the next of its key by a window function and the
-- rows are aggregated per agent, both streaming in index order, so a page of
-- 50 agents reads about their rows only. The publisher form has its own
-- index on the publisher part of the id. Since history records changes
-- only, these indexes cost a few entries per agent per day.
CREATE INDEX reports_exposure_idx ON reports (extension_id, agent_id, editor, reported_at, id);
CREATE INDEX reports_publisher_exposure_idx ON reports (split_part(extension_id, '.', 1), extension_id, agent_id, editor, reported_at, id);
