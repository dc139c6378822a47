-- A refused event's user, as a column: an erasure finds the user's refused events by it. Reading it out of the kept
-- JSON is no way: the event's properties are kept as sent, and an escaped NUL there makes PostgreSQL's JSON functions
-- fail for the whole statement.
ALTER TABLE rejected_events ADD COLUMN user_id text;

-- Rows kept before: their user read row by row, a row that cannot be read left without one.
DO $$
DECLARE
    row record;
BEGIN
    FOR row IN SELECT rejected_id, event FROM rejected_events LOOP
        BEGIN
            UPDATE rejected_events SET user_id = row.event::json ->> 'user_id' WHERE rejected_id = row.rejected_id;
        EXCEPTION WHEN others THEN
            NULL;
        END;
    END LOOP;
END
$$;

CREATE INDEX rejected_events_user ON rejected_events (tenant_id, user_id) WHERE user_id IS NOT NULL;
