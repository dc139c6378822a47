-- Grain state for Microsoft.Orleans.Persistence.AdoNet: our own table and statements,
-- written to the provider's contract (query keys, @parameters, result columns).
-- The version column is the ETag: a write or clear succeeds only against the version the
-- grain read, and answers the new version; otherwise it answers the old one, which the
-- provider reports as an inconsistent state.
CREATE TABLE orleans_storage
(
    service_id          varchar(150) NOT NULL,
    grain_type          varchar(512) NOT NULL,
    grain_id_n0         bigint       NOT NULL,
    grain_id_n1         bigint       NOT NULL,
    grain_id_extension  text         NULL,
    grain_id_hash       integer      NOT NULL,
    grain_type_hash     integer      NOT NULL,
    payload             bytea        NULL,
    modified_on         timestamptz  NOT NULL DEFAULT now(),
    version             integer      NOT NULL,
    -- String-keyed grains all have n0 = n1 = 0: the provider's id and type hashes lead the key
    -- so that a look-up descends straight to the grain's row.
    CONSTRAINT orleans_storage_grain UNIQUE NULLS NOT DISTINCT
        (grain_id_hash, grain_type_hash, service_id, grain_type, grain_id_n0, grain_id_n1, grain_id_extension)
);

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES
('ReadFromStorageKey', '
SELECT payload AS PayloadBinary, now() AS ModifiedOn, version AS Version
FROM orleans_storage
WHERE grain_id_hash = @GrainIdHash AND grain_type_hash = @GrainTypeHash
  AND service_id = @ServiceId AND grain_type = @GrainTypeString
  AND grain_id_n0 = @GrainIdN0 AND grain_id_n1 = @GrainIdN1
  AND grain_id_extension IS NOT DISTINCT FROM @GrainIdExtensionString::varchar;
'),
-- With a version: update that version only. Without one (never written): insert, unless a
-- row appeared meanwhile. Either way the answer is the version the row now has for us, or the
-- version we sent when nothing changed.
('WriteToStorageKey', '
WITH updated AS (
    UPDATE orleans_storage
    SET payload = @PayloadBinary, modified_on = now(), version = version + 1
    WHERE @GrainStateVersion::int IS NOT NULL
      AND grain_id_hash = @GrainIdHash AND grain_type_hash = @GrainTypeHash
      AND service_id = @ServiceId AND grain_type = @GrainTypeString
      AND grain_id_n0 = @GrainIdN0 AND grain_id_n1 = @GrainIdN1
      AND grain_id_extension IS NOT DISTINCT FROM @GrainIdExtensionString::varchar
      AND version = @GrainStateVersion::int
    RETURNING version),
inserted AS (
    INSERT INTO orleans_storage (service_id, grain_type, grain_id_n0, grain_id_n1, grain_id_extension,
                                 grain_id_hash, grain_type_hash, payload, version)
    SELECT @ServiceId, @GrainTypeString, @GrainIdN0, @GrainIdN1, @GrainIdExtensionString::varchar,
           @GrainIdHash, @GrainTypeHash, @PayloadBinary, 1
    WHERE @GrainStateVersion::int IS NULL
    ON CONFLICT ON CONSTRAINT orleans_storage_grain DO NOTHING
    RETURNING version)
SELECT coalesce((SELECT version FROM updated), (SELECT version FROM inserted), @GrainStateVersion::int)
       AS NewGrainStateVersion;
'),
('ClearStorageKey', '
WITH cleared AS (
    UPDATE orleans_storage
    SET payload = NULL, modified_on = now(), version = version + 1
    WHERE grain_id_hash = @GrainIdHash AND grain_type_hash = @GrainTypeHash
  AND service_id = @ServiceId AND grain_type = @GrainTypeString
      AND grain_id_n0 = @GrainIdN0 AND grain_id_n1 = @GrainIdN1
      AND grain_id_extension IS NOT DISTINCT FROM @GrainIdExtensionString::varchar
      AND version = @GrainStateVersion::int
    RETURNING version)
SELECT coalesce((SELECT version FROM cleared), @GrainStateVersion::int) AS NewGrainStateVersion;
'),
-- Answers the deleted version + 1, as the provider expects, or the sent version when nothing matched.
('DeleteStorageKey', '
WITH deleted AS (
    DELETE FROM orleans_storage
    WHERE grain_id_hash = @GrainIdHash AND grain_type_hash = @GrainTypeHash
  AND service_id = @ServiceId AND grain_type = @GrainTypeString
      AND grain_id_n0 = @GrainIdN0 AND grain_id_n1 = @GrainIdN1
      AND grain_id_extension IS NOT DISTINCT FROM @GrainIdExtensionString::varchar
      AND version = @GrainStateVersion::int
    RETURNING version)
SELECT coalesce((SELECT version + 1 FROM deleted), @GrainStateVersion::int) AS NewGrainStateVersion;
');
