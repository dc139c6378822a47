-- Telemetry's own tables: tenants and their keys, the raw events, and per-bucket rollups
-- of the tenant metrics that are written in the same statement as the events they count.

-- A tenant's log_head is the last sequence number its event log writer reserved. Every
-- write for a tenant advances it with a compare-and-set in the same statement that inserts
-- the events, so per tenant, events commit in sequence order and a stale writer is fenced off.
CREATE TABLE tenants
(
    tenant_id  text        NOT NULL PRIMARY KEY CHECK (tenant_id ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
    created_at timestamptz NOT NULL DEFAULT now(),
    log_head   bigint      NOT NULL DEFAULT 0
);

-- Keys are shown once; only a SHA-256 of the secret part is kept (the secret has 256 random bits,
-- so a slow hash would add nothing). scopes is a subset of {ingest, read, admin}.
CREATE TABLE api_keys
(
    key_id      uuid        NOT NULL PRIMARY KEY,
    tenant_id   text        NOT NULL REFERENCES tenants (tenant_id),
    name        text        NOT NULL,
    secret_hash bytea       NOT NULL,
    scopes      text[]      NOT NULL CHECK (scopes <@ ARRAY['ingest', 'read', 'admin']::text[] AND cardinality(scopes) > 0),
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz NULL
);
CREATE INDEX api_keys_tenant ON api_keys (tenant_id);

-- The raw events. (tenant_id, event_id) is the idempotency key; seq orders a tenant's events
-- in commit order and lets grains replay what they have not seen.
CREATE TABLE events
(
    tenant_id   text             NOT NULL,
    event_id    uuid             NOT NULL,
    seq         bigint           NOT NULL,
    type        text             NOT NULL,
    status      text             NULL CHECK (status IN ('success', 'failure')),
    user_id     text             NULL,
    session_id  text             NULL,
    environment text             NULL,
    occurred_at timestamptz      NOT NULL,
    received_at timestamptz      NOT NULL,
    duration_ms double precision NULL CHECK (duration_ms >= 0),
    properties  jsonb            NOT NULL DEFAULT '{}'::jsonb,
    PRIMARY KEY (tenant_id, event_id)
);
CREATE UNIQUE INDEX events_tenant_seq ON events (tenant_id, seq);
CREATE INDEX events_tenant_user_seq ON events (tenant_id, user_id, seq) WHERE user_id IS NOT NULL;

-- Tenant metrics per bucket: granularity 0 = all time (bucket_start = epoch), 1 = minute,
-- 2 = hour, 3 = day, all in UTC. Minute rows older than the metrics horizon are pruned.
CREATE TABLE tenant_rollups
(
    tenant_id      text             NOT NULL,
    granularity    smallint         NOT NULL CHECK (granularity BETWEEN 0 AND 3),
    bucket_start   timestamptz      NOT NULL,
    type           text             NOT NULL,
    count          bigint           NOT NULL,
    success        bigint           NOT NULL,
    failure        bigint           NOT NULL,
    duration_sum   double precision NOT NULL,
    duration_count bigint           NOT NULL,
    PRIMARY KEY (tenant_id, granularity, bucket_start, type)
);
