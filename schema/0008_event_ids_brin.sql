-- event_ids.received_at serves one query only: retention's range delete of a dropped week's ids.
-- Rows arrive in order of receipt, so a BRIN index (a few pages for the whole table) finds a week as
-- well as the btree did, without a btree insert for every event stored.
DROP INDEX event_ids_received;
CREATE INDEX event_ids_received ON event_ids USING brin (received_at);
