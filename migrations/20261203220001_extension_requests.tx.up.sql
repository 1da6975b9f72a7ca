-- Extension requests: an agent asks for an extension its policy does not
-- allow; an editor or admin approves (for the agent: an exception; for the
-- group: an assignment, both possibly until expires_at) or denies.
CREATE TABLE extension_requests (
    id           uuid PRIMARY KEY,
    agent_id     uuid         NOT NULL REFERENCES agents (id),
    group_id     uuid         NOT NULL REFERENCES groups (id),
    extension_id varchar(256) NOT NULL,
    version      varchar(64),
    reason       text         NOT NULL,
    status       varchar(16)  NOT NULL DEFAULT 'pending'
                 CHECK (status IN ('pending', 'approved', 'denied', 'expired')),
    scope        varchar(8)   CHECK (scope IN ('agent', 'group')),
    expires_at   timestamptz,
    answered_by  uuid REFERENCES users (id),
    note         text         NOT NULL DEFAULT '',
    created_at   timestamptz  NOT NULL,
    answered_at  timestamptz
);
-- One pending request per machine and extension: asking again returns it.
CREATE UNIQUE INDEX extension_requests_pending_key ON extension_requests (agent_id, extension_id) WHERE status = 'pending';
-- The per-agent limit counts an agent's requests of the last day; an agent lists its own.
CREATE INDEX extension_requests_agent_idx ON extension_requests (agent_id, created_at);
CREATE INDEX extension_requests_group_idx ON extension_requests (group_id, id);

-- An agent's exceptions: extensions allowed for this one machine on top of
-- its group's policy. ended_at is set when one expires (kept for history).
CREATE TABLE agent_exceptions (
    id           uuid PRIMARY KEY,
    agent_id     uuid         NOT NULL REFERENCES agents (id),
    extension_id varchar(256) NOT NULL,
    version      varchar(64),
    expires_at   timestamptz,
    request_id   uuid REFERENCES extension_requests (id),
    created_by   uuid REFERENCES users (id),
    created_at   timestamptz  NOT NULL,
    ended_at     timestamptz
);
CREATE UNIQUE INDEX agent_exceptions_live_key ON agent_exceptions (agent_id, extension_id) WHERE ended_at IS NULL;
CREATE INDEX agent_exceptions_expiry_idx ON agent_exceptions (expires_at) WHERE ended_at IS NULL AND expires_at IS NOT NULL;

-- Time-limited assignments: NULL (every assignment so far) never expires;
-- request_id names the approval that made or extended it.
ALTER TABLE group_extensions ADD COLUMN expires_at timestamptz;
ALTER TABLE group_extensions ADD COLUMN request_id uuid REFERENCES extension_requests (id);
CREATE INDEX group_extensions_expiry_idx ON group_extensions (expires_at) WHERE expires_at IS NOT NULL;
