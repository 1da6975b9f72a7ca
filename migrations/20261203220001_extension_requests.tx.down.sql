DROP INDEX IF EXISTS group_extensions_expiry_idx;
ALTER TABLE group_extensions DROP COLUMN IF EXISTS request_id;
ALTER TABLE group_extensions DROP COLUMN IF EXISTS expires_at;
DROP TABLE IF EXISTS agent_exceptions;
DROP TABLE IF EXISTS extension_requests;
