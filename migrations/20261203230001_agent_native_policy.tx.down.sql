ALTER TABLE agent_verdicts DROP COLUMN IF EXISTS native_policy;
