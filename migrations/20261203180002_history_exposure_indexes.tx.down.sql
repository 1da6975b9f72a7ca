DROP INDEX reports_publisher_exposure_idx;
DROP INDEX reports_exposure_idx;
