DROP TABLE IF EXISTS webhook_attempts;
DROP TABLE IF EXISTS webhook_deliveries;
DROP TABLE IF EXISTS webhooks;
DROP TABLE IF EXISTS agent_verdicts;
DROP TABLE IF EXISTS installations;
DROP TABLE IF EXISTS sessions;
