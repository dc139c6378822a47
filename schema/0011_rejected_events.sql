-- Events refused with 422, kept with their reasons so that a client can see what was dropped and replay it
-- once it is fixed. Bounded per tenant (the newest are kept) and by age; the gateways write them in groups.
CREATE TABLE rejected_events (
    rejected_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id text NOT NULL,
    surface text NOT NULL,
    event_id uuid,
    -- The event as a native JSON object, as far as its surface could read it.
    event text NOT NULL,
    -- The fields at fault (for filtering) and the answer's errors, as a JSON object of field -> messages.
    fields text[] NOT NULL,
    reasons text NOT NULL,
    received_at timestamptz NOT NULL,
    replayed_at timestamptz,
    replay_status text
);
CREATE INDEX rejected_events_tenant ON rejected_events (tenant_id, rejected_id DESC);
CREATE INDEX rejected_events_received ON rejected_events USING brin (received_at);
