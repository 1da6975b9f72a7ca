-- A fingerprint of each agent's newest inventory, and the one it replaced:
-- a report that repeats the stored inventory (the steady state of a fleet)
-- then skips the installations writes entirely.
ALTER TABLE agent_verdicts ADD COLUMN inventory_sha256 varchar(64) NOT NULL DEFAULT '';
ALTER TABLE agent_verdicts ADD COLUMN previous_inventory_sha256 varchar(64);
