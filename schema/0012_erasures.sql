-- Erasure of one user's data (GDPR/CCPA). A request is a job that any silo may run, one chunk of events per
-- transaction, under a lease: a silo that dies leaves the job to another, which goes on from what was committed.
-- The job row is also the audit record (who asked, when, how many rows went); it outlives the data it erased.
CREATE TABLE erasures (
    erasure_id uuid PRIMARY KEY,
    tenant_id text NOT NULL REFERENCES tenants (tenant_id),
    user_id text NOT NULL,
    -- The key that asked (its name is read from api_keys; a deleted key leaves the id).
    requested_by uuid NOT NULL,
    requested_at timestamptz NOT NULL DEFAULT now(),
    -- Also forget the erased events' ids, so that a client sending them again stores them again.
    forget_ids boolean NOT NULL,
    -- The tenant's highest stored sequence number when asked: every event acknowledged before the request
    -- lies at or below it. Later events of the same user are kept (another request erases them).
    up_to_seq bigint NOT NULL,
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'done', 'failed')),
    started_at timestamptz,
    finished_at timestamptz,
    lease_until timestamptz,
    -- The silo whose attempt holds the lease (for operators: which silo's log tells about it).
    claimed_by text,
    attempts int NOT NULL DEFAULT 0,
    events_erased bigint NOT NULL DEFAULT 0,
    ids_forgotten bigint NOT NULL DEFAULT 0,
    rejected_erased bigint NOT NULL DEFAULT 0,
    error text
);
-- One open request per user: asking again while one runs answers that one.
CREATE UNIQUE INDEX erasures_open_user ON erasures (tenant_id, user_id) WHERE status IN ('pending', 'running');
CREATE INDEX erasures_tenant ON erasures (tenant_id, requested_at DESC, erasure_id DESC);
CREATE INDEX erasures_open ON erasures (lease_until) WHERE status IN ('pending', 'running');

-- Counts the chunks of erasure applied to the tenant's rollups: a metrics grain that loaded the rollups
-- knows which chunks they already hold, and subtracts a later chunk from memory exactly once.
ALTER TABLE tenants ADD COLUMN erasure_version bigint NOT NULL DEFAULT 0;
