using System.Data;
using Npgsql;
using NpgsqlTypes;
using Telemetry.Grains;

namespace Telemetry.Storage;

/// <summary>
/// Erasure requests for one user's data and the work they do: asked for by the gateway, claimed by one silo at a
/// time under a lease, carried out a chunk of events per transaction (events, their rollup contributions and,
/// when asked, their ids go together), kept afterwards as the audit record.
/// </summary>
public sealed class UserErasureStore(NpgsqlDataSource dataSource)
{
    private const string Columns = """
        e.erasure_id, e.user_id, e.status, e.forget_ids, e.requested_by, k.name, e.requested_at, e.started_at, e.finished_at,
        e.events_erased, e.ids_forgotten, e.rejected_erased, e.error
        """;

    /// <summary>
    /// A new request unless one is open for the user (then nothing: the caller reads that one). Its bound is the
    /// tenant's highest stored sequence number: every event acknowledged before the request is at or below it.
    /// </summary>
    internal const string RequestSql = """
        INSERT INTO erasures (erasure_id, tenant_id, user_id, requested_by, forget_ids, up_to_seq)
        SELECT @id, @tenant, @user, @key, @forget, coalesce((SELECT max(seq) FROM events WHERE tenant_id = @tenant), 0)
        WHERE NOT EXISTS (SELECT 1 FROM erasures WHERE tenant_id = @tenant AND user_id = @user AND status IN ('pending', 'running'))
        ON CONFLICT DO NOTHING
        RETURNING erasure_id
        """;

    /// <summary>
    /// Asked again while open, the request widens to what the new one asks: the events stored since, and the ids too when
    /// the new one says so. A running attempt takes the new bound at its next chunk.
    /// </summary>
    internal const string OpenSql = """
        UPDATE erasures
        SET up_to_seq = greatest(up_to_seq, coalesce((SELECT max(seq) FROM events WHERE tenant_id = @tenant), 0)),
            forget_ids = forget_ids OR @forget
        WHERE tenant_id = @tenant AND user_id = @user AND status IN ('pending', 'running')
        RETURNING erasure_id
        """;

    internal const string GetSql = $"""
        SELECT {Columns}
        FROM erasures e LEFT JOIN api_keys k ON k.key_id = e.requested_by
        WHERE e.tenant_id = @tenant AND e.erasure_id = @id
        """;

    /// <summary>Newest first; the cursor is the last id of the previous page.</summary>
    internal const string ListSql = $"""
        SELECT {Columns}
        FROM erasures e LEFT JOIN api_keys k ON k.key_id = e.requested_by
        WHERE e.tenant_id = @tenant
          AND (@after::uuid IS NULL OR (e.requested_at, e.erasure_id) <
               (SELECT c.requested_at, c.erasure_id FROM erasures c WHERE c.tenant_id = @tenant AND c.erasure_id = @after))
        ORDER BY e.requested_at DESC, e.erasure_id DESC
        LIMIT @limit
        """;

    /// <summary>
    /// Takes the oldest open request that no silo holds (never claimed, or its lease ran out with its silo); each claim
    /// numbers an attempt, and only that attempt's chunks count. Past @max_attempts a request is given up.
    /// </summary>
    internal const string ClaimSql = """
        WITH next AS MATERIALIZED (
            SELECT erasure_id FROM erasures
            WHERE status IN ('pending', 'running') AND (lease_until IS NULL OR lease_until < now())
            ORDER BY requested_at LIMIT 1 FOR UPDATE SKIP LOCKED)
        UPDATE erasures e
        SET status = CASE WHEN e.attempts >= @max_attempts THEN 'failed' ELSE 'running' END,
            finished_at = CASE WHEN e.attempts >= @max_attempts THEN now() END,
            started_at = coalesce(e.started_at, now()), lease_until = now() + @lease, attempts = e.attempts + 1, claimed_by = @silo
        FROM next WHERE e.erasure_id = next.erasure_id
        RETURNING e.erasure_id, e.tenant_id, e.user_id, e.attempts, e.status
        """;

    /// <summary>
    /// Renews the lease of this attempt and locks the tenant's row the way the log's head moves do (before the rollups),
    /// so the two never wait on each other in opposite orders. Answers the log head: only events at or below it are
    /// counted in the rollups, so only those may be erased with their contributions; and the request's bound and choice as
    /// they are now (a second request for the user widens them).
    /// </summary>
    internal const string RenewSql = """
        WITH job AS (
            UPDATE erasures SET lease_until = now() + @lease
            WHERE erasure_id = @id AND status = 'running' AND attempts = @attempt
            RETURNING tenant_id, up_to_seq, forget_ids)
        SELECT t.log_head, j.up_to_seq, j.forget_ids FROM tenants t JOIN job j ON j.tenant_id = t.tenant_id FOR NO KEY UPDATE OF t
        """;

    /// <summary>
    /// Deletes up to @chunk of the user's events at or below @up_to, their ids when asked, and their counts from the
    /// rollups (cut in UTC as the log cuts them); answers what left each bucket. Rows pruned from the rollups match nothing.
    /// </summary>
    internal const string EraseChunkSql = """
        WITH gone AS (
            -- An array of sequence numbers, not a join: each partition is then read by its (tenant, seq) index.
            DELETE FROM events e
            WHERE e.tenant_id = @tenant AND e.user_id = @user
              AND e.seq = ANY (ARRAY(SELECT seq FROM events WHERE tenant_id = @tenant AND user_id = @user AND seq <= @up_to LIMIT @chunk))
            RETURNING e.event_id, e.type, e.status, e.occurred_at, e.duration_ms),
        forgotten AS (
            DELETE FROM event_ids i USING gone g
            WHERE @forget AND i.tenant_id = @tenant AND i.event_id = g.event_id
            RETURNING 1),
        deltas AS (
            SELECT b.granularity, b.bucket_start, g.type,
                   count(*) AS count, count(*) FILTER (WHERE g.status = 'success') AS success,
                   count(*) FILTER (WHERE g.status = 'failure') AS failure,
                   coalesce(sum(g.duration_ms), 0) AS duration_sum, count(g.duration_ms) AS duration_count
            FROM gone g
            CROSS JOIN LATERAL (VALUES (0::smallint, 'epoch'::timestamptz),
                                       (1::smallint, date_trunc('minute', g.occurred_at, 'UTC')),
                                       (2::smallint, date_trunc('hour', g.occurred_at, 'UTC')),
                                       (3::smallint, date_trunc('day', g.occurred_at, 'UTC')))
                 AS b(granularity, bucket_start)
            GROUP BY b.granularity, b.bucket_start, g.type),
        rolled AS (
            UPDATE tenant_rollups r
            SET count = r.count - d.count, success = r.success - d.success, failure = r.failure - d.failure,
                duration_sum = r.duration_sum - d.duration_sum, duration_count = r.duration_count - d.duration_count
            FROM deltas d
            WHERE r.tenant_id = @tenant AND r.granularity = d.granularity AND r.bucket_start = d.bucket_start AND r.type = d.type
            RETURNING 1)
        SELECT d.granularity, d.bucket_start, d.type, d.count, d.success, d.failure, d.duration_sum, d.duration_count,
               (SELECT count(*) FROM forgotten), (SELECT count(*) FROM rolled)
        FROM deltas d
        """;

    /// <summary>Buckets the erasure emptied: gone, as if they had never held events.</summary>
    internal const string DropEmptySql = """
        DELETE FROM tenant_rollups r
        USING unnest(@granularities, @buckets, @types) AS d(granularity, bucket_start, type)
        WHERE r.tenant_id = @tenant AND r.granularity = d.granularity AND r.bucket_start = d.bucket_start AND r.type = d.type
          AND r.count <= 0
        """;

    internal const string NextVersionSql = "UPDATE tenants SET erasure_version = erasure_version + 1 WHERE tenant_id = @tenant RETURNING erasure_version";

    internal const string ProgressSql = """
        UPDATE erasures SET events_erased = events_erased + @events, ids_forgotten = ids_forgotten + @ids
        WHERE erasure_id = @id AND attempts = @attempt
        """;

    /// <summary>The user's refused events go too (they hold what the user sent), and the request is done.</summary>
    internal const string FinishSql = """
        WITH gone AS (
            DELETE FROM rejected_events
            WHERE tenant_id = @tenant AND user_id = @user
            RETURNING 1)
        UPDATE erasures
        SET status = 'done', finished_at = now(), lease_until = NULL, error = NULL,
            rejected_erased = rejected_erased + (SELECT count(*) FROM gone)
        WHERE erasure_id = @id AND status = 'running' AND attempts = @attempt
        """;

    /// <summary>Audit records of requests that ended before @before.</summary>
    internal const string PruneSql = "DELETE FROM erasures WHERE status IN ('done', 'failed') AND finished_at < @before";

    internal const string NoteErrorSql = "UPDATE erasures SET error = @error WHERE erasure_id = @id AND attempts = @attempt";

    /// <summary>A request as answered to clients: its progress and, once done, how many rows went.</summary>
    public sealed record Erasure(
        Guid Id, string UserId, string Status, bool ForgetIds, Guid RequestedBy, string? RequestedByName,
        DateTimeOffset RequestedAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt,
        long EventsErased, long IdsForgotten, long RejectedErased, string? Error);

    /// <summary>A request claimed by one attempt of a worker (its bound and choice are read at each chunk: they may widen).</summary>
    public sealed record Claimed(Guid Id, string TenantId, string UserId, int Attempt);

    /// <summary>
    /// What one chunk did: events and ids deleted, the log head and the request's bound it was bounded by, and the retraction the tenant's
    /// metrics grain must apply (null when nothing was deleted). Null as a whole when the attempt lost its lease.
    /// </summary>
    public sealed record Chunk(int Erased, long Forgotten, long Head, long UpToSeq, MetricsRetraction? Retraction);

    /// <summary>Records a request, or finds the one open for the same user. Created tells which.</summary>
    public async Task<(Erasure Erasure, bool Created)> RequestAsync(string tenantId, string userId, Guid keyId, bool forgetIds, CancellationToken cancellationToken = default)
    {
        // Two requests at once: the loser of the unique index finds the winner's row on its next read.
        for (var attempt = 0; ; attempt++)
        {
            await using (var request = dataSource.CreateCommand(RequestSql))
            {
                request.Parameters.AddWithValue("id", Guid.CreateVersion7());
                request.Parameters.AddWithValue("tenant", tenantId);
                request.Parameters.AddWithValue("user", userId);
                request.Parameters.AddWithValue("key", keyId);
                request.Parameters.AddWithValue("forget", forgetIds);
                if (await request.ExecuteScalarAsync(cancellationToken) is Guid created)
                {
                    return ((await GetAsync(tenantId, created, cancellationToken))!, true);
                }
            }
            await using (var open = dataSource.CreateCommand(OpenSql))
            {
                open.Parameters.AddWithValue("tenant", tenantId);
                open.Parameters.AddWithValue("user", userId);
                open.Parameters.AddWithValue("forget", forgetIds);
                if (await open.ExecuteScalarAsync(cancellationToken) is Guid existing && await GetAsync(tenantId, existing, cancellationToken) is { } found)
                {
                    return (found, false);
                }
            }
            if (attempt >= 3) throw new InvalidOperationException("An erasure request neither was recorded nor found open.");
        }
    }

    public async Task<Erasure?> GetAsync(string tenantId, Guid id, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(GetSql);
        command.Parameters.AddWithValue("tenant", tenantId);
        command.Parameters.AddWithValue("id", id);
        var rows = await ReadAsync(command, cancellationToken);
        return rows.Count == 0 ? null : rows[0];
    }

    public async Task<IReadOnlyList<Erasure>> ListAsync(string tenantId, Guid? after, int limit, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(ListSql);
        command.Parameters.AddWithValue("tenant", tenantId);
        command.Parameters.Add(new NpgsqlParameter<Guid?>("after", NpgsqlDbType.Uuid) { TypedValue = after });
        command.Parameters.AddWithValue("limit", limit);
        return await ReadAsync(command, cancellationToken);
    }

    /// <summary>The oldest open request no silo holds, or null; requests past <paramref name="maxAttempts"/> are marked failed instead.</summary>
    public async Task<Claimed?> ClaimAsync(string silo, TimeSpan lease, int maxAttempts, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(ClaimSql);
        command.Parameters.AddWithValue("silo", silo);
        command.Parameters.AddWithValue("lease", lease);
        command.Parameters.AddWithValue("max_attempts", maxAttempts);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken) || reader.GetString(4) != "running") return null;
        return new Claimed(reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetInt32(3));
    }

    /// <summary>Erases up to <paramref name="chunk"/> of the user's events within the request's bound and the log head, in one transaction.</summary>
    public async Task<Chunk?> EraseChunkAsync(Claimed job, int chunk, TimeSpan lease, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken);
        long head, upTo;
        bool forget;
        await using (var renew = new NpgsqlCommand(RenewSql, connection, transaction))
        {
            renew.Parameters.AddWithValue("id", job.Id);
            renew.Parameters.AddWithValue("attempt", job.Attempt);
            renew.Parameters.AddWithValue("lease", lease);
            await using var row = await renew.ExecuteReaderAsync(cancellationToken);
            if (!await row.ReadAsync(cancellationToken)) return null;
            (head, upTo, forget) = (row.GetInt64(0), row.GetInt64(1), row.GetBoolean(2));
        }

        var cells = new List<RetractedCell>();
        var (granularities, buckets, types) = (new List<short>(), new List<DateTime>(), new List<string>());
        long erased = 0, forgotten = 0;
        await using (var erase = new NpgsqlCommand(EraseChunkSql, connection, transaction))
        {
            erase.Parameters.AddWithValue("tenant", job.TenantId);
            erase.Parameters.AddWithValue("user", job.UserId);
            erase.Parameters.AddWithValue("up_to", Math.Min(upTo, head));
            erase.Parameters.AddWithValue("chunk", chunk);
            erase.Parameters.AddWithValue("forget", forget);
            await using var reader = await erase.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var kind = (BucketKind)reader.GetInt16(0);
                var start = new DateTimeOffset(reader.GetDateTime(1), TimeSpan.Zero);
                var totals = new MetricsTotals(reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5), reader.GetDouble(6), reader.GetInt64(7));
                var index = kind == BucketKind.AllTime ? 0 : start.ToUnixTimeSeconds() / MetricsWindows.Of(kind).Seconds;
                cells.Add(new RetractedCell(kind, index, reader.GetString(2), totals));
                if (kind == BucketKind.AllTime) erased += totals.Count;
                forgotten = reader.GetInt64(8);
                granularities.Add(reader.GetInt16(0));
                buckets.Add(reader.GetDateTime(1));
                types.Add(reader.GetString(2));
            }
        }

        MetricsRetraction? retraction = null;
        if (erased > 0)
        {
            await using (var drop = new NpgsqlCommand(DropEmptySql, connection, transaction))
            {
                drop.Parameters.AddWithValue("tenant", job.TenantId);
                drop.Parameters.AddWithValue("granularities", granularities.ToArray());
                drop.Parameters.Add(new NpgsqlParameter("buckets", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { Value = buckets.ToArray() });
                drop.Parameters.AddWithValue("types", types.ToArray());
                await drop.ExecuteNonQueryAsync(cancellationToken);
            }
            await using (var version = new NpgsqlCommand(NextVersionSql, connection, transaction))
            {
                version.Parameters.AddWithValue("tenant", job.TenantId);
                retraction = new MetricsRetraction((long)(await version.ExecuteScalarAsync(cancellationToken))!, head, [.. cells]);
            }
            await using var progress = new NpgsqlCommand(ProgressSql, connection, transaction);
            progress.Parameters.AddWithValue("id", job.Id);
            progress.Parameters.AddWithValue("attempt", job.Attempt);
            progress.Parameters.AddWithValue("events", erased);
            progress.Parameters.AddWithValue("ids", forgotten);
            await progress.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        return new Chunk((int)erased, forgotten, head, upTo, retraction);
    }

    /// <summary>Erases the user's refused events and marks the request done; false when the attempt lost its lease.</summary>
    public async Task<bool> FinishAsync(Claimed job, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(FinishSql);
        command.Parameters.AddWithValue("tenant", job.TenantId);
        command.Parameters.AddWithValue("user", job.UserId);
        command.Parameters.AddWithValue("id", job.Id);
        command.Parameters.AddWithValue("attempt", job.Attempt);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>Records why the attempt stopped; the request is taken again when its lease runs out.</summary>
    public async Task NoteErrorAsync(Claimed job, string error, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(NoteErrorSql);
        command.Parameters.AddWithValue("id", job.Id);
        command.Parameters.AddWithValue("attempt", job.Attempt);
        command.Parameters.AddWithValue("error", error);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<int> PruneAsync(DateTimeOffset before, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(PruneSql);
        command.Parameters.AddWithValue("before", before);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<IReadOnlyList<Erasure>> ReadAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<Erasure>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new Erasure(reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetBoolean(3), reader.GetGuid(4),
                reader.IsDBNull(5) ? null : reader.GetString(5), reader.GetFieldValue<DateTimeOffset>(6),
                reader.IsDBNull(7) ? null : reader.GetFieldValue<DateTimeOffset>(7), reader.IsDBNull(8) ? null : reader.GetFieldValue<DateTimeOffset>(8),
                reader.GetInt64(9), reader.GetInt64(10), reader.GetInt64(11), reader.IsDBNull(12) ? null : reader.GetString(12)));
        }
        return rows;
    }
}
