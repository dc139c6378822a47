-- Alert rules of a tenant, evaluated by its TenantAlertsGrain on the live metrics. A rule's state
-- changes together with the webhook deliveries the change causes, in one statement (an outbox):
-- `transitions` numbers the changes, so that a change is recorded once whichever activation makes it,
-- and each delivery's idempotency key (rule id and change number) is the same on every attempt.
CREATE TABLE alert_rules (
    rule_id uuid PRIMARY KEY,
    tenant_id text NOT NULL REFERENCES tenants (tenant_id),
    name text NOT NULL,
    metric text NOT NULL,
    category text,
    window_name text NOT NULL,
    comparison text NOT NULL,
    threshold double precision NOT NULL,
    resolve_threshold double precision,
    min_events bigint NOT NULL,
    severity text NOT NULL,
    targets text[] NOT NULL,
    -- The key of each delivery's HMAC signature; shown once, when the rule is created.
    secret text NOT NULL,
    enabled boolean NOT NULL,
    state text NOT NULL DEFAULT 'ok',
    transitions bigint NOT NULL DEFAULT 0,
    state_changed_at timestamptz,
    last_value double precision,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX alert_rules_tenant ON alert_rules (tenant_id, created_at);

-- One row per change of state and target: pending until delivered, or failed once retries ran out.
-- Silos claim due rows with FOR UPDATE SKIP LOCKED, so a delivery survives the silo that was sending it.
CREATE TABLE alert_deliveries (
    delivery_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    rule_id uuid NOT NULL REFERENCES alert_rules (rule_id) ON DELETE CASCADE,
    tenant_id text NOT NULL,
    transition bigint NOT NULL,
    state text NOT NULL,
    value double precision,
    target text NOT NULL,
    body text NOT NULL,
    status text NOT NULL DEFAULT 'pending',
    attempts integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_status integer,
    last_error text,
    created_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    UNIQUE (rule_id, transition, target)
);
CREATE INDEX alert_deliveries_due ON alert_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX alert_deliveries_rule ON alert_deliveries (rule_id, delivery_id DESC);
