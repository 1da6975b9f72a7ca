-- The W3C traceparent of the change that wrote each delivery, so the worker's
-- span for the delivery links back to the admin request (or task) that caused
-- it across the outbox. NULL when the change ran outside any trace.
ALTER TABLE webhook_deliveries ADD COLUMN trace_parent text;
