-- What each catalog entry's pinned package can do, recorded by revalidation,
-- and what its version added to the version recorded before it.
CREATE TABLE extension_capabilities (
    extension_id     uuid PRIMARY KEY REFERENCES extensions (id),
    version          varchar(64) NOT NULL,
    capabilities     jsonb       NOT NULL,
    previous_version varchar(64) NOT NULL DEFAULT '',
    added            jsonb       NOT NULL DEFAULT '[]'::jsonb,
    recorded_at      timestamptz NOT NULL
);
