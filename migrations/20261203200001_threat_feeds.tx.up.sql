-- Threat feeds (docs/threat-feeds.md): lists of known-bad extensions that
-- extguard fetches or is given, their entries as advisories, and the
-- advisories a group chose to suppress.
CREATE TABLE threat_feeds (
    id              uuid PRIMARY KEY,
    name            varchar(200) NOT NULL,
    kind            varchar(32)  NOT NULL,
    url             text         NOT NULL DEFAULT '',
    mode            varchar(8)   NOT NULL CHECK (mode IN ('block', 'alert')),
    interval_s      integer      NOT NULL,
    etag            text         NOT NULL DEFAULT '',
    last_modified   text         NOT NULL DEFAULT '',
    last_success_at timestamptz,
    last_error_at   timestamptz,
    last_error      text         NOT NULL DEFAULT '',
    entry_count     integer      NOT NULL DEFAULT 0,
    created_by      uuid REFERENCES users (id),
    created_at      timestamptz  NOT NULL,
    updated_at      timestamptz  NOT NULL,
    deleted_at      timestamptz
);
CREATE UNIQUE INDEX threat_feeds_name_key ON threat_feeds (lower(name)) WHERE deleted_at IS NULL;

-- One row per entry of a feed's last good content. first_seen_at survives
-- re-imports of the same entry; an entry that leaves the feed is deleted.
CREATE TABLE feed_advisories (
    feed_id       uuid         NOT NULL REFERENCES threat_feeds (id),
    pattern_type  varchar(16)  NOT NULL,
    pattern       varchar(512) NOT NULL,
    versions      text[]       NOT NULL DEFAULT '{}',
    severity      varchar(16)  NOT NULL,
    reason        text         NOT NULL DEFAULT '',
    reference     text         NOT NULL DEFAULT '',
    first_seen_at timestamptz  NOT NULL,
    PRIMARY KEY (feed_id, pattern_type, pattern)
);

-- An advisory one group does not want applied, and why.
CREATE TABLE advisory_suppressions (
    group_id     uuid         NOT NULL REFERENCES groups (id),
    feed_id      uuid         NOT NULL REFERENCES threat_feeds (id),
    pattern_type varchar(16)  NOT NULL,
    pattern      varchar(512) NOT NULL,
    reason       text         NOT NULL,
    created_by   uuid REFERENCES users (id),
    created_at   timestamptz  NOT NULL,
    PRIMARY KEY (group_id, feed_id, pattern_type, pattern)
);
