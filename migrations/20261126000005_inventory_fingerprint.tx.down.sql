ALTER TABLE agent_verdicts DROP COLUMN IF EXISTS previous_inventory_sha256;
ALTER TABLE agent_verdicts DROP COLUMN IF EXISTS inventory_sha256;
