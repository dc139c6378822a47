-- Settings a tenant chooses for itself through PATCH /v1/settings.
-- keep_rate_limited: events refused for the tenant's rate limit are kept with the refused ones (GET /v1/rejected) for
-- replay, instead of being left to the client's retries alone. Off by default: under a flood it costs writes.
ALTER TABLE tenants ADD COLUMN keep_rate_limited boolean NOT NULL DEFAULT false;
