-- The central logger's clients filter their logs by ticket_id, which the native event keeps in
-- properties: an expression index keeps that filter fast. Partial, so that events without a
-- ticket cost nothing; queries repeat the predicate (properties ? 'ticket_id') to use it.
CREATE INDEX events_tenant_ticket_time ON events (tenant_id, (properties ->> 'ticket_id'), occurred_at, seq)
    WHERE properties ? 'ticket_id';
