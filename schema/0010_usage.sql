-- What each tenant sent, per hour and surface: accepted, duplicates, rejected by reason, rate-limited,
-- and bytes received. Gateways add their counts every few seconds (an upsert that sums), so that the
-- figures are billable, survive restarts, and add up across gateways.
CREATE TABLE usage_hourly (
    tenant_id text NOT NULL,
    hour timestamptz NOT NULL,
    surface text NOT NULL,
    kind text NOT NULL,
    reason text NOT NULL DEFAULT '',
    amount bigint NOT NULL,
    PRIMARY KEY (tenant_id, hour, surface, kind, reason)
);
