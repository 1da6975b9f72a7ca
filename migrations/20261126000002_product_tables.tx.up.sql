-- Tables the product needs beyond the seed.

-- Admin sessions live in PostgreSQL so admins keep working while Redis is down.
-- Only a SHA-256 of the opaque token is stored.
CREATE TABLE sessions (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id      uuid        NOT NULL REFERENCES users (id),
    token_hash   varchar(64) NOT NULL,
    client_ip    inet,
    user_agent   text        NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    revoked_at   timestamptz
);
CREATE UNIQUE INDEX sessions_token_hash_key ON sessions (token_hash);
CREATE INDEX sessions_user_idx ON sessions (user_id);

-- The current inventory: the latest state per agent, editor and extension, so
-- "who has X installed now" and compliance never scan report history.
CREATE TABLE installations (
    agent_id          uuid         NOT NULL REFERENCES agents (id),
    editor            varchar(32)  NOT NULL,
    extension_id      varchar(256) NOT NULL,
    group_id          uuid         NOT NULL REFERENCES groups (id),
    publisher         varchar(128) GENERATED ALWAYS AS (split_part(extension_id, '.', 1)) STORED,
    installed_version varchar(64),
    extension_sha256  varchar(64),
    reported_at       timestamptz  NOT NULL,
    PRIMARY KEY (agent_id, editor, extension_id)
);
CREATE INDEX installations_extension_idx ON installations (extension_id, agent_id);
CREATE INDEX installations_publisher_idx ON installations (publisher, extension_id);
CREATE INDEX installations_group_idx ON installations (group_id, extension_id);

-- The verdict of each agent's newest report, kept with the report so a group's
-- compliance summary is an aggregate over one row per agent.
CREATE TABLE agent_verdicts (
    agent_id     uuid PRIMARY KEY REFERENCES agents (id),
    group_id     uuid         NOT NULL REFERENCES groups (id),
    reported_at  timestamptz  NOT NULL,
    policy_etag  varchar(128) NOT NULL DEFAULT '',
    compliant    boolean      NOT NULL,
    violations   jsonb        NOT NULL DEFAULT '[]'::jsonb,
    updated_at   timestamptz  NOT NULL DEFAULT now()
);
CREATE INDEX agent_verdicts_group_idx ON agent_verdicts (group_id, compliant);

CREATE TABLE webhooks (
    id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    url                     text         NOT NULL,
    description             text         NOT NULL DEFAULT '',
    secret                  varchar(128) NOT NULL,
    previous_secret         varchar(128),
    previous_secret_expires timestamptz,
    event_types             text[]       NOT NULL DEFAULT '{}',
    is_enabled              boolean      NOT NULL DEFAULT true,
    disabled_reason         text         NOT NULL DEFAULT '',
    created_by              uuid REFERENCES users (id),
    created_at              timestamptz  NOT NULL DEFAULT now(),
    updated_at              timestamptz  NOT NULL DEFAULT now(),
    deleted_at              timestamptz
);
CREATE INDEX webhooks_enabled_idx ON webhooks (id) WHERE deleted_at IS NULL AND is_enabled;

-- The outbox: one row per audit event and subscribed webhook, written in the
-- same transaction as the audit row. PostgreSQL, not the queue, is the source
-- of truth for what remains to deliver.
CREATE TABLE webhook_deliveries (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    webhook_id       uuid        NOT NULL REFERENCES webhooks (id),
    audit_id         uuid        NOT NULL REFERENCES audit_log (id),
    status           varchar(16) NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts         integer     NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    enqueued_at      timestamptz,
    last_attempt_at  timestamptz,
    last_status_code integer,
    last_error       text        NOT NULL DEFAULT '',
    delivered_at     timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX webhook_deliveries_webhook_audit_key ON webhook_deliveries (webhook_id, audit_id);
CREATE INDEX webhook_deliveries_pending_idx ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_webhook_idx ON webhook_deliveries (webhook_id, created_at DESC);

CREATE TABLE webhook_attempts (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    delivery_id      uuid        NOT NULL REFERENCES webhook_deliveries (id),
    attempt          integer     NOT NULL,
    attempted_at     timestamptz NOT NULL DEFAULT now(),
    status_code      integer,
    duration_ms      integer     NOT NULL DEFAULT 0,
    error            text        NOT NULL DEFAULT '',
    response_snippet text        NOT NULL DEFAULT ''
);
CREATE INDEX webhook_attempts_delivery_idx ON webhook_attempts (delivery_id, attempt);
