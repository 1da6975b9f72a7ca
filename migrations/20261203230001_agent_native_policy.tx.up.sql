-- The editor policy installed on each agent's machine (VS Code's AllowedExtensions delivered by
-- MDM, Group Policy or /etc/vscode/policy.json), as the agent's newest report described it:
-- {"present", "source", "sha256", "allowed_extensions_sha256", "error"}. NULL when that report
-- said nothing (agents before 2026-12).
ALTER TABLE agent_verdicts ADD COLUMN native_policy jsonb;
