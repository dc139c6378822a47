-- Events move to a table partitioned by week of receipt (UTC, weeks start on Monday), so that
-- retention drops whole weeks instead of deleting rows, and every insert goes to this week's
-- partition. A unique index on a partitioned table must include the partition key, so the
-- idempotency key (tenant, id) lives in event_ids, a narrow table that is not partitioned: the
-- event log inserts there first and stores only the events whose id was new, whatever week a
-- retry arrives in.

ALTER TABLE events RENAME TO events_before_partitioning;
ALTER TABLE events_before_partitioning RENAME CONSTRAINT events_pkey TO events_before_partitioning_pkey;
ALTER INDEX events_tenant_seq RENAME TO events_before_partitioning_tenant_seq;
ALTER INDEX events_tenant_user_seq RENAME TO events_before_partitioning_tenant_user_seq;

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
    properties  jsonb            NOT NULL DEFAULT '{}'::jsonb
) PARTITION BY RANGE (received_at);

-- Pages are newest first by (occurred_at, seq), read by scanning these indexes backwards from the
-- cursor (a row comparison on ascending columns); each filter that narrows well has its own index
-- in that order. status and environment take few values: they are checked while scanning.
CREATE INDEX events_tenant_seq ON events (tenant_id, seq);
CREATE INDEX events_tenant_time ON events (tenant_id, occurred_at, seq);
CREATE INDEX events_tenant_type_time ON events (tenant_id, type, occurred_at, seq);
CREATE INDEX events_tenant_user_time ON events (tenant_id, user_id, occurred_at, seq) WHERE user_id IS NOT NULL;
CREATE INDEX events_tenant_session_time ON events (tenant_id, session_id, occurred_at, seq) WHERE session_id IS NOT NULL;

CREATE TABLE event_ids
(
    tenant_id   text        NOT NULL,
    event_id    uuid        NOT NULL,
    seq         bigint      NOT NULL,
    received_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, event_id)
);
CREATE INDEX event_ids_received ON event_ids (received_at);

-- Creates the partition of the week holding at, unless it exists; answers its name. Callers
-- (every silo's maintenance, a writer that met a missing week) serialize on an advisory lock.
CREATE FUNCTION telemetry_ensure_event_partition(at timestamptz) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    week_start timestamptz := date_trunc('week', at, 'UTC');
    name text := 'events_' || to_char(week_start AT TIME ZONE 'UTC', 'YYYY_MM_DD');
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('telemetry_event_partitions'));
    IF to_regclass(name) IS NULL THEN
        EXECUTE format('CREATE TABLE %I PARTITION OF events FOR VALUES FROM (%L) TO (%L)',
                       name, week_start, week_start + interval '7 days');
    END IF;
    RETURN name;
END
$$;

-- Drops the partitions that end at or before cutoff, and the ids of their events; answers the
-- names dropped. Rows of event_ids go in one indexed range delete per dropped week.
CREATE FUNCTION telemetry_drop_event_partitions(cutoff timestamptz) RETURNS SETOF text
LANGUAGE plpgsql AS $$
DECLARE
    part record;
    upper_bound timestamptz;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('telemetry_event_partitions'));
    FOR part IN
        SELECT c.relname::text AS name, pg_get_expr(c.relpartbound, c.oid) AS bound
        FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'events'::regclass
    LOOP
        upper_bound := substring(part.bound FROM 'TO \(''([^'']+)''\)')::timestamptz;
        IF upper_bound <= cutoff THEN
            EXECUTE format('DROP TABLE %I', part.name);
            DELETE FROM event_ids WHERE received_at < upper_bound;
            RETURN NEXT part.name;
        END IF;
    END LOOP;
END
$$;

SELECT telemetry_ensure_event_partition(w)
FROM generate_series(
        coalesce((SELECT min(received_at) FROM events_before_partitioning), now()),
        greatest(coalesce((SELECT max(received_at) FROM events_before_partitioning), now()), now() + interval '7 days'),
        interval '7 days') AS w;
SELECT telemetry_ensure_event_partition(now() + interval '7 days');

INSERT INTO events SELECT tenant_id, event_id, seq, type, status, user_id, session_id, environment,
                          occurred_at, received_at, duration_ms, properties
FROM events_before_partitioning;
INSERT INTO event_ids SELECT tenant_id, event_id, seq, received_at FROM events_before_partitioning;
DROP TABLE events_before_partitioning;
