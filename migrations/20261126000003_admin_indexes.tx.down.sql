DROP INDEX IF EXISTS reports_reported_idx;
DROP INDEX IF EXISTS installations_publisher_page_idx;
