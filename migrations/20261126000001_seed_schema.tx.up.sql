-- The schema extguard was designed against (migrations/schema_expected_test.go), with the keys and
-- indexes the agent and admin paths need. Every seed table and column is here
-- with the seed's type; columns we add are marked "added".

CREATE TABLE users (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email         varchar(254) NOT NULL,
    password_hash varchar(255) NOT NULL,
    display_name  varchar(255) NOT NULL DEFAULT '',
    role          varchar(16)  NOT NULL CHECK (role IN ('admin', 'editor', 'auditor', 'viewer')),
    is_active     boolean      NOT NULL DEFAULT true,
    last_login_at timestamptz,
    created_at    timestamptz  NOT NULL DEFAULT now(),
    updated_at    timestamptz  NOT NULL DEFAULT now(),
    deleted_at    timestamptz
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email)) WHERE deleted_at IS NULL;

CREATE TABLE groups (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name        varchar(128) NOT NULL,
    description text         NOT NULL DEFAULT '',
    settings    jsonb        NOT NULL DEFAULT '{}'::jsonb,
    created_at  timestamptz  NOT NULL DEFAULT now(),
    updated_at  timestamptz  NOT NULL DEFAULT now(),
    deleted_at  timestamptz
);
CREATE UNIQUE INDEX groups_name_key ON groups (lower(name)) WHERE deleted_at IS NULL;

CREATE TABLE extensions (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    extension_id    varchar(256) NOT NULL,
    name            varchar(256) NOT NULL,
    publisher       varchar(128) NOT NULL,
    pinned_version  varchar(64),
    sha256_checksum varchar(64),
    marketplace_url text,
    is_blocked      boolean      NOT NULL DEFAULT false,
    block_reason    text         NOT NULL DEFAULT '',          -- added: why it is blocked
    content_sha256  varchar(64),                               -- added: digest of the package's extension/ tree
    revalidated_at  timestamptz,                               -- added: last checksum revalidation
    created_at      timestamptz  NOT NULL DEFAULT now(),
    updated_at      timestamptz  NOT NULL DEFAULT now(),
    deleted_at      timestamptz
);
CREATE UNIQUE INDEX extensions_extension_id_key ON extensions (extension_id) WHERE deleted_at IS NULL;
CREATE INDEX extensions_pinned_idx ON extensions (id) WHERE deleted_at IS NULL AND pinned_version IS NOT NULL;

-- fillfactor 70 leaves room on each page so batched heartbeat updates stay HOT
-- (last_heartbeat is deliberately not indexed).
CREATE TABLE agents (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    group_id       uuid         NOT NULL REFERENCES groups (id),
    machine_id     varchar(128) NOT NULL,
    user_hash      varchar(64)  NOT NULL DEFAULT '',
    display_name   varchar(255) NOT NULL DEFAULT '',
    platform       varchar(32)  NOT NULL DEFAULT '',
    agent_version  varchar(64)  NOT NULL DEFAULT '',
    last_heartbeat timestamptz,
    last_sync      timestamptz,
    status         varchar(16)  NOT NULL DEFAULT 'active'
                   CHECK (status IN ('active', 'stale', 'offline', 'decommissioned')),
    created_at     timestamptz  NOT NULL DEFAULT now(),
    updated_at     timestamptz  NOT NULL DEFAULT now(),
    deleted_at     timestamptz
) WITH (fillfactor = 70);
CREATE UNIQUE INDEX agents_group_machine_key ON agents (group_id, machine_id) WHERE deleted_at IS NULL;
CREATE INDEX agents_group_status_idx ON agents (group_id, status) WHERE deleted_at IS NULL;

CREATE TABLE api_keys (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    group_id     uuid REFERENCES groups (id),                  -- null for admin-scoped keys
    created_by   uuid REFERENCES users (id),
    key_hash     varchar(64)  NOT NULL,
    key_prefix   varchar(16)  NOT NULL,
    name         varchar(128) NOT NULL,
    scopes       varchar(128) NOT NULL,
    expires_at   timestamptz,
    last_used_at timestamptz,
    revoked_at   timestamptz,
    created_at   timestamptz  NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX api_keys_key_hash_key ON api_keys (key_hash);
CREATE INDEX api_keys_group_idx ON api_keys (group_id, created_at);

CREATE TABLE group_extensions (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    group_id     uuid        NOT NULL REFERENCES groups (id),
    extension_id uuid        NOT NULL REFERENCES extensions (id),
    is_required  boolean     NOT NULL DEFAULT false,
    added_by     uuid REFERENCES users (id),
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX group_extensions_group_extension_key ON group_extensions (group_id, extension_id);
CREATE INDEX group_extensions_extension_idx ON group_extensions (extension_id);

-- Report history: one row per extension per report. High volume, so ids are
-- UUIDv7 (time-ordered) and the indexes are the few the admin queries need.
CREATE TABLE reports (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    agent_id          uuid        NOT NULL REFERENCES agents (id),
    group_id          uuid        NOT NULL REFERENCES groups (id),
    extension_id      varchar(256) NOT NULL,
    user_hash         varchar(64) NOT NULL DEFAULT '',
    installed         boolean     NOT NULL,
    installed_version varchar(64),
    extension_sha256  varchar(64),
    client_ip         inet,
    reported_at       timestamptz NOT NULL,
    editor            varchar(32) NOT NULL DEFAULT '',          -- added: which editor the row is about
    received_at       timestamptz NOT NULL DEFAULT now()        -- added: when the server stored it
);
CREATE INDEX reports_agent_reported_idx ON reports (agent_id, reported_at DESC);
CREATE INDEX reports_extension_reported_idx ON reports (extension_id, reported_at DESC);

CREATE TABLE blocklist (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    pattern_type varchar(16)  NOT NULL CHECK (pattern_type IN ('exact', 'publisher', 'glob', 'regex')),
    pattern      varchar(512) NOT NULL,
    reason       text         NOT NULL DEFAULT '',
    created_by   uuid REFERENCES users (id),
    is_active    boolean      NOT NULL DEFAULT true,
    created_at   timestamptz  NOT NULL DEFAULT now(),
    updated_at   timestamptz  NOT NULL DEFAULT now(),
    deleted_at   timestamptz                                   -- added: soft delete like the other resources
);
CREATE UNIQUE INDEX blocklist_pattern_key ON blocklist (pattern_type, pattern) WHERE deleted_at IS NULL;

CREATE TABLE audit_log (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    event_type  varchar(64) NOT NULL,
    actor_type  varchar(16) NOT NULL,
    actor_id    uuid,
    group_id    uuid REFERENCES groups (id),
    target_type varchar(32) NOT NULL DEFAULT '',
    target_id   uuid,
    details     jsonb       NOT NULL DEFAULT '{}'::jsonb,
    client_ip   inet,
    user_agent  text        NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_created_idx ON audit_log (created_at DESC, id DESC);
CREATE INDEX audit_log_event_type_idx ON audit_log (event_type, created_at DESC);
CREATE INDEX audit_log_group_idx ON audit_log (group_id, created_at DESC) WHERE group_id IS NOT NULL;
CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, created_at DESC) WHERE actor_id IS NOT NULL;
CREATE INDEX audit_log_target_idx ON audit_log (target_type, target_id, created_at DESC);
