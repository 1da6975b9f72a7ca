// Package agentv1 is extguard's agent protocol, version 1: the requests and
// answers exchanged by extguard-agent on a developer machine and the
// extguard server, as Go types that both sides import. It uses only the
// standard library, so the agent links no server code through it.
//
// # A contract that lasts
//
// Agents stay installed for years and are updated slowly, so within v1
// fields may be added, never renamed, removed or given another meaning. A
// receiver ignores fields it does not know: the server accepts newer agents'
// additions and agents accept a newer server's. Everything is JSON over
// HTTP; TLS is the deployment's job. Timestamps are RFC 3339 in UTC
// (2026-11-26T17:00:05Z), with whole seconds.
//
// # Endpoints
//
//	POST /api/v1/agent/enroll     EnrollRequest     -> Enrollment (201 new, 200 already enrolled)
//	POST /api/v1/agent/heartbeat  HeartbeatRequest  -> HeartbeatAnswer (200); the body may be empty
//	GET  /api/v1/agent/policy                       -> Policy (200) or 304 without a body
//	POST /api/v1/agent/reports    Report            -> Verdict (200)
//	POST /api/v1/agent/requests   ExtensionRequest  -> RequestAnswer (201 new, 200 the pending one)
//	GET  /api/v1/agent/requests[?cursor=]           -> RequestList (200)
//
// The requests calls were added within v1 (see PathRequests): a developer
// asks for an extension, an editor or admin answers, and an approval for
// this agent shows as an extra allowed extension in the agent's own policy
// (whose ETag then differs from its group's) until it expires; the agent
// learns both at its next heartbeat, as any policy change. Blocked
// extensions are never approved. New requests are limited per agent
// (MaxRequestsPerDay, 429 with Retry-After beyond).
//
// Enrollment is idempotent per group and machine id: enrolling the same
// machine again keeps its agent id and updates its fields, and a machine an
// admin decommissioned comes back (which the audit log records). The agent
// heartbeats every HeartbeatIntervalS seconds; the answer names the current
// policy's ETag, and only when that differs from the one it holds does the
// agent fetch the policy. A report is the machine's whole inventory (every
// editor and profile the agent found) at ReportedAt, so the server can tell
// what was removed; an extension the agent removed, or failed to install,
// since its last report is sent with Installed false. A report older than
// one already stored for the agent is kept in history but does not replace
// the newer inventory. ReportedAt may be at most 5 minutes ahead of the
// server's clock and at most 30 days old.
//
// # Authentication
//
// Every request carries "Authorization: Bearer <key>", an API key of the
// agent's group with scope agent. After enrollment every request also
// carries HeaderAgentID with the AgentID that enrollment answered. The agent
// identifies itself with "User-Agent: extguard-agent/<version>" and sends
// its version in EnrollRequest and HeartbeatRequest; the version is
// information for people (any 1 to 64 printable characters), never policy.
//
// # Policy and ETag
//
// The policy answer carries its ETag both in the body (Policy.ETag) and in
// the ETag header, with "Cache-Control: no-cache". Sent back in
// If-None-Match (a list of entity tags, or "*", compared weakly as RFC 9110
// says), an unchanged policy is answered 304 with no body. A version,
// digest or download URL that is not pinned is null. Fetching the policy
// counts as the agent's last sync.
//
// # Verdicts and actions
//
// The server judges every report against the group's current policy and
// answers the Verdict at once. Violation.Kind is one of the Kind* constants;
// Editors names the editors where the extension was found, when known.
// Actions are empty when the group's enforcement is audit; under enforce,
// an agent allowed to enforce uninstalls (ActionUninstall) and installs
// (ActionInstall, from DownloadURL, checked against SHA256) and reports
// again, so the server sees the machine as it now is.
//
// # Installed native policy
//
// Since 2026-12 a report may carry NativePolicy: whether the editors' own
// AllowedExtensions policy is installed on the machine (Linux
// /etc/vscode/policy.json, macOS "/Library/Managed
// Preferences/com.microsoft.VSCode.plist", Windows
// HKLM\SOFTWARE\Policies\Microsoft\VSCode) and its SHA-256 digests. The
// field is optional and additive: older agents omit it, older servers
// ignore it. The server keeps the newest report's value per agent and shows
// it on GET /api/v1/agents/{id}, with whether AllowedExtensionsSHA256 equals
// the digest of the group's current export.
//
// Since 2026-12 ReportedExtension.Editor also takes the names listed on
// it. A server from before refuses a report naming one of them, so servers
// are upgraded before agents.
//
// # Errors
//
// Every error is application/problem+json (RFC 9457), decoded as Problem;
// validation errors list each bad field in Problem.Errors.
//
//	400  malformed JSON, invalid fields, missing or malformed X-Agent-ID
//	401  missing, malformed, unknown, expired or revoked key: a person must fix the key
//	403  key without scope agent, agent not in the key's group, agent decommissioned
//	413  body over 1 MiB, or a report of more than 5,000 extensions
//	429  a rate limit: wait the Retry-After header's seconds
//	503  the server cannot answer now (retry later)
//
// A 401 or 403 does not go away by retrying, so the agent stops. A 400 or
// 413 for a queued report will not change either: the agent drops that
// report rather than retrying it for ever. Anything else is retried with
// back-off.
//
// # Rate limits
//
// Requests are limited per agent (60 a minute by default) and per key
// (600,000 a minute: a group's key is shared by its whole fleet), in fixed
// windows shared by every server instance. Over a limit the answer is 429
// with Retry-After. An agent that heartbeats at the interval it is given
// stays far below its limit.
package agentv1
